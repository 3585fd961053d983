//! A poller for blocking code (SPEC §6.9), as `zmq_poll` and pyzmq's
//! `Poller`: one thread waits on any number of sockets, and on raw file
//! descriptors, for readable or writable, with a timeout.
//!
//! ```
//! use std::time::Duration;
//! use oxmq::{Interest, Poller, Pull, Push};
//!
//! let (a, b) = (Pull::new(), Pull::new());
//! a.bind("inproc://doc-poller-a").unwrap();
//! b.bind("inproc://doc-poller-b").unwrap();
//! let push = Push::new();
//! push.connect("inproc://doc-poller-b").unwrap();
//!
//! let mut poller = Poller::new().unwrap();
//! let ta = poller.add(&a, Interest::READABLE);
//! let tb = poller.add(&b, Interest::READABLE);
//! // Nothing yet: the poll times out with no event.
//! assert!(poller.poll(Some(Duration::from_millis(10))).unwrap().is_empty());
//!
//! push.blocking_send("to b").unwrap();
//! let events = poller.poll(Some(Duration::from_secs(5))).unwrap();
//! assert_eq!(events.len(), 1);
//! assert_eq!((events[0].token, events[0].readable), (tb, true));
//! assert_ne!(events[0].token, ta);
//! assert_eq!(b.try_recv().unwrap(), oxmq::Message::from("to b"));
//! ```
//!
//! In async code no poller is needed: `tokio::select!` over the sockets'
//! `recv()` futures, or `futures::stream::select_all` over their
//! `Stream`s, waits on many sockets with the executor's own machinery, and
//! a `recv()` that loses the race takes no message (it is cancel-safe).

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};

use super::Socket;
use crate::driver::core::SocketCore;
use crate::driver::watch::Signal;
use crate::zmtp::SocketType;

/// What a registration waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interest {
    /// A message can be received (for a descriptor: `POLLIN`).
    pub readable: bool,
    /// A message can be sent (for a descriptor: `POLLOUT`).
    pub writable: bool,
}

impl Interest {
    /// Readable only (`ZMQ_POLLIN`).
    pub const READABLE: Interest = Interest {
        readable: true,
        writable: false,
    };
    /// Writable only (`ZMQ_POLLOUT`).
    pub const WRITABLE: Interest = Interest {
        readable: false,
        writable: true,
    };
    /// Both.
    pub const BOTH: Interest = Interest {
        readable: true,
        writable: true,
    };
}

/// A registration found ready by [`Poller::poll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollEvent {
    /// What [`Poller::add`] or [`Poller::add_fd`] returned.
    pub token: usize,
    /// Readable, and asked for.
    pub readable: bool,
    /// Writable, and asked for.
    pub writable: bool,
    /// The socket is closed (every call on it fails at once), or the
    /// descriptor reported an error or hang-up.
    pub closed: bool,
}

/// A socket a [`Poller`] can watch: every oxmq socket.
pub trait Pollable: Socket {
    #[doc(hidden)]
    fn poll_target(&self) -> PollTarget;
}

/// A socket as a poller sees it (not for use outside oxmq).
#[doc(hidden)]
#[derive(Clone)]
pub struct PollTarget {
    core: Arc<SocketCore>,
}

impl PollTarget {
    pub(crate) fn new(core: Arc<SocketCore>) -> PollTarget {
        PollTarget { core }
    }

    fn readable(&self) -> bool {
        self.core.inbound.has_input()
    }

    /// SPEC §6.9: sockets that never wait to send (they drop, or fail
    /// per message) are always writable; those that cannot send never
    /// are; the others are when a peer's queue has room.
    fn writable(&self) -> bool {
        use SocketType::*;
        let o = &self.core.options;
        match self.core.kind {
            Pull | Sub => false,
            Router if !o.router_mandatory => true,
            Pub | XPub if !o.xpub_nodrop => true,
            XSub | Server | Rep => true,
            _ => self.core.any_room(),
        }
    }

    fn watch(&self, signal: &Arc<Signal>, interest: Interest, on: bool) {
        let lists = [
            (interest.readable, &self.core.inbound.watchers),
            (interest.writable, &self.core.room().watchers),
        ];
        for (_, w) in lists.into_iter().filter(|(want, _)| *want) {
            if on {
                w.add(signal);
            } else {
                w.remove(signal);
            }
        }
    }
}

enum Source {
    Socket(PollTarget),
    /// A duplicate of the descriptor given, so it cannot be closed under
    /// the poller.
    Fd(OwnedFd),
}

struct Entry {
    source: Source,
    interest: Interest,
}

/// Waits on sockets and descriptors (SPEC §6.9). See the module
/// documentation for an example.
///
/// Sockets are checked with a few atomic loads each; the thread sleeps in
/// poll(2) on the descriptors and one eventfd that a watched socket
/// writes only while the poller sleeps. No thread is started, and nothing
/// spins.
pub struct Poller {
    signal: Arc<Signal>,
    entries: Vec<Option<Entry>>,
    events: Vec<PollEvent>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("registered", &self.entries.iter().flatten().count())
            .finish_non_exhaustive()
    }
}

