//! The receiving side of a socket (SPEC §5.2, §6.1): the fair queue of
//! peers with input, the messages already taken from their pipes, and the
//! receivers waiting for either.
//!
//! A receiver takes a turn's worth of messages (up to [`RECV_TURN`]) from
//! the next peer under one lock, then serves itself and the receivers
//! after it from [`Inbound::received`] without touching the pipes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::driver::direct::DirectReads;
use crate::driver::lock;
use crate::driver::pipe::Pipe;
use crate::driver::wait::{PollSlot, Sleepers, WaitQueue, Waiting};
use crate::driver::watch::Watchers;
use crate::message::Message;
use crate::pattern::{FairQueue, Take};
use crate::routing_id::RoutingId;

use super::stats::Counters;

/// Most messages a receiver takes from one peer per turn (SPEC §5.2).
pub(crate) const RECV_TURN: usize = 64;

/// The receiving side's queues and waiters.
#[derive(Default)]
pub(crate) struct Inbound {
    /// Peers whose inbound pipe has input, in turn order (lock-free; a
    /// pipe is in it at most once, while it holds its reader's turn).
    ready: FairQueue<(RoutingId, Arc<Pipe>)>,
    /// Messages already taken from the pipes, in turn order.
    received: Mutex<VecDeque<(RoutingId, Message)>>,
    /// How many `received` holds (written under its lock, read without).
    received_len: AtomicUsize,
    /// Tasks waiting for a message (or for the socket to close).
    waiters: WaitQueue,
    /// Threads blocked in a receive, once they stopped spinning.
    pub(crate) sleepers: Sleepers,
    /// The task in `poll_recv`, if any.
    poll: PollSlot,
    /// The connections a blocking receiver may read itself (SPEC §6.1).
    pub(crate) direct: DirectReads,
    /// Pollers watching for input (SPEC §6.9).
    pub(crate) watchers: Watchers,
}

impl Inbound {
    /// Peer `id`'s pipe has input: it joins the fair queue.
    #[inline]
    pub(crate) fn schedule(&self, id: RoutingId, pipe: Arc<Pipe>) {
        self.ready.schedule((id, pipe));
        self.wake_one();
    }

    /// Queues a message as if it came from peer `id` (XPUB hands
    /// subscriptions to the application this way).
    pub(crate) fn deliver(&self, id: RoutingId, msg: Message) {
        {
            let mut received = lock(&self.received);
            received.push_back((id, msg));
            // Published before the wake-up below, whose fence orders it.
            self.received_len.store(received.len(), Ordering::Release);
        }
        self.wake_one();
    }

    /// Whether a receive may find something: a peer with input, or
    /// messages left over from a turn. A few atomic loads, for a thread
    /// spinning before it parks.
    #[inline]
    pub(crate) fn has_input(&self) -> bool {
        !self.ready.is_empty() || self.received_len.load(Ordering::Acquire) > 0
    }

    /// Takes the next message, refilling from the next peer's pipe when
    /// nothing is left over from the last turn. Peers found gone (their
    /// pipe drained and closed) are added to `departed`.
    pub(crate) fn take(
        &self,
        counters: &Counters,
        departed: &mut Vec<RoutingId>,
    ) -> Option<(RoutingId, Message)> {
        let mut received = lock(&self.received);
        if received.is_empty() {
            self.refill(&mut received, counters, departed);
        }
        let next = received.pop_front();
        // A plain store (no locked instruction per message); the fence
        // of the wake-up below orders it for a thread about to park.
        self.received_len.store(received.len(), Ordering::Relaxed);
        if next.is_some() && !received.is_empty() {
            // Another receiver may be waiting for what is left.
            self.wake_next();
        }
        next
    }

    /// Takes a turn's worth of messages from the next peer with input.
    fn refill(
        &self,
        received: &mut VecDeque<(RoutingId, Message)>,
        counters: &Counters,
        departed: &mut Vec<RoutingId>,
    ) {
        let mut bytes = 0usize;
        let mut taken = 0usize;
        let ready = &self.ready;
        ready.take(|(id, pipe)| loop {
            let d = pipe.drain_into(RECV_TURN, |m| {
                bytes += m.byte_len();
                received.push_back((*id, m));
            });
            taken += d.taken;
            let again = if d.done {
                // The peer left: it is removed, or, if its pipe is reopened
                // for another (a connecting socket's), woken by its use.
                departed.push(*id);
                pipe.sleep_after_done()
            } else if d.more {
                return Take::Item {
                    value: (),
                    more: true,
                };
            } else {
                // Drained: the pipe's writer wakes us again, unless input
                // came in the meantime and we keep the turn.
                pipe.sleep()
            };
            if d.taken > 0 {
                return Take::Item {
                    value: (),
                    more: again,
                };
            }
            if !again {
                return Take::Empty;
            }
        });
        if !ready.is_empty() {
            self.wake_next();
        }
        counters.taken(taken, bytes);
    }

    /// Registers a waiting receiver; check for a message again before
    /// waiting.
    pub(crate) fn listen(&self) -> Waiting<'_> {
        self.waiters.listen()
    }

    /// Keeps the waker of a task in `poll_recv`; check for a message
    /// again after this.
    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.poll.register(waker);
    }

    /// Wakes one more receiver, task or thread, for input this receiver
    /// leaves behind.
    #[inline]
    fn wake_next(&self) {
        self.waiters.notify(1);
        self.sleepers.notify_one();
    }

    /// Wakes one waiting receiver, a polling task, and a thread waiting
    /// directly.
    #[inline]
    fn wake_one(&self) {
        self.waiters.notify(1);
        self.sleepers.notify_one();
        self.poll.wake();
        self.direct.ring();
        self.watchers.notify();
    }

    /// Wakes every waiting receiver (the socket closed).
    pub(crate) fn wake_all(&self) {
        self.waiters.notify(usize::MAX);
        self.sleepers.notify_all();
        self.poll.wake();
        self.direct.ring();
        self.watchers.notify();
    }
}
