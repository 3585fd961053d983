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
///
/// Each entry carries a handle `H` beside the peer's key `P` (a PUB keeps
/// the peer's outbound pipe there), so that matching hands out what a send
/// needs with no lookup per matched peer (SPEC §6.1). `H = ()` when only
/// the keys matter.
#[derive(Clone, Debug)]
pub struct SubscriptionTrie<P, H = ()> {
    arena: Arena<Vec<(P, H)>>,
    pairs: usize,
}

impl<P: Copy + Eq + Hash, H> Default for SubscriptionTrie<P, H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Copy + Eq + Hash> SubscriptionTrie<P> {
    /// Subscribes `peer` to `prefix`, as [`add_with`](Self::add_with).
    pub fn add(&mut self, prefix: &[u8], peer: P) -> bool {
        self.add_with(prefix, peer, ())
    }

    /// Calls `f` once for each peer subscribed to a prefix of `data`, as
    /// [`matches_with`](Self::matches_with).
    pub fn matches(&self, data: &[u8], mut f: impl FnMut(P)) {
        self.matches_with(data, |p, _| f(p))
    }
}

impl<P: Copy + Eq + Hash, H> SubscriptionTrie<P, H> {
    /// An empty trie.
    pub fn new() -> Self {
        SubscriptionTrie {
            arena: Arena::new(),
            pairs: 0,
        }
    }

    /// Subscribes `peer` (with its `handle`) to `prefix`. Returns true if
    /// no peer had the prefix before (the subscription is new to the
    /// socket). A repeated subscription of the same peer changes nothing
    /// (the handle first given stays) and returns false.
    pub fn add_with(&mut self, prefix: &[u8], peer: P, handle: H) -> bool {
        let n = self.arena.find_or_create(prefix);
        let peers = &mut self.arena.node_mut(n).value;
        if peers.iter().any(|(p, _)| *p == peer) {
            return false;
        }
        let new = peers.is_empty();
        peers.push((peer, handle));
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
        let Some(i) = peers.iter().position(|(p, _)| *p == peer) else {
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
            if let Some(i) = peers.iter().position(|(p, _)| *p == peer) {
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

    /// Calls `f(peer, handle)` once for each peer subscribed to a prefix
    /// of `data` (a peer with several matching prefixes is visited once).
    pub fn matches_with<'a>(&'a self, data: &[u8], mut f: impl FnMut(P, &'a H)) {
        // First pass: which nodes match? Usually at most one, and then no
        // de-duplication is needed.
        let mut first: Option<&Vec<(P, H)>> = None;
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
            (Some(peers), false) => peers.iter().for_each(|(p, h)| f(*p, h)),
            (Some(_), true) => {
                let mut seen = HashSet::new();
                self.arena.walk(data, |v| {
                    for (p, h) in v {
                        if seen.insert(*p) {
                            f(*p, h);
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
            .is_some_and(|n| self.arena.node(n).value.iter().any(|(p, _)| *p == peer))
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
mod tests;
