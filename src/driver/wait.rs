//! Waiting for a socket's state to change: an event that knows whether
//! anyone listens, so that telling nobody costs one atomic load instead
//! of a fence and a lock (SPEC §6.1).

use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread::Thread;
use std::time::Instant;

use event_listener::{Event, EventListener};

use crate::driver::lock;
use crate::driver::runtime;
use crate::driver::watch::Watchers;

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

/// What senders waiting for room wait on: an event for the tasks in
/// `send`, the slot of the task in `poll_send`, and a generation count
/// that blocked threads spin and park on. Notified when room appears in an
/// outbound pipe, a peer arrives or leaves, or the socket closes.
#[derive(Debug, Default)]
pub(crate) struct Room {
    event: Event,
    poll: PollSlot,
    generation: AtomicUsize,
    sleepers: Sleepers,
    /// Pollers watching for room (SPEC §6.9).
    pub(crate) watchers: Watchers,
}

impl Room {
    /// Wakes every waiting sender.
    pub(crate) fn notify(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.sleepers.notify_all();
        self.event.notify(usize::MAX);
        self.poll.wake();
        self.watchers.notify();
    }

    /// Registers a waiting sender; check for room again before waiting.
    pub(crate) fn listen(&self) -> EventListener {
        self.event.listen()
    }

    /// Keeps the waker of a task in `poll_send`.
    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.poll.register(waker);
    }

    /// How many times the room changed: read it before an attempt to send,
    /// then [`wait_change`](Self::wait_change) from it if the attempt
    /// would block.
    pub(crate) fn generation(&self) -> usize {
        self.generation.load(Ordering::SeqCst)
    }

    /// Blocks the calling thread until the room changed since `seen`, or
    /// `deadline` (false).
    pub(crate) fn wait_change(&self, seen: usize, deadline: Option<Instant>) -> bool {
        self.sleepers.wait(deadline, || self.generation() != seen)
    }
}

/// Threads blocked in a call (not tasks), waiting for a state they check
/// with a few atomic loads: a waiting thread spins on that check for its
/// adaptive budget (SPEC §6.2), yielding its core between checks once the
/// first 5 µs have passed, then parks. Waking costs one atomic load
/// when nobody is parked. No future is polled and nothing is allocated
/// per wait (the list keeps its capacity).
#[derive(Debug, Default)]
pub(crate) struct Sleepers {
    parked: AtomicUsize,
    threads: Mutex<Vec<Thread>>,
}

/// How long a waiting thread spins before it starts yielding between
/// checks.
const PURE_SPIN: std::time::Duration = std::time::Duration::from_micros(5);

impl Sleepers {
    /// Wakes one parked thread, after the state it waits for changed.
    #[inline]
    pub(crate) fn notify_one(&self) {
        // The change, then the count (the waiter: the count, then the
        // check): one of the two sees the other.
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) > 0 {
            self.wake(1);
        }
    }

    /// Wakes every parked thread.
    pub(crate) fn notify_all(&self) {
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) > 0 {
            self.wake(usize::MAX);
        }
    }

    #[cold]
    fn wake(&self, n: usize) {
        let mut threads = lock(&self.threads);
        for _ in 0..n {
            let Some(t) = threads.pop() else { break };
            self.parked.fetch_sub(1, Ordering::SeqCst);
            t.unpark();
        }
    }

    /// Waits until `ready()` (true) or `deadline` (false). `ready` must be
    /// cheap: it runs on every turn of the spin.
    pub(crate) fn wait(&self, deadline: Option<Instant>, mut ready: impl FnMut() -> bool) -> bool {
        let start = Instant::now();
        let budget = runtime::spin_budget();
        let mut turns = 0u32;
        loop {
            if ready() {
                runtime::waited(start, budget);
                return true;
            }
            turns = turns.wrapping_add(1);
            if turns % 16 != 0 {
                std::hint::spin_loop();
                continue;
            }
            let spent = start.elapsed();
            if spent >= budget {
                break;
            }
            if spent >= PURE_SPIN {
                // On a busy machine another thread may need this core.
                std::thread::yield_now();
            }
        }
        let me = std::thread::current();
        loop {
            {
                let mut threads = lock(&self.threads);
                threads.push(me.clone());
                self.parked.fetch_add(1, Ordering::SeqCst);
            }
            fence(Ordering::SeqCst);
            let woke = ready();
            if !woke {
                match deadline {
                    None => std::thread::park(),
                    Some(d) => {
                        let now = Instant::now();
                        if now < d {
                            std::thread::park_timeout(d - now);
                        }
                    }
                }
            }
            self.leave(&me);
            if woke || ready() {
                runtime::waited(start, budget);
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                runtime::waited(start, budget);
                return false;
            }
        }
    }

    /// Takes this thread off the list if a waker has not already.
    fn leave(&self, me: &Thread) {
        let mut threads = lock(&self.threads);
        if let Some(i) = threads.iter().position(|t| t.id() == me.id()) {
            threads.swap_remove(i);
            self.parked.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