impl Poller {
    /// A poller with nothing registered. Fails only if the system gives
    /// no eventfd.
    pub fn new() -> std::io::Result<Poller> {
        Ok(Poller {
            signal: Signal::new()?,
            entries: Vec::new(),
            events: Vec::new(),
        })
    }

    /// Watches `socket` for `interest`; returns its token.
    pub fn add<S: Pollable + ?Sized>(&mut self, socket: &S, interest: Interest) -> usize {
        let target = socket.poll_target();
        target.watch(&self.signal, interest, true);
        self.insert(Source::Socket(target), interest)
    }

    /// Watches a raw descriptor (a pipe, a tcp stream of another library)
    /// for `interest`, as `zmq_poll` takes `fd` items; returns its token.
    /// The poller keeps a duplicate of it.
    pub fn add_fd(&mut self, fd: impl AsFd, interest: Interest) -> std::io::Result<usize> {
        let fd = fd.as_fd().try_clone_to_owned()?;
        Ok(self.insert(Source::Fd(fd), interest))
    }

    /// Changes what `token` waits for.
    pub fn modify(&mut self, token: usize, interest: Interest) {
        if let Some(Some(e)) = self.entries.get_mut(token) {
            if let Source::Socket(t) = &e.source {
                t.watch(&self.signal, e.interest, false);
                t.watch(&self.signal, interest, true);
            }
            e.interest = interest;
        }
    }

    /// Stops watching `token` (the token may be given out again).
    pub fn remove(&mut self, token: usize) {
        if let Some(slot) = self.entries.get_mut(token) {
            if let Some(Entry {
                source: Source::Socket(t),
                interest,
            }) = slot.take()
            {
                t.watch(&self.signal, interest, false);
            }
        }
    }

    /// Waits until a registration is ready or `timeout` has passed
    /// (`None`: no limit; zero: look once), and returns what is ready,
    /// each registration once. An empty slice: the timeout passed.
    ///
    /// A socket reported readable may, rarely, still have nothing for
    /// `try_recv` (a reply REQ discards, a message another thread took):
    /// treat it as a hint, as poll(2) readiness is.
    pub fn poll(&mut self, timeout: Option<Duration>) -> std::io::Result<&[PollEvent]> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            self.signal.arm();
            self.events.clear();
            self.scan_sockets();
            let wait = if self.events.is_empty() {
                deadline.map(|d| d.saturating_duration_since(Instant::now()))
            } else {
                Some(Duration::ZERO)
            };
            let woken = self.wait_fds(wait)?;
            self.signal.clear();
            if !self.events.is_empty() {
                return Ok(&self.events);
            }
            if woken {
                continue;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(&self.events);
            }
        }
    }

    fn insert(&mut self, source: Source, interest: Interest) -> usize {
        let entry = Some(Entry { source, interest });
        match self.entries.iter().position(Option::is_none) {
            Some(i) => {
                self.entries[i] = entry;
                i
            }
            None => {
                self.entries.push(entry);
                self.entries.len() - 1
            }
        }
    }

    fn scan_sockets(&mut self) {
        for (token, e) in self.entries.iter().enumerate() {
            let Some(Entry {
                source: Source::Socket(t),
                interest,
            }) = e
            else {
                continue;
            };
            let closed = t.core.is_closed();
            let readable = interest.readable && (closed || t.readable());
            let writable = interest.writable && (closed || t.writable());
            if readable || writable {
                self.events.push(PollEvent {
                    token,
                    readable,
                    writable,
                    closed,
                });
            }
        }
    }

    /// poll(2) on the eventfd and the descriptors for at most `wait`;
    /// adds the ready descriptors to the events. Returns whether the
    /// eventfd was written (a socket changed).
    fn wait_fds(&mut self, wait: Option<Duration>) -> std::io::Result<bool> {
        let mut tokens = Vec::new();
        let signal = self.signal.fd();
        let mut fds = vec![PollFd::new(&signal, PollFlags::IN)];
        for (token, e) in self.entries.iter().enumerate() {
            if let Some(Entry {
                source: Source::Fd(fd),
                interest,
            }) = e
            {
                let mut flags = PollFlags::empty();
                if interest.readable {
                    flags |= PollFlags::IN;
                }
                if interest.writable {
                    flags |= PollFlags::OUT;
                }
                fds.push(PollFd::new(fd, flags));
                tokens.push(token);
            }
        }
        let timeout = wait.map(|d| Timespec {
            tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
            tv_nsec: i64::from(d.subsec_nanos()),
        });
        loop {
            match poll(&mut fds, timeout.as_ref()) {
                Ok(_) => break,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        for (fd, &token) in fds[1..].iter().zip(&tokens) {
            let r = fd.revents();
            let closed = r.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL);
            let readable = r.contains(PollFlags::IN) || (closed && r.contains(PollFlags::HUP));
            let writable = r.contains(PollFlags::OUT);
            if readable || writable || closed {
                self.events.push(PollEvent {
                    token,
                    readable,
                    writable,
                    closed,
                });
            }
        }
        Ok(!fds[0].revents().is_empty())
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        for token in 0..self.entries.len() {
            self.remove(token);
        }
    }
}
