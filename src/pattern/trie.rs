//! Subscription tries for PUB, XPUB, SUB and XSUB (SPEC §5.5).
//!
//! A byte-wise prefix tree stored in an arena (a `Vec` of nodes linked by
//! index), so that no operation recurses and dropping a trie never walks
//! it: a topic as long as the largest message cannot exhaust the stack.
//! Each node keeps its children in a vector sorted by byte. Matching a
//! message walks its first frame once, so it costs time proportional to
//! the frame's length (at most) plus the number of peers matched, however
//! many subscriptions the trie holds.
//!
//! [`SubscriptionTrie`] maps prefixes to sets of peers (what a PUB or XPUB
//! learns from its subscribers); [`SubscriptionCounts`] counts how often
//! each prefix was subscribed (a SUB or XSUB's own subscriptions).

use std::collections::HashSet;
use std::hash::Hash;

const ROOT: u32 = 0;
/// Parent of the root and of free nodes.
const NONE: u32 = u32::MAX;

/// What a node holds; "vacant" nodes without children are pruned.
trait Slot: Default {
    fn is_vacant(&self) -> bool;
}

impl<P> Slot for Vec<P> {
    fn is_vacant(&self) -> bool {
        self.is_empty()
    }
}

impl Slot for usize {
    fn is_vacant(&self) -> bool {
        *self == 0
    }
}

#[derive(Clone, Debug)]
struct Node<V> {
    parent: u32,
    /// The byte on the edge from the parent.
    byte: u8,
    /// Children's edge bytes, sorted; `kids[i]` is the child for `keys[i]`.
    keys: Vec<u8>,
    kids: Vec<u32>,
    value: V,
}

impl<V: Default> Node<V> {
    fn new(parent: u32, byte: u8) -> Self {
        Node {
            parent,
            byte,
            keys: Vec::new(),
            kids: Vec::new(),
            value: V::default(),
        }
    }
}

#[derive(Clone, Debug)]
struct Arena<V> {
    nodes: Vec<Node<V>>,
    free: Vec<u32>,
}

impl<V: Slot> Arena<V> {
    fn new() -> Self {
        Arena {
            nodes: vec![Node::new(NONE, 0)],
            free: Vec::new(),
        }
    }

    fn node(&self, n: u32) -> &Node<V> {
        &self.nodes[n as usize]
    }

    fn node_mut(&mut self, n: u32) -> &mut Node<V> {
        &mut self.nodes[n as usize]
    }

    fn child(&self, n: u32, b: u8) -> Option<u32> {
        let node = self.node(n);
        // Most nodes have a handful of children: a scan beats a search.
        let i = if node.keys.len() <= 8 {
            node.keys.iter().position(|&k| k == b)?
        } else {
            node.keys.binary_search(&b).ok()?
        };
        Some(node.kids[i])
    }

    fn find(&self, prefix: &[u8]) -> Option<u32> {
        let mut n = ROOT;
        for &b in prefix {
            n = self.child(n, b)?;
        }
        Some(n)
    }

    fn find_or_create(&mut self, prefix: &[u8]) -> u32 {
        let mut n = ROOT;
        for &b in prefix {
            n = match self.node(n).keys.binary_search(&b) {
                Ok(i) => self.node(n).kids[i],
                Err(i) => {
                    let c = self.alloc(n, b);
                    let node = self.node_mut(n);
                    node.keys.insert(i, b);
                    node.kids.insert(i, c);
                    c
                }
            };
        }
        n
    }

    fn alloc(&mut self, parent: u32, byte: u8) -> u32 {
        match self.free.pop() {
            Some(i) => {
                let node = self.node_mut(i);
                node.parent = parent;
                node.byte = byte;
                i
            }
            None => {
                // Index fits: 2^32 nodes would need hundreds of GiB first.
                let i = self.nodes.len() as u32;
                self.nodes.push(Node::new(parent, byte));
                i
            }
        }
    }

