//! Simple Pirate queue (zguide chapter 4, "Basic Reliable Queuing (Simple
//! Pirate Pattern)"): the load-balancing broker of chapter 3 between two
//! ROUTERs, nothing more. Workers (spworker) say READY and are queued,
//! least recently used first; each client request (from lpclient) goes
//! to the first of them, and each reply back to its client. Reliability
//! is left to the clients, which retry through the queue.
//!
//! `cargo run --example spqueue -- [--frontend tcp://*:5555]
//! [--backend tcp://*:5556] [--replies N]`
//!
//! Runs for ever, as the zguide's; with `--replies N` it exits after
//! passing N replies to clients. Unlike the zguide's it says when a
//! worker is READY.

mod args;

use std::collections::VecDeque;

use bytes::Bytes;
use oxmq::{Interest, Poller, Router};

/// What a worker sends first: it is ready for work.
const READY: &[u8] = b"\x01";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args::Args::parse();
    let frontend = Router::new();
    frontend.bind(&args.get("frontend", "tcp://*:5555"))?;
    let backend = Router::new();
    backend.bind(&args.get("backend", "tcp://*:5556"))?;
    let replies: u64 = args.num("replies", u64::MAX);

    let mut poller = Poller::new()?;
    let from_workers = poller.add(&backend, Interest::READABLE);
    let from_clients = poller.add(&frontend, Interest::READABLE);
    // Identities of the workers ready for a request, oldest first.
    let mut workers: VecDeque<Bytes> = VecDeque::new();
    let mut passed = 0;
    while passed < replies {
        // Take requests only while some worker can have them.
        let interest = Interest {
            readable: !workers.is_empty(),
            writable: false,
        };
        poller.modify(from_clients, interest);
        for event in poller.poll(None)?.to_vec() {
            if event.token == from_workers {
                // [worker, empty, READY] or [worker, empty, client, empty, reply]
                while let Ok(msg) = backend.try_recv() {
                    let mut frames = msg.into_frames();
                    workers.push_back(frames[0].clone());
                    match frames.get(2..).unwrap_or_default() {
                        [signal] if &signal[..] == READY => {
                            let worker = String::from_utf8_lossy(&frames[0]);
                            println!("I: worker ({worker}) ready");
                        }
                        [_, _, _] if passed < replies => {
                            frontend.blocking_send(frames.split_off(2))?;
                            passed += 1;
                        }
                        [_, _, _] => {}
                        _ => println!("E: invalid message from worker: {frames:?}"),
                    }
                }
            }
            if event.token == from_clients {
                // [client, empty, request], to the least recently used worker.
                while !workers.is_empty() {
                    let Ok(mut msg) = frontend.try_recv() else {
                        break;
                    };
                    msg.push_front(Bytes::new());
                    msg.push_front(workers.pop_front().expect("a ready worker"));
                    backend.blocking_send(msg)?;
                }
            }
        }
    }
    Ok(())
}
