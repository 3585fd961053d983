//! Majordomo broker (zguide chapter 4, "Service-Oriented Reliable Queuing
//! (Majordomo Pattern)"; RFC 7, 7/MDP): one ROUTER for clients and
//! workers. Each service, by name, queues its client requests and its
//! waiting workers, and gives each request to the worker waiting longest.
//! Waiting workers get a HEARTBEAT every interval and are deleted when
//! silent for `liveness` intervals; a worker that breaks the protocol
//! gets DISCONNECT. The internal service "mmi.service" (RFC 8, 8/MMI)
//! answers "200" when the service named in the request has a worker,
//! "404" when not; other "mmi." services answer "501".
//!
//! `cargo run --example mdbroker -- [--bind tcp://*:5555] [--heartbeat-ms 2500] [--liveness 3] [--verbose] [--seconds S]`
//! runs for S seconds, or until killed as the zguide's does. `--verbose` (or `-v`) prints
//! the workers' comings and goings rather than dumping every message.
//! As in the zguide, a busy worker does not expire (it heartbeats only
//! while waiting), and requests for a service without workers wait for
//! one for ever.

mod args;
mod mdp;
mod until;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mdp::{Command, Error, Heartbeat};
use oxmq::{Interest, Message, Poller, Router, SocketOptions};

#[derive(Default)]
struct Service {
    /// Client requests as a worker gets them: `client, "", body...`.
    requests: VecDeque<Vec<Bytes>>,
    /// Idle workers, longest waiting first.
    waiting: VecDeque<Bytes>,
    /// Registered workers, idle or busy.
    workers: usize,
}

struct Worker {
    service: Bytes,
    /// Deleted at this time unless it heartbeats (while idle).
    expiry: Instant,
    idle: bool,
}

struct Broker {
    socket: Router,
    heartbeat: Heartbeat,
    verbose: bool,
    services: HashMap<Bytes, Service>,
    /// By routing id.
    workers: HashMap<Bytes, Worker>,
}

/// A routing id as the zguide prints it.
fn hex(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02X}")).collect()
}

impl Broker {
    /// One message: `sender, "", header, ...`.
    fn process(&mut self, msg: Message) -> Result<(), Error> {
        let frames = msg.into_frames();
        match frames.as_slice() {
            [sender, empty, header, rest @ ..] if empty.is_empty() && *header == mdp::CLIENT => {
                self.client(sender, rest)
            }
            [sender, empty, header, rest @ ..] if empty.is_empty() && *header == mdp::WORKER => {
                self.worker(sender, rest)
            }
            _ => {
                println!("E: invalid message: {frames:?}");
                Ok(())
            }
        }
    }

    /// A request, `service, body...`, for a worker or for "mmi.".
    fn client(&mut self, sender: &Bytes, rest: &[Bytes]) -> Result<(), Error> {
        let [service, body @ ..] = rest else {
            println!("E: client request without a service");
            return Ok(());
        };
        if service.starts_with(b"mmi.") {
            let found = body.last().and_then(|name| self.services.get(name));
            let code = if *service != "mmi.service" {
                "501"
            } else if found.is_some_and(|s| s.workers > 0) {
                "200"
            } else {
                "404"
            };
            let reply = vec![
                sender.clone(),
                Bytes::new(),
                mdp::CLIENT.into(),
                service.clone(),
                code.into(),
            ];
            self.socket.blocking_send(reply)?;
            return Ok(());
        }
        let mut request = vec![sender.clone(), Bytes::new()];
        request.extend_from_slice(body);
        let queue = self.services.entry(service.clone()).or_default();
        queue.requests.push_back(request);
        self.dispatch(service)
    }

    /// A worker command, `command, ...`.
    fn worker(&mut self, sender: &Bytes, rest: &[Bytes]) -> Result<(), Error> {
        let [command, rest @ ..] = rest else {
            println!("E: worker message without a command");
            return Ok(());
        };
        let idle = self.workers.get(sender).map(|w| w.idle);
        match (Command::parse(command), rest, idle) {
            (Some(Command::Ready), [service], None) if !service.starts_with(b"mmi.") => {
                if self.verbose {
                    let name = String::from_utf8_lossy(service);
                    println!("I: registering new worker: {} ({name})", hex(sender));
                }
                let worker = Worker {
                    service: service.clone(),
                    expiry: Instant::now(),
                    idle: false,
                };
                self.workers.insert(sender.clone(), worker);
                self.services.entry(service.clone()).or_default().workers += 1;
                self.waiting(sender)
            }
            (Some(Command::Reply), [client, empty, body @ ..], Some(false)) if empty.is_empty() => {
                let service = self.workers[sender].service.clone();
                let mut reply = vec![client.clone(), Bytes::new(), mdp::CLIENT.into(), service];
                reply.extend_from_slice(body);
                self.socket.blocking_send(reply)?;
                self.waiting(sender)
            }
            (Some(Command::Heartbeat), [], Some(_)) => {
                if let Some(worker) = self.workers.get_mut(sender) {
                    worker.expiry = Instant::now() + self.heartbeat.expiry();
                }
                Ok(())
            }
            (Some(Command::Disconnect), _, _) => {
                if self.verbose && idle.is_some() {
                    println!("I: worker {} disconnected", hex(sender));
                }
                self.delete(sender, false)
            }
            (Some(command), _, _) => {
                // Valid, but not now (or not from this worker): MDP
                // answers DISCONNECT, after a broker restart too.
                if self.verbose {
                    println!(
                        "I: disconnecting worker {}: unexpected {command:?}",
                        hex(sender)
                    );
                }
                self.delete(sender, true)
            }
            (None, _, _) => {
                println!("E: invalid command from worker {}", hex(sender));
                Ok(())
            }
        }
    }

