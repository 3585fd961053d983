//! Synchronized subscriber (zguide chapter 2, "Node Coordination"):
//! subscribes, checks in with the publisher over REQ, then counts the
//! updates until "END".
//!
//! `cargo run --example syncsub -- [--connect tcp://localhost:5561] [--sync tcp://localhost:5562]`
//! The zguide sleeps a second so that the subscription reaches the
//! publisher before the check-in does; here the subscriber waits for its
//! SUB connection's handshake instead: the subscription goes out on that
//! connection as the handshake ends, before the check-in's own
//! connection is even opened.

mod args;

use oxmq::SocketEvent;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let subscriber = oxmq::Sub::new();
    let monitor = subscriber.monitor();
    subscriber.connect(&args.get("connect", "tcp://localhost:5561"))?;
    subscriber.subscribe("")?;
    while !matches!(
        monitor.blocking_next(None),
        Some(SocketEvent::HandshakeSucceeded { .. }) | None
    ) {}

    // Check in with the publisher, and wait for its go-ahead.
    let syncclient = oxmq::Req::new();
    syncclient.connect(&args.get("sync", "tcp://localhost:5562"))?;
    syncclient.blocking_send("")?;
    syncclient.blocking_recv()?;

    let mut updates = 0u64;
    while subscriber.blocking_recv()?[0] != "END" {
        updates += 1;
    }
    println!("Received {updates} updates");
    Ok(())
}
