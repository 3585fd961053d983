//! oxmq's `inproc_lat` (same arguments and output as libzmq's):
//! both latency sides in one process over inproc.
//!
//! `cargo run --release --example inproc_lat -- 64 10000`
//!
//! Options: see `oxmq_perf::cli` (`--pattern`, `--peers`, `--announce`,
//! `--timeout-ms`). Ends with a `cpu: <user> <sys> [s]` line.

fn main() {
    std::process::exit(oxmq_perf::cli::example_main("inproc_lat"));
}
