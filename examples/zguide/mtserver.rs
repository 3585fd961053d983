//! Multithreaded Hello World server (zguide chapter 2, "Multithreading
//! with ZeroMQ"): a ROUTER for clients, a DEALER bound to inproc for
//! worker threads, each a REP, and the built-in proxy between them.
//! hwclient talks to it unchanged.
//!
//! `cargo run --example mtserver -- [--bind tcp://*:5555] [--workers 5] [--work-ms 1000] [--requests N]`
//! The zguide's serves for ever; here the proxy stops once it has passed
//! on N replies (default: never), and the program ends.

mod args;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oxmq::{Message, ProxyCapture, ProxyControl};

fn worker(work: Duration) -> oxmq::Result<()> {
    let receiver = oxmq::Rep::new();
    receiver.connect("inproc://workers")?;
    loop {
        let request = receiver.blocking_recv()?;
        println!(
            "Received request: [{}]",
            String::from_utf8_lossy(&request[0])
        );
        // Do some 'work'.
        std::thread::sleep(work);
        receiver.blocking_send("World")?;
    }
}

/// Sees each message the proxy passes on, just before it goes; stops the
/// proxy after the last reply allowed (which still goes out).
struct Replies {
    seen: AtomicU64,
    limit: u64,
    control: Arc<ProxyControl>,
}

impl ProxyCapture for Replies {
    fn capture(&self, msg: Message) -> Pin<Box<dyn Future<Output = oxmq::Result<()>> + Send + '_>> {
        // A reply from a worker: [client, empty, "World"].
        if msg.len() == 3
            && msg[2] == "World"
            && self.seen.fetch_add(1, Ordering::Relaxed) + 1 == self.limit
        {
            self.control.terminate();
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let clients = oxmq::Router::new();
    clients.bind(&args.get("bind", "tcp://*:5555"))?;
    let workers = oxmq::Dealer::new();
    workers.bind("inproc://workers")?;
    let work = Duration::from_millis(args.num("work-ms", 1000));
    for _ in 0..args.num("workers", 5) {
        // The workers end with the process.
        std::thread::spawn(move || worker(work));
    }
    let control = Arc::new(ProxyControl::new());
    let replies = Replies {
        seen: AtomicU64::new(0),
        limit: args.num("requests", u64::MAX),
        control: control.clone(),
    };
    oxmq::blocking_proxy_steerable(&clients, &workers, Some(&replies), &control)?;
    // Closing waits (linger) until the last reply is written.
    clients.blocking_close();
    println!("Passed on {} replies", replies.seen.into_inner());
    Ok(())
}
