//! The protocol of a pipe (SPEC §6.1): a single-producer, single-consumer
//! lock-free ring between a writer side and a reader side that never
//! share a lock on the usual path; a high-water mark counted in atomics;
//! a reader woken only once it has said it will sleep; a writer woken at
//! the low-water mark.
//!
//! Nothing here knows about messages, sockets or hooks: [`Flow`] says
//! *whether* the other side must be woken, and the caller wakes it. The
//! model tests in `loom-tests/` compile this file with loom's atomics,
//! mutexes and fences (and a [`Ring`] of their own) and check the
//! sleep/wake protocol under every interleaving of two or three threads.
//!
//! # The state
//!
//! * The **writer side**, under the writers' lock: the ring's producer end,
//!   an `overflow` queue for what the ring cannot hold (a mark above the
//!   ring's capacity, no mark, or a push past the mark), and the writers'
//!   counts. Several threads may send on one socket: the lock serialises
//!   them, and only them; the reader never takes it except to empty
//!   `overflow` (flag `OVERFLOW`).
//! * The **reader side**, under the readers' lock: the ring's consumer end,
//!   a `front` queue of items put back by [`Flow::unpop`] (served first),
//!   and the readers' counts. The reader takes any number of items per
//!   lock.
//! * Atomics both sides read: `pushed` (written by writers, under their
//!   lock, after the item is in the ring), `popped` (by readers, under
//!   theirs), `returned` (items put back), each in items and bytes, on
//!   separate cache lines; `flags`; the marks. What is queued is
//!   `pushed + returned - popped`.
//!
//! # The invariants
//!
//! 1. **The reader's turn** (`SCHEDULED`). While the bit is set the reader
//!    will look at the pipe again without being told; while it is clear
//!    the reader sleeps, and the writer that sets it again (after a push
//!    or a close) must wake the reader. Only a reader clears the bit, in
//!    [`Flow::sleep`], and it then looks once more: if input arrived
//!    between its last pop and the clear, it takes the bit back itself.
//!    Writer (publish `pushed`, fence, load the flag) and reader (clear,
//!    fence, load `pushed`) are the two halves of Dekker's handshake: at
//!    least one sees the other, so an item is never left with nobody to
//!    read it.
//! 2. **Room** (`WRITER_WAITING`). A writer that finds the pipe full sets
//!    the bit and, after a fence, checks the counts again before giving
//!    up. A reader, after publishing `popped` and a fence, checks the bit
//!    and, at or below half the mark, clears it and wakes the writer. So
//!    either the writer's second check sees the room or the reader sees
//!    the bit.
//! 3. **The high-water mark.** Writers check it under their lock, so
//!    concurrent writers never pass it together. The pipe is full when
//!    what was queued before the new item reaches the mark, so an empty
//!    pipe takes an item of any size. A writer compares first with its
//!    cached copy of `popped` (which only grows, so the copy errs towards
//!    full) and reads the readers' cache line only when that copy says
//!    full.
//! 4. **Order.** Items in the ring are older than items in `overflow`: a
//!    writer puts an item in `overflow` when the ring is full or
//!    `overflow` is not empty, and a reader empties the ring before it
//!    takes from `overflow`, holding both locks. Items in `front` are
//!    older than both.
//! 5. **Closing.** `WRITER_CLOSED` is set after the writer's last push is
//!    counted; `done` is reported only when the flag was seen *before*
//!    the counts said empty, so no item pushed before the close is
//!    missed. `READER_CLOSED` refuses later pushes; a push that read the
//!    flag just before the reader closed may still land, and is dropped
//!    with the pipe, like an item queued just before the close.

use std::collections::VecDeque;

use super::sync::{fence, lock, AtomicU32, AtomicU64, CachePadded, Exclusive, Ordering};

/// A bounded single-producer, single-consumer ring of items: the ends
/// are owned by the writer and the reader sides.
pub(crate) trait Ring<T> {
    /// The producer end.
    type Writer;
    /// The consumer end.
    type Reader;
    /// A ring with room for `capacity` items.
    fn with_capacity(capacity: usize) -> (Self::Writer, Self::Reader);
    /// Appends an item; gives it back when the ring is full.
    fn push(writer: &mut Self::Writer, item: T) -> Result<(), T>;
    /// Takes up to `max` items, oldest first, into `sink`; returns how many.
    fn pop(reader: &mut Self::Reader, max: usize, sink: &mut dyn FnMut(T)) -> usize;
}

