//! Pipes: the bounded message queues between a socket and a connection
//! (SPEC §6.1).
//!
//! Every peer of a socket is a pair of pipes, one each way. Over tcp and ipc
//! the far end of both pipes is the connection's engine task; over inproc it
//! is the peer socket itself, so a message crosses from one socket to the
//! other in one queue operation, with no task, no encoding and no copy.
//!
//! Each end can install a hook, a callback run *after* the pipe's lock is
//! released: the reader's hook when the pipe goes from empty to non-empty
//! (or its writer leaves), the writer's hook when a writer that found the
//! pipe full may go on (or its reader leaves). Hooks only flip flags and
//! wake waiters; they never take a lock that is held while a pipe operation
//! runs, so pipes between two inproc sockets sending to each other cannot
//! deadlock.

use crate::message::Message;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// A callback run outside the pipe lock.
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

pub(crate) struct Pipe {
    state: Mutex<State>,
}

struct State {
    queue: VecDeque<Message>,
    hwm: usize,
    /// Byte limit beside `hwm` (0: none), and the bytes queued now.
    hwm_bytes: usize,
    queued_bytes: usize,
    reader_hook: Option<Hook>,
    writer_hook: Option<Hook>,
    writer_waiting: bool,
    writer_closed: bool,
    reader_closed: bool,
    /// Messages and bytes ever pushed (statistics, SPEC §6.7).
    pushed: u64,
    pushed_bytes: u64,
}

impl State {
    fn is_full(&self) -> bool {
        (self.hwm != 0 && self.queue.len() >= self.hwm)
            || (self.hwm_bytes != 0 && self.queued_bytes >= self.hwm_bytes)
    }

    fn enqueue(&mut self, msg: Message) {
        let n = msg.byte_len();
        self.pushed += 1;
        self.pushed_bytes += n as u64;
        self.queued_bytes += n;
        self.queue.push_back(msg);
    }

    /// After a pop: should a waiting writer be woken? Wakes at half the
    /// high-water mark so a steady stream costs one wake-up per many
    /// messages rather than one per message.
    fn writer_to_wake(&mut self) -> Option<Hook> {
        if self.writer_waiting
            && (self.hwm == 0 || self.queue.len() <= self.hwm / 2)
            && (self.hwm_bytes == 0 || self.queued_bytes <= self.hwm_bytes / 2)
        {
            self.writer_waiting = false;
            self.writer_hook.clone()
        } else {
            None
        }
    }
}

/// A pipe locked for pushing ([`Pipe::lock_for_push`]).
pub(crate) struct PushGuard<'a>(MutexGuard<'a, State>);

impl PushGuard<'_> {
    /// Whether a push would be taken now (or fail because the reader has
    /// left). When full, the writer hook runs once there is room again.
    pub(crate) fn has_room(&mut self) -> bool {
        let s = &mut self.0;
        if s.reader_closed || !s.is_full() {
            return true;
        }
        s.writer_waiting = true;
        false
    }

    /// Appends a message unless the pipe is full or its reader has left.
    /// Returns the reader's hook, to run once the lock is released.
    pub(crate) fn push(&mut self, msg: Message) -> Result<Option<Hook>, PushError> {
        let s = &mut self.0;
        if s.reader_closed {
            return Err(PushError::Closed(msg));
        }
        if s.is_full() {
            s.writer_waiting = true;
            return Err(PushError::Full(msg));
        }
        s.enqueue(msg);
        Ok(if s.queue.len() == 1 {
            s.reader_hook.clone()
        } else {
            None
        })
    }
}

fn run(hook: Option<Hook>) {
    if let Some(h) = hook {
        h();
    }
}

