//! Pipes: the bounded message queues between a socket and a connection
//! (SPEC §6.1).
//!
//! Every peer of a socket is a pair of pipes, one each way. Over tcp and ipc
//! the far end of both pipes is the connection's engine task; over inproc it
//! is the peer socket itself, so a message crosses from one socket to the
//! other in one queue operation, with no task, no encoding and no copy.
//!
//! A pipe takes no lock to push or pop (see [`protocol`]). Each end can
//! install a hook, a callback the other end runs when it must: the
//! reader's hook when a push (or the writer's leaving) finds the reader
//! asleep, that is after the reader said so with [`Pipe::sleep`], never
//! merely because the pipe went from empty to non-empty; the writer's
//! hook when a writer that found the pipe full may go on (at half the
//! mark), or its reader leaves. A writer gets the reader's wake-up back as
//! a [`Wake`] and runs it once it has released every socket lock, so no
//! hook and no system call runs under a socket's lock. Hooks only flip
//! flags and wake waiters (or write to an idle connection), and take no
//! lock that is held while a pipe operation runs, so pipes between two
//! inproc sockets sending to each other cannot deadlock.

mod protocol;
mod sync;

use crate::message::Message;
use protocol::{Flow, Pushed, Ring, Weigh};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A callback run outside every pipe and socket lock.
pub(crate) type Hook = Arc<dyn Fn() + Send + Sync>;

/// Why a push did not happen; the message is handed back.
#[derive(Debug)]
pub(crate) enum PushError {
    /// At the high-water mark. The writer hook runs when there is room.
    Full(Message),
    /// The reader has left.
    Closed(Message),
}

/// What [`Pipe::drain_into`] did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Drained {
    /// Messages taken.
    pub(crate) taken: usize,
    /// Messages remain in the pipe.
    pub(crate) more: bool,
    /// The pipe is empty and its writer has left.
    pub(crate) done: bool,
}

/// A wake-up a push owes the reader: run it once every socket lock is
/// released (SPEC §6.1), or drop it only if the reader is known to look
/// anyway.
#[must_use = "the reader sleeps until the wake-up is run"]
pub(crate) struct Wake(Option<Hook>);

impl Wake {
    /// No wake-up owed.
    pub(crate) const NONE: Wake = Wake(None);

    /// Runs the reader's hook, if one is owed.
    #[inline]
    pub(crate) fn run(self) {
        if let Some(h) = self.0 {
            h();
        }
    }
}

/// Wake-ups collected under a lock, to run once it is released.
#[derive(Default)]
#[must_use = "the readers sleep until the wake-ups are run"]
pub(crate) struct Wakes(Vec<Hook>);

impl Wakes {
    /// Keeps a wake-up for later (allocates only when one is owed).
    #[inline]
    pub(crate) fn add(&mut self, wake: Wake) {
        self.0.extend(wake.0);
    }

    /// Runs them all.
    pub(crate) fn run(self) {
        for h in self.0 {
            h();
        }
    }
}

impl Weigh for Message {
    #[inline]
    fn weight(&self) -> usize {
        self.byte_len()
    }
}

/// The ring between a pipe's writer and reader sides: rtrb's wait-free
/// single-producer, single-consumer ring buffer. It reuses its slots (no
/// allocation per message, unlike a linked queue), and a batch of pops
/// costs one atomic store.
struct Rtrb;

impl Ring<Message> for Rtrb {
    type Writer = rtrb::Producer<Message>;
    type Reader = rtrb::Consumer<Message>;

    fn with_capacity(capacity: usize) -> (Self::Writer, Self::Reader) {
        rtrb::RingBuffer::new(capacity)
    }

    #[inline]
    fn push(writer: &mut Self::Writer, item: Message) -> Result<(), Message> {
        writer.push(item).map_err(|rtrb::PushError::Full(m)| m)
    }

