//! Request-reply worker (zguide chapter 2, "Shared Queue"): a REP that
//! connects to the broker's backend and answers "World".
//!
//! `cargo run --example rrworker -- [--connect tcp://localhost:5560] [--count N]`
//! answers N requests (default: for ever).

mod args;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let responder = oxmq::Rep::new();
    responder.connect(&args.get("connect", "tcp://localhost:5560"))?;
    for _ in 0..args.num("count", u64::MAX) {
        let request = responder.blocking_recv()?;
        println!(
            "Received request: [{}]",
            String::from_utf8_lossy(&request[0])
        );
        responder.blocking_send("World")?;
    }
    Ok(())
}
