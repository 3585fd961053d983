//! The Majordomo Protocol (zguide chapter 4, "Service-Oriented Reliable
//! Queuing (Majordomo Pattern)"; ZeroMQ RFC 7, 7/MDP): its frames, and
//! the two APIs that hide them, the zguide's mdwrkapi ([`Worker`]) and
//! mdcliapi ([`Client`]). mdbroker, mdworker and mdclient include it with
//! `mod mdp;`.
//!
//! On the wire, after the envelope a ROUTER adds or removes:
//! - client to broker: `"", "MDPC01", service, body...` (a REQ adds the
//!   empty frame), and broker to client the same with the reply body;
//! - worker and broker: `"", "MDPW01", command, ...`, where READY carries
//!   the service name, REQUEST and REPLY `client, "", body...`, HEARTBEAT
//!   and DISCONNECT nothing more.
//!
//! Differs from the zguide: the worker counts the broker's silence in
//! time (not in empty polls), and any command it sends also stands for a
//! heartbeat; a socket given up is disconnected before it is closed, so a
//! READY still queued in it cannot reach a broker that comes up later.

use std::time::{Duration, Instant};

use bytes::Bytes;
use oxmq::{Dealer, Interest, Message, Poller, Req, SocketOptions};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// MDP/Client v0.1: the header of client requests and replies.
pub const CLIENT: &str = "MDPC01";
/// MDP/Worker v0.1: the header of every worker command.
pub const WORKER: &str = "MDPW01";

/// The worker commands, one byte each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Ready = 1,
    Request,
    Reply,
    Heartbeat,
    Disconnect,
}

impl Command {
    pub fn parse(frame: &[u8]) -> Option<Command> {
        use Command::*;
        match frame {
            [1] => Some(Ready),
            [2] => Some(Request),
            [3] => Some(Reply),
            [4] => Some(Heartbeat),
            [5] => Some(Disconnect),
            _ => None,
        }
    }
}

/// A worker command as a DEALER sends it: `"", "MDPW01", command, rest...`
/// (the broker puts the worker's routing id in front).
pub fn command(command: Command, rest: impl IntoIterator<Item = Bytes>) -> Vec<Bytes> {
    let mut frames = vec![
        Bytes::new(),
        WORKER.into(),
        Bytes::from(vec![command as u8]),
    ];
    frames.extend(rest);
    frames
}

/// How often broker and worker heartbeat, and after how many silent
/// intervals each gives the other up (both sides must agree).
#[derive(Clone, Copy, Debug)]
pub struct Heartbeat {
    pub interval: Duration,
    pub liveness: u32,
}

impl Heartbeat {
    /// `--heartbeat-ms` and `--liveness`, with the zguide's 2500 ms and 3.
    #[allow(dead_code)]
    pub fn from_args(args: &crate::args::Args) -> Heartbeat {
        Heartbeat {
            interval: Duration::from_millis(args.num("heartbeat-ms", 2500)),
            liveness: args.num("liveness", 3),
        }
    }

    /// How long a peer may stay silent.
    pub fn expiry(&self) -> Duration {
        self.interval * self.liveness
    }
}

/// The worker API (the zguide's mdwrkapi): registers one service with the
/// broker, heartbeats, reconnects when the broker goes silent or says
/// DISCONNECT, and hands over the requests.
#[allow(dead_code)]
pub struct Worker {
    broker: String,
    service: String,
    heartbeat: Heartbeat,
    reconnect: Duration,
    verbose: bool,
    socket: Dealer,
    poller: Poller,
    token: usize,
    /// When to send the next HEARTBEAT.
    heartbeat_at: Instant,
    /// When the broker counts as gone unless it says something.
    broker_expiry: Instant,
    /// The client of the request being worked on.
    reply_to: Option<Bytes>,
}

#[allow(dead_code)]
impl Worker {
    /// Connects to `broker` and registers for `service`.
    pub fn new(
        broker: &str,
        service: &str,
        heartbeat: Heartbeat,
        reconnect: Duration,
        verbose: bool,
    ) -> Result<Worker, Error> {
        let socket = Self::open(broker, verbose)?;
        let mut poller = Poller::new()?;
        let token = poller.add(&socket, Interest::READABLE);
        let mut worker = Worker {
            broker: broker.to_string(),
            service: service.to_string(),
            heartbeat,
            reconnect,
            verbose,
            socket,
            poller,
            token,
            heartbeat_at: Instant::now(),
            broker_expiry: Instant::now(),
            reply_to: None,
        };
        worker.register()?;
        Ok(worker)
    }

    fn open(broker: &str, verbose: bool) -> Result<Dealer, Error> {
        // Closing lingers so that the last reply reaches the broker; a
        // socket given up is emptied first (see `reconnect`).
        let options = SocketOptions::default().linger(Some(Duration::from_secs(1)));
        let socket = Dealer::with_options(options);
        socket.connect(broker)?;
        if verbose {
            println!("I: connecting to broker at {broker}...");
        }
        Ok(socket)
    }

    fn register(&mut self) -> Result<(), Error> {
        let service = Bytes::from(self.service.clone());
        self.send(command(Command::Ready, [service]))?;
        self.broker_expiry = Instant::now() + self.heartbeat.expiry();
        Ok(())
    }

    /// Gives the socket up for a new one, and registers again.
    fn reconnect(&mut self) -> Result<(), Error> {
        let old = std::mem::replace(&mut self.socket, Self::open(&self.broker, self.verbose)?);
        self.poller.remove(self.token);
        self.token = self.poller.add(&self.socket, Interest::READABLE);
        // Drop what is still queued for the broker, then close.
        let _ = old.disconnect(&self.broker);
        drop(old);
        self.reply_to = None;
        self.register()
    }

