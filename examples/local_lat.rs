//! oxmq's `local_lat` (same arguments and output as libzmq's):
//! SERVER binds and echoes <roundtrip-count> messages (`--pattern client-server`,
//! the default until oxmq has REQ/REP).
//!
//! `cargo run --release --example local_lat -- tcp://127.0.0.1:5555 64 10000`
//!
//! Options: see `oxmq_perf::cli` (`--pattern`, `--peers`, `--announce`,
//! `--timeout-ms`). Ends with a `cpu: <user> <sys> [s]` line.

fn main() {
    std::process::exit(oxmq_perf::cli::example_main("local_lat"));
}
