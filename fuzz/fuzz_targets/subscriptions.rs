//! The subscription structures (`SubscriptionTrie`, `SubscriptionCounts`)
//! driven by arbitrary operation sequences and checked against a naive
//! model after every step.
//!
//! Input: a sequence of operations, each `op byte, peer byte, length byte,
//! prefix bytes` (cut short at the end of the input). Prefixes draw on a
//! small alphabet so that they share prefixes and collide often.
//!
//! Checks: no panic; every return value (`add` new, `remove` gone,
//! `remove_peer` callbacks, `matches` visiting each subscribed peer exactly
//! once, `len`, `contains`; counts, `matches`, `prefixes`) equals the
//! model's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxmq::__internal::{SubscriptionCounts, SubscriptionTrie};
use std::collections::{BTreeMap, BTreeSet};

fn prefix_of(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .map(|b| b"ab\x00\xff"[usize::from(b % 4)])
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut trie: SubscriptionTrie<u8> = SubscriptionTrie::new();
    let mut counts = SubscriptionCounts::new();
    let mut model: BTreeSet<(Vec<u8>, u8)> = BTreeSet::new();
    let mut model_counts: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    let mut rest = data;
    while rest.len() >= 3 {
        let (op, peer, len) = (rest[0], rest[1] % 8, usize::from(rest[2] % 12));
        let len = len.min(rest.len() - 3);
        let prefix = prefix_of(&rest[3..3 + len]);
        rest = &rest[3 + len..];
        match op % 6 {
            0 => {
                let new = !model.iter().any(|(p, _)| *p == prefix);
                let inserted = model.insert((prefix.clone(), peer));
                assert_eq!(trie.add(&prefix, peer), new && inserted);
            }
            1 => {
                let had = model.remove(&(prefix.clone(), peer));
                let gone = had && !model.iter().any(|(p, _)| *p == prefix);
                assert_eq!(trie.remove(&prefix, peer), gone);
            }
            2 => {
                let mut want: Vec<(Vec<u8>, bool)> = model
                    .iter()
                    .filter(|(_, q)| *q == peer)
                    .map(|(p, _)| p.clone())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|p| {
                        let last = !model.iter().any(|(o, q)| *o == p && *q != peer);
                        (p, last)
                    })
                    .collect();
                model.retain(|(_, q)| *q != peer);
                let mut got = Vec::new();
                trie.remove_peer(peer, |p, last| got.push((p.to_vec(), last)));
                got.sort();
                want.sort();
                assert_eq!(got, want);
            }
            3 => {
                let c = model_counts.entry(prefix.clone()).or_insert(0);
                *c += 1;
                assert_eq!(counts.add(&prefix), *c);
            }
            4 => {
                let reached_zero = match model_counts.get_mut(&prefix) {
                    Some(c) => {
                        *c -= 1;
                        *c == 0
                    }
                    None => false,
                };
                if reached_zero {
                    model_counts.remove(&prefix);
                }
                assert_eq!(counts.remove(&prefix), reached_zero);
            }
            _ => {
                // Match the prefix as a message's first frame.
                let mut got = Vec::new();
                trie.matches(&prefix, |p| got.push(p));
                got.sort();
                let want: Vec<u8> = model
                    .iter()
                    .filter(|(p, _)| prefix.starts_with(p))
                    .map(|(_, q)| *q)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                assert_eq!(got, want, "each subscribed peer once");
                let any = model_counts.keys().any(|p| prefix.starts_with(p));
                assert_eq!(counts.matches(&prefix), any);
                assert_eq!(
                    counts.count(&prefix),
                    model_counts.get(&prefix).copied().unwrap_or(0)
                );
            }
        }
        assert_eq!(trie.len(), model.len());
        assert_eq!(trie.is_empty(), model.is_empty());
        let mut prefixes = counts.prefixes();
        prefixes.sort();
        let want: Vec<Vec<u8>> = model_counts.keys().cloned().collect();
        assert_eq!(prefixes, want);
    }
});
