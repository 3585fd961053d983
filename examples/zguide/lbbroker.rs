//! Load-balancing broker (zguide chapter 3, "A Load Balancing Message
//! Broker"): REQ clients and REQ workers, threads of this process, meet
//! at two ROUTERs. The broker queues the workers that said READY and
//! gives each client request to the least recently used one; it polls
//! the clients only while a worker is free.
//!
//! `cargo run --example lbbroker -- [--clients 10] [--workers 3]`
//! ends once every client has its reply.

mod args;

use std::collections::VecDeque;

use bytes::Bytes;
use oxmq::{Interest, Message, Poller, Req, Router, SocketOptions};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn client(endpoint: String, n: u32) -> Result<(), Error> {
    let id = Bytes::from(format!("client-{n}"));
    let socket = Req::with_options(SocketOptions::default().routing_id(Some(id)));
    socket.connect(&endpoint)?;
    socket.blocking_send("HELLO")?;
    let reply = socket.blocking_recv()?;
    println!("Client {n}: {}", String::from_utf8_lossy(&reply[0]));
    Ok(())
}

fn worker(endpoint: String, n: u32) -> Result<(), Error> {
    let id = Bytes::from(format!("worker-{n}"));
    let socket = Req::with_options(SocketOptions::default().routing_id(Some(id)));
    socket.connect(&endpoint)?;
    // Tell the broker we're ready for work.
    socket.blocking_send("READY")?;
    loop {
        // [client, empty, request]; "END" when the broker is done.
        let request = socket.blocking_recv()?;
        if request[0] == "END" {
            return Ok(());
        }
        println!("Worker {n}: {}", String::from_utf8_lossy(&request[2]));
        socket.blocking_send(Message::from_frames(vec![
            request[0].clone(),
            Bytes::new(),
            "OK".into(),
        ]))?;
    }
}

fn main() -> Result<(), Error> {
    let args = args::Args::parse();
    let frontend = Router::new();
    let front = frontend.bind("inproc://lbbroker-frontend")?;
    let backend = Router::new();
    let back = backend.bind("inproc://lbbroker-backend")?;
    let (clients, workers): (u32, u32) = (args.num("clients", 10), args.num("workers", 3));
    let mut threads = Vec::new();
    for n in 0..clients {
        let e = front.clone();
        threads.push(std::thread::spawn(move || client(e, n)));
    }
    for n in 0..workers {
        let e = back.clone();
        threads.push(std::thread::spawn(move || worker(e, n)));
    }

    let mut poller = Poller::new()?;
    let from_workers = poller.add(&backend, Interest::READABLE);
    let from_clients = poller.add(&frontend, Interest::READABLE);
    let mut idle: VecDeque<Bytes> = VecDeque::new();
    let mut served = 0;
    while served < clients {
        // Only take client requests while a worker is free.
        let interest = Interest {
            readable: !idle.is_empty(),
            writable: false,
        };
        poller.modify(from_clients, interest);
        for event in poller.poll(None)?.to_vec() {
            if event.token == from_workers {
                // [worker, empty, "READY"] or [worker, empty, client, empty, reply].
                while let Ok(msg) = backend.try_recv() {
                    idle.push_back(msg[0].clone());
                    if msg.len() == 5 {
                        frontend.blocking_send(Message::from_frames(vec![
                            msg[2].clone(),
                            Bytes::new(),
                            msg[4].clone(),
                        ]))?;
                        served += 1;
                    }
                }
            }
            if event.token == from_clients {
                // [client, empty, request], to the least recently used worker.
                while !idle.is_empty() {
                    let Ok(msg) = frontend.try_recv() else { break };
                    let w = idle.pop_front().expect("a free worker");
                    backend.blocking_send(Message::from_frames(vec![
                        w,
                        Bytes::new(),
                        msg[0].clone(),
                        Bytes::new(),
                        msg[2].clone(),
                    ]))?;
                }
            }
        }
    }
    // Every client is served: let the workers go, once each is back.
    while idle.len() < workers as usize {
        idle.push_back(backend.blocking_recv()?[0].clone());
    }
    while let Some(w) = idle.pop_front() {
        backend.blocking_send(Message::from_frames(vec![w, Bytes::new(), "END".into()]))?;
    }
    for t in threads {
        t.join().expect("a thread panicked")?;
    }
    println!("Served {served} clients");
    Ok(())
}