/// What an item weighs against the byte mark.
pub(crate) trait Weigh {
    /// The item's size in bytes.
    fn weight(&self) -> usize;
}

/// The reader will look again without being told (invariant 1).
const SCHEDULED: u32 = 1;
/// A writer found the pipe full and waits for room (invariant 2).
const WRITER_WAITING: u32 = 2;
/// The writer has left (invariant 5).
const WRITER_CLOSED: u32 = 4;
/// The reader has left or turned the pipe away (invariant 5).
const READER_CLOSED: u32 = 8;
/// The writer side's `overflow` holds items (invariant 4).
const OVERFLOW: u32 = 16;

/// Most items a ring holds; a larger mark (or none) spills into
/// `overflow`. Small rings keep an idle peer cheap.
const MAX_RING: usize = 1024;
/// The ring of a pipe without a mark.
const UNBOUNDED_RING: usize = 256;

/// What a push did.
#[derive(Debug)]
pub(crate) enum Pushed<T> {
    /// The item is queued. `wake_reader`: the reader was asleep and this
    /// writer must wake it.
    Taken { wake_reader: bool },
    /// At the high-water mark; the writer is woken once there is room.
    Full(T),
    /// The reader has left.
    Closed(T),
}

/// What a batch of pops did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Popped {
    /// Items taken.
    pub(crate) taken: usize,
    /// Items remain.
    pub(crate) more: bool,
    /// Empty, and the writer has left.
    pub(crate) done: bool,
    /// A waiting writer has room now and this reader must wake it.
    pub(crate) wake_writer: bool,
}

/// Items and bytes, as both sides read them.
#[derive(Default)]
struct Counts {
    items: AtomicU64,
    bytes: AtomicU64,
}

impl Counts {
    fn load(&self) -> (u64, u64) {
        (
            self.items.load(Ordering::SeqCst),
            self.bytes.load(Ordering::SeqCst),
        )
    }

    /// Published by the one side that owns them, under its lock. A
    /// release store: the fence that follows it where the protocol needs
    /// one (invariants 1 and 2) orders it before the next load.
    fn publish(&self, items: u64, bytes: u64) {
        self.items.store(items, Ordering::Release);
        self.bytes.store(bytes, Ordering::Release);
    }
}

struct WriterSide<W, T> {
    ring: W,
    overflow: VecDeque<T>,
    pushed: u64,
    pushed_bytes: u64,
    /// The writers' last look at `popped` (invariant 3).
    seen_popped: u64,
    seen_popped_bytes: u64,
}

struct ReaderSide<R, T> {
    ring: R,
    front: VecDeque<T>,
    popped: u64,
    popped_bytes: u64,
    returned: u64,
    returned_bytes: u64,
}

struct Writers<W, T> {
    side: Exclusive<WriterSide<W, T>>,
    pushed: Counts,
}

struct Readers<R, T> {
    side: Exclusive<ReaderSide<R, T>>,
    popped: Counts,
}

/// See the module documentation.
pub(crate) struct Flow<T, R: Ring<T>> {
    writers: CachePadded<Writers<R::Writer, T>>,
    readers: CachePadded<Readers<R::Reader, T>>,
    /// Items put back (rarely written, read by every writer's mark check:
    /// a line of its own, away from the readers' lock).
    returned: CachePadded<Counts>,
    flags: AtomicU32,
    /// High-water marks in items and bytes (0: none).
    hwm: AtomicU64,
    hwm_bytes: AtomicU64,
}

fn ring_capacity(hwm: usize) -> usize {
    if hwm == 0 {
        UNBOUNDED_RING
    } else {
        hwm.min(MAX_RING)
    }
}

impl<T: Weigh, R: Ring<T>> Flow<T, R> {
    /// An empty pipe holding at most `hwm` items (0: no limit).
    pub(crate) fn new(hwm: usize) -> Self {
        Self::with_ring(hwm, ring_capacity(hwm))
    }