    #[inline]
    fn pop(reader: &mut Self::Reader, max: usize, sink: &mut dyn FnMut(Message)) -> usize {
        let n = reader.slots().min(max);
        if n == 0 {
            return 0;
        }
        match reader.read_chunk(n) {
            Ok(chunk) => {
                // Moves the items out; the read is committed when the
                // iterator is dropped.
                chunk.into_iter().for_each(sink);
                n
            }
            Err(_) => 0,
        }
    }
}

/// A bounded queue of messages between two ends; see the module
/// documentation and [`protocol`] for how the ends wait for each other.
pub(crate) struct Pipe {
    flow: Flow<Message, Rtrb>,
    /// Run when the reader must look (it slept and input came, or the
    /// writer left); taken only on that path.
    reader_hook: Mutex<Option<Hook>>,
    /// Run when a waiting writer may go on, or the reader left.
    writer_hook: Mutex<Option<Hook>>,
    /// Messages taken from the pipe, sent and not yet acknowledged by a
    /// resumed peer (SPEC §3.7), as its connection last said: a counter
    /// for `stats()`, not part of the protocol.
    unacknowledged: std::sync::atomic::AtomicUsize,
}

fn hook_of(slot: &Mutex<Option<Hook>>) -> Option<Hook> {
    crate::driver::lock(slot).clone()
}