    /// Removes `n` and then each ancestor that holds nothing and has no
    /// other child.
    fn prune(&mut self, mut n: u32) {
        if n as usize >= self.nodes.len() {
            return;
        }
        while n != ROOT {
            let node = self.node(n);
            if !node.value.is_vacant() || !node.keys.is_empty() || node.parent == NONE {
                return;
            }
            let (parent, byte) = (node.parent, node.byte);
            let p = self.node_mut(parent);
            if let Ok(i) = p.keys.binary_search(&byte) {
                p.keys.remove(i);
                p.kids.remove(i);
            }
            *self.node_mut(n) = Node::new(NONE, 0);
            self.free.push(n);
            n = parent;
        }
        let root = self.node(ROOT);
        if root.keys.is_empty() && self.nodes.len() > 1 {
            // Empty again: give the memory back.
            self.nodes.truncate(1);
            self.nodes.shrink_to_fit();
            self.free = Vec::new();
        }
    }

    fn is_live(&self, n: u32) -> bool {
        n == ROOT || self.node(n).parent != NONE
    }

    /// The prefix leading to node `n`, into `out`.
    fn prefix_of(&self, mut n: u32, out: &mut Vec<u8>) {
        out.clear();
        while n != ROOT {
            let node = self.node(n);
            out.push(node.byte);
            n = node.parent;
        }
        out.reverse();
    }

    /// Calls `f` with each node on the path of `data` (root first) that
    /// holds something.
    fn walk<'a>(&'a self, data: &[u8], mut f: impl FnMut(&'a V)) {
        let mut n = ROOT;
        let mut bytes = data.iter();
        loop {
            let v = &self.node(n).value;
            if !v.is_vacant() {
                f(v);
            }
            match bytes.next().and_then(|&b| self.child(n, b)) {
                Some(c) => n = c,
                None => return,
            }
        }
    }

    /// Every live node holding something, in arena order.
    fn occupied(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.nodes.len() as u32).filter(|&n| self.is_live(n) && !self.node(n).value.is_vacant())
    }
}

/// Prefixes mapped to the set of peers subscribed to each (SPEC §5.5):
/// the subscription table of a PUB or XPUB socket. A peer is in a prefix's
/// set at most once, however often it subscribed (libzmq's mtrie works the
/// same way).
#[derive(Clone, Debug)]
pub struct SubscriptionTrie<P> {
    arena: Arena<Vec<P>>,
    pairs: usize,
}

impl<P: Copy + Eq + Hash> Default for SubscriptionTrie<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Copy + Eq + Hash> SubscriptionTrie<P> {
    /// An empty trie.
    pub fn new() -> Self {
        SubscriptionTrie {
            arena: Arena::new(),
            pairs: 0,
        }
    }

    /// Subscribes `peer` to `prefix`. Returns true if no peer had the
    /// prefix before (the subscription is new to the socket). A repeated
    /// subscription of the same peer changes nothing and returns false.
    pub fn add(&mut self, prefix: &[u8], peer: P) -> bool {
        let n = self.arena.find_or_create(prefix);
        let peers = &mut self.arena.node_mut(n).value;
        if peers.contains(&peer) {
            return false;
        }
        let new = peers.is_empty();
        peers.push(peer);
        self.pairs += 1;
        new
    }

    /// Cancels `peer`'s subscription to `prefix`. Returns true if it was
    /// there and no peer has the prefix now; false if other peers still
    /// have it or `peer` did not.
    pub fn remove(&mut self, prefix: &[u8], peer: P) -> bool {
        let Some(n) = self.arena.find(prefix) else {
            return false;
        };
        let peers = &mut self.arena.node_mut(n).value;
        let Some(i) = peers.iter().position(|&p| p == peer) else {
            return false;
        };
        peers.swap_remove(i);
        self.pairs -= 1;
        let gone = peers.is_empty();
        if gone {
            self.arena.prune(n);
        }
        gone
    }

