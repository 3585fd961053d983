//! Watching sockets from a [`Poller`](crate::Poller) (SPEC §6.9): each
//! poller has a [`Signal`], an eventfd it waits on with poll(2) beside the
//! raw descriptors it was given, and registers it with the [`Watchers`]
//! of the sockets it watches. A socket whose input or room changes raises
//! the signals of its watchers; a signal writes its eventfd only while its
//! poller is about to sleep (armed), so a busy socket costs a watching
//! poller no system call per message, and a socket nobody watches one
//! atomic load per wake-up.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rustix::event::{eventfd, EventfdFlags};

use crate::driver::lock;

/// A poller's wake-up: an eventfd, written when armed.
#[derive(Debug)]
pub(crate) struct Signal {
    fd: OwnedFd,
    armed: AtomicBool,
}

impl Signal {
    pub(crate) fn new() -> std::io::Result<Arc<Signal>> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(Arc::new(Signal {
            fd,
            armed: AtomicBool::new(false),
        }))
    }

    /// The poller will look at its sockets, then sleep: a change from now
    /// on writes the eventfd.
    pub(crate) fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
        // The flag, then the sockets' state (a raiser: the state, then the
        // flag): one of the two sees the other.
        fence(Ordering::SeqCst);
    }

    /// A watched socket changed.
    pub(crate) fn raise(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            // A full counter (never, at 2^64 - 1 writes) only means it is
            // already readable.
            let _ = rustix::io::write(&self.fd, &1u64.to_ne_bytes());
        }
    }

    /// After a wake-up: empties the eventfd and disarms.
    pub(crate) fn clear(&self) {
        self.armed.store(false, Ordering::SeqCst);
        let mut buf = [0u8; 8];
        let _ = rustix::io::read(&self.fd, &mut buf);
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The signals of the pollers watching one direction of a socket.
#[derive(Debug, Default)]
pub(crate) struct Watchers {
    count: AtomicUsize,
    list: Mutex<Vec<Arc<Signal>>>,
}

impl Watchers {
    /// The state watched changed: raises every watcher's signal.
    #[inline]
    pub(crate) fn notify(&self) {
        fence(Ordering::SeqCst);
        if self.count.load(Ordering::SeqCst) > 0 {
            self.raise_all();
        }
    }

    #[cold]
    fn raise_all(&self) {
        for s in lock(&self.list).iter() {
            s.raise();
        }
    }

    pub(crate) fn add(&self, signal: &Arc<Signal>) {
        let mut list = lock(&self.list);
        list.push(signal.clone());
        self.count.store(list.len(), Ordering::SeqCst);
    }

    /// Removes one registration of `signal`.
    pub(crate) fn remove(&self, signal: &Arc<Signal>) {
        let mut list = lock(&self.list);
        if let Some(i) = list.iter().position(|s| Arc::ptr_eq(s, signal)) {
            list.swap_remove(i);
        }
        self.count.store(list.len(), Ordering::SeqCst);
    }
}
