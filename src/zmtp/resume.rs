//! Resumable sessions between oxmq peers (SPEC §3.7): what each side
//! offers in its READY, the record of one peer relationship that outlives
//! its connections, and the decision taken when a connection is made.
//!
//! Each side counts the messages it has handed to its socket from the
//! other. The counts are absolute, so an acknowledgement (the `ACK`
//! command) says everything up to a point, and a lost or repeated one does
//! no harm. A sender keeps what it sent until the count covers it; on a
//! new connection it drops what the peer says it has and sends the rest
//! again, first.

use std::collections::VecDeque;

use bytes::{BufMut, Bytes, BytesMut};

use super::error::ProtocolError;
use crate::message::Message;

/// The READY property under which an oxmq peer offers resumption
/// (SPEC §3.7). Not an `X-` name: those are the applications' (RFC 37).
pub const RESUME_PROPERTY: &str = "OxMQ-Resume";

/// The version of the property's layout this code speaks.
pub const RESUME_VERSION: u8 = 1;

/// Length of the property's value: version, two session ids, the count,
/// the window.
const OFFER_LEN: usize = 1 + 16 + 16 + 8 + 4;

/// A session id: random, made once per peer relationship.
pub type SessionId = [u8; 16];

/// What one side says in its READY (SPEC §3.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResumeOffer {
    /// The sender's session id.
    pub session: SessionId,
    /// The peer session it last saw; `None` (zeros on the wire) if none.
    pub peer_seen: Option<SessionId>,
    /// How many messages of that peer session it has taken in.
    pub received: u64,
    /// How many messages it may have unacknowledged: the receiver acks by
    /// half of it.
    pub window: u32,
}

impl ResumeOffer {
    /// The property value: version (1 byte), session id, peer session
    /// seen (16 bytes each), received count (u64) and window (u32), both
    /// big-endian.
    pub fn encode(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(OFFER_LEN);
        b.put_u8(RESUME_VERSION);
        b.put_slice(&self.session);
        b.put_slice(&self.peer_seen.unwrap_or_default());
        b.put_u64(self.received);
        b.put_u32(self.window);
        b.freeze()
    }

    /// Parses a property value. A later version (a longer value with a
    /// higher version byte) is read as far as this one goes.
    pub fn decode(value: &[u8]) -> Result<ResumeOffer, ProtocolError> {
        let bad = |what: String| Err(ProtocolError::MalformedMetadata(what));
        let (Some(&version), true) = (value.first(), value.len() >= OFFER_LEN) else {
            return bad(format!(
                "an {RESUME_PROPERTY} property of {} bytes; at least {OFFER_LEN}",
                value.len()
            ));
        };
        if version == 0 || (version == RESUME_VERSION && value.len() != OFFER_LEN) {
            return bad(format!(
                "an {RESUME_PROPERTY} property of version {version} and {} bytes",
                value.len()
            ));
        }
        let id = |at: usize| -> SessionId {
            let mut s = [0; 16];
            s.copy_from_slice(&value[at..at + 16]);
            s
        };
        let mut count = [0; 8];
        count.copy_from_slice(&value[33..41]);
        let mut window = [0; 4];
        window.copy_from_slice(&value[41..45]);
        let session = id(1);
        if session == [0; 16] {
            return bad(format!("an {RESUME_PROPERTY} property with no session id"));
        }
        let seen = id(17);
        Ok(ResumeOffer {
            session,
            peer_seen: (seen != [0; 16]).then_some(seen),
            received: u64::from_be_bytes(count),
            window: u32::from_be_bytes(window),
        })
    }
}

/// A fresh random session id (never all zeros).
pub fn new_session_id() -> SessionId {
    loop {
        let id: SessionId = rand::random();
        if id != [0; 16] {
            return id;
        }
    }
}

