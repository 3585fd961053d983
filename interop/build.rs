//! Builds libzmq 4.3.5 from the vendored sources in `zeromq-src`, with the DRAFT
//! API enabled (ZMQ_CLIENT / ZMQ_SERVER, `zmq_msg_routing_id`, ...), and links
//! it statically.
//!
//! `zeromq_src::Build::build` compiles with `cc` and itself prints the
//! `cargo:rustc-link-search=native=...`, `cargo:rustc-link-lib=static=zmq` and
//! (through `cc`) `cargo:rustc-link-lib=stdc++` lines, so nothing more needs
//! emitting here. No libsodium is given, so CURVE is compiled out. The C++
//! optimisation level follows the Cargo profile (`-O0` for test/dev builds,
//! `-O3` for release/bench builds).

use std::env;

fn main() {
    // Only this file drives the C++ build; zeromq-src and cc add their own
    // rerun-if-changed / rerun-if-env-changed lines for what they read.
    println!("cargo:rerun-if-changed=build.rs");

    // The vendored C++ sources trip a few -Wextra warnings that cc would relay
    // as `cargo:warning` lines on every rebuild; they are not ours to fix.
    // Appending `-w` keeps any flags the caller already set.
    if env::var("CARGO_CFG_TARGET_ENV").as_deref() != Ok("msvc") {
        for var in ["CFLAGS", "CXXFLAGS"] {
            let mut flags = env::var(var).unwrap_or_default();
            flags.push_str(" -w");
            env::set_var(var, flags.trim_start());
        }
    }

    zeromq_src::Build::new()
        .enable_draft(true)
        .build_debug(false)
        .with_libsodium(None)
        .build();
}
