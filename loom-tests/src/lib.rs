//! The pipe protocol of oxmq (`src/driver/pipe/protocol.rs`), compiled
//! against loom's atomics, mutex and fences instead of std's, for the
//! model tests in `tests/`. The file is the library's own, included by
//! path; only its `sync` module differs.

#[path = "../../src/driver/pipe/protocol.rs"]
#[allow(dead_code)]
pub mod protocol;

/// The names `protocol.rs` uses, from loom.
pub mod sync {
    pub use loom::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
    pub use loom::sync::MutexGuard;

    /// One side's state, taken by one thread at a time.
    pub type Exclusive<T> = loom::sync::Mutex<T>;

    /// Padding is irrelevant to the model.
    pub struct CachePadded<T>(T);

    impl<T> CachePadded<T> {
        pub fn new(t: T) -> Self {
            CachePadded(t)
        }
    }

    impl<T> std::ops::Deref for CachePadded<T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.0
        }
    }

    pub fn lock<T>(m: &Exclusive<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap()
    }
}

use std::collections::VecDeque;

/// The model's ring: a bounded queue under loom's mutex, shared by the two
/// ends (the library uses rtrb's wait-free ring, whose own correctness is
/// rtrb's to test; what is checked here is the protocol around it).
pub struct ModelRing;

/// One end of a [`ModelRing`].
pub struct End<T> {
    queue: loom::sync::Arc<loom::sync::Mutex<VecDeque<T>>>,
    capacity: usize,
}

impl<T> protocol::Ring<T> for ModelRing {
    type Writer = End<T>;
    type Reader = End<T>;

    fn with_capacity(capacity: usize) -> (End<T>, End<T>) {
        let queue = loom::sync::Arc::new(loom::sync::Mutex::new(VecDeque::new()));
        (
            End {
                queue: queue.clone(),
                capacity,
            },
            End { queue, capacity },
        )
    }

    fn push(writer: &mut End<T>, item: T) -> Result<(), T> {
        let mut q = writer.queue.lock().unwrap();
        if q.len() >= writer.capacity {
            return Err(item);
        }
        q.push_back(item);
        Ok(())
    }

    fn pop(reader: &mut End<T>, max: usize, sink: &mut dyn FnMut(T)) -> usize {
        let mut q = reader.queue.lock().unwrap();
        let n = q.len().min(max);
        for item in q.drain(..n) {
            sink(item);
        }
        n
    }
}

/// A model item: its number, weighing one byte.
#[derive(Debug, PartialEq, Eq)]
pub struct Item(pub u32);

impl protocol::Weigh for Item {
    fn weight(&self) -> usize {
        1
    }
}

#[cfg(test)]
mod model;