/// One side's record of a peer relationship, kept across its connections
/// (SPEC §3.7): our session id, the peer's, what we took in from it, and
/// what we sent it that it has not acknowledged.
#[derive(Debug)]
pub struct ResumeState {
    /// Our session id for this relationship.
    pub session: SessionId,
    /// The peer's session id, once a connection told it.
    pub peer: Option<SessionId>,
    /// Messages of the peer's session handed to the socket.
    pub received: u64,
    /// The number (counting from 0 in this peer session) of the first
    /// message of `unacked`.
    pub acked: u64,
    /// Sent and not acknowledged, in order: `Bytes` references, never
    /// copies.
    pub unacked: VecDeque<Message>,
    /// Most messages kept unacknowledged: the socket's `sndhwm`
    /// (0: no limit).
    pub window: usize,
}

/// What a new connection did to a relationship (SPEC §3.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResumeOutcome {
    /// The first connection of this relationship.
    Fresh,
    /// The same peer session: `skipped` messages the peer already had were
    /// dropped, `resent` go again.
    Resumed {
        /// Kept messages the peer confirmed it had.
        skipped: u64,
        /// Kept messages sent again, first, in order.
        resent: u64,
    },
    /// A different peer session (the peer restarted, or forgot us):
    /// `unacknowledged` messages may or may not have reached the old one.
    Reset {
        /// Messages sent and never acknowledged.
        unacknowledged: u64,
    },
}

impl ResumeState {
    /// A new relationship, with a fresh session id.
    pub fn new(window: usize) -> ResumeState {
        ResumeState {
            session: new_session_id(),
            peer: None,
            received: 0,
            acked: 0,
            unacked: VecDeque::new(),
            window,
        }
    }

    /// What we offer on a new connection.
    pub fn offer(&self) -> ResumeOffer {
        ResumeOffer {
            session: self.session,
            peer_seen: self.peer,
            received: self.received,
            window: u32::try_from(self.window).unwrap_or(u32::MAX),
        }
    }

    /// Whether the window has room for another message.
    pub fn has_room(&self) -> bool {
        self.window == 0 || self.unacked.len() < self.window
    }

    /// How many more messages the window takes (`usize::MAX`: no limit).
    pub fn room(&self) -> usize {
        if self.window == 0 {
            usize::MAX
        } else {
            self.window.saturating_sub(self.unacked.len())
        }
    }

    /// The peer has taken in `count` messages of ours: drops them.
    /// Returns how many were dropped; a count beyond what was sent is a
    /// protocol error, one behind what was acknowledged is old news.
    pub fn acknowledge(&mut self, count: u64) -> Result<u64, ProtocolError> {
        let sent = self.acked + self.unacked.len() as u64;
        if count > sent {
            return Err(ProtocolError::MalformedCommand(format!(
                "ACK of {count} messages; {sent} were sent"
            )));
        }
        let n = count.saturating_sub(self.acked);
        self.unacked.drain(..n as usize);
        self.acked += n;
        Ok(n)
    }

