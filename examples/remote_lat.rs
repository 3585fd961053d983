//! oxmq's `remote_lat` (same arguments and output as libzmq's):
//! CLIENT connects, times <roundtrip-count> round trips and prints libzmq's
//! latency lines (average one way = elapsed / 2 / round trips) plus p50 and p99
//! round trip.
//!
//! `cargo run --release --example remote_lat -- tcp://127.0.0.1:5555 64 10000`
//!
//! Options: see `oxmq_perf::cli` (`--pattern`, `--peers`, `--announce`,
//! `--timeout-ms`). Ends with a `cpu: <user> <sys> [s]` line.

fn main() {
    std::process::exit(oxmq_perf::cli::example_main("remote_lat"));
}
