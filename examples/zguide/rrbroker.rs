//! Request-reply broker (zguide chapter 2, "Shared Queue"): a ROUTER for
//! clients and a DEALER for workers, and a poller moving whole messages
//! (envelopes included) between them.
//!
//! `cargo run --example rrbroker -- [--frontend tcp://*:5559] [--backend tcp://*:5560] [--seconds S]`
//! runs for S seconds, or until killed as the zguide's does.

mod args;
mod until;

use oxmq::{Interest, Poller};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args::Args::parse();
    let frontend = oxmq::Router::new();
    frontend.bind(&args.get("frontend", "tcp://*:5559"))?;
    let backend = oxmq::Dealer::new();
    backend.bind(&args.get("backend", "tcp://*:5560"))?;
    let mut poller = Poller::new()?;
    let from_clients = poller.add(&frontend, Interest::READABLE);
    let from_workers = poller.add(&backend, Interest::READABLE);
    let deadline = until::deadline(&args);
    while let Some(wait) = until::wait(None, deadline) {
        for event in poller.poll(wait)?.to_vec() {
            if event.token == from_clients {
                while let Ok(msg) = frontend.try_recv() {
                    backend.blocking_send(msg)?;
                }
            }
            if event.token == from_workers {
                while let Ok(msg) = backend.try_recv() {
                    frontend.blocking_send(msg)?;
                }
            }
        }
    }
    Ok(())
}