    /// [`new`](Self::new) with a ring of `capacity` items (the model
    /// tests use tiny rings, to reach `overflow`).
    pub(crate) fn with_ring(hwm: usize, capacity: usize) -> Self {
        let (w, r) = R::with_capacity(capacity.max(1));
        Flow {
            writers: CachePadded::new(Writers {
                side: Exclusive::new(WriterSide {
                    ring: w,
                    overflow: VecDeque::new(),
                    pushed: 0,
                    pushed_bytes: 0,
                    seen_popped: 0,
                    seen_popped_bytes: 0,
                }),
                pushed: Counts::default(),
            }),
            readers: CachePadded::new(Readers {
                side: Exclusive::new(ReaderSide {
                    ring: r,
                    front: VecDeque::new(),
                    popped: 0,
                    popped_bytes: 0,
                    returned: 0,
                    returned_bytes: 0,
                }),
                popped: Counts::default(),
            }),
            returned: CachePadded::new(Counts::default()),
            flags: AtomicU32::new(0),
            hwm: AtomicU64::new(hwm as u64),
            hwm_bytes: AtomicU64::new(0),
        }
    }

    /// Sets the marks (`None`: unchanged; 0: none). Returns true if a
    /// waiting writer has room now and must be woken.
    pub(crate) fn set_marks(&self, hwm: Option<usize>, hwm_bytes: Option<usize>) -> bool {
        if let Some(h) = hwm {
            self.hwm.store(h as u64, Ordering::SeqCst);
        }
        if let Some(b) = hwm_bytes {
            self.hwm_bytes.store(b as u64, Ordering::SeqCst);
        }
        self.writer_to_wake(|| {
            let (n, b) = self.queued();
            self.under_marks(n, b)
        })
    }

    /// Items and bytes queued now.
    fn queued(&self) -> (u64, u64) {
        let (pushed, pushed_bytes) = self.writers.pushed.load();
        let (returned, returned_bytes) = self.returned.load();
        let (popped, popped_bytes) = self.readers.popped.load();
        (
            (pushed + returned).saturating_sub(popped),
            (pushed_bytes + returned_bytes).saturating_sub(popped_bytes),
        )
    }

    /// Whether `before` items and `before_bytes` bytes queued ahead of a
    /// new item leave room for it.
    fn under_marks(&self, before: u64, before_bytes: u64) -> bool {
        let hwm = self.hwm.load(Ordering::Relaxed);
        let hwm_bytes = self.hwm_bytes.load(Ordering::Relaxed);
        (hwm == 0 || before < hwm) && (hwm_bytes == 0 || before_bytes < hwm_bytes)
    }

    /// Whether the marks leave room for one more item (invariant 3).
    /// `fresh`: compare with `popped` itself, not the cached copy.
    fn room(&self, w: &mut WriterSide<R::Writer, T>, fresh: bool) -> bool {
        if self.hwm.load(Ordering::Relaxed) == 0 && self.hwm_bytes.load(Ordering::Relaxed) == 0 {
            return true;
        }
        let (returned, returned_bytes) = self.returned.load();
        let (n, b) = (w.pushed + returned, w.pushed_bytes + returned_bytes);
        if !fresh
            && self.under_marks(
                n.saturating_sub(w.seen_popped),
                b.saturating_sub(w.seen_popped_bytes),
            )
        {
            return true;
        }
        let (popped, popped_bytes) = self.readers.popped.load();
        w.seen_popped = popped;
        w.seen_popped_bytes = popped_bytes;
        self.under_marks(n.saturating_sub(popped), b.saturating_sub(popped_bytes))
    }

