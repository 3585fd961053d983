//! Synchronized publisher (zguide chapter 2, "Node Coordination"): waits
//! until the expected number of subscribers have checked in over a REP
//! socket, then publishes its updates and "END", so that no subscriber
//! misses the start.
//!
//! `cargo run --example syncpub -- [--bind tcp://*:5561] [--sync tcp://*:5562] [--subscribers 10] [--updates 1000000]`

mod args;

use oxmq::SocketOptions;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let updates: usize = args.num("updates", 1_000_000);
    // A PUB drops what its queue cannot hold: make room for every update,
    // as the zguide does, so a slow subscriber holds them back instead.
    let publisher = oxmq::Pub::with_options(SocketOptions::default().sndhwm(updates + 1));
    publisher.bind(&args.get("bind", "tcp://*:5561"))?;
    // Subscribers check in here.
    let syncservice = oxmq::Rep::new();
    syncservice.bind(&args.get("sync", "tcp://*:5562"))?;

    let expected: u32 = args.num("subscribers", 10);
    println!("Waiting for subscribers");
    for _ in 0..expected {
        syncservice.blocking_recv()?;
        syncservice.blocking_send("")?;
    }
    println!("Broadcasting messages");
    for _ in 0..updates {
        publisher.blocking_send("Rhubarb")?;
    }
    publisher.blocking_send("END")?;
    // Closing waits (linger) until every subscriber has them.
    publisher.blocking_close();
    Ok(())
}
