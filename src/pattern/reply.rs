//! REP's envelope state (RFC 28, SPEC §5.6): the turn (receive, then
//! reply), and the envelope and sender of the request being answered.

use bytes::Bytes;

use crate::error::StateError;
use crate::message::Message;
use crate::routing_id::RoutingId;

#[derive(Debug)]
enum Phase {
    /// Ready to receive a request.
    Idle,
    /// A receive is in progress.
    Receiving,
    /// A request was received; the reply goes to `peer` behind `envelope`.
    Replying {
        peer: RoutingId,
        envelope: Vec<Bytes>,
    },
}

/// One REP socket's state machine.
#[derive(Debug)]
pub(crate) struct Replier {
    phase: Phase,
}

impl Default for Replier {
    fn default() -> Self {
        Replier { phase: Phase::Idle }
    }
}

/// Splits a request into its envelope (every frame up to and including
/// the first empty one) and its body; `None` if it has no delimiter or
/// nothing after it.
fn split(msg: Message) -> Option<(Vec<Bytes>, Vec<Bytes>)> {
    let mut frames = msg.into_frames();
    let delimiter = frames.iter().position(Bytes::is_empty)?;
    if delimiter + 1 == frames.len() {
        return None;
    }
    let body = frames.split_off(delimiter + 1);
    Some((frames, body))
}

impl Replier {
    /// Starts a receive.
    pub(crate) fn begin_recv(&mut self) -> Result<(), StateError> {
        match self.phase {
            Phase::Idle => {
                self.phase = Phase::Receiving;
                Ok(())
            }
            Phase::Receiving => Err(StateError::RecvInProgress),
            Phase::Replying { .. } => Err(StateError::Unanswered),
        }
    }

    /// Judges one message during a receive: the request's body (the turn
    /// is then the reply's), or `None` for a malformed request, dropped.
    pub(crate) fn judge(&mut self, peer: RoutingId, msg: Message) -> Option<Message> {
        let properties = msg.properties().cloned();
        let (envelope, body) = split(msg)?;
        self.phase = Phase::Replying { peer, envelope };
        Some(Message::from_frames(body).with_properties(properties))
    }

    /// A receive ended; without a request (error, timeout, dropped call)
    /// the turn is the receive's again.
    pub(crate) fn end_recv(&mut self) {
        if matches!(self.phase, Phase::Receiving) {
            self.phase = Phase::Idle;
        }
    }

    /// Takes the reply's destination and puts the envelope back in front
    /// of `body`: the peer, the reply, and the envelope's length in frames.
    /// The turn is the receive's again. Without a request to answer,
    /// `body` comes back.
    pub(crate) fn reply(
        &mut self,
        body: Message,
    ) -> Result<(RoutingId, Message, usize), (StateError, Message)> {
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Replying { peer, mut envelope } => {
                let len = envelope.len();
                if body.is_empty() {
                    // A body of no frames is one empty frame (SPEC §5.1).
                    envelope.push(Bytes::new());
                }
                envelope.extend(body.into_frames());
                Ok((peer, Message::from_frames(envelope), len))
            }
            other => {
                self.phase = other;
                Err((StateError::NothingToAnswer, body))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[test]
    fn receive_then_reply_with_the_envelope() {
        let mut r = Replier::default();
        let peer = RoutingId::new(3).unwrap();
        assert_eq!(
            r.reply("x".into()),
            Err((StateError::NothingToAnswer, "x".into()))
        );
        r.begin_recv().unwrap();
        assert_eq!(r.begin_recv(), Err(StateError::RecvInProgress));
        let request = Message::from_frames(vec![b("hop"), b(""), b("q1"), b("q2")]);
        let body = r.judge(peer, request).unwrap();
        assert_eq!(body.frames(), &[b("q1"), b("q2")]);
        r.end_recv();
        assert_eq!(r.begin_recv(), Err(StateError::Unanswered));
        let (to, reply, envelope) = r.reply("a".into()).unwrap();
        assert_eq!((to, envelope), (peer, 2));
        assert_eq!(reply.frames(), &[b("hop"), b(""), b("a")]);
        r.begin_recv().unwrap();
    }

    #[test]
    fn malformed_requests_are_dropped_and_a_failed_receive_resets() {
        let mut r = Replier::default();
        let peer = RoutingId::new(1).unwrap();
        r.begin_recv().unwrap();
        assert_eq!(r.judge(peer, Message::from("no delimiter")), None);
        let nothing_after = Message::from_frames(vec![b("hop"), b("")]);
        assert_eq!(r.judge(peer, nothing_after), None);
        r.end_recv();
        r.begin_recv().unwrap();
    }
}
