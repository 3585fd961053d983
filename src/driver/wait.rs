//! Waiting for a socket's state to change: an event that knows whether
//! anyone listens, so that telling nobody costs one atomic load instead
//! of a fence and a lock (SPEC §6.1).

use std::sync::atomic::{AtomicUsize, Ordering};

use event_listener::{Event, EventListener};

/// An [`Event`] with a count of its listeners. Callers change the state
/// the listeners check under a lock the listeners also take, then call
/// [`notify`](Self::notify).
#[derive(Debug, Default)]
pub(crate) struct WaitQueue {
    event: Event,
    listening: AtomicUsize,
}

/// A registered listener of a [`WaitQueue`]; unregisters when dropped.
pub(crate) struct Waiting<'a> {
    queue: &'a WaitQueue,
    listener: EventListener,
}

impl WaitQueue {
    /// Wakes up to `n` listeners (`usize::MAX`: all).
    #[inline]
    pub(crate) fn notify(&self, n: usize) {
        if self.listening.load(Ordering::SeqCst) > 0 {
            self.event.notify(n);
        }
    }

    /// Registers a listener. Check the state again after this and before
    /// waiting.
    pub(crate) fn listen(&self) -> Waiting<'_> {
        self.listening.fetch_add(1, Ordering::SeqCst);
        Waiting {
            queue: self,
            listener: self.event.listen(),
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.queue.listening.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Waiting<'_> {
    /// Waits until notified.
    pub(crate) async fn wait(mut self) {
        (&mut self.listener).await;
    }
}
