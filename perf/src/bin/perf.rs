//! `perf <oxmq|libzmq|zmqrs|raw> <tool> <args as libzmq's tool> [options]`:
//! any library's side of any perf tool as its own process (see
//! `oxmq_perf::cli` for the options). Used by `benches/compare.rs`.

fn main() {
    std::process::exit(oxmq_perf::cli::perf_main(std::env::args().skip(1)));
}
