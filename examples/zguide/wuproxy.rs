//! Weather update proxy (zguide chapter 2, "Transport Bridging"): an
//! XSUB connected to the weather server inside the network and an XPUB
//! bound for clients outside it, joined by the built-in proxy, which
//! also carries the clients' subscriptions up to the server.
//!
//! `cargo run --example wuproxy -- [--frontend tcp://192.168.55.210:5556] [--backend tcp://*:8100] [--seconds S]`
//! runs for S seconds, or until killed as the zguide's does.

mod args;
mod until;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    // Where the weather server is.
    let frontend = oxmq::XSub::new();
    frontend.connect(&args.get("frontend", "tcp://192.168.55.210:5556"))?;
    // Where the subscribers are.
    let backend = oxmq::XPub::new();
    backend.bind(&args.get("backend", "tcp://*:8100"))?;
    until::proxy(&args, &frontend, &backend)
}
