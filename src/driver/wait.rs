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

/// The waker of the last task that polled a socket for one direction
/// (`poll_recv` or `poll_send`), as tokio's `poll_*` methods keep it:
/// waking it costs one atomic load when no task has polled.
#[derive(Debug, Default)]
pub(crate) struct PollSlot {
    set: std::sync::atomic::AtomicBool,
    waker: std::sync::Mutex<Option<std::task::Waker>>,
}

impl PollSlot {
    /// Keeps `waker` (replacing the one kept before) to be woken by the
    /// next [`wake`](Self::wake). Check the state again after this.
    pub(crate) fn register(&self, waker: &std::task::Waker) {
        let mut slot = crate::driver::lock(&self.waker);
        match &*slot {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
        self.set.store(true, Ordering::SeqCst);
    }

    /// Wakes the kept waker, if any (once).
    #[inline]
    pub(crate) fn wake(&self) {
        if self.set.load(Ordering::SeqCst) && self.set.swap(false, Ordering::SeqCst) {
            if let Some(w) = crate::driver::lock(&self.waker).take() {
                w.wake();
            }
        }
    }
}

/// What senders waiting for room wait on: an event for the tasks and
/// threads in `send`, and the slot of the task in `poll_send`. Notified
/// when room appears in an outbound pipe, a peer arrives or leaves, or
/// the socket closes.
#[derive(Debug, Default)]
pub(crate) struct Room {
    event: Event,
    poll: PollSlot,
}

impl Room {
    /// Wakes every waiting sender.
    pub(crate) fn notify(&self) {
        self.event.notify(usize::MAX);
        self.poll.wake();
    }

    /// Registers a waiting sender; check for room again before waiting.
    pub(crate) fn listen(&self) -> EventListener {
        self.event.listen()
    }

    /// Keeps the waker of a task in `poll_send`.
    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.poll.register(waker);
    }
}
