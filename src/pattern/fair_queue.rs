//! Fair queuing over peers with pending input (SPEC §5.2, RFC 30's
//! "fair-queuing" for PULL and RFC 41's for CLIENT and SERVER).

use std::collections::VecDeque;

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
/// gets one message per turn.
#[derive(Debug)]
pub struct FairQueue<T> {
    ready: VecDeque<T>,
}

impl<T> Default for FairQueue<T> {
    fn default() -> Self {
        FairQueue {
            ready: VecDeque::new(),
        }
    }
}

impl<T> FairQueue<T> {
    /// Puts a source that now has input at the back of the line.
    pub fn schedule(&mut self, source: T) {
        self.ready.push_back(source);
    }

    /// True when no source is waiting.
    pub fn is_empty(&self) -> bool {
        self.ready.is_empty()
    }

    /// Serves sources in turn until one yields an item.
    pub fn take<R>(&mut self, mut try_take: impl FnMut(&T) -> Take<R>) -> Option<R> {
        while let Some(source) = self.ready.pop_front() {
            match try_take(&source) {
                Take::Item { value, more } => {
                    if more {
                        self.ready.push_back(source);
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
        let mut fq = FairQueue::default();
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
