//! Subscription bookkeeping of the pub/sub sockets (RFC 29, SPEC §5.5):
//! a subscriber's own counted subscriptions, sent to each peer as it comes
//! and again on each reconnection ([`Subscriber`], SUB and XSUB), and a
//! publisher's per-peer subscriptions with what an XPUB tells its
//! application ([`Publisher`], PUB and XPUB). `P` is whatever the socket
//! keeps per peer to reach it (its outbound pipe).

use std::collections::HashSet;

use super::routing_id::IdMap;
use super::trie::{SubscriptionCounts, SubscriptionTrie};
use crate::message::Message;
use crate::routing_id::RoutingId;
use crate::zmtp::session::subscription_message;

/// If `msg` is a single frame starting with 1 (subscribe) or 0 (cancel),
/// the flag and the topic (SPEC §5.5).
pub(crate) fn as_subscription(msg: &Message) -> Option<(bool, &[u8])> {
    match msg.frames() {
        [f] => match f.first() {
            Some(1) => Some((true, &f[1..])),
            Some(0) => Some((false, &f[1..])),
            _ => None,
        },
        _ => None,
    }
}

/// A SUB's or XSUB's subscriptions and peers.
#[derive(Debug)]
pub(crate) struct Subscriber<P> {
    subs: SubscriptionCounts,
    /// Peers that had a connection already (a later one is a reconnection).
    seen: HashSet<RoutingId>,
    /// Every attached peer, recorded when it was given the subscriptions
    /// so far: a change is sent to exactly the peers that have the state
    /// before it, so none gets a subscription twice.
    peers: IdMap<P>,
}

impl<P> Default for Subscriber<P> {
    fn default() -> Self {
        Subscriber {
            subs: SubscriptionCounts::new(),
            seen: HashSet::new(),
            peers: IdMap::default(),
        }
    }
}

impl<P> Subscriber<P> {
    /// Counts a subscription or a cancel of `topic`; returns the message
    /// every peer must be sent: every subscription, a cancel only when its
    /// count reaches 0 (SPEC §5.5).
    pub(crate) fn change(&mut self, subscribe: bool, topic: &[u8]) -> Option<Message> {
        let tell = if subscribe {
            self.subs.add(topic);
            true
        } else {
            self.subs.remove(topic)
        };
        tell.then(|| subscription_message(subscribe, topic))
    }

    /// Whether the empty prefix is subscribed: every message matches.
    pub(crate) fn takes_everything(&self) -> bool {
        self.subs.count(b"") > 0
    }

    /// Whether a message whose first frame is `first` matches a
    /// subscription.
    pub(crate) fn accepts(&self, first: &[u8]) -> bool {
        self.subs.matches(first)
    }

    /// A peer was added: the subscriptions to send it now.
    pub(crate) fn attached(&mut self, id: RoutingId, peer: P) -> Vec<Message> {
        self.peers.insert(id, peer);
        self.all()
    }

    /// A connection to the peer is up: on a reconnection the publisher may
    /// be a new socket, or have forgotten us, so it gets every
    /// subscription again (the first connection got them at attach).
    pub(crate) fn connected(&mut self, id: RoutingId) -> Vec<Message> {
        if self.seen.insert(id) {
            Vec::new()
        } else {
            self.all()
        }
    }

    /// A peer left.
    pub(crate) fn detached(&mut self, id: RoutingId) {
        self.seen.remove(&id);
        self.peers.remove(&id);
    }

    /// The peer handles, for sending.
    pub(crate) fn peers(&self) -> impl Iterator<Item = (RoutingId, &P)> {
        self.peers.iter().map(|(id, p)| (*id, p))
    }

    /// The handle of peer `id`.
    pub(crate) fn peer(&self, id: RoutingId) -> Option<&P> {
        self.peers.get(&id)
    }

    fn all(&self) -> Vec<Message> {
        self.subs
            .prefixes()
            .iter()
            .map(|t| subscription_message(true, t))
            .collect()
    }
}

/// What an XPUB's application is told (SPEC §5.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Telling {
    /// XPUB (PUB tells nothing).
    pub(crate) xpub: bool,
    /// `xpub_verbose`: every subscription, not only the first per topic.
    pub(crate) verbose: bool,
    /// `xpub_verboser`: every cancel too (implies verbose).
    pub(crate) verboser: bool,
}

/// A PUB's or XPUB's peers and their subscriptions.
#[derive(Debug)]
pub(crate) struct Publisher<P> {
    telling: Telling,
    /// Each subscription with the peer's handle: matching a message needs
    /// no lookup per matched peer.
    trie: SubscriptionTrie<RoutingId, P>,
    /// Each attached peer's handle, for its subscriptions to come.
    peers: IdMap<P>,
    /// Peers that had a connection already (a later one is a reconnection).
    seen: HashSet<RoutingId>,
}

impl<P: Clone> Publisher<P> {
    pub(crate) fn new(telling: Telling) -> Publisher<P> {
        Publisher {
            telling,
            trie: SubscriptionTrie::new(),
            peers: IdMap::default(),
            seen: HashSet::new(),
        }
    }

    /// A peer was added.
    pub(crate) fn attached(&mut self, id: RoutingId, peer: P) {
        self.peers.insert(id, peer);
    }

    /// A connection to the peer is up. On a reconnection (we connected to
    /// it) the far end is a new connection, perhaps a new socket, which
    /// sends its own subscriptions; the old ones went with the old
    /// connection. Returns what the application is told.
    pub(crate) fn connected(&mut self, id: RoutingId) -> Vec<Message> {
        if self.seen.insert(id) {
            Vec::new()
        } else {
            self.forget(id)
        }
    }