impl Pipe {
    /// A new pipe holding at most `hwm` messages (0: unbounded).
    pub(crate) fn new(hwm: usize) -> Arc<Pipe> {
        Arc::new(Pipe {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                hwm,
                hwm_bytes: 0,
                queued_bytes: 0,
                reader_hook: None,
                writer_hook: None,
                writer_waiting: false,
                writer_closed: false,
                reader_closed: false,
                pushed: 0,
                pushed_bytes: 0,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the queue
        // inconsistent (every update is a single VecDeque call), so a
        // poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Installs (or clears) the reader's hook. Returns true when the pipe
    /// already has something for the reader (messages, or a closed writer),
    /// so the new reader knows to look at once.
    pub(crate) fn set_reader(&self, hook: Option<Hook>) -> bool {
        let mut s = self.lock();
        s.reader_hook = hook;
        !s.queue.is_empty() || s.writer_closed
    }

    /// Installs (or clears) the writer's hook.
    pub(crate) fn set_writer(&self, hook: Option<Hook>) {
        let mut s = self.lock();
        s.writer_hook = hook;
    }

    /// Sets the byte limit beside the message count (0: none).
    pub(crate) fn set_hwm_bytes(&self, bytes: usize) {
        self.lock().hwm_bytes = bytes;
    }

    /// Changes the high-water mark (inproc adds both sides' marks).
    pub(crate) fn set_hwm(&self, hwm: usize) {
        let wake = {
            let mut s = self.lock();
            s.hwm = hwm;
            if !s.is_full() && s.writer_waiting {
                s.writer_waiting = false;
                s.writer_hook.clone()
            } else {
                None
            }
        };
        run(wake);
    }

    /// Appends a message unless the pipe is full or its reader has left.
    pub(crate) fn try_push(&self, msg: Message) -> Result<(), PushError> {
        let wake = self.lock_for_push().push(msg)?;
        run(wake);
        Ok(())
    }

    /// Locks the pipe for a writer that checks room in several pipes
    /// before pushing to all of them (PUB with `xpub_nodrop`).
    pub(crate) fn lock_for_push(&self) -> PushGuard<'_> {
        PushGuard(self.lock())
    }

    /// Appends a message even when the pipe is at its high-water mark
    /// (subscriptions, which must never be lost, SPEC §5.5). Gives it back
    /// if the reader has left.
    pub(crate) fn push_force(&self, msg: Message) -> Result<(), Message> {
        let wake = {
            let mut s = self.lock();
            if s.reader_closed {
                return Err(msg);
            }
            s.enqueue(msg);
            if s.queue.len() == 1 {
                s.reader_hook.clone()
            } else {
                None
            }
        };
        run(wake);
        Ok(())
    }

    /// Moves messages from the front of `batch` into the pipe until it is
    /// full. Returns `Err(())` if the reader has left (nothing is moved).
    /// Messages left in `batch` wait for the writer hook.
    pub(crate) fn push_batch(&self, batch: &mut VecDeque<Message>) -> Result<(), ()> {
        let wake = {
            let mut s = self.lock();
            if s.reader_closed {
                return Err(());
            }
            let was_empty = s.queue.is_empty();
            let mut moved = 0;
            // An empty pipe takes a message whatever its size, so that one
            // larger than the byte limit cannot block the pipe for ever.
            while !batch.is_empty() && (!s.is_full() || s.queue.is_empty()) {
                if let Some(m) = batch.pop_front() {
                    s.enqueue(m);
                    moved += 1;
                }
            }
            if !batch.is_empty() {
                s.writer_waiting = true;
            }
            if was_empty && moved > 0 {
                s.reader_hook.clone()
            } else {
                None
            }
        };
        run(wake);
        Ok(())
    }

    /// Hands up to `max` messages, in order, to `sink` under one lock, so a
    /// reader pays one lock (and at most one writer wake-up) per batch.
    pub(crate) fn drain_into(&self, max: usize, mut sink: impl FnMut(Message)) -> Drained {
        let (drained, wake) = {
            let mut s = self.lock();
            let n = s.queue.len().min(max);
            let mut bytes = 0;
            for m in s.queue.drain(..n) {
                bytes += m.byte_len();
                sink(m);
            }
            s.queued_bytes -= bytes;
            let drained = Drained {
                taken: n,
                more: !s.queue.is_empty(),
                done: s.queue.is_empty() && s.writer_closed,
            };
            (drained, s.writer_to_wake())
        };
        run(wake);
        drained
    }

    /// Puts messages back at the front, in order (a connection that died
    /// before writing them hands them to the next one).
    pub(crate) fn unpop(&self, msgs: &mut VecDeque<Message>) {
        let mut s = self.lock();
        while let Some(m) = msgs.pop_back() {
            s.queued_bytes += m.byte_len();
            s.queue.push_front(m);
        }
    }

    /// The writer leaves: the reader drains what is queued, then sees
    /// `done` from [`Pipe::drain_into`].
    pub(crate) fn close_writer(&self) {
        let wake = {
            let mut s = self.lock();
            s.writer_closed = true;
            s.writer_hook = None;
            s.reader_hook.clone()
        };
        run(wake);
    }

    /// The reader leaves: queued messages are dropped and further pushes
    /// fail. Returns how many messages were dropped.
    pub(crate) fn close_reader(&self) -> usize {
        let (dropped, wake) = {
            let mut s = self.lock();
            s.reader_closed = true;
            s.reader_hook = None;
            let q = std::mem::take(&mut s.queue);
            s.queued_bytes = 0;
            s.writer_waiting = false;
            (q, s.writer_hook.clone())
        };
        let n = dropped.len();
        drop(dropped);
        run(wake);
        n
    }

    /// The reader turns the pipe away without taking anything: pushes fail
    /// as after [`close_reader`](Self::close_reader), but what is queued
    /// stays for a later reader ([`reopen`](Self::reopen)).
    pub(crate) fn turn_away(&self) {
        let wake = {
            let mut s = self.lock();
            s.reader_closed = true;
            s.reader_hook = None;
            s.writer_waiting = false;
            s.writer_hook.clone()
        };
        run(wake);
    }

    /// Undoes a close by the far end so a new far end (an inproc socket
    /// bound later under the same name) can take over; queued messages stay.
    pub(crate) fn reopen(&self) {
        let mut s = self.lock();
        s.reader_closed = false;
        s.writer_closed = false;
    }

    /// Whether the writer has left and nothing is queued.
    pub(crate) fn is_done(&self) -> bool {
        let s = self.lock();
        s.writer_closed && s.queue.is_empty()
    }

    /// Whether the reader has left.
    pub(crate) fn is_reader_closed(&self) -> bool {
        self.lock().reader_closed
    }

    /// Messages and bytes ever pushed into the pipe.
    pub(crate) fn pushed(&self) -> (u64, u64) {
        let s = self.lock();
        (s.pushed, s.pushed_bytes)
    }

    /// Messages queued now.
    pub(crate) fn len(&self) -> usize {
        self.lock().queue.len()
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
    fn reader_hook_fires_on_empty_to_non_empty_only() {
        let p = Pipe::new(0);
        let (c, h) = counter();
        assert!(!p.set_reader(Some(h)));
        p.try_push(msg(1)).unwrap();
        p.try_push(msg(2)).unwrap();
        assert_eq!(c.load(Ordering::SeqCst), 1);
        assert!(matches!(pop(&p), (Some(_), true, false)));
        assert!(matches!(pop(&p), (Some(_), false, false)));
        assert!(matches!(pop(&p), (None, false, false)));
        p.try_push(msg(3)).unwrap();
        assert_eq!(c.load(Ordering::SeqCst), 2);
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
        assert!(!p.lock_for_push().has_room());
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
