//! The registry of a socket's peers (SPEC §6.1): each peer's pair of
//! pipes by routing id, and the rotation of outlets that balanced sends
//! walk (SPEC §5.2). Plain data, kept under the socket's peer lock.

use std::sync::Arc;

use crate::driver::pipe::{Pipe, PushError, Wake};
use crate::message::Message;
use crate::pattern::{IdMap, LoadBalance, RoutingIdAllocator};
use crate::routing_id::RoutingId;

use super::stats::PeerQueues;

/// How a peer came to be, which decides what happens when its far end
/// goes away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PeerKind {
    /// Created by `connect`: the pipes outlive connections, so messages
    /// queued while disconnected go out on the next connection.
    Persistent,
    /// Accepted by a listener or an inproc bind: removed when it leaves.
    Transient,
}

/// One peer: `out` carries messages to it, `inp` from it.
pub(crate) struct PeerEntry {
    pub(crate) out: Arc<Pipe>,
    pub(crate) inp: Arc<Pipe>,
    pub(crate) kind: PeerKind,
}

/// Why an addressed send did not happen; the message is handed back.
pub(crate) enum Refusal {
    /// No peer has this id.
    Unknown(Message),
    /// The peer is leaving (its pipe's far end has gone).
    Gone(Message),
    /// The peer is at its high-water mark.
    Full(Message),
}

/// Every attached peer. Invariant: `outlets` holds exactly the ids of
/// `by_id`, each with its `out` pipe.
pub(crate) struct PeerTable {
    by_id: IdMap<PeerEntry>,
    outlets: LoadBalance<(RoutingId, Arc<Pipe>)>,
    ids: RoutingIdAllocator,
}

impl PeerTable {
    /// An empty table whose ids start at `first_id`.
    pub(crate) fn new(first_id: u32) -> PeerTable {
        PeerTable {
            by_id: IdMap::default(),
            outlets: LoadBalance::new(),
            ids: RoutingIdAllocator::new(first_id),
        }
    }

    /// Adds a peer under a fresh id.
    pub(crate) fn add(&mut self, out: &Arc<Pipe>, inp: &Arc<Pipe>, kind: PeerKind) -> RoutingId {
        let by_id = &self.by_id;
        let id = self.ids.allocate(|id| by_id.contains_key(&id));
        self.by_id.insert(
            id,
            PeerEntry {
                out: out.clone(),
                inp: inp.clone(),
                kind,
            },
        );
        self.outlets.push((id, out.clone()));
        id
    }

    /// Removes a peer.
    pub(crate) fn remove(&mut self, id: RoutingId) -> Option<PeerEntry> {
        self.outlets.remove_where(|(i, _)| *i == id);
        self.by_id.remove(&id)
    }

    /// Whether `id` is a peer that goes away with its connection.
    pub(crate) fn is_transient(&self, id: RoutingId) -> bool {
        self.by_id
            .get(&id)
            .is_some_and(|e| e.kind == PeerKind::Transient)
    }

    /// The id of the peer whose outbound pipe is `out`.
    pub(crate) fn id_of(&self, out: &Arc<Pipe>) -> Option<RoutingId> {
        self.by_id
            .iter()
            .find(|(_, e)| Arc::ptr_eq(&e.out, out))
            .map(|(id, _)| *id)
    }

    /// Every peer's id.
    pub(crate) fn ids(&self) -> Vec<RoutingId> {
        self.by_id.keys().copied().collect()
    }

    /// Every peer's pipes.
    pub(crate) fn pipes(&self) -> Vec<(Arc<Pipe>, Arc<Pipe>)> {
        self.by_id
            .values()
            .map(|e| (e.out.clone(), e.inp.clone()))
            .collect()
    }

    /// Messages and bytes queued to the peers so far, and each one's
    /// queue lengths, by id (SPEC §6.7).
    pub(crate) fn traffic(&self) -> ((u64, u64), Vec<PeerQueues>) {
        let (mut msgs, mut bytes) = (0, 0);
        let mut queues = Vec::with_capacity(self.by_id.len());
        for (id, e) in &self.by_id {
            let (m, b) = e.out.pushed();
            msgs += m;
            bytes += b;
            queues.push(PeerQueues {
                routing_id: *id,
                queued_out: e.out.len(),
                queued_in: e.inp.len(),
                unacknowledged: e.out.unacknowledged(),
            });
        }
        queues.sort_by_key(|q| q.routing_id.get());
        ((msgs, bytes), queues)
    }

    /// Whether any peer's outbound pipe has room (SPEC §6.9).
    pub(crate) fn any_room(&self) -> bool {
        self.by_id.values().any(|e| e.out.has_room())
    }

    /// Hands `msg` to the next peer with room, round-robin (SPEC §5.2):
    /// the peer that took it and the wake-up its reader is owed (run it
    /// after the peer lock is released), or the message back when none
    /// could. Peers found leaving are added to `gone`.
    #[inline]
    pub(crate) fn offer_balanced(
        &mut self,
        msg: Message,
        gone: &mut Vec<RoutingId>,
    ) -> Result<(RoutingId, Wake), Message> {
        self.outlets.offer(msg, |(id, pipe), m| match pipe.push(m) {
            Ok(wake) => Ok((*id, wake)),
            Err(PushError::Full(m)) => Err(m),
            Err(PushError::Closed(m)) => {
                gone.push(*id);
                Err(m)
            }
        })
    }

    /// Hands `msg` to peer `id` (SPEC §5.3); the wake-up is the caller's
    /// to run, as for [`offer_balanced`](Self::offer_balanced).
    #[inline]
    pub(crate) fn offer_to(&self, id: RoutingId, msg: Message) -> Result<Wake, Refusal> {
        match self.by_id.get(&id) {
            None => Err(Refusal::Unknown(msg)),
            Some(e) => match e.out.push(msg) {
                Ok(wake) => Ok(wake),
                Err(PushError::Full(m)) => Err(Refusal::Full(m)),
                Err(PushError::Closed(m)) => Err(Refusal::Gone(m)),
            },
        }
    }
}