    /// A peer left; returns what the application is told.
    pub(crate) fn detached(&mut self, id: RoutingId) -> Vec<Message> {
        self.peers.remove(&id);
        self.seen.remove(&id);
        self.forget(id)
    }

    /// A message from peer `id`: a subscription or cancel changes its
    /// subscriptions. Returns what the application is told: an XPUB hears
    /// a subscription new to the socket (every one when verbose), a cancel
    /// of the last holder (every one when verboser), and any other
    /// message as it is.
    pub(crate) fn input(&mut self, id: RoutingId, msg: Message) -> Option<Message> {
        let t = self.telling;
        let Some((subscribe, topic)) = as_subscription(&msg) else {
            return t.xpub.then_some(msg);
        };
        let Some(handle) = self.peers.get(&id) else {
            // Raced with the peer's removal.
            return None;
        };
        let tell = if subscribe {
            self.trie.add_with(topic, id, handle.clone()) || t.verbose || t.verboser
        } else {
            self.trie.remove(topic, id) || t.verboser
        };
        (tell && t.xpub).then_some(msg)
    }

    /// Calls `f` for every peer with a subscription that is a prefix of
    /// `first`, once each.
    pub(crate) fn matching<'a>(&'a self, first: &[u8], f: impl FnMut(RoutingId, &'a P)) {
        self.trie.matches_with(first, f);
    }

    /// Distinct (topic, peer) subscriptions held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.trie.len()
    }

    /// Whether no peer is attached and no subscription held.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.trie.is_empty() && self.peers.is_empty()
    }

    /// Forgets a peer's subscriptions: the cancels an XPUB tells, one for
    /// each topic no peer holds any more (every topic of the peer when
    /// verboser).
    fn forget(&mut self, id: RoutingId) -> Vec<Message> {
        let verboser = self.telling.verboser;
        let mut cancels = Vec::new();
        self.trie.remove_peer(id, |topic, last| {
            if last || verboser {
                cancels.push(subscription_message(false, topic));
            }
        });
        if self.telling.xpub {
            cancels
        } else {
            Vec::new()
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
    fn subscriptions_are_counted_and_resent_on_reconnection() {
        let mut s: Subscriber<&str> = Subscriber::default();
        assert_eq!(s.change(true, b"a"), Some(Message::from("\x01a")));
        assert_eq!(s.change(true, b"a"), Some(Message::from("\x01a")));
        assert_eq!(s.change(false, b"a"), None, "one subscription left");
        assert_eq!(s.change(false, b"b"), None, "never subscribed");
        assert!(s.accepts(b"abc") && !s.accepts(b"b"));
        assert!(!s.takes_everything());
        assert_eq!(s.attached(id(1), "pipe"), vec![Message::from("\x01a")]);
        assert_eq!(s.connected(id(1)), vec![], "first connection");
        assert_eq!(s.connected(id(1)), vec![Message::from("\x01a")]);
        assert_eq!(s.peers().collect::<Vec<_>>(), vec![(id(1), &"pipe")]);
        assert_eq!(s.change(false, b"a"), Some(Message::from("\x00a")));
        s.change(true, b"");
        assert!(s.takes_everything());
        s.detached(id(1));
        assert!(s.peer(id(1)).is_none());
    }

    #[test]
    fn publisher_matches_and_xpub_tells_new_topics_and_last_cancels() {
        let mut p: Publisher<u8> = Publisher::new(Telling {
            xpub: true,
            ..Telling::default()
        });
        p.attached(id(1), 1);
        p.attached(id(2), 2);
        assert_eq!(p.input(id(1), "\x01ab".into()), Some("\x01ab".into()));
        assert_eq!(p.input(id(2), "\x01ab".into()), None, "not new");
        assert_eq!(p.input(id(2), "\x01a".into()), Some("\x01a".into()));
        let mut hit = Vec::new();
        p.matching(b"abc", |i, _| hit.push(i));
        hit.sort();
        assert_eq!(
            hit,
            vec![id(1), id(2)],
            "peer 2 once though two prefixes match"
        );
        assert_eq!(p.input(id(1), "\x00ab".into()), None, "peer 2 still has it");
        assert_eq!(p.input(id(1), "other".into()), Some("other".into()));
        let mut cancels = p.detached(id(2));
        cancels.sort_by(|a, b| a.first().cmp(b.first()));
        assert_eq!(
            cancels,
            vec![Message::from("\x00a"), Message::from("\x00ab")]
        );
        assert_eq!(p.len(), 0);
        assert!(!p.is_empty(), "peer 1 is still attached");
        assert_eq!(p.input(id(2), "\x01late".into()), None, "gone");
    }

    #[test]
    fn verbose_verboser_and_pub() {
        let mut v: Publisher<()> = Publisher::new(Telling {
            xpub: true,
            verbose: true,
            verboser: true,
        });
        v.attached(id(1), ());
        v.attached(id(2), ());
        v.input(id(1), "\x01t".into());
        assert_eq!(v.input(id(2), "\x01t".into()), Some("\x01t".into()));
        assert_eq!(v.input(id(2), "\x00t".into()), Some("\x00t".into()));
        assert_eq!(v.connected(id(1)), vec![]);
        assert_eq!(
            v.connected(id(1)),
            vec![Message::from("\x00t")],
            "reconnected"
        );
        let mut p: Publisher<()> = Publisher::new(Telling::default());
        p.attached(id(1), ());
        assert_eq!(p.input(id(1), "\x01t".into()), None);
        assert_eq!(p.input(id(1), "data".into()), None);
        assert_eq!(p.detached(id(1)), vec![]);
    }
}
