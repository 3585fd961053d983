//! oxmq's `local_thr` (same arguments and output as libzmq's):
//! PULL (or SERVER with `--pattern client-server`) binds, receives <message-count>
//! messages and prints libzmq's throughput lines; the clock runs from the first
//! message to the last.
//!
//! `cargo run --release --example local_thr -- tcp://127.0.0.1:5555 32 1000000`
//!
//! Options: see `oxmq_perf::cli` (`--pattern`, `--peers`, `--announce`,
//! `--timeout-ms`). Ends with a `cpu: <user> <sys> [s]` line.

fn main() {
    std::process::exit(oxmq_perf::cli::example_main("local_thr"));
}
