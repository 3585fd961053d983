//! PAIR's one peer (RFC 31, SPEC §5.8): the first whose connection is
//! accepted, until it leaves; everyone else is refused meanwhile.

use std::collections::{HashSet, VecDeque};

use crate::routing_id::RoutingId;

/// How many refused peers are remembered, to drop anything of theirs that
/// slipped into the receive queue before the refusal (SPEC §5.8).
const REFUSED_KEPT: usize = 1024;

/// A PAIR socket's choice of peer.
#[derive(Debug, Default)]
pub(crate) struct Exclusive {
    /// The peer: the first whose connection was accepted, until it is
    /// removed.
    current: Option<RoutingId>,
    /// Every attached peer, in order of attachment.
    attached: Vec<RoutingId>,
    refused: HashSet<RoutingId>,
    refused_order: VecDeque<RoutingId>,
}

impl Exclusive {
    /// A peer was attached (a connecting PAIR's before its connection).
    pub(crate) fn attached(&mut self, id: RoutingId) {
        self.attached.push(id);
    }

    /// A connection of peer `id` is up: taken if there is no peer (or it
    /// is the peer); false refuses it.
    pub(crate) fn connected(&mut self, id: RoutingId) -> bool {
        match self.current {
            None => {
                self.current = Some(id);
                self.refused.remove(&id);
                true
            }
            Some(c) if c == id => true,
            Some(_) => {
                if self.refused.insert(id) {
                    self.refused_order.push_back(id);
                    if self.refused_order.len() > REFUSED_KEPT {
                        if let Some(old) = self.refused_order.pop_front() {
                            self.refused.remove(&old);
                        }
                    }
                }
                false
            }
        }
    }

    /// A peer left.
    pub(crate) fn detached(&mut self, id: RoutingId) {
        self.attached.retain(|a| *a != id);
        if self.current == Some(id) {
            self.current = None;
        }
    }

    /// Where a message goes: the peer, or else (a connecting PAIR before
    /// its first connection) the first attached one not refused, so it
    /// waits in that queue as in libzmq.
    pub(crate) fn target(&self) -> Option<RoutingId> {
        self.current.or_else(|| {
            self.attached
                .iter()
                .copied()
                .find(|id| !self.refused.contains(id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> RoutingId {
        RoutingId::new(n).unwrap()
    }

    #[test]
    fn first_accepted_peer_wins_until_it_leaves() {
        let mut p = Exclusive::default();
        assert_eq!(p.target(), None);
        p.attached(id(1));
        assert_eq!(p.target(), Some(id(1)), "queues for a connect not yet up");
        p.attached(id(2));
        assert!(p.connected(id(2)));
        assert!(p.connected(id(2)), "its reconnection");
        assert!(!p.connected(id(1)));
        assert_eq!(p.target(), Some(id(2)));
        p.detached(id(2));
        assert_eq!(p.target(), None, "refused peers are not sent to");
        assert!(p.connected(id(1)), "the next one is taken");
        assert_eq!(p.target(), Some(id(1)));
    }
}
