//! What a socket counts (SPEC §6.7).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::driver::pipe::Pipe;
use crate::message::Message;
use crate::routing_id::RoutingId;

/// Counters kept per socket (SPEC §6.7), updated without a lock.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Multipart messages CLIENT or SERVER discarded whole (SPEC §5.3),
    /// counted by the connections that read them (hence shared).
    pub(crate) dropped_multipart: Arc<AtomicU64>,
    /// Messages a PUB, XPUB or ROUTER dropped because a peer's queue was
    /// at `sndhwm` (SPEC §5.5).
    pub(crate) dropped_hwm: AtomicU64,
    /// Messages a socket dropped because no peer could take them (ROUTER
    /// to an unknown identity, REP to a departed requester) (SPEC §5).
    pub(crate) dropped_unroutable: AtomicU64,
    /// Messages and bytes the socket took from its peers.
    msgs_in: AtomicU64,
    bytes_in: AtomicU64,
    /// Messages and bytes queued to peers that have since left.
    departed_out: AtomicU64,
    departed_out_bytes: AtomicU64,
    /// Resumption (SPEC §3.7): messages sent again on a resumed session,
    /// ACKs sent and received, sessions resumed and reset.
    pub(crate) resent: AtomicU64,
    pub(crate) acks_sent: AtomicU64,
    pub(crate) acks_received: AtomicU64,
    pub(crate) sessions_resumed: AtomicU64,
    pub(crate) sessions_reset: AtomicU64,
}

impl Counters {
    /// `n` messages of `bytes` bytes in all were taken from peers.
    pub(crate) fn taken(&self, n: usize, bytes: usize) {
        if n > 0 {
            self.msgs_in.fetch_add(n as u64, Ordering::Relaxed);
            self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }

    /// [`taken`](Self::taken) for a batch of messages.
    pub(crate) fn taken_all(&self, msgs: &[Message]) {
        let bytes = msgs.iter().map(Message::byte_len).sum();
        self.taken(msgs.len(), bytes);
    }

    /// A peer whose outbound pipe is `out` left: what it was given stays
    /// counted.
    pub(crate) fn departed(&self, out: &Pipe) {
        let (m, b) = out.pushed();
        self.departed_out.fetch_add(m, Ordering::Relaxed);
        self.departed_out_bytes.fetch_add(b, Ordering::Relaxed);
    }

    /// Adds one to a drop counter.
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now, with `out` the messages and bytes queued to
    /// the attached peers and `peers` their queues.
    pub(crate) fn snapshot(&self, out: (u64, u64), peers: Vec<PeerQueues>) -> SocketStats {
        SocketStats {
            dropped_multipart: self.dropped_multipart.load(Ordering::Relaxed),
            dropped_hwm: self.dropped_hwm.load(Ordering::Relaxed),
            dropped_unroutable: self.dropped_unroutable.load(Ordering::Relaxed),
            messages_in: self.msgs_in.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            messages_out: out.0 + self.departed_out.load(Ordering::Relaxed),
            bytes_out: out.1 + self.departed_out_bytes.load(Ordering::Relaxed),
            resent: self.resent.load(Ordering::Relaxed),
            acks_sent: self.acks_sent.load(Ordering::Relaxed),
            acks_received: self.acks_received.load(Ordering::Relaxed),
            sessions_resumed: self.sessions_resumed.load(Ordering::Relaxed),
            sessions_reset: self.sessions_reset.load(Ordering::Relaxed),
            peers,
        }
    }
}

/// A peer's queues, as `stats()` reports them (SPEC §6.7).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerQueues {
    /// The peer.
    pub routing_id: RoutingId,
    /// Messages queued for sending to it.
    pub queued_out: usize,
    /// Messages received from it and not yet taken by the application.
    pub queued_in: usize,
    /// Messages sent to it and not yet acknowledged, when the session
    /// resumes (SPEC §3.7): the window in use, as of the connection's
    /// last write.
    pub unacknowledged: usize,
}

/// A socket's counters (SPEC §6.7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SocketStats {
    /// Multipart messages discarded whole by CLIENT or SERVER (RFC 41).
    pub dropped_multipart: u64,
    /// Messages PUB, XPUB or ROUTER dropped for a peer whose queue was at
    /// `sndhwm` (SPEC §5.5, §5.7).
    pub dropped_hwm: u64,
    /// Messages dropped because no peer could take them: ROUTER to an
    /// unknown identity, REP to a requester that left (SPEC §5.6, §5.7).
    pub dropped_unroutable: u64,
    /// Messages the socket took from its peers' queues (received, or for
    /// PUB/XPUB read as subscriptions).
    pub messages_in: u64,
    /// Bytes of those messages (all frames).
    pub bytes_in: u64,
    /// Messages queued to peers (sent or on their way; for PUB, one per
    /// subscriber reached).
    pub messages_out: u64,
    /// Bytes of those messages.
    pub bytes_out: u64,
    /// Messages sent again when a session resumed (SPEC §3.7).
    pub resent: u64,
    /// ACKs sent, counted when their connection ends (SPEC §3.7).
    pub acks_sent: u64,
    /// ACKs received, counted when their connection ends (SPEC §3.7).
    pub acks_received: u64,
    /// Connections that resumed an earlier one's session (SPEC §3.7).
    pub sessions_resumed: u64,
    /// Sessions that could not be resumed (`SessionReset`, SPEC §3.7).
    pub sessions_reset: u64,
    /// Each attached peer's queue lengths now, by routing id.
    pub peers: Vec<PeerQueues>,
}
