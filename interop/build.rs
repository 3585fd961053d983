//! Builds libzmq 4.3.5 from the vendored sources in `zeromq-src`, with the DRAFT
//! API enabled (ZMQ_CLIENT / ZMQ_SERVER, `zmq_msg_routing_id`, ...), and links
//! it statically.
//!
//! `zeromq_src::Build::build` compiles with `cc` and itself prints the
//! `cargo:rustc-link-search=native=...`, `cargo:rustc-link-lib=static=zmq` and
//! (through `cc`) `cargo:rustc-link-lib=stdc++` lines, so nothing more needs
//! emitting here. The C++ optimisation level follows the Cargo profile
//! (`-O0` for test/dev builds, `-O3` for release/bench builds).
//!
//! CURVE needs libsodium: when a static libsodium is installed (Debian's
//! `libsodium-dev`, which `.ci/run` installs), libzmq is built with it and
//! linked against it, and `zmq_has("curve")` is true; without one, CURVE is
//! compiled out and the CURVE interop tests say so and skip. The library
//! is looked for in `OXMQ_LIBSODIUM_LIB_DIR` (headers in
//! `OXMQ_LIBSODIUM_INCLUDE_DIR`) or in the usual system directories.

use std::env;
use std::path::PathBuf;

/// Where a static libsodium and its headers are, if anywhere.
fn libsodium() -> Option<zeromq_src::LibLocation> {
    println!("cargo:rerun-if-env-changed=OXMQ_LIBSODIUM_LIB_DIR");
    println!("cargo:rerun-if-env-changed=OXMQ_LIBSODIUM_INCLUDE_DIR");
    let include = env::var_os("OXMQ_LIBSODIUM_INCLUDE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/include"));
    let mut dirs: Vec<PathBuf> = env::var_os("OXMQ_LIBSODIUM_LIB_DIR")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if dirs.is_empty() {
        let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
        let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
        dirs.push(PathBuf::from(format!("/usr/lib/{arch}-{os}-gnu")));
        dirs.push(PathBuf::from("/usr/lib"));
        dirs.push(PathBuf::from("/usr/local/lib"));
    }
    let lib = dirs.into_iter().find(|d| d.join("libsodium.a").is_file())?;
    println!(
        "cargo:rerun-if-changed={}",
        lib.join("libsodium.a").display()
    );
    if !include.join("sodium.h").is_file() {
        return None;
    }
    Some(zeromq_src::LibLocation::new(lib, include))
}

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

    let sodium = libsodium();
    zeromq_src::Build::new()
        .enable_draft(true)
        .build_debug(false)
        .with_libsodium(sodium.clone())
        .build();
    println!(
        "cargo:rustc-env=OXMQ_INTEROP_LIBSODIUM={}",
        u8::from(sodium.is_some())
    );
}
