//! Message queue broker (zguide chapter 2, "ZeroMQ's Built-In Proxy
//! Function"): rrbroker's ROUTER frontend and DEALER backend, joined by
//! the built-in proxy instead of a hand-written poll loop. rrclient and
//! rrworker talk to it unchanged.
//!
//! `cargo run --example msgqueue -- [--frontend tcp://*:5559] [--backend tcp://*:5560] [--seconds S]`
//! runs for S seconds, or until killed as the zguide's does.

mod args;
mod until;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let frontend = oxmq::Router::new();
    frontend.bind(&args.get("frontend", "tcp://*:5559"))?;
    let backend = oxmq::Dealer::new();
    backend.bind(&args.get("backend", "tcp://*:5560"))?;
    until::proxy(&args, &frontend, &backend)
}