impl Pipe {
    /// A new pipe holding at most `hwm` messages (0: unbounded).
    pub(crate) fn new(hwm: usize) -> Arc<Pipe> {
        Arc::new(Pipe {
            flow: Flow::new(hwm),
            reader_hook: Mutex::new(None),
            writer_hook: Mutex::new(None),
            unacknowledged: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn reader_wake(&self, owed: bool) -> Wake {
        if owed {
            Wake(hook_of(&self.reader_hook))
        } else {
            Wake::NONE
        }
    }

    fn wake_writer(&self, owed: bool) {
        if owed {
            if let Some(h) = hook_of(&self.writer_hook) {
                h();
            }
        }
    }

    /// Installs (or clears) the reader's hook, and makes the reader one
    /// that sleeps. Returns true when the pipe already has something for
    /// the reader (messages, or a closed writer): the reader then has the
    /// turn and must look at once.
    pub(crate) fn set_reader(&self, hook: Option<Hook>) -> bool {
        *crate::driver::lock(&self.reader_hook) = hook;
        self.flow.sleep()
    }

    /// Installs (or clears) the writer's hook.
    pub(crate) fn set_writer(&self, hook: Option<Hook>) {
        *crate::driver::lock(&self.writer_hook) = hook;
    }

    /// Sets the byte limit beside the message count (0: none).
    pub(crate) fn set_hwm_bytes(&self, bytes: usize) {
        let owed = self.flow.set_marks(None, Some(bytes));
        self.wake_writer(owed);
    }

    /// Changes the high-water mark (inproc adds both sides' marks).
    pub(crate) fn set_hwm(&self, hwm: usize) {
        let owed = self.flow.set_marks(Some(hwm), None);
        self.wake_writer(owed);
    }

    /// Appends a message unless the pipe is full or its reader has left,
    /// and wakes the reader if it slept.
    #[cfg(test)]
    pub(crate) fn try_push(&self, msg: Message) -> Result<(), PushError> {
        self.push(msg).map(Wake::run)
    }

    /// [`try_push`](Self::try_push), handing back the wake-up owed to a
    /// sleeping reader for the caller to run once its locks are released.
    #[inline]
    pub(crate) fn push(&self, msg: Message) -> Result<Wake, PushError> {
        match self.flow.push(msg, false) {
            Pushed::Taken { wake_reader } => Ok(self.reader_wake(wake_reader)),
            Pushed::Full(m) => Err(PushError::Full(m)),
            Pushed::Closed(m) => Err(PushError::Closed(m)),
        }
    }

    /// Whether a push would be taken now (or fail because the reader has
    /// left). When full, the writer hook runs once there is room again.
    pub(crate) fn has_room(&self) -> bool {
        self.flow.has_room()
    }

    /// Appends a message even when the pipe is at its high-water mark
    /// (subscriptions, which must never be lost, SPEC §5.5, and PUB's
    /// all-or-none sends after [`has_room`](Self::has_room)). Gives it
    /// back if the reader has left.
    pub(crate) fn push_force(&self, msg: Message) -> Result<Wake, Message> {
        match self.flow.push(msg, true) {
            Pushed::Taken { wake_reader } => Ok(self.reader_wake(wake_reader)),
            Pushed::Full(m) | Pushed::Closed(m) => Err(m),
        }
    }

    /// Moves messages from the front of `batch` into the pipe until it is
    /// full. Returns `Err(())` if the reader has left (nothing is moved).
    /// Messages left in `batch` wait for the writer hook.
    pub(crate) fn push_batch(&self, batch: &mut VecDeque<Message>) -> Result<(), ()> {
        match self.flow.push_batch(batch) {
            None => Err(()),
            Some(owed) => {
                self.reader_wake(owed).run();
                Ok(())
            }
        }
    }

    /// Hands up to `max` messages, in order, to `sink`, waking a waiting
    /// writer at the low-water mark. A reader that finds nothing `more`
    /// calls [`sleep`](Self::sleep) before it waits.
    #[inline]
    pub(crate) fn drain_into(&self, max: usize, sink: impl FnMut(Message)) -> Drained {
        let p = self.flow.pop(max, sink);
        self.wake_writer(p.wake_writer);
        Drained {
            taken: p.taken,
            more: p.more,
            done: p.done,
        }
    }

    /// The reader is about to wait: from now on the next push (or close)
    /// runs the reader hook. Returns true if input arrived meanwhile: the
    /// reader keeps its turn and must look again instead of waiting.
    #[inline]
    pub(crate) fn sleep(&self) -> bool {
        self.flow.sleep()
    }

    /// The reader saw `done` ([`Drained::done`], [`is_done`](Self::is_done))
    /// and sleeps until the pipe is reopened and used again (a connecting
    /// socket's pipes outlive their peer, SPEC §4.4). Returns true if
    /// messages are queued again already: the reader has the turn.
    pub(crate) fn sleep_after_done(&self) -> bool {
        self.flow.sleep_after_done()
    }

    /// Puts messages back at the front, in order (a connection that died
    /// before writing them hands them to the next one).
    pub(crate) fn unpop(&self, msgs: &mut VecDeque<Message>) {
        self.flow.unpop(msgs);
    }

    /// The writer leaves: the reader drains what is queued, then sees
    /// `done` from [`Pipe::drain_into`].
    pub(crate) fn close_writer(&self) {
        crate::driver::lock(&self.writer_hook).take();
        let owed = self.flow.close_writer();
        self.reader_wake(owed).run();
    }

    /// The reader leaves: queued messages are dropped and further pushes
    /// fail. Returns how many messages were dropped.
    pub(crate) fn close_reader(&self) -> usize {
        crate::driver::lock(&self.reader_hook).take();
        let dropped = self.flow.close_reader();
        let n = dropped.len();
        drop(dropped);
        self.wake_writer(true);
        n
    }

    /// The reader turns the pipe away without taking anything: pushes fail
    /// as after [`close_reader`](Self::close_reader), but what is queued
    /// stays for a later reader ([`reopen`](Self::reopen)).
    pub(crate) fn turn_away(&self) {
        crate::driver::lock(&self.reader_hook).take();
        self.flow.turn_away();
        self.wake_writer(true);
    }

    /// Undoes a close by the far end so a new far end (an inproc socket
    /// bound later under the same name) can take over; queued messages stay.
    pub(crate) fn reopen(&self) {
        self.flow.reopen();
    }

    /// Whether the writer has left and nothing is queued.
    pub(crate) fn is_done(&self) -> bool {
        self.flow.is_done()
    }

    /// Whether the reader has left.
    pub(crate) fn is_reader_closed(&self) -> bool {
        self.flow.is_reader_closed()
    }

    /// Messages and bytes ever pushed into the pipe.
    pub(crate) fn pushed(&self) -> (u64, u64) {
        self.flow.pushed()
    }

    /// Messages queued now.
    pub(crate) fn len(&self) -> usize {
        self.flow.len()
    }

    /// Records how many messages taken from this pipe wait for the
    /// peer's acknowledgement (SPEC §3.7, §6.7).
    pub(crate) fn set_unacknowledged(&self, n: usize) {
        self.unacknowledged
            .store(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// What [`set_unacknowledged`](Self::set_unacknowledged) last said.
    pub(crate) fn unacknowledged(&self) -> usize {
        self.unacknowledged
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counter() -> (Arc<AtomicUsize>, Hook) {
        let c = Arc::new(AtomicUsize::new(0));
        let c2 = c.clone();
        (
            c,
            Arc::new(move || {
                c2.fetch_add(1, Ordering::SeqCst);
            }),
        )
    }

    fn msg(i: u8) -> Message {
        Message::from(Bytes::from(vec![i]))
    }

    /// Pops one message: (message, more remain, writer gone and drained).
    fn pop(p: &Pipe) -> (Option<Message>, bool, bool) {
        let mut got = None;
        let d = p.drain_into(1, |m| got = Some(m));
        (got, d.more, d.done)
    }

    #[test]
    fn reader_hook_fires_only_for_a_reader_that_sleeps() {
        let p = Pipe::new(0);
        let (c, h) = counter();
        assert!(!p.set_reader(Some(h)), "nothing queued: the reader sleeps");
        p.try_push(msg(1)).unwrap();
        p.try_push(msg(2)).unwrap();
        assert_eq!(c.load(Ordering::SeqCst), 1, "woken once, it has the turn");
        assert!(matches!(pop(&p), (Some(_), true, false)));
        assert!(matches!(pop(&p), (Some(_), false, false)));
        assert!(matches!(pop(&p), (None, false, false)));
        // Empty, but the reader has not said it sleeps: no wake-up.
        p.try_push(msg(3)).unwrap();
        assert_eq!(c.load(Ordering::SeqCst), 1);
        assert!(p.sleep(), "input came before the sleep: keep the turn");
        assert!(matches!(pop(&p), (Some(_), false, false)));
        assert!(!p.sleep());
        p.try_push(msg(4)).unwrap();
        assert_eq!(c.load(Ordering::SeqCst), 2, "asleep: the push wakes it");
        // A writer leaving wakes a sleeping reader too, once.
        pop(&p);
        assert!(!p.sleep());
        p.close_writer();
        assert_eq!(c.load(Ordering::SeqCst), 3);
        assert!(matches!(pop(&p), (None, false, true)));
    }

    #[test]
    fn a_push_hands_the_wake_up_to_the_caller() {
        let p = Pipe::new(0);
        let (c, h) = counter();
        p.set_reader(Some(h));
        let wake = p.push(msg(1)).unwrap();
        assert_eq!(c.load(Ordering::SeqCst), 0, "not run by the push");
        wake.run();
        assert_eq!(c.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn unpopped_messages_come_first_and_count() {
        let p = Pipe::new(3);
        p.try_push(msg(1)).unwrap();
        p.try_push(msg(2)).unwrap();
        let mut taken = VecDeque::new();
        p.drain_into(1, |m| taken.push_back(m));
        p.try_push(msg(3)).unwrap();
        p.unpop(&mut taken);
        assert_eq!(p.len(), 3);
        assert!(matches!(p.try_push(msg(4)), Err(PushError::Full(_))));
        let firsts: Vec<u8> = std::iter::from_fn(|| pop(&p).0)
            .map(|m| m.first()[0])
            .collect();
        assert_eq!(firsts, vec![1, 2, 3]);
        assert_eq!(p.pushed().0, 3, "a message put back is not pushed twice");
    }

    #[test]
    fn byte_limit_fills_and_wakes_at_half_its_bytes() {
        let p = Pipe::new(0);
        p.set_hwm_bytes(100);
        let (c, h) = counter();
        p.set_writer(Some(h));
        let m = |n: usize| Message::from(vec![0u8; n]);
        let mut batch: VecDeque<Message> = (0..5).map(|_| m(40)).collect();
        p.push_batch(&mut batch).unwrap();
        assert_eq!(p.len(), 3, "120 bytes: full at the third 40-byte message");
        assert_eq!(batch.len(), 2);
        assert!(!p.has_room());
        pop(&p);
        assert_eq!(c.load(Ordering::SeqCst), 0, "80 of 100 bytes: not yet");
        pop(&p);
        assert_eq!(c.load(Ordering::SeqCst), 1, "40 of 100 bytes: wake");
        // An empty pipe takes a message larger than the limit.
        pop(&p);
        let mut big: VecDeque<Message> = [m(500), m(1)].into_iter().collect();
        p.push_batch(&mut big).unwrap();
        assert_eq!((p.len(), big.len()), (1, 1));
    }

    #[test]
    fn full_pipe_refuses_then_wakes_writer_at_half() {
        let p = Pipe::new(4);
        let (c, h) = counter();
        p.set_writer(Some(h));
        for i in 0..4 {
            p.try_push(msg(i)).unwrap();
        }
        assert!(matches!(p.try_push(msg(9)), Err(PushError::Full(_))));
        pop(&p);
        assert_eq!(c.load(Ordering::SeqCst), 0, "3 of 4 queued: not yet");
        pop(&p);
        assert_eq!(c.load(Ordering::SeqCst), 1, "2 of 4 queued: wake");
        pop(&p);
        assert_eq!(c.load(Ordering::SeqCst), 1, "woken once only");
    }

    #[test]
    fn batches_respect_hwm_and_order() {
        let p = Pipe::new(3);
        let mut b: VecDeque<Message> = (0..5).map(msg).collect();
        p.push_batch(&mut b).unwrap();
        assert_eq!(b.len(), 2);
        let mut out = VecDeque::new();
        assert!(!p.drain_into(2, |m| out.push_back(m)).done);
        assert_eq!(out.len(), 2);
        p.unpop(&mut out);
        let mut all = VecDeque::new();
        p.drain_into(100, |m| all.push_back(m));
        let firsts: Vec<u8> = all.iter().map(|m| m.first()[0]).collect();
        assert_eq!(firsts, vec![0, 1, 2]);
    }

    #[test]
    fn closing_each_end() {
        let p = Pipe::new(0);
        p.try_push(msg(1)).unwrap();
        p.close_writer();
        assert!(matches!(pop(&p), (Some(_), false, true)));
        assert!(matches!(pop(&p), (None, false, true)));
        let q = Pipe::new(0);
        q.try_push(msg(1)).unwrap();
        assert_eq!(q.close_reader(), 1);
        assert!(matches!(q.try_push(msg(2)), Err(PushError::Closed(_))));
        q.reopen();
        assert!(q.try_push(msg(3)).is_ok());
    }

    #[test]
    fn turned_away_keeps_its_messages_for_the_next_reader() {
        let p = Pipe::new(0);
        let (c, h) = counter();
        p.set_writer(Some(h));
        p.try_push(msg(1)).unwrap();
        p.turn_away();
        assert_eq!(c.load(Ordering::SeqCst), 1, "the writer hears of it");
        assert!(matches!(p.try_push(msg(2)), Err(PushError::Closed(_))));
        p.reopen();
        p.try_push(msg(3)).unwrap();
        let firsts: Vec<u8> = std::iter::from_fn(|| pop(&p).0)
            .map(|m| m.first()[0])
            .collect();
        assert_eq!(firsts, vec![1, 3]);
    }
}
