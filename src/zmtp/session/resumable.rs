//! The session's side of resumption (SPEC §3.7) as the driver sees it:
//! the accepting side's lookup, the window, the acknowledgement counts,
//! and the relationship's record taken back at the end.

use std::time::Instant;

use super::types::SessionEnd;
use super::{Phase, Session};
use crate::zmtp::resume::{ResumeOffer, ResumeState};

impl Session {
    /// The peer's resumption offer, while the handshake waits for
    /// [`handle_resume`](Self::handle_resume).
    pub fn resume_offer(&self) -> Option<&ResumeOffer> {
        self.link.pending_offer()
    }

    /// The record of the relationship the peer's offer names
    /// ([`SessionEvent::ResumeLookup`]): our READY goes out, the session
    /// is established (SPEC §3.7). Ignored unless a lookup is awaited.
    pub fn handle_resume(&mut self, now: Instant, state: ResumeState) {
        let Phase::Handshake(hs) = &mut self.phase else {
            return;
        };
        let Some(offer) = self.link.pending_offer().copied() else {
            return;
        };
        if self.end.is_some() {
            return;
        }
        let mut state = state;
        let outcome = match state.on_connect(&offer, self.config.resend_on_reset) {
            Ok(o) => o,
            Err(e) => {
                // The record stays whole, for the driver to keep.
                self.link.restore(state);
                return self.fail(SessionEnd::Protocol(e));
            }
        };
        let value = state.offer().encode();
        let mut status = None;
        self.outbound
            .raw(|out| status = Some(hs.send_ready(Some(value), out)));
        self.link.activate(state, outcome, offer, &mut self.events);
        if self.after_handshake_step(status, now) {
            self.decode_established(now);
        }
    }

    /// Whether both sides offered resumption on this connection.
    pub fn is_resumable(&self) -> bool {
        self.link.is_active()
    }

    /// How many more messages may be offered with
    /// [`send_message`](Self::send_message) before the window of
    /// unacknowledged ones is full (SPEC §3.7); `usize::MAX` without
    /// resumption.
    pub fn send_room(&self) -> usize {
        self.link.room().saturating_sub(self.waiting.len())
    }

    /// Messages sent and not yet acknowledged (0 without resumption).
    pub fn unacknowledged(&self) -> usize {
        self.link.unacknowledged()
    }

    /// Whether an acknowledgement freed room in a full window since the
    /// last call: a driver that stopped offering messages goes on.
    pub fn take_window_opened(&mut self) -> bool {
        self.link.take_window_opened()
    }

    /// The acknowledgement counters of this connection so far: ACKs sent
    /// and received.
    pub fn ack_counts(&self) -> (u64, u64) {
        self.link.ack_counts()
    }

    /// Takes the relationship's record back at the end of the connection
    /// (SPEC §3.7), its count of messages received being what was handed
    /// over ([`messages`](Self::messages) no longer holds them). `None`
    /// when the connection did not resume.
    pub fn take_resume(&mut self) -> Option<ResumeState> {
        // The bytes encoded and not yet sealed belong to the window too.
        self.outbound.seal(self.link.window());
        let delivered = self.delivered();
        self.link.take_state(delivered)
    }

    /// Our socket is closing, or leaving this peer: when the session
    /// resumes, BYE is queued, so the peer ends the session too rather
    /// than keep it for a reconnection (SPEC §3.7).
    pub fn say_bye(&mut self) {
        if self.end.is_none() {
            self.link.say_bye(&mut self.outbound, &mut self.transform);
        }
    }
}
