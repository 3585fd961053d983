//! oxmq's `remote_thr` (same arguments and output as libzmq's):
//! PUSH (or CLIENT with `--pattern client-server`) connects, sends <message-count>
//! messages and exits once every one has left (linger).
//!
//! `cargo run --release --example remote_thr -- tcp://127.0.0.1:5555 32 1000000`
//!
//! Options: see `oxmq_perf::cli` (`--pattern`, `--peers`, `--announce`,
//! `--timeout-ms`). Ends with a `cpu: <user> <sys> [s]` line.

fn main() {
    std::process::exit(oxmq_perf::cli::example_main("remote_thr"));
}
