//! Hello World server (zguide chapter 1, "Ask and Ye Shall Receive"):
//! a REP socket answers each "Hello" with "World".
//!
//! `cargo run --example hwserver -- [--bind tcp://*:5555] [--count N]`
//! answers N requests (default: for ever), then exits.

mod args;

use std::time::Duration;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let responder = oxmq::Rep::new();
    responder.bind(&args.get("bind", "tcp://*:5555"))?;
    let count: u64 = args.num("count", u64::MAX);
    for _ in 0..count {
        let request = responder.blocking_recv()?;
        println!("Received {}", String::from_utf8_lossy(&request[0]));
        // Do some 'work'.
        std::thread::sleep(Duration::from_millis(args.num("work-ms", 1)));
        responder.blocking_send("World")?;
    }
    Ok(())
}
