//! The session's part in resumption (SPEC §3.7): offering it in the
//! handshake, then, once both sides have, keeping what is sent until the
//! peer acknowledges it, and acknowledging what is taken in.
//!
//! Acknowledgements go out when half the peer's window is unacknowledged,
//! `ACK_DELAY` after the first unacknowledged message, or with whatever
//! else is written next. Their count is what was handed to the socket
//! (decoded and no longer in the session's queue), so nothing the peer
//! drops because of an ACK can be lost with this connection.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::types::{Resume, SessionEvent};
use crate::message::Message;
use crate::zmtp::command::Command;
use crate::zmtp::error::ProtocolError;
use crate::zmtp::handshake::{Handshake, PeerInfo, ResumeRole};
use crate::zmtp::resume::{ResumeOffer, ResumeOutcome, ResumeState, Window, RESUME_PROPERTY};
use crate::zmtp::transform::Transform;

use super::outbound::Outbound;

/// The longest an acknowledgement waits for company (SPEC §3.7).
pub(super) const ACK_DELAY: Duration = Duration::from_millis(5);

/// Acknowledge at least by this many bytes, however large the peer's
/// byte window: its window then stays far from full.
const ACK_BYTES: u64 = 256 * 1024;

/// Acknowledge by this many when the peer's window is unlimited.
const UNLIMITED_HALF: u64 = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Off,
    Connect,
    Accept,
}

/// See the module documentation.
#[derive(Debug)]
pub(super) struct Link {
    role: Role,
    /// The relationship's record: the connecting side's from the start,
    /// the accepting side's once the driver found it.
    state: Option<ResumeState>,
    /// The accepting side: the peer's offer, until the record is given.
    pending: Option<ResumeOffer>,
    /// Both sides offered: acknowledgements flow.
    active: bool,
    /// Acknowledge by this many messages ...
    half: u64,
    /// ... once they take this many bytes.
    half_bytes: u64,
    /// Bytes of the messages decoded on this connection.
    decoded_bytes: u64,
    /// `decoded_bytes` when our last ACK went.
    acked_bytes: u64,
    /// `state.received` when this connection began.
    base: u64,
    /// Messages decoded on this connection.
    decoded: u64,
    /// The count in our last ACK (or in our READY).
    acked_sent: u64,
    /// When an ACK is due at the latest.
    ack_timer: Option<Instant>,
    /// Half the window is unacknowledged: acknowledge at the next write.
    ack_now: bool,
    /// An ACK freed room in a full window.
    window_opened: bool,
    acks_sent: u64,
    acks_received: u64,
    /// The peer said BYE: its session ends with this connection.
    farewell: bool,
}

impl Link {
    /// Sets the handshake's offer as `resume` asks.
    pub(super) fn new(resume: Resume, hs: &mut Handshake) -> Link {
        let (role, state) = match resume {
            Resume::Off => (Role::Off, None),
            Resume::Connect(state) => {
                hs.set_resume(ResumeRole::Offer(state.offer().encode()));
                (Role::Connect, Some(state))
            }
            Resume::Accept => match hs.set_resume(ResumeRole::Accept) {
                ResumeRole::Accept => (Role::Accept, None),
                _ => (Role::Off, None),
            },
        };
        Link {
            role,
            state,
            pending: None,
            active: false,
            half: UNLIMITED_HALF,
            half_bytes: 0,
            decoded_bytes: 0,
            acked_bytes: 0,
            base: 0,
            decoded: 0,
            acked_sent: 0,
            ack_timer: None,
            ack_now: false,
            window_opened: false,
            acks_sent: 0,
            acks_received: 0,
            farewell: false,
        }
    }

    pub(super) fn is_active(&self) -> bool {
        self.active
    }

    pub(super) fn pending_offer(&self) -> Option<&ResumeOffer> {
        self.pending.as_ref()
    }

    pub(super) fn await_lookup(&mut self, offer: ResumeOffer) {
        self.pending = Some(offer);
    }