    /// Sends a command; it also tells the broker we are alive, so the
    /// next HEARTBEAT is one interval away.
    fn send(&mut self, frames: Vec<Bytes>) -> Result<(), Error> {
        self.socket.blocking_send(frames)?;
        self.heartbeat_at = Instant::now() + self.heartbeat.interval;
        Ok(())
    }

    fn send_reply(&mut self, reply: Message) -> Result<(), Error> {
        // A reply to a request lost with a reconnection has no one to go to.
        if let Some(client) = self.reply_to.take() {
            let rest = [client, Bytes::new()].into_iter().chain(reply);
            self.send(command(Command::Reply, rest))?;
        }
        Ok(())
    }

    /// Sends `reply` to the request last returned, if given, then waits
    /// for the next request and returns its body.
    pub fn recv(&mut self, reply: Option<Message>) -> Result<Message, Error> {
        if let Some(reply) = reply {
            self.send_reply(reply)?;
        }
        loop {
            let wake = self.heartbeat_at.min(self.broker_expiry);
            let wait = wake.saturating_duration_since(Instant::now());
            if !self.poller.poll(Some(wait))?.is_empty() {
                while let Ok(msg) = self.socket.try_recv() {
                    self.broker_expiry = Instant::now() + self.heartbeat.expiry();
                    if let Some(request) = self.handle(msg)? {
                        return Ok(request);
                    }
                }
            } else if Instant::now() >= self.broker_expiry {
                if self.verbose {
                    println!("W: disconnected from broker - retrying...");
                }
                std::thread::sleep(self.reconnect);
                self.reconnect()?;
            }
            if Instant::now() >= self.heartbeat_at {
                self.send(command(Command::Heartbeat, []))?;
            }
        }
    }

    /// One message from the broker: a request's body, or nothing.
    fn handle(&mut self, msg: Message) -> Result<Option<Message>, Error> {
        let frames = msg.into_frames();
        let [empty, header, command, rest @ ..] = frames.as_slice() else {
            println!("E: invalid message from broker: {frames:?}");
            return Ok(None);
        };
        if !empty.is_empty() || *header != WORKER {
            println!("E: invalid message from broker: {frames:?}");
            return Ok(None);
        }
        match (Command::parse(command), rest) {
            (Some(Command::Request), [client, empty, body @ ..]) if empty.is_empty() => {
                self.reply_to = Some(client.clone());
                return Ok(Some(Message::from_frames(body.to_vec())));
            }
            (Some(Command::Heartbeat), _) => {}
            (Some(Command::Disconnect), _) => {
                if self.verbose {
                    println!("I: broker sent DISCONNECT, reconnecting");
                }
                self.reconnect()?;
            }
            _ => println!("E: invalid command from broker: {frames:?}"),
        }
        Ok(None)
    }

    /// Sends `reply` to the last request, if given, and leaves the broker
    /// with DISCONNECT; returns once both are sent (at most 1 s).
    pub fn close(mut self, reply: Option<Message>) -> Result<(), Error> {
        if let Some(reply) = reply {
            self.send_reply(reply)?;
        }
        self.send(command(Command::Disconnect, []))?;
        self.socket.blocking_close();
        Ok(())
    }
}

/// The client API (the zguide's mdcliapi): a REQ socket that sends a
/// request to a service and waits `timeout` for the reply, reconnecting
/// and sending it again up to `retries` times in all.
#[allow(dead_code)]
pub struct Client {
    broker: String,
    timeout: Duration,
    retries: u32,
    verbose: bool,
    socket: Req,
    poller: Poller,
    token: usize,
}

#[allow(dead_code)]
impl Client {
    pub fn new(
        broker: &str,
        timeout: Duration,
        retries: u32,
        verbose: bool,
    ) -> Result<Client, Error> {
        let socket = Self::open(broker, verbose)?;
        let mut poller = Poller::new()?;
        let token = poller.add(&socket, Interest::READABLE);
        Ok(Client {
            broker: broker.to_string(),
            timeout,
            retries,
            verbose,
            socket,
            poller,
            token,
        })
    }

    fn open(broker: &str, verbose: bool) -> Result<Req, Error> {
        let socket = Req::with_options(SocketOptions::default().linger(Some(Duration::ZERO)));
        socket.connect(broker)?;
        if verbose {
            println!("I: connecting to broker at {broker}...");
        }
        Ok(socket)
    }

    /// Sends `request` to `service`; the reply's body, or `None` when no
    /// reply came after every retry.
    pub fn send(&mut self, service: &str, request: Message) -> Result<Option<Message>, Error> {
        let mut frames = vec![Bytes::from(CLIENT), Bytes::from(service.to_string())];
        frames.extend(request);
        let request = Message::from_frames(frames);
        for attempt in 1..=self.retries {
            self.socket.blocking_send(request.clone())?;
            let deadline = Instant::now() + self.timeout;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                if self.poller.poll(Some(left))?.is_empty() {
                    break;
                }
                // Readable is a hint: the reply may not be there yet.
                if let Ok(reply) = self.socket.try_recv() {
                    let frames = reply.into_frames();
                    return match frames.as_slice() {
                        [header, name, body @ ..] if *header == CLIENT && *name == service => {
                            Ok(Some(Message::from_frames(body.to_vec())))
                        }
                        _ => Err(format!("malformed reply: {frames:?}").into()),
                    };
                }
            }
            if attempt < self.retries {
                if self.verbose {
                    println!("W: no reply, reconnecting...");
                }
                let fresh = Self::open(&self.broker, self.verbose)?;
                self.poller.remove(self.token);
                self.token = self.poller.add(&fresh, Interest::READABLE);
                self.socket = fresh;
            } else if self.verbose {
                println!("W: permanent error, abandoning");
            }
        }
        Ok(None)
    }
}
