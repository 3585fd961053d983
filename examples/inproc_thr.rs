//! oxmq's `inproc_thr` (same arguments and output as libzmq's):
//! both throughput sides in one process over inproc.
//!
//! `cargo run --release --example inproc_thr -- 32 1000000`
//!
//! Options: see `oxmq_perf::cli` (`--pattern`, `--peers`, `--announce`,
//! `--timeout-ms`). Ends with a `cpu: <user> <sys> [s]` line.

fn main() {
    std::process::exit(oxmq_perf::cli::example_main("inproc_thr"));
}