    /// A connection was made and the peer offered `peer`: resume, start
    /// afresh, or reset (SPEC §3.7). After it, `unacked` holds what must
    /// be sent again, first, unless `resend_on_reset` is false and the
    /// session was reset.
    pub fn on_connect(
        &mut self,
        peer: &ResumeOffer,
        resend_on_reset: bool,
    ) -> Result<ResumeOutcome, ProtocolError> {
        let same = self.peer == Some(peer.session) && peer.peer_seen == Some(self.session);
        if same {
            let before = self.unacked.len() as u64;
            let skipped = self.acknowledge(peer.received)?;
            return Ok(ResumeOutcome::Resumed {
                skipped,
                resent: before - skipped,
            });
        }
        let first = self.peer.is_none() && self.acked == 0 && self.unacked.is_empty();
        self.peer = Some(peer.session);
        self.received = 0;
        self.acked = 0;
        if first {
            return Ok(ResumeOutcome::Fresh);
        }
        let unacknowledged = self.unacked.len() as u64;
        if !resend_on_reset {
            self.unacked.clear();
        }
        Ok(ResumeOutcome::Reset { unacknowledged })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(n: usize) -> ResumeState {
        let mut s = ResumeState::new(100);
        for i in 0..n {
            s.unacked.push_back(Message::from(format!("m{i}")));
        }
        s
    }

    #[test]
    fn offer_round_trips_and_has_a_fixed_layout() {
        let offer = ResumeOffer {
            session: [7; 16],
            peer_seen: None,
            received: 0x0102,
            window: 1000,
        };
        let v = offer.encode();
        assert_eq!(v.len(), OFFER_LEN);
        assert_eq!(v[0], RESUME_VERSION);
        assert_eq!(&v[17..33], &[0; 16]);
        assert_eq!(&v[39..41], &[1, 2]);
        assert_eq!(ResumeOffer::decode(&v), Ok(offer));
        let seen = ResumeOffer {
            peer_seen: Some([9; 16]),
            ..offer
        };
        assert_eq!(ResumeOffer::decode(&seen.encode()), Ok(seen));
    }

    #[test]
    fn bad_offers_are_typed_errors() {
        let good = ResumeOffer {
            session: [1; 16],
            peer_seen: None,
            received: 5,
            window: 0,
        }
        .encode();
        let mut zero_id = good.to_vec();
        zero_id[1..17].fill(0);
        let mut version0 = good.to_vec();
        version0[0] = 0;
        let mut longer = good.to_vec();
        longer.push(0);
        for bad in [&good[..10], &[][..], &zero_id, &version0, &longer] {
            assert!(
                matches!(
                    ResumeOffer::decode(bad),
                    Err(ProtocolError::MalformedMetadata(_))
                ),
                "{bad:?}"
            );
        }
        // A later version may say more.
        let mut v2 = good.to_vec();
        v2[0] = 2;
        v2.extend_from_slice(b"more");
        assert_eq!(ResumeOffer::decode(&v2).map(|o| o.received), Ok(5));
    }

    #[test]
    fn acknowledgements_are_cumulative_and_idempotent() {
        let mut s = state_with(10);
        assert_eq!(s.acknowledge(4), Ok(4));
        assert_eq!(s.acknowledge(4), Ok(0));
        assert_eq!(s.acknowledge(2), Ok(0));
        assert_eq!(s.unacked.front(), Some(&Message::from("m4")));
        assert!(s.acknowledge(11).is_err());
        assert_eq!(s.acknowledge(10), Ok(6));
        assert!(s.unacked.is_empty());
    }

    #[test]
    fn the_window_is_sndhwm() {
        let mut s = state_with(99);
        assert!(s.has_room());
        assert_eq!(s.room(), 1);
        s.unacked.push_back(Message::from("x"));
        assert!(!s.has_room());
        s.window = 0;
        assert!(s.has_room());
        assert_eq!(s.room(), usize::MAX);
    }

    #[test]
    fn resume_drops_what_the_peer_has_and_keeps_the_rest() {
        let mut ours = state_with(0);
        let theirs = ResumeState::new(10);
        assert_eq!(
            ours.on_connect(&theirs.offer(), true),
            Ok(ResumeOutcome::Fresh)
        );
        for i in 0..10 {
            ours.unacked.push_back(Message::from(format!("m{i}")));
        }
        let mut back = theirs.offer();
        back.peer_seen = Some(ours.session);
        back.received = 7;
        assert_eq!(
            ours.on_connect(&back, true),
            Ok(ResumeOutcome::Resumed {
                skipped: 7,
                resent: 3
            })
        );
        assert_eq!(ours.unacked.front(), Some(&Message::from("m7")));
        assert_eq!(ours.acked, 7);
    }

    #[test]
    fn a_new_peer_session_resets_and_renumbers() {
        let mut ours = state_with(0);
        ours.on_connect(&ResumeState::new(10).offer(), true)
            .unwrap();
        ours.received = 42;
        for i in 0..5 {
            ours.unacked.push_back(Message::from(format!("m{i}")));
        }
        let restarted = ResumeState::new(10).offer();
        assert_eq!(
            ours.on_connect(&restarted, true),
            Ok(ResumeOutcome::Reset { unacknowledged: 5 })
        );
        assert_eq!((ours.received, ours.acked, ours.unacked.len()), (0, 0, 5));
        assert_eq!(ours.peer, Some(restarted.session));
        let again = ResumeState::new(10).offer();
        assert_eq!(
            ours.on_connect(&again, false),
            Ok(ResumeOutcome::Reset { unacknowledged: 5 })
        );
        assert!(ours.unacked.is_empty());
    }
}
