//! ROUTER's identity table (RFC 28, SPEC §5.7): each peer's identity,
//! announced or made by the socket, both ways, and those of recently
//! departed peers for their messages still queued.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use crate::routing_id::RoutingId;

/// How many departed peers keep their identity for messages of theirs
/// still queued for `recv` (SPEC §5.7).
pub(crate) const DEPARTED_KEPT: usize = 1024;

/// The identities of a ROUTER's peers.
#[derive(Debug)]
pub(crate) struct IdentityTable {
    /// Connected peers by identity: where `send` routes.
    by_identity: HashMap<Bytes, RoutingId>,
    /// Every connected peer's identity (and whether the socket made it),
    /// plus those of the recently departed, for `recv`.
    by_id: HashMap<RoutingId, (Bytes, bool)>,
    /// Departed peers, oldest first.
    departed: VecDeque<RoutingId>,
    /// The number in the next identity the socket makes.
    next_generated: u32,
}

impl IdentityTable {
    /// A table whose first made identity carries `first`.
    pub(crate) fn new(first: u32) -> IdentityTable {
        IdentityTable {
            by_identity: HashMap::new(),
            by_id: HashMap::new(),
            departed: VecDeque::new(),
            next_generated: first,
        }
    }

    /// A connection of peer `id` announced `identity` (or none): records
    /// it; false refuses the connection, when another connected peer
    /// holds the identity (libzmq without ROUTER_HANDOVER). A peer that
    /// announces none gets one made, and keeps it across reconnections.
    pub(crate) fn identify(&mut self, id: RoutingId, identity: Option<&Bytes>) -> bool {
        match identity.filter(|i| !i.is_empty()) {
            Some(identity) => match self.by_identity.get(identity) {
                Some(&owner) if owner == id => true,
                Some(_) => {
                    self.forget(id);
                    false
                }
                None => {
                    self.forget(id);
                    self.insert(id, identity.clone(), false);
                    true
                }
            },
            None => {
                if matches!(self.by_id.get(&id), Some((_, true))) {
                    return true;
                }
                self.forget(id);
                let made = self.generate();
                self.insert(id, made, true);
                true
            }
        }
    }

    /// Peer `id` left: it can no longer be addressed, but its identity is
    /// kept (for the [`DEPARTED_KEPT`] most recent) for what it sent.
    pub(crate) fn depart(&mut self, id: RoutingId) {
        let Some((identity, _)) = self.by_id.get(&id).cloned() else {
            return;
        };
        if self.by_identity.get(&identity) == Some(&id) {
            self.by_identity.remove(&identity);
        }
        self.departed.push_back(id);
        if self.departed.len() > DEPARTED_KEPT {
            if let Some(old) = self.departed.pop_front() {
                self.by_id.remove(&old);
            }
        }
    }

    /// The connected peer holding `identity`.
    pub(crate) fn route(&self, identity: &[u8]) -> Option<RoutingId> {
        self.by_identity.get(identity).copied()
    }

    /// The identity of peer `id` (connected or recently departed).
    pub(crate) fn identity_of(&self, id: RoutingId) -> Option<&Bytes> {
        self.by_id.get(&id).map(|(identity, _)| identity)
    }

    fn forget(&mut self, id: RoutingId) {
        if let Some((identity, _)) = self.by_id.remove(&id) {
            if self.by_identity.get(&identity) == Some(&id) {
                self.by_identity.remove(&identity);
            }
        }
    }

    fn insert(&mut self, id: RoutingId, identity: Bytes, made: bool) {
        self.by_identity.insert(identity.clone(), id);
        self.by_id.insert(id, (identity, made));
    }

    /// A new identity: a zero byte and a 32-bit number, as libzmq makes
    /// them, unique in the socket.
    fn generate(&mut self) -> Bytes {
        loop {
            let n = self.next_generated;
            self.next_generated = n.wrapping_add(1);
            let mut raw = [0u8; 5];
            raw[1..].copy_from_slice(&n.to_be_bytes());
            let identity = Bytes::copy_from_slice(&raw);
            if !self.by_identity.contains_key(&identity) {
                return identity;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> RoutingId {
        RoutingId::new(n).unwrap()
    }

    #[test]
    fn announced_identities_route_and_duplicates_are_refused() {
        let mut t = IdentityTable::new(0);
        let a = Bytes::from_static(b"a");
        assert!(t.identify(id(1), Some(&a)));
        assert!(t.identify(id(1), Some(&a)), "its own reconnection");
        assert!(!t.identify(id(2), Some(&a)), "another peer with it");
        assert_eq!(t.route(b"a"), Some(id(1)));
        assert_eq!(t.identity_of(id(2)), None);
    }

    #[test]
    fn made_identities_are_libzmq_shaped_unique_and_kept_across_reconnections() {
        let mut t = IdentityTable::new(u32::MAX);
        assert!(t.identify(id(1), None));
        let made = t.identity_of(id(1)).unwrap().clone();
        assert_eq!(&made[..], &[0, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(t.identify(id(1), None));
        assert_eq!(t.identity_of(id(1)), Some(&made));
        assert!(t.identify(id(2), Some(&Bytes::from_static(b"\x00\x00\x00\x00\x00"))));
        assert!(t.identify(id(3), None));
        assert_eq!(
            &t.identity_of(id(3)).unwrap()[..],
            &[0, 0, 0, 0, 1],
            "skips a taken one"
        );
    }

    #[test]
    fn departed_peers_keep_their_identity_for_a_while() {
        let mut t = IdentityTable::new(0);
        for n in 1..=(DEPARTED_KEPT as u32 + 1) {
            assert!(t.identify(id(n), None));
            t.depart(id(n));
        }
        assert_eq!(t.identity_of(id(1)), None, "the oldest is forgotten");
        let last = t.identity_of(id(DEPARTED_KEPT as u32 + 1)).unwrap().clone();
        assert_eq!(t.route(&last), None, "but nobody routes to it");
    }
}
