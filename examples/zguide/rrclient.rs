//! Request-reply client (zguide chapter 2, "Shared Queue"): a REQ that
//! talks to the broker's frontend, not to a worker.
//!
//! `cargo run --example rrclient -- [--connect tcp://localhost:5559] [--count 10]`

mod args;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let requester = oxmq::Req::new();
    requester.connect(&args.get("connect", "tcp://localhost:5559"))?;
    for n in 0..args.num("count", 10u32) {
        requester.blocking_send("Hello")?;
        let reply = requester.blocking_recv()?;
        println!(
            "Received reply {n} [{}]",
            String::from_utf8_lossy(&reply[0])
        );
    }
    Ok(())
}
