//! Pub/sub envelope subscriber (zguide chapter 2, "Pub-Sub Message
//! Envelopes"): subscribes to key "B" only, and prints each update's key
//! and contents.
//!
//! `cargo run --example psenvsub -- [--connect tcp://localhost:5563] [--count N]`
//! prints N updates (default: for ever), then exits.

mod args;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let subscriber = oxmq::Sub::new();
    subscriber.connect(&args.get("connect", "tcp://localhost:5563"))?;
    subscriber.subscribe("B")?;
    for _ in 0..args.num("count", u64::MAX) {
        // [key, contents]
        let msg = subscriber.blocking_recv()?;
        println!(
            "[{}] {}",
            String::from_utf8_lossy(&msg[0]),
            String::from_utf8_lossy(&msg[1])
        );
    }
    Ok(())
}
