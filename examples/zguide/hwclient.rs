//! Hello World client (zguide chapter 1, "Ask and Ye Shall Receive"):
//! a REQ socket sends "Hello" ten times and waits for each "World".
//!
//! `cargo run --example hwclient -- [--connect tcp://localhost:5555] [--count 10]`

mod args;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    println!("Connecting to hello world server...");
    let requester = oxmq::Req::new();
    requester.connect(&args.get("connect", "tcp://localhost:5555"))?;
    for n in 0..args.num("count", 10u32) {
        println!("Sending Hello {n}...");
        requester.blocking_send("Hello")?;
        let reply = requester.blocking_recv()?;
        println!("Received {} {n}", String::from_utf8_lossy(&reply[0]));
    }
    Ok(())
}