    /// Room, or the writer registers as waiting and checks once more
    /// (invariant 2).
    fn room_or_wait(&self, w: &mut WriterSide<R::Writer, T>) -> bool {
        if self.room(w, false) {
            return true;
        }
        self.flags.fetch_or(WRITER_WAITING, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.room(w, true)
    }

    /// Queues an item on the writer side (invariant 4) and publishes the
    /// count.
    fn put(&self, w: &mut WriterSide<R::Writer, T>, item: T) {
        let weight = item.weight() as u64;
        if w.overflow.is_empty() {
            if let Err(item) = R::push(&mut w.ring, item) {
                w.overflow.push_back(item);
                self.flags.fetch_or(OVERFLOW, Ordering::SeqCst);
            }
        } else {
            w.overflow.push_back(item);
        }
        w.pushed += 1;
        w.pushed_bytes += weight;
        self.writers.pushed.publish(w.pushed, w.pushed_bytes);
    }

    /// The writer's half of invariant 1, after it queued something or
    /// closed: true if the reader slept and this writer must wake it.
    fn reader_to_wake(&self) -> bool {
        fence(Ordering::SeqCst);
        self.flags.load(Ordering::SeqCst) & SCHEDULED == 0
            && self.flags.fetch_or(SCHEDULED, Ordering::SeqCst) & SCHEDULED == 0
    }

    /// Queues `item` unless the pipe is full (or `force`: even then) or
    /// its reader has left.
    pub(crate) fn push(&self, item: T, force: bool) -> Pushed<T> {
        if self.flags.load(Ordering::SeqCst) & READER_CLOSED != 0 {
            return Pushed::Closed(item);
        }
        {
            let mut w = lock(&self.writers.side);
            if !force && !self.room_or_wait(&mut w) {
                return Pushed::Full(item);
            }
            self.put(&mut w, item);
        }
        Pushed::Taken {
            wake_reader: self.reader_to_wake(),
        }
    }

    /// Moves items from the front of `batch` into the pipe until it is
    /// full; those left wait for room. `None` if the reader has left
    /// (nothing moved), else whether the reader must be woken.
    pub(crate) fn push_batch(&self, batch: &mut VecDeque<T>) -> Option<bool> {
        if self.flags.load(Ordering::SeqCst) & READER_CLOSED != 0 {
            return None;
        }
        let mut moved = false;
        {
            let mut w = lock(&self.writers.side);
            while !batch.is_empty() && self.room_or_wait(&mut w) {
                if let Some(item) = batch.pop_front() {
                    self.put(&mut w, item);
                    moved = true;
                }
            }
        }
        Some(moved && self.reader_to_wake())
    }

    /// Whether a push would be taken now (or refused because the reader
    /// has left). When full, the writer is registered as waiting.
    /// Takes no lock: the counts are read as published (the one writer
    /// that checks several pipes before pushing to all, PUB with
    /// `xpub_nodrop`, then pushes with `force`).
    pub(crate) fn has_room(&self) -> bool {
        if self.flags.load(Ordering::SeqCst) & READER_CLOSED != 0 {
            return true;
        }
        let room = || {
            let (n, b) = self.queued();
            self.under_marks(n, b)
        };
        if room() {
            return true;
        }
        self.flags.fetch_or(WRITER_WAITING, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        room()
    }

    /// Clears `WRITER_WAITING` and says so if it was set and `room()`.
    fn writer_to_wake(&self, room: impl FnOnce() -> bool) -> bool {
        self.flags.load(Ordering::SeqCst) & WRITER_WAITING != 0
            && room()
            && self.flags.fetch_and(!WRITER_WAITING, Ordering::SeqCst) & WRITER_WAITING != 0
    }

    /// At or below half of each mark: where a waiting writer is woken, so
    /// a steady stream costs one wake-up per many items.
    fn at_low_water(&self) -> bool {
        let (n, b) = self.queued();
        let hwm = self.hwm.load(Ordering::Relaxed);
        let hwm_bytes = self.hwm_bytes.load(Ordering::Relaxed);
        (hwm == 0 || n <= hwm / 2) && (hwm_bytes == 0 || b <= hwm_bytes / 2)
    }

    /// Takes up to `max` items, in order, handing each to `sink`.
    pub(crate) fn pop(&self, max: usize, mut sink: impl FnMut(T)) -> Popped {
        let mut bytes = 0usize;
        let mut each = |item: T| {
            bytes += item.weight();
            sink(item);
        };
        let taken = {
            let mut r = lock(&self.readers.side);
            let mut got = 0;
            while got < max {
                let Some(item) = r.front.pop_front() else {
                    break;
                };
                got += 1;
                each(item);
            }
            got += R::pop(&mut r.ring, max - got, &mut each);
            if got < max && self.flags.load(Ordering::SeqCst) & OVERFLOW != 0 {
                // The ring first: what is in it is older (invariant 4).
                let mut w = lock(&self.writers.side);
                got += R::pop(&mut r.ring, max - got, &mut each);
                while got < max {
                    let Some(item) = w.overflow.pop_front() else {
                        break;
                    };
                    got += 1;
                    each(item);
                }
                if w.overflow.is_empty() {
                    self.flags.fetch_and(!OVERFLOW, Ordering::SeqCst);
                }
            }
            if got > 0 {
                r.popped += got as u64;
                r.popped_bytes += bytes as u64;
                self.readers.popped.publish(r.popped, r.popped_bytes);
                // The reader's half of invariant 2: the count, then the flag.
                fence(Ordering::SeqCst);
            }
            got
        };
        // The flags first, then the counts (invariant 5).
        let flags = self.flags.load(Ordering::SeqCst);
        let empty = self.queued().0 == 0;
        Popped {
            taken,
            more: !empty,
            done: empty && flags & WRITER_CLOSED != 0,
            wake_writer: taken > 0 && self.writer_to_wake(|| self.at_low_water()),
        }
    }

    /// The reader is about to sleep (invariant 1): from now on the next
    /// writer wakes it. Returns true if input arrived meanwhile and the
    /// reader keeps its turn (it must look again); false if it may sleep.
    pub(crate) fn sleep(&self) -> bool {
        self.sleep_unless(WRITER_CLOSED)
    }

    /// The reader saw `done` and sleeps until the pipe is reopened
    /// ([`reopen`](Self::reopen)) and used again: as [`sleep`](Self::sleep),
    /// except that the writer's leaving, already seen, is not input.
    pub(crate) fn sleep_after_done(&self) -> bool {
        self.sleep_unless(0)
    }

    /// Clears the reader's turn, then takes it back if items are queued or
    /// one of the `flags` is set.
    fn sleep_unless(&self, flags: u32) -> bool {
        self.flags.fetch_and(!SCHEDULED, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let input = self.flags.load(Ordering::SeqCst) & flags != 0 || self.queued().0 > 0;
        input && self.flags.fetch_or(SCHEDULED, Ordering::SeqCst) & SCHEDULED == 0
    }

    /// Puts items back at the front, in order, ahead of everything queued.
    pub(crate) fn unpop(&self, items: &mut VecDeque<T>) {
        if items.is_empty() {
            return;
        }
        let mut r = lock(&self.readers.side);
        while let Some(item) = items.pop_back() {
            r.returned += 1;
            r.returned_bytes += item.weight() as u64;
            r.front.push_front(item);
        }
        self.returned.publish(r.returned, r.returned_bytes);
    }

    /// The writer leaves. Returns true if the reader slept and must be
    /// woken to see it.
    pub(crate) fn close_writer(&self) -> bool {
        self.flags.fetch_or(WRITER_CLOSED, Ordering::SeqCst);
        self.reader_to_wake()
    }

    /// The reader leaves: later pushes are refused and what is queued is
    /// handed back, to be dropped outside every lock. A waiting writer
    /// must be woken to see it.
    pub(crate) fn close_reader(&self) -> Vec<T> {
        self.flags.fetch_or(READER_CLOSED, Ordering::SeqCst);
        let mut dropped = Vec::new();
        while self.pop(usize::MAX, |item| dropped.push(item)).taken > 0 {}
        self.flags.fetch_and(!WRITER_WAITING, Ordering::SeqCst);
        dropped
    }

    /// The reader turns the pipe away without taking anything: pushes are
    /// refused, what is queued stays for a later reader.
    pub(crate) fn turn_away(&self) {
        self.flags.fetch_or(READER_CLOSED, Ordering::SeqCst);
        self.flags.fetch_and(!WRITER_WAITING, Ordering::SeqCst);
    }

    /// Undoes both ends' closes for a new far end; queued items stay.
    pub(crate) fn reopen(&self) {
        self.flags
            .fetch_and(!(READER_CLOSED | WRITER_CLOSED), Ordering::SeqCst);
    }

    /// Whether the writer has left and nothing is queued.
    pub(crate) fn is_done(&self) -> bool {
        self.flags.load(Ordering::SeqCst) & WRITER_CLOSED != 0 && self.queued().0 == 0
    }

    /// Whether the reader has left.
    pub(crate) fn is_reader_closed(&self) -> bool {
        self.flags.load(Ordering::SeqCst) & READER_CLOSED != 0
    }

    /// Items and bytes ever pushed.
    pub(crate) fn pushed(&self) -> (u64, u64) {
        self.writers.pushed.load()
    }

    /// Items queued now.
    pub(crate) fn len(&self) -> usize {
        self.queued().0 as usize
    }
}
