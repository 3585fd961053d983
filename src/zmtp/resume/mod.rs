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

use bytes::{BufMut, Bytes, BytesMut};

use super::error::ProtocolError;

mod window;

pub use window::{wire_len, Window};

/// The READY property under which an oxmq peer offers resumption
/// (SPEC §3.7). Not an `X-` name: those are the applications' (RFC 37).
pub const RESUME_PROPERTY: &str = "OxMQ-Resume";

/// The version of the property's layout this code speaks.
pub const RESUME_VERSION: u8 = 1;

/// Length of the property's value: version, two session ids, the count,
/// the window in messages and in bytes.
const OFFER_LEN: usize = 1 + 16 + 16 + 8 + 4 + 4;

/// The window's size in bytes (SPEC §3.7): small messages may be kept
/// unacknowledged beyond `sndhwm` while they take no more than this.
pub const WINDOW_BYTES: usize = 4 * 1024 * 1024;

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
    /// How many messages it may have unacknowledged beyond the byte
    /// window (0: no limit).
    pub window: u32,
    /// How many bytes of messages it may have unacknowledged beyond the
    /// message window. The receiver acknowledges once it has taken in
    /// half of both.
    pub window_bytes: u32,
}

impl ResumeOffer {
    /// The property value: version (1 byte), session id, peer session
    /// seen (16 bytes each), received count (u64), window in messages and
    /// in bytes (u32 each), all big-endian.
    pub fn encode(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(OFFER_LEN);
        b.put_u8(RESUME_VERSION);
        b.put_slice(&self.session);
        b.put_slice(&self.peer_seen.unwrap_or_default());
        b.put_u64(self.received);
        b.put_u32(self.window);
        b.put_u32(self.window_bytes);
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
        let u32_at = |at: usize| {
            let mut w = [0; 4];
            w.copy_from_slice(&value[at..at + 4]);
            u32::from_be_bytes(w)
        };
        let session = id(1);
        if session == [0; 16] {
            return bad(format!("an {RESUME_PROPERTY} property with no session id"));
        }
        let seen = id(17);
        Ok(ResumeOffer {
            session,
            peer_seen: (seen != [0; 16]).then_some(seen),
            received: u64::from_be_bytes(count),
            window: u32_at(41),
            window_bytes: u32_at(45),
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
    /// Sent and not acknowledged, in order, as the bytes that went on the
    /// wire: references to the write buffer's chunks, never copies.
    pub unacked: Window,
    /// Most messages kept unacknowledged: the socket's `sndhwm`
    /// (0: no limit) ...
    pub window: usize,
    /// ... unless they take fewer bytes than this.
    pub window_bytes: usize,
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
            unacked: Window::new(),
            window,
            window_bytes: WINDOW_BYTES,
        }
    }

    /// What we offer on a new connection.
    pub fn offer(&self) -> ResumeOffer {
        ResumeOffer {
            session: self.session,
            peer_seen: self.peer,
            received: self.received,
            window: u32::try_from(self.window).unwrap_or(u32::MAX),
            window_bytes: u32::try_from(self.window_bytes).unwrap_or(u32::MAX),
        }
    }

    /// Whether the window has room for another message: fewer than
    /// `window` messages, or fewer than `window_bytes` bytes, are kept.
    pub fn has_room(&self) -> bool {
        self.window == 0
            || self.unacked.len() < self.window
            || self.unacked.bytes() < self.window_bytes as u64
    }

    /// How many more messages the window takes (`usize::MAX`: no limit).
    /// Beyond `window` messages, as many more as the bytes left would
    /// hold at the kept messages' mean size.
    pub fn room(&self) -> usize {
        let kept = self.unacked.len();
        if self.window == 0 {
            usize::MAX
        } else if kept < self.window {
            self.window - kept
        } else {
            let bytes = self.unacked.bytes();
            let left = (self.window_bytes as u64).saturating_sub(bytes);
            let mean = (bytes / kept.max(1) as u64).max(1);
            usize::try_from(left.div_ceil(mean)).unwrap_or(usize::MAX)
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
        self.unacked.drop_front(n as usize);
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
    use crate::message::Message;

    fn state_with(n: usize) -> ResumeState {
        let mut s = ResumeState::new(100);
        for i in 0..n {
            s.unacked.push(&Message::from(format!("m{i}")));
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
            window_bytes: 0x0a0b_0c0d,
        };
        let v = offer.encode();
        assert_eq!(v.len(), OFFER_LEN);
        assert_eq!(v[0], RESUME_VERSION);
        assert_eq!(&v[17..33], &[0; 16]);
        assert_eq!(&v[39..41], &[1, 2]);
        assert_eq!(&v[41..45], &1000u32.to_be_bytes());
        assert_eq!(&v[45..49], &[0x0a, 0x0b, 0x0c, 0x0d]);
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
            window_bytes: 0,
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
        assert_eq!(s.unacked.messages().front(), Some(&Message::from("m4")));
        assert!(s.acknowledge(11).is_err());
        assert_eq!(s.acknowledge(10), Ok(6));
        assert!(s.unacked.is_empty());
    }

    #[test]
    fn the_window_is_sndhwm_messages_or_window_bytes() {
        // 99 of 100 messages ("m0" to "m98": 4 or 5 bytes on the wire
        // with their headers), and 1 KiB.
        let mut s = state_with(99);
        s.window_bytes = 1024;
        assert_eq!(s.unacked.bytes(), 10 * 4 + 89 * 5);
        assert!(s.has_room());
        assert_eq!(s.room(), 1);
        s.unacked.push(&Message::from("x"));
        // At sndhwm, small messages go on while they take less than
        // window_bytes: as many as the bytes left hold at their mean size.
        assert!(s.has_room());
        assert_eq!(s.unacked.bytes(), 488);
        assert_eq!(s.room(), (1024 - 488usize).div_ceil(488 / 100));
        while s.unacked.bytes() < 1024 {
            s.unacked.push(&Message::from("yy"));
        }
        assert!(!s.has_room());
        assert_eq!(s.room(), 0);
        // Acknowledged, room comes back.
        s.acknowledge(1).unwrap();
        assert!(s.unacked.bytes() < 1024 && s.has_room());
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
            ours.unacked.push(&Message::from(format!("m{i}")));
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
        assert_eq!(ours.unacked.messages().front(), Some(&Message::from("m7")));
        assert_eq!(ours.acked, 7);
    }

    #[test]
    fn a_new_peer_session_resets_and_renumbers() {
        let mut ours = state_with(0);
        ours.on_connect(&ResumeState::new(10).offer(), true)
            .unwrap();
        ours.received = 42;
        for i in 0..5 {
            ours.unacked.push(&Message::from(format!("m{i}")));
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