    /// Puts a worker at the back of its service's waiting list.
    fn waiting(&mut self, id: &Bytes) -> Result<(), Error> {
        let Some(worker) = self.workers.get_mut(id) else {
            return Ok(());
        };
        worker.idle = true;
        worker.expiry = Instant::now() + self.heartbeat.expiry();
        let service = worker.service.clone();
        if let Some(s) = self.services.get_mut(&service) {
            s.waiting.push_back(id.clone());
        }
        self.dispatch(&service)
    }

    /// Gives the service's requests to its waiting workers, as far as both go.
    fn dispatch(&mut self, service: &Bytes) -> Result<(), Error> {
        self.purge();
        let Some(s) = self.services.get_mut(service) else {
            return Ok(());
        };
        while !s.waiting.is_empty() {
            let Some(request) = s.requests.pop_front() else {
                break;
            };
            let id = s.waiting.pop_front().expect("a waiting worker");
            if let Some(worker) = self.workers.get_mut(&id) {
                worker.idle = false;
            }
            let frames = std::iter::once(id).chain(mdp::command(Command::Request, request));
            self.socket.blocking_send(Message::from_iter(frames))?;
        }
        Ok(())
    }

    /// Deletes the waiting workers that have been silent too long.
    fn purge(&mut self) {
        let now = Instant::now();
        let workers = &self.workers;
        let mut expired = Vec::new();
        for s in self.services.values_mut() {
            s.waiting.retain(|id| {
                let alive = workers.get(id).is_some_and(|w| w.expiry > now);
                if !alive {
                    expired.push(id.clone());
                }
                alive
            });
        }
        for id in expired {
            if self.verbose {
                println!("I: deleting expired worker: {}", hex(&id));
            }
            let _ = self.delete(&id, false);
        }
    }

    /// Forgets a worker, first telling it DISCONNECT if `disconnect`.
    fn delete(&mut self, id: &Bytes, disconnect: bool) -> Result<(), Error> {
        if let Some(worker) = self.workers.remove(id) {
            if let Some(s) = self.services.get_mut(&worker.service) {
                s.workers -= 1;
                s.waiting.retain(|w| w != id);
            }
        }
        if disconnect {
            self.send(id, Command::Disconnect)?;
        }
        Ok(())
    }

    fn send(&self, id: &Bytes, command: Command) -> Result<(), Error> {
        let frames = std::iter::once(id.clone()).chain(mdp::command(command, []));
        self.socket.blocking_send(Message::from_iter(frames))?;
        Ok(())
    }

    /// Heartbeats every waiting worker.
    fn heartbeat(&self) -> Result<(), Error> {
        for id in self.services.values().flat_map(|s| &s.waiting) {
            self.send(id, Command::Heartbeat)?;
        }
        Ok(())
    }
}

fn main() -> Result<(), Error> {
    let args = args::Args::parse();
    let verbose = std::env::args().any(|a| a == "--verbose" || a == "-v");
    let heartbeat = Heartbeat::from_args(&args);
    let socket = Router::with_options(SocketOptions::default().linger(Some(Duration::ZERO)));
    let endpoint = socket.bind(&args.get("bind", "tcp://*:5555"))?;
    println!("I: MDP broker/0.1.1 is active at {endpoint}");
    let mut poller = Poller::new()?;
    poller.add(&socket, Interest::READABLE);
    let mut broker = Broker {
        socket,
        heartbeat,
        verbose,
        services: HashMap::new(),
        workers: HashMap::new(),
    };
    let mut heartbeat_at = Instant::now() + heartbeat.interval;
    let deadline = until::deadline(&args);
    let next = |at: Instant| Some(at.saturating_duration_since(Instant::now()));
    while let Some(wait) = until::wait(next(heartbeat_at), deadline) {
        if !poller.poll(wait)?.is_empty() {
            while let Ok(msg) = broker.socket.try_recv() {
                broker.process(msg)?;
            }
        }
        if Instant::now() >= heartbeat_at {
            broker.purge();
            broker.heartbeat()?;
            heartbeat_at = Instant::now() + heartbeat.interval;
        }
    }
    Ok(())
}