    /// Both sides offered: `state` is the relationship's record after
    /// `outcome`, and `peer` the peer's offer.
    pub(super) fn activate(
        &mut self,
        state: ResumeState,
        outcome: ResumeOutcome,
        peer: ResumeOffer,
        events: &mut VecDeque<SessionEvent>,
    ) {
        self.pending = None;
        self.active = true;
        self.half = match peer.window {
            0 => UNLIMITED_HALF,
            w => u64::from(w / 2).max(1),
        };
        self.half_bytes = u64::from(peer.window_bytes / 2).min(ACK_BYTES);
        self.decoded_bytes = 0;
        self.acked_bytes = 0;
        self.base = state.received;
        self.acked_sent = state.received;
        self.decoded = 0;
        self.state = Some(state);
        events.push_back(SessionEvent::Resumed(outcome));
    }

    /// The connecting side's handshake is done: resumes if the peer
    /// offered too. Returns what must still be sent first when it did
    /// not (messages the previous peer session never acknowledged, unless
    /// `resend_on_reset` is false).
    pub(super) fn on_peer_ready(
        &mut self,
        info: &PeerInfo,
        resend_on_reset: bool,
        events: &mut VecDeque<SessionEvent>,
    ) -> Result<VecDeque<Message>, ProtocolError> {
        if self.role != Role::Connect {
            return Ok(VecDeque::new());
        }
        let Some(mut state) = self.state.take() else {
            return Ok(VecDeque::new());
        };
        if let Some(value) = info.metadata.get(RESUME_PROPERTY) {
            // A bad offer ends the connection; the record stays whole (no
            // message is lost with it), for the next one.
            let resumed = ResumeOffer::decode(value)
                .and_then(|o| Ok((o, state.on_connect(&o, resend_on_reset)?)));
            return match resumed {
                Ok((offer, outcome)) => {
                    self.activate(state, outcome, offer, events);
                    Ok(VecDeque::new())
                }
                Err(e) => {
                    self.state = Some(state);
                    Err(e)
                }
            };
        }
        // A peer that does not resume (another library, or resumption
        // switched off): what the last one did not acknowledge is sent
        // as a plain message, and the relationship starts again.
        let mut first = VecDeque::new();
        if state.peer.is_some() || !state.unacked.is_empty() {
            let unacknowledged = state.unacked.len() as u64;
            if resend_on_reset {
                first = state.unacked.messages();
            }
            state.unacked.clear();
            state.peer = None;
            state.received = 0;
            state.acked = 0;
            events.push_back(SessionEvent::Resumed(ResumeOutcome::Reset {
                unacknowledged,
            }));
        }
        self.state = Some(state);
        Ok(first)
    }

    /// What must be sent again, in order, as the bytes that went before
    /// (they stay unacknowledged).
    pub(super) fn resend(&self) -> Vec<Bytes> {
        self.state
            .as_ref()
            .map(|s| s.unacked.resend())
            .unwrap_or_default()
    }

    /// The window that keeps what is sent, while both sides resume.
    #[inline]
    pub(super) fn window(&mut self) -> Option<&mut Window> {
        match (&mut self.state, self.active) {
            (Some(s), true) => Some(&mut s.unacked),
            _ => None,
        }
    }

    /// The peer's ACK.
    pub(super) fn acknowledged(&mut self, count: u64) -> Result<(), ProtocolError> {
        let Some(s) = &mut self.state else {
            return Ok(());
        };
        let was_full = !s.has_room();
        let n = s.acknowledge(count)?;
        self.acks_received += 1;
        if was_full && n > 0 {
            self.window_opened = true;
        }
        Ok(())
    }

    /// A message of `bytes` on the wire was decoded at `now`.
    #[inline]
    pub(super) fn decoded(&mut self, now: Instant, bytes: u64) {
        self.decoded += 1;
        self.decoded_bytes += bytes;
        if self.active {
            if self.ack_timer.is_none() {
                self.ack_timer = Some(now + ACK_DELAY);
            }
            if self.half_due() {
                self.ack_now = true;
            }
        }
    }

