//! Direct reads (SPEC §6.1): a thread blocked in a receive waits on its
//! socket's tcp and ipc connections itself, with poll(2), and reads and
//! decodes what arrives on the spot. A reply then reaches the application
//! with one wake-up (the kernel's, of the waiting thread), not two (the
//! I/O thread's, then the application thread's), as with a plain blocking
//! socket.
//!
//! While a thread waits here, each connection's engine leaves the reading
//! to it ([`DirectSource::set_direct`]). Anything else that gives the
//! socket a message (another connection's engine, an inproc peer), a
//! connection arriving or leaving, and closing the socket ring a doorbell
//! (an eventfd in the same poll set), so the waiter looks again.
//!
//! Only one thread at a time waits this way; others, async receivers, and
//! sockets with no or many stream connections use the usual wait.
//!
//! The connections are seen through [`DirectSource`], which the engine
//! implements: this module knows nothing of sessions or pipes.

use crate::error::{Error, Result};
use crate::message::Message;
use crate::routing_id::RoutingId;
use std::os::fd::BorrowedFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::driver::lock;

/// A tcp or ipc connection as a direct reader sees it.
pub(crate) trait DirectSource: Send + Sync {
    /// The connection's descriptor, to wait on with poll(2).
    fn fd(&self) -> BorrowedFd<'_>;
    /// A frame too large to copy through the reader's buffer is arriving:
    /// the engine reads it, and direct readers leave the connection alone.
    fn is_bulk(&self) -> bool;
    /// Whether a direct reader waits on the connection (its engine then
    /// leaves the reading to it).
    fn set_direct(&self, on: bool);
    /// The descriptor is readable: read what the kernel has through
    /// `scratch`, decode it and queue the messages for the socket.
    /// Returns true if `scratch` was filled (more may be waiting).
    fn read_direct(&self, scratch: &mut [u8]) -> bool;
    /// Hands the connection back to its engine now (bytes may be left).
    fn wake_engine(&self);
}

/// The tcp and ipc connections a blocking receiver may read itself.
#[derive(Default)]
pub(crate) struct DirectReads {
    streams: Mutex<Vec<Arc<dyn DirectSource>>>,
    /// How many connections `streams` holds, readable without its lock.
    count: std::sync::atomic::AtomicUsize,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    waiter: imp::Waiter,
}

impl DirectReads {
    /// A connection finished its handshake: direct readers may use it.
    pub(crate) fn register(&self, s: Arc<dyn DirectSource>) {
        let mut streams = lock(&self.streams);
        streams.push(s);
        self.count
            .store(streams.len(), std::sync::atomic::Ordering::SeqCst);
        drop(streams);
        self.ring();
    }

    /// A connection ended.
    pub(crate) fn unregister(&self, s: &Arc<dyn DirectSource>) {
        let mut streams = lock(&self.streams);
        streams.retain(|x| !Arc::ptr_eq(x, s));
        self.count
            .store(streams.len(), std::sync::atomic::Ordering::SeqCst);
        drop(streams);
        self.ring();
    }

    /// Tells a thread waiting in [`recv`](Self::recv), if any, to look
    /// again: a message arrived some other way, or the socket changed.
    #[inline]
    pub(crate) fn ring(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        self.waiter.ring();
    }

    /// Waits for a message by reading the socket's connections directly,
    /// at most `timeout`; `try_recv` takes a message queued for the
    /// socket. `None` when this wait does not apply (no or too many stream
    /// connections, another thread waiting this way, no eventfd): the
    /// caller then uses the usual wait.
    pub(crate) fn recv(
        &self,
        try_recv: impl FnMut() -> Result<(RoutingId, Message)>,
        timeout: Option<Duration>,
    ) -> Option<Result<(RoutingId, Message)>> {
        // A socket without tcp or ipc connections (inproc only, or none
        // yet) has nothing to read here: no lock, no doorbell, no buffer,
        // no announcement for its senders to see.
        if self.count.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            return None;
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            self.waiter.recv(&self.streams, try_recv, timeout)
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = (try_recv, timeout);
            None
        }
    }
}