    /// Removes every subscription of `peer` (it left), calling
    /// `f(prefix, last)` for each prefix it had; `last` is true when no
    /// peer has that prefix any more. Costs time proportional to the size
    /// of the trie.
    pub fn remove_peer(&mut self, peer: P, mut f: impl FnMut(&[u8], bool)) {
        let mut emptied = Vec::new();
        let mut prefix = Vec::new();
        let hits: Vec<u32> = self.arena.occupied().collect();
        for n in hits {
            let peers = &mut self.arena.node_mut(n).value;
            if let Some(i) = peers.iter().position(|&p| p == peer) {
                peers.swap_remove(i);
                self.pairs -= 1;
                let last = peers.is_empty();
                self.arena.prefix_of(n, &mut prefix);
                f(&prefix, last);
                if last {
                    emptied.push(n);
                }
            }
        }
        for n in emptied {
            self.arena.prune(n);
        }
    }

    /// Calls `f` once for each peer subscribed to a prefix of `data`
    /// (a peer with several matching prefixes is visited once).
    pub fn matches(&self, data: &[u8], mut f: impl FnMut(P)) {
        // First pass: which nodes match? Usually at most one, and then no
        // de-duplication is needed.
        let mut first: Option<&Vec<P>> = None;
        let mut several = false;
        self.arena.walk(data, |v| {
            if first.is_none() {
                first = Some(v);
            } else {
                several = true;
            }
        });
        match (first, several) {
            (None, _) => {}
            (Some(peers), false) => peers.iter().for_each(|&p| f(p)),
            (Some(_), true) => {
                let mut seen = HashSet::new();
                self.arena.walk(data, |v| {
                    for &p in v {
                        if seen.insert(p) {
                            f(p);
                        }
                    }
                });
            }
        }
    }

    /// Whether `peer` is subscribed to exactly `prefix`.
    pub fn contains(&self, prefix: &[u8], peer: P) -> bool {
        self.arena
            .find(prefix)
            .is_some_and(|n| self.arena.node(n).value.contains(&peer))
    }

    /// Number of (prefix, peer) subscriptions.
    pub fn len(&self) -> usize {
        self.pairs
    }

    /// Whether no peer is subscribed to anything.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }
}

/// A counted set of prefixes (SPEC §5.5): a SUB or XSUB socket's own
/// subscriptions. Subscribing twice to a prefix needs two cancels before
/// it is gone.
#[derive(Clone, Debug)]
pub struct SubscriptionCounts {
    arena: Arena<usize>,
    distinct: usize,
}

impl Default for SubscriptionCounts {
    fn default() -> Self {
        Self::new()
    }
}

impl SubscriptionCounts {
    /// An empty set.
    pub fn new() -> Self {
        SubscriptionCounts {
            arena: Arena::new(),
            distinct: 0,
        }
    }

    /// Counts one more subscription to `prefix`; returns the new count.
    pub fn add(&mut self, prefix: &[u8]) -> usize {
        let n = self.arena.find_or_create(prefix);
        let c = &mut self.arena.node_mut(n).value;
        if *c == 0 {
            self.distinct += 1;
        }
        *c = c.saturating_add(1);
        *c
    }

    /// Counts one subscription to `prefix` less. Returns true when the
    /// count reached 0 (the prefix is gone); false when it is still
    /// subscribed, or was not (then nothing changes).
    pub fn remove(&mut self, prefix: &[u8]) -> bool {
        let Some(n) = self.arena.find(prefix) else {
            return false;
        };
        let c = &mut self.arena.node_mut(n).value;
        if *c == 0 {
            return false;
        }
        *c -= 1;
        if *c > 0 {
            return false;
        }
        self.distinct -= 1;
        self.arena.prune(n);
        true
    }

    /// How many times `prefix` is subscribed.
    pub fn count(&self, prefix: &[u8]) -> usize {
        self.arena
            .find(prefix)
            .map_or(0, |n| self.arena.node(n).value)
    }

    /// Whether some subscribed prefix is a prefix of `data`.
    pub fn matches(&self, data: &[u8]) -> bool {
        let mut any = false;
        self.arena.walk(data, |_| any = true);
        any
    }

