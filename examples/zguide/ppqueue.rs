//! Paranoid Pirate queue (zguide chapter 4, "Robust Reliable Queuing
//! (Paranoid Pirate Pattern)"): the Simple Pirate queue with heartbeats.
//! Clients (lpclient) talk to the frontend ROUTER, ppworker DEALERs to
//! the backend ROUTER. Any message from a worker means it is alive and
//! ready: it goes to the back of the queue of idle workers, with a new
//! expiry time. The queue heartbeats its idle workers every interval and
//! forgets those it has not heard from for `--liveness` intervals, so a
//! dead worker stops getting requests.
//!
//! `cargo run --example ppqueue -- [--frontend tcp://*:5555]
//! [--backend tcp://*:5556] [--heartbeat-ms 1000] [--liveness 3]
//! [--replies N]`
//!
//! Runs for ever, as the zguide's; with `--replies N` it exits after
//! passing N replies to clients. Unlike the zguide's it says when a
//! worker comes (READY) and when one expires.

mod args;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxmq::{Interest, Poller, Router};

/// The Paranoid Pirate Protocol's signals: a worker is ready, is alive.
const READY: &[u8] = b"\x01";
const HEARTBEAT: &[u8] = b"\x02";

/// An idle worker, and when it counts as dead if not heard from.
struct Worker {
    identity: Bytes,
    expiry: Instant,
}

/// A worker's identity as text: itself if printable, else in hex.
fn name(identity: &[u8]) -> String {
    if !identity.is_empty() && identity.iter().all(u8::is_ascii_graphic) {
        String::from_utf8_lossy(identity).into_owned()
    } else {
        identity.iter().map(|b| format!("{b:02X}")).collect()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args::Args::parse();
    let frontend = Router::new();
    frontend.bind(&args.get("frontend", "tcp://*:5555"))?;
    let backend = Router::new();
    backend.bind(&args.get("backend", "tcp://*:5556"))?;
    let heartbeat = Duration::from_millis(args.num("heartbeat-ms", 1000));
    let liveness: u32 = args.num("liveness", 3);
    let replies: u64 = args.num("replies", u64::MAX);

    let mut poller = Poller::new()?;
    let from_workers = poller.add(&backend, Interest::READABLE);
    let from_clients = poller.add(&frontend, Interest::READABLE);
    // Idle workers, least recently heard from first.
    let mut workers: VecDeque<Worker> = VecDeque::new();
    let mut heartbeat_at = Instant::now() + heartbeat;
    let mut passed = 0;
    while passed < replies {
        // Take requests only while some worker can have them.
        let interest = Interest {
            readable: !workers.is_empty(),
            writable: false,
        };
        poller.modify(from_clients, interest);
        let wait = heartbeat_at.saturating_duration_since(Instant::now());
        for event in poller.poll(Some(wait))?.to_vec() {
            if event.token == from_workers {
                // [worker, READY or HEARTBEAT] or [worker, client, empty, reply]
                while let Ok(msg) = backend.try_recv() {
                    let mut frames = msg.into_frames();
                    let identity = frames[0].clone();
                    // Any sign of life: the worker is ready, at the back.
                    workers.retain(|w| w.identity != identity);
                    workers.push_back(Worker {
                        identity: identity.clone(),
                        expiry: Instant::now() + heartbeat * liveness,
                    });
                    match &frames[1..] {
                        [signal] if &signal[..] == READY => {
                            println!("I: worker ({}) ready", name(&identity));
                        }
                        [signal] if &signal[..] == HEARTBEAT => {}
                        [_, _, ..] if passed < replies => {
                            frontend.blocking_send(frames.split_off(1))?;
                            passed += 1;
                        }
                        [_, _, ..] => {}
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
                    let worker = workers.pop_front().expect("a ready worker");
                    msg.push_front(worker.identity);
                    backend.blocking_send(msg)?;
                }
            }
        }

        // Heartbeat the idle workers when it is time.
        if Instant::now() >= heartbeat_at {
            for w in &workers {
                backend.blocking_send(vec![w.identity.clone(), Bytes::from_static(HEARTBEAT)])?;
            }
            heartbeat_at = Instant::now() + heartbeat;
        }
        // Forget the workers not heard from in time (the oldest come first).
        while let Some(w) = workers.front() {
            if w.expiry > Instant::now() {
                break;
            }
            println!("W: worker ({}) expired", name(&w.identity));
            workers.pop_front();
        }
    }
    Ok(())
}