/// Most connections one direct wait polls; with more, the I/O thread's
/// batching serves better than one thread reading them in turn.
const MAX_DIRECT: usize = 8;
/// Bytes one direct read takes from the kernel at most.
const SCRATCH: usize = 64 * 1024;

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use super::*;
    use rustix::event::{PollFd, PollFlags, Timespec};
    use std::os::fd::OwnedFd;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::OnceLock;
    use std::time::Instant;

    #[derive(Default)]
    pub(super) struct Waiter {
        /// Held by the one thread waiting directly; its read buffer.
        reader: Mutex<Vec<u8>>,
        /// A thread is (about to be) in poll(2): ring the doorbell.
        polling: AtomicBool,
        /// The eventfd in the poll set, made on first use.
        doorbell: OnceLock<Option<OwnedFd>>,
    }

    fn errno_error(e: rustix::io::Errno) -> std::io::Error {
        e.into()
    }

    impl Waiter {
        pub(super) fn ring(&self) {
            if self.polling.load(Ordering::SeqCst) && self.polling.swap(false, Ordering::SeqCst) {
                if let Some(Some(fd)) = self.doorbell.get() {
                    // A full counter (2^64 - 2 rings unread) cannot happen:
                    // the waiter drains it every time it wakes.
                    let _ = rustix::io::write(fd, &1u64.to_ne_bytes());
                }
            }
        }

        pub(super) fn recv(
            &self,
            streams: &Mutex<Vec<Arc<dyn DirectSource>>>,
            mut try_recv: impl FnMut() -> Result<(RoutingId, Message)>,
            timeout: Option<Duration>,
        ) -> Option<Result<(RoutingId, Message)>> {
            let mut scratch = self.reader.try_lock().ok()?;
            let bell = self
                .doorbell
                .get_or_init(|| {
                    use rustix::event::{eventfd, EventfdFlags};
                    eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).ok()
                })
                .as_ref()?;
            if scratch.is_empty() {
                *scratch = vec![0; SCRATCH];
            }
            let deadline = timeout.map(|t| Instant::now() + t);
            loop {
                // Announced before the connections are listed: a change
                // made after the list was taken (a connection ending, a
                // message arriving another way) rings the doorbell.
                self.polling.store(true, Ordering::SeqCst);
                let all = lock(streams).clone();
                if all.is_empty() || all.len() > MAX_DIRECT {
                    self.polling.store(false, Ordering::SeqCst);
                    return None;
                }
                // Connections receiving a large frame are the engine's
                // until it is complete; its delivery rings the doorbell.
                let sides: Vec<Arc<dyn DirectSource>> =
                    all.into_iter().filter(|s| !s.is_bulk()).collect();
                for s in &sides {
                    s.set_direct(true);
                }
                let left = |filled: &[bool]| {
                    self.polling.store(false, Ordering::SeqCst);
                    for (s, &more) in sides.iter().zip(filled) {
                        s.set_direct(false);
                        if more {
                            // Bytes may be left in the kernel: the engine
                            // takes over now rather than after its pause.
                            s.wake_engine();
                        }
                    }
                };
                let mut filled = vec![false; sides.len()];
                // Announced: anything that arrives from now on rings.
                match try_recv() {
                    Err(Error::WouldBlock) => {}
                    r => {
                        left(&filled);
                        return Some(r);
                    }
                }
                let wait = match deadline {
                    None => None,
                    Some(d) => {
                        let now = Instant::now();
                        if now >= d {
                            left(&filled);
                            return Some(Err(Error::Timeout {
                                after: timeout.unwrap_or_default(),
                            }));
                        }
                        let rest = d - now;
                        Some(Timespec {
                            tv_sec: rest.as_secs() as _,
                            tv_nsec: rest.subsec_nanos() as _,
                        })
                    }
                };
                let mut fds: Vec<PollFd<'_>> = sides
                    .iter()
                    .map(|s| PollFd::from_borrowed_fd(s.fd(), PollFlags::IN))
                    .collect();
                fds.push(PollFd::new(bell, PollFlags::IN));
                let polled = rustix::event::poll(&mut fds, wait.as_ref());
                self.polling.store(false, Ordering::SeqCst);
                let ready: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
                drop(fds);
                match polled {
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => {}
                    Err(e) => {
                        tracing::debug!(error = %errno_error(e), "poll failed; waiting the usual way");
                        left(&filled);
                        return None;
                    }
                }
                if ready[sides.len()] {
                    let mut buf = [0u8; 8];
                    let _ = rustix::io::read(bell, &mut buf);
                }
                for (i, s) in sides.iter().enumerate() {
                    if ready[i] {
                        filled[i] = s.read_direct(&mut scratch);
                    }
                }
                match try_recv() {
                    Err(Error::WouldBlock) => {
                        // Keep the announcement for the next round, but
                        // hand unread bytes to the engines.
                        left(&filled);
                    }
                    r => {
                        left(&filled);
                        return Some(r);
                    }
                }
            }
        }
    }
}
