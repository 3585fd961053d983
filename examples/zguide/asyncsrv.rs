//! Asynchronous client/server (zguide chapter 3, "The Asynchronous
//! Client/Server Pattern"): DEALER clients send requests without waiting
//! and take replies as they come; the server's ROUTER frontend and
//! DEALER backend are joined by a proxy, and DEALER workers send back
//! several replies per request.
//!
//! `cargo run --example asyncsrv -- [--clients 3] [--workers 5] [--requests 5] [--replies N]`
//! The zguide runs for 5 seconds with 0 to 4 replies per request; here
//! each client sends `--requests`, each worker answers with `--replies`
//! (default: 1 to 4 at random, told to the client in the reply), and the
//! program ends when every client has every reply.

mod args;

use std::time::Duration;

use bytes::Bytes;
use oxmq::{Dealer, Interest, Message, Poller, Router, SocketOptions};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Sends its requests one every 10 ms, polling for replies in between;
/// returns once every reply of every request has come.
fn client(n: u32, requests: u32) -> Result<(), Error> {
    let id = Bytes::from(format!("client-{n}"));
    let socket = Dealer::with_options(SocketOptions::default().routing_id(Some(id)));
    socket.connect("inproc://asyncsrv-frontend")?;
    let mut poller = Poller::new()?;
    poller.add(&socket, Interest::READABLE);
    // Replies still owed per request: unknown (None) until the first.
    let mut owed: Vec<Option<u32>> = vec![None; requests as usize];
    let mut sent = 0;
    let mut got = 0;
    while sent < requests || owed.iter().any(|o| o != &Some(0)) {
        if sent < requests {
            socket.blocking_send(format!("request #{sent}"))?;
            sent += 1;
        }
        poller.poll(Some(Duration::from_millis(10)))?;
        // ["request #k", "j of n"]
        while let Ok(reply) = socket.try_recv() {
            let k: usize = String::from_utf8_lossy(&reply[0])["request #".len()..].parse()?;
            let of: u32 = String::from_utf8_lossy(&reply[1])
                .rsplit(' ')
                .next()
                .unwrap_or("0")
                .parse()?;
            let left = owed[k].get_or_insert(of);
            *left -= 1;
            got += 1;
        }
    }
    println!("client-{n}: {got} replies to {requests} requests");
    Ok(())
}

/// Answers each request with `replies` replies (or 1 to 4 at random),
/// each after a short random sleep.
fn worker(replies: Option<u32>) -> Result<(), Error> {
    let socket = Dealer::new();
    socket.connect("inproc://asyncsrv-backend")?;
    loop {
        // [client identity, request]
        let Ok(msg) = socket.blocking_recv() else {
            return Ok(());
        };
        let n = replies.unwrap_or_else(|| rand::random_range(1..=4));
        for j in 1..=n {
            std::thread::sleep(Duration::from_micros(rand::random_range(1..1000)));
            let reply = Message::from_frames(vec![
                msg[0].clone(),
                msg[1].clone(),
                Bytes::from(format!("{j} of {n}")),
            ]);
            if socket.blocking_send(reply).is_err() {
                return Ok(());
            }
        }
    }
}

fn main() -> Result<(), Error> {
    let args = args::Args::parse();
    let frontend = Router::new();
    frontend.bind("inproc://asyncsrv-frontend")?;
    let backend = Dealer::new();
    backend.bind("inproc://asyncsrv-backend")?;
    let replies = Some(args.num("replies", 0)).filter(|&r| r > 0);
    for _ in 0..args.num("workers", 5u32) {
        std::thread::spawn(move || worker(replies));
    }
    let requests: u32 = args.num("requests", 5);
    let clients: Vec<_> = (0..args.num("clients", 3u32))
        .map(|n| std::thread::spawn(move || client(n, requests)))
        .collect();
    // The server: the proxy, in its own thread, until the clients are done.
    std::thread::spawn(move || oxmq::blocking_proxy(&frontend, &backend, None));
    for c in clients {
        c.join().expect("a client panicked")?;
    }
    Ok(())
}
