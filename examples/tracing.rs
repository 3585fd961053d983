//! What oxmq tells a tracing subscriber (SPEC §6.6): a CLIENT connects to
//! a SERVER over tcp, they exchange a few messages, the SERVER goes away
//! and comes back, and `tracing-subscriber` prints the spans and events.
//!
//! Run: `RUST_LOG=oxmq=debug cargo run --example tracing`
//! (`oxmq=trace` adds a line per message).

use std::time::Duration;

use oxmq::{Client, Server, SocketEvent};
use tracing_subscriber::EnvFilter;

fn main() -> oxmq::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("oxmq=debug")),
        )
        .init();
    let server = Server::new();
    let endpoint = server.bind("tcp://127.0.0.1:0")?;
    let client = Client::new();
    client.connect(&endpoint)?;
    for i in 0..3 {
        client.blocking_send(format!("request {i}"))?;
        let (peer, _) = server.blocking_recv()?;
        server.blocking_send(peer, "reply")?;
        client.blocking_recv()?;
    }
    // The server goes; a new one binds the same port and the client
    // reconnects to it.
    let monitor = client.monitor();
    server.blocking_close();
    let again = Server::new();
    again.bind(&endpoint)?;
    loop {
        match monitor.blocking_next(Some(Duration::from_secs(10))) {
            Some(SocketEvent::HandshakeSucceeded { .. }) => break,
            Some(_) => continue,
            None => panic!("the client did not reconnect"),
        }
    }
    client.blocking_send("after the reconnection")?;
    again.blocking_recv()?;
    Ok(())
}
