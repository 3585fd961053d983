//! The accepting side's record of resumable sessions (SPEC §3.7): for
//! each connecting peer's session id, either the connection serving it
//! now or the detached peer kept for it (routing id, pipes, the session's
//! record) until `resume_ivl` runs out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::driver::lock;
use crate::driver::pipe::Pipe;
use crate::routing_id::RoutingId;
use crate::zmtp::resume::{ResumeState, SessionId};

/// A peer whose connection ended with its session resumable: still in
/// routing, its pipes open, waiting for the peer to come back.
pub(crate) struct ParkedPeer {
    pub(crate) id: RoutingId,
    pub(crate) out: Arc<Pipe>,
    pub(crate) inp: Arc<Pipe>,
    pub(crate) state: ResumeState,
    /// The listener's endpoint, for the `SessionReset` event.
    pub(crate) endpoint: String,
}

enum Entry {
    /// A connection serves the session; `kick` makes it give way.
    Live { turn: u64, kick: Arc<Notify> },
    /// Detached, kept for `resume_ivl`.
    Parked { turn: u64, peer: ParkedPeer },
}

/// What a connection that the peer's session id names gets.
pub(crate) enum Claim {
    /// No record: a new relationship. `turn` identifies the claim; `kick`
    /// is this connection's, for the next one to take it over.
    Fresh { turn: u64, kick: Arc<Notify> },
    /// The detached peer, to resume.
    Parked {
        turn: u64,
        kick: Arc<Notify>,
        peer: Box<ParkedPeer>,
    },
    /// Another connection serves the session (half-open, say): it was
    /// told to give way; wait for [`Resumptions::changed`] and claim again.
    Busy,
}

/// See the module documentation.
#[derive(Default)]
pub(crate) struct Resumptions {
    entries: Mutex<(HashMap<SessionId, Entry>, u64)>,
    /// Fired whenever an entry is parked or released.
    changed: Notify,
}

impl Resumptions {
    /// Claims session `key` for a new connection.
    pub(crate) fn claim(&self, key: SessionId) -> Claim {
        let mut guard = lock(&self.entries);
        let (entries, turns) = &mut *guard;
        *turns += 1;
        let turn = *turns;
        let kick = Arc::new(Notify::new());
        let live = Entry::Live {
            turn,
            kick: kick.clone(),
        };
        match entries.remove(&key) {
            None => {
                entries.insert(key, live);
                Claim::Fresh { turn, kick }
            }
            Some(Entry::Parked { peer, .. }) => {
                entries.insert(key, live);
                Claim::Parked {
                    turn,
                    kick,
                    peer: Box::new(peer),
                }
            }
            Some(Entry::Live { turn: old, kick }) => {
                kick.notify_one();
                entries.insert(key, Entry::Live { turn: old, kick });
                Claim::Busy
            }
        }
    }

    /// Waits for the next change (see [`Claim::Busy`]).
    pub(crate) fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// The connection of claim `turn` ended with its session resumable:
    /// the peer is kept. Returns false (and gives the peer back) when the
    /// claim is no longer the live one.
    pub(crate) fn park(
        &self,
        key: SessionId,
        turn: u64,
        peer: ParkedPeer,
    ) -> Result<(), Box<ParkedPeer>> {
        let mut guard = lock(&self.entries);
        let ours = matches!(guard.0.get(&key), Some(Entry::Live { turn: t, .. }) if *t == turn);
        if !ours {
            return Err(Box::new(peer));
        }
        guard.0.insert(key, Entry::Parked { turn, peer });
        drop(guard);
        self.changed.notify_waiters();
        Ok(())
    }

    /// The connection of claim `turn` ended without keeping its session.
    pub(crate) fn release(&self, key: SessionId, turn: u64) {
        let mut guard = lock(&self.entries);
        if matches!(guard.0.get(&key), Some(Entry::Live { turn: t, .. }) if *t == turn) {
            guard.0.remove(&key);
        }
        drop(guard);
        self.changed.notify_waiters();
    }

    /// The resume window of the peer parked by claim `turn` ran out: it is
    /// taken out, for the caller to drop.
    pub(crate) fn expire(&self, key: SessionId, turn: u64) -> Option<ParkedPeer> {
        let mut guard = lock(&self.entries);
        if !matches!(guard.0.get(&key), Some(Entry::Parked { turn: t, .. }) if *t == turn) {
            return None;
        }
        match guard.0.remove(&key) {
            Some(Entry::Parked { peer, .. }) => Some(peer),
            _ => None,
        }
    }

    /// Every parked peer, taken out (the socket is closing).
    pub(crate) fn take_parked(&self) -> Vec<ParkedPeer> {
        let mut guard = lock(&self.entries);
        let keys: Vec<SessionId> = guard
            .0
            .iter()
            .filter(|(_, e)| matches!(e, Entry::Parked { .. }))
            .map(|(k, _)| *k)
            .collect();
        keys.into_iter()
            .filter_map(|k| match guard.0.remove(&k) {
                Some(Entry::Parked { peer, .. }) => Some(peer),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parked(n: u32) -> ParkedPeer {
        ParkedPeer {
            id: RoutingId::new(n).expect("non-zero"),
            out: Pipe::new(10),
            inp: Pipe::new(10),
            state: ResumeState::new(10),
            endpoint: String::new(),
        }
    }

    #[test]
    fn a_session_is_claimed_parked_and_claimed_again() {
        let r = Resumptions::default();
        let key = [1; 16];
        let Claim::Fresh { turn, .. } = r.claim(key) else {
            panic!("a first claim is fresh");
        };
        assert!(matches!(r.claim(key), Claim::Busy));
        assert!(r.park(key, turn, parked(7)).is_ok());
        let Claim::Parked { turn: t2, peer, .. } = r.claim(key) else {
            panic!("the parked peer is handed over");
        };
        assert_eq!(peer.id.get(), 7);
        // The old claim can no longer park or release.
        assert!(r.park(key, turn, parked(8)).is_err());
        r.release(key, turn);
        assert!(matches!(r.claim(key), Claim::Busy));
        r.release(key, t2);
        assert!(matches!(r.claim(key), Claim::Fresh { .. }));
    }

    #[test]
    fn only_the_parking_turn_expires() {
        let r = Resumptions::default();
        let key = [2; 16];
        let Claim::Fresh { turn, .. } = r.claim(key) else {
            panic!();
        };
        assert!(r.park(key, turn, parked(3)).is_ok());
        assert!(r.expire(key, turn + 100).is_none());
        assert!(r.expire(key, turn).is_some());
        assert!(r.expire(key, turn).is_none());
        assert!(r.take_parked().is_empty());
    }
}
