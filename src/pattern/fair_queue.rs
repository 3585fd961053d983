//! Fair queuing over peers with pending input (SPEC §5.2, RFC 30's
//! "fair-queuing" for PULL and RFC 41's for CLIENT and SERVER).

use crossbeam_queue::SegQueue;

/// The outcome of trying one source.
pub enum Take<R> {
    /// The source gave an item; `more` says whether it still has input.
    Item {
        /// The item taken.
        value: R,
        /// Whether the source has more input right now.
        more: bool,
    },
    /// The source had nothing (or is finished): it leaves the queue until
    /// it is scheduled again.
    Empty,
}

/// The sources that have input, in turn order. A source is scheduled when
/// its input goes from empty to non-empty; each `take` serves the source at
/// the front and puts it at the back if it still has input, so each source
/// gets one turn at a time.
///
/// The line is a lock-free queue: scheduling a source (a writer, on any
/// thread) and serving one (a reader) take no lock. Each source must be in
/// the line at most once; the caller keeps that with a "scheduled" bit of
/// its own (the pipe's, SPEC §6.1).
#[derive(Debug)]
pub struct FairQueue<T> {
    ready: SegQueue<T>,
}

impl<T> Default for FairQueue<T> {
    fn default() -> Self {
        FairQueue {
            ready: SegQueue::new(),
        }
    }
}

impl<T> FairQueue<T> {
    /// Puts a source that now has input at the back of the line.
    #[inline]
    pub fn schedule(&self, source: T) {
        self.ready.push(source);
    }

    /// True when no source is waiting.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ready.is_empty()
    }

    /// Serves sources in turn until one yields an item. A source that
    /// still has input goes to the back of the line; one that had nothing
    /// leaves it.
    pub fn take<R>(&self, mut try_take: impl FnMut(&T) -> Take<R>) -> Option<R> {
        while let Some(source) = self.ready.pop() {
            match try_take(&source) {
                Take::Item { value, more } => {
                    if more {
                        self.ready.push(source);
                    }
                    return Some(value);
                }
                Take::Empty => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn serves_sources_in_turn() {
        let inputs = RefCell::new(vec![vec![1, 2, 3], vec![10], vec![20, 21]]);
        let fq = FairQueue::default();
        for i in 0..3 {
            fq.schedule(i);
        }
        let take = |s: &usize| {
            let mut inputs = inputs.borrow_mut();
            let q = &mut inputs[*s];
            if q.is_empty() {
                return Take::Empty;
            }
            let value = q.remove(0);
            Take::Item {
                value,
                more: !q.is_empty(),
            }
        };
        let mut out = Vec::new();
        while let Some(v) = fq.take(take) {
            out.push(v);
        }
        assert_eq!(out, vec![1, 10, 20, 2, 21, 3]);
        assert!(fq.is_empty());
    }
}
