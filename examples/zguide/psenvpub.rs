//! Pub/sub envelope publisher (zguide chapter 2, "Pub-Sub Message
//! Envelopes"): each update is two frames, a key the subscribers filter
//! on ("A" or "B") and the contents.
//!
//! `cargo run --example psenvpub -- [--bind tcp://*:5563] [--interval-ms 1000] [--count N]`
//! publishes a pair of updates every interval, N times (default: for ever).

mod args;

use std::time::Duration;

use oxmq::Message;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let publisher = oxmq::Pub::new();
    publisher.bind(&args.get("bind", "tcp://*:5563"))?;
    let interval = Duration::from_millis(args.num("interval-ms", 1000));
    for _ in 0..args.num("count", u64::MAX) {
        publisher.blocking_send(Message::from_frames(vec![
            "A".into(),
            "We don't want to see this".into(),
        ]))?;
        publisher.blocking_send(Message::from_frames(vec![
            "B".into(),
            "We would like to see this".into(),
        ]))?;
        std::thread::sleep(interval);
    }
    Ok(())
}