    /// Whether half the peer's window waits for an ACK: half its messages
    /// and half its bytes.
    fn half_due(&self) -> bool {
        self.base + self.decoded - self.acked_sent >= self.half
            && self.decoded_bytes - self.acked_bytes >= self.half_bytes
    }

    /// Messages of the peer's session decoded in all: the record's count
    /// before this connection, and this connection's.
    pub(super) fn decoded_total(&self) -> u64 {
        self.base + self.decoded
    }

    /// Whether an ACK should go out now, `delivered` messages having been
    /// handed over.
    pub(super) fn ack_due(&self, delivered: u64) -> bool {
        self.active && self.ack_now && delivered > self.acked_sent
    }

    /// Before a write: an ACK rides along if anything new was handed over
    /// and either other bytes go out anyway or half the window waits.
    pub(super) fn before_transmit(
        &mut self,
        delivered: u64,
        outbound: &mut Outbound,
        transform: &mut Transform,
    ) {
        if delivered > self.acked_sent && (self.ack_now || !outbound.is_empty()) {
            self.send_ack(delivered, outbound, transform);
        }
    }

    /// The ACK timer: acknowledges what was handed over, and runs again
    /// while decoded messages wait to be.
    pub(super) fn on_timeout(
        &mut self,
        now: Instant,
        delivered: u64,
        outbound: &mut Outbound,
        transform: &mut Transform,
    ) {
        if !self.active || self.ack_timer.is_none_or(|t| now < t) {
            return;
        }
        if delivered > self.acked_sent {
            self.send_ack(delivered, outbound, transform);
        }
        self.ack_timer = (self.decoded_total() > self.acked_sent).then(|| now + ACK_DELAY);
    }

    fn send_ack(&mut self, delivered: u64, outbound: &mut Outbound, transform: &mut Transform) {
        outbound.command(&Command::Ack(delivered), transform);
        self.acked_sent = delivered;
        // Bytes are counted as decoded, not as handed over: a few more
        // than the count covers, which only makes the next ACK later.
        self.acked_bytes = self.decoded_bytes;
        self.acks_sent += 1;
        self.ack_now = self.half_due();
        // The timer is left to run out even when everything is
        // acknowledged now: re-arming it for every message would wake the
        // driver's timer each time (request/reply); run out, it looks once.
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
        self.ack_timer.filter(|_| self.active)
    }

    pub(super) fn room(&self) -> usize {
        match (&self.state, self.active) {
            (Some(s), true) => s.room(),
            _ => usize::MAX,
        }
    }

    pub(super) fn unacknowledged(&self) -> usize {
        match (&self.state, self.active) {
            (Some(s), true) => s.unacked.len(),
            _ => 0,
        }
    }

    /// The peer's BYE.
    pub(super) fn farewell(&mut self) {
        self.farewell = true;
    }

    /// A record given back after a failed resumption, unchanged.
    pub(super) fn restore(&mut self, state: ResumeState) {
        self.pending = None;
        self.state = Some(state);
    }

    /// Queues our BYE (our socket closes or leaves the peer), once.
    pub(super) fn say_bye(&mut self, outbound: &mut Outbound, transform: &mut Transform) {
        if self.active && !self.farewell {
            outbound.command(&Command::Bye, transform);
            self.farewell = true;
        }
    }

    pub(super) fn take_window_opened(&mut self) -> bool {
        std::mem::take(&mut self.window_opened)
    }

    pub(super) fn ack_counts(&self) -> (u64, u64) {
        (self.acks_sent, self.acks_received)
    }

    /// The record back at the end, with `delivered` as its count when the
    /// connection resumed.
    /// After a BYE either way, the accepting side keeps nothing: the
    /// session is over.
    pub(super) fn take_state(&mut self, delivered: u64) -> Option<ResumeState> {
        if self.farewell && self.role == Role::Accept {
            self.state = None;
            return None;
        }
        let mut state = self.state.take()?;
        if self.active {
            state.received = delivered;
            self.active = false;
        }
        Some(state)
    }
}