    /// Every subscribed prefix, once each (in no particular order).
    pub fn prefixes(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.distinct);
        for n in self.arena.occupied() {
            let mut p = Vec::new();
            self.arena.prefix_of(n, &mut p);
            out.push(p);
        }
        out
    }

    /// Number of distinct subscribed prefixes.
    pub fn len(&self) -> usize {
        self.distinct
    }

    /// Whether nothing is subscribed.
    pub fn is_empty(&self) -> bool {
        self.distinct == 0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trie_has_each_peer_once_per_prefix_and_matches_it_once() {
        let mut t = SubscriptionTrie::new();
        assert!(t.add(b"", 1));
        assert!(t.add(b"a", 1));
        assert!(!t.add(b"a", 2), "\"a\" had a peer already");
        let mut hit = Vec::new();
        t.matches(b"abc", |p| hit.push(p));
        hit.sort();
        assert_eq!(hit, [1, 2], "peer 1 once, though two prefixes match");
    }

    #[test]
    fn counts_need_as_many_cancels_as_subscriptions() {
        let mut s = SubscriptionCounts::new();
        assert_eq!(s.add(b"a"), 1);
        assert_eq!(s.add(b"a"), 2);
        assert!(!s.remove(b"a"));
        assert!(s.matches(b"abc"));
        assert!(s.remove(b"a"));
        assert!(!s.matches(b"abc"));
    }

    use super::*;
    use proptest::prelude::*;

    fn matched(t: &SubscriptionTrie<u8>, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        t.matches(data, |p| v.push(p));
        v.sort();
        v
    }

    #[test]
    fn peer_with_two_matching_prefixes_gets_one_copy() {
        let mut t = SubscriptionTrie::new();
        assert!(t.add(b"", 1));
        assert!(t.add(b"a", 1));
        assert!(t.add(b"ab", 2));
        assert_eq!(matched(&t, b"abc"), [1, 2]);
        assert_eq!(matched(&t, b"b"), [1]);
        assert_eq!(matched(&t, b""), [1]);
    }

    #[test]
    fn set_semantics_per_peer() {
        let mut t = SubscriptionTrie::new();
        assert!(t.add(b"x", 1));
        assert!(!t.add(b"x", 1));
        assert_eq!(t.len(), 1);
        assert!(!t.add(b"x", 2));
        assert!(!t.remove(b"x", 1), "peer 2 still has it");
        assert!(!t.remove(b"x", 1), "peer 1 had it once");
        assert!(t.remove(b"x", 2));
        assert!(t.is_empty());
        assert!(matched(&t, b"x").is_empty());
        assert!(!t.remove(b"never", 3));
    }

    #[test]
    fn remove_peer_reports_each_prefix_and_whether_last() {
        let mut t = SubscriptionTrie::new();
        t.add(b"a", 1);
        t.add(b"ab", 1);
        t.add(b"ab", 2);
        t.add(b"c", 2);
        let mut seen = Vec::new();
        t.remove_peer(1, |p, last| seen.push((p.to_vec(), last)));
        seen.sort();
        assert_eq!(seen, [(b"a".to_vec(), true), (b"ab".to_vec(), false)]);
        assert_eq!(matched(&t, b"abc"), [2]);
        assert!(!t.contains(b"a", 1));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn empty_trie_gives_memory_back() {
        let mut t = SubscriptionTrie::new();
        for i in 0..100u32 {
            t.add(format!("topic-{i}").as_bytes(), 1u8);
        }
        assert!(t.arena.nodes.len() > 100);
        for i in 0..100u32 {
            t.remove(format!("topic-{i}").as_bytes(), 1);
        }
        assert_eq!(t.arena.nodes.len(), 1);
    }

    #[test]
    fn long_topics_do_not_recurse() {
        let long = vec![7u8; 1 << 20];
        let mut t = SubscriptionTrie::new();
        t.add(&long, 1u8);
        assert_eq!(matched(&t, &long), [1]);
        assert!(t.remove(&long, 1));
        t.add(&long, 1u8);
        drop(t); // the arena is flat: dropping it does not recurse
    }

    #[test]
    fn counts() {
        let mut s = SubscriptionCounts::new();
        assert!(!s.remove(b"none"));
        assert_eq!(s.add(b""), 1);
        assert_eq!(s.add(b"ab"), 1);
        assert_eq!(s.add(b"ab"), 2);
        assert_eq!(s.len(), 2);
        let mut p = s.prefixes();
        p.sort();
        assert_eq!(p, [b"".to_vec(), b"ab".to_vec()]);
        assert!(s.remove(b""));
        assert!(!s.matches(b"a"));
        assert!(s.matches(b"abz"));
        assert!(!s.remove(b"ab"));
        assert_eq!(s.count(b"ab"), 1);
        assert!(s.remove(b"ab"));
        assert!(s.is_empty());
        assert!(!s.matches(b"ab"));
    }

    #[derive(Clone, Debug)]
    enum Op {
        Add(Vec<u8>, u8),
        Remove(Vec<u8>, u8),
        RemovePeer(u8),
        Match(Vec<u8>),
    }

    fn key() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0u8)], 0..4)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (key(), 0u8..4).prop_map(|(k, p)| Op::Add(k, p)),
            3 => (key(), 0u8..4).prop_map(|(k, p)| Op::Remove(k, p)),
            1 => (0u8..4).prop_map(Op::RemovePeer),
            3 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0u8)], 0..6)
                .prop_map(Op::Match),
        ]
    }

    proptest! {
        #[test]
        fn trie_agrees_with_a_naive_model(ops in proptest::collection::vec(op(), 0..200)) {
            let mut t = SubscriptionTrie::new();
            let mut model: Vec<(Vec<u8>, u8)> = Vec::new();
            for op in ops {
                match op {
                    Op::Add(k, p) => {
                        let new = !model.iter().any(|(m, _)| *m == k);
                        let dup = model.contains(&(k.clone(), p));
                        prop_assert_eq!(t.add(&k, p), new && !dup);
                        if !dup {
                            model.push((k, p));
                        }
                    }
                    Op::Remove(k, p) => {
                        let had = model.contains(&(k.clone(), p));
                        model.retain(|e| *e != (k.clone(), p));
                        let gone = had && !model.iter().any(|(m, _)| *m == k);
                        prop_assert_eq!(t.remove(&k, p), gone);
                    }
                    Op::RemovePeer(p) => {
                        let mut expect: Vec<(Vec<u8>, bool)> = model
                            .iter()
                            .filter(|(_, q)| *q == p)
                            .map(|(k, _)| (k.clone(), !model.iter().any(|(m, q)| m == k && *q != p)))
                            .collect();
                        expect.sort();
                        model.retain(|(_, q)| *q != p);
                        let mut got = Vec::new();
                        t.remove_peer(p, |k, last| got.push((k.to_vec(), last)));
                        got.sort();
                        prop_assert_eq!(got, expect);
                    }
                    Op::Match(d) => {
                        let mut expect: Vec<u8> = model
                            .iter()
                            .filter(|(k, _)| d.starts_with(k))
                            .map(|(_, p)| *p)
                            .collect();
                        expect.sort();
                        expect.dedup();
                        let mut got = Vec::new();
                        t.matches(&d, |p| got.push(p));
                        got.sort();
                        // (sorting without dedup: a duplicate visit fails here)
                        prop_assert_eq!(got, expect);
                    }
                }
                prop_assert_eq!(t.len(), model.len());
            }
        }

        #[test]
        fn counts_agree_with_a_naive_model(
            ops in proptest::collection::vec((any::<bool>(), key(), key()), 0..200)
        ) {
            let mut s = SubscriptionCounts::new();
            let mut model: Vec<Vec<u8>> = Vec::new(); // a multiset
            for (add, k, probe) in ops {
                if add {
                    model.push(k.clone());
                    prop_assert_eq!(s.add(&k), model.iter().filter(|m| **m == k).count());
                } else {
                    let had = model.iter().position(|m| *m == k);
                    if let Some(i) = had {
                        model.swap_remove(i);
                    }
                    let gone = had.is_some() && !model.contains(&k);
                    prop_assert_eq!(s.remove(&k), gone);
                }
                prop_assert_eq!(s.matches(&probe), model.iter().any(|m| probe.starts_with(m)));
                let mut distinct = model.clone();
                distinct.sort();
                distinct.dedup();
                let mut got = s.prefixes();
                got.sort();
                prop_assert_eq!(got, distinct);
            }
        }
    }
}
