//! REQ's envelope and correlation state (RFC 28, SPEC §5.6): the turn
//! (send, then receive), the request envelope, and which reply is the
//! one awaited. Plain data; the socket keeps it under a lock.

use bytes::Bytes;

use crate::error::StateError;
use crate::message::Message;
use crate::routing_id::RoutingId;

/// What REQ's `recv` does with one message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// The reply awaited: its body. The turn goes back to sending.
    Accepted(Message),
    /// From another peer, malformed, or stale: dropped silently.
    Dropped,
}

/// One REQ socket's state machine.
#[derive(Debug)]
pub(crate) struct Requester {
    /// `req_relaxed`: a new request may be sent while a reply is pending.
    relaxed: bool,
    /// `req_correlate`: requests carry an id, and only the reply with the
    /// current one is taken.
    correlate: bool,
    /// The id of the next request (one more per request, from a random
    /// start).
    next_id: u32,
    /// A send is under way: between its check of the turn and its end,
    /// so that two concurrent sends cannot both pass the check.
    sending: Option<u32>,
    /// The request out: the peer it went to and its id.
    waiting: Option<(RoutingId, u32)>,
}

impl Requester {
    /// A requester whose first request id is `first_id`.
    pub(crate) fn new(relaxed: bool, correlate: bool, first_id: u32) -> Requester {
        Requester {
            relaxed,
            correlate,
            next_id: first_id,
            sending: None,
            waiting: None,
        }
    }

    /// Starts a send: checks the turn and takes the next request id.
    pub(crate) fn begin_send(&mut self) -> Result<(), StateError> {
        if self.sending.is_some() {
            return Err(StateError::SendInProgress);
        }
        if self.waiting.is_some() && !self.relaxed {
            return Err(StateError::ReplyPending);
        }
        self.sending = Some(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        Ok(())
    }

    /// The request for `body`, as it goes on the wire: `[empty][body...]`,
    /// or with `req_correlate` `[id (4 bytes, big-endian)][empty][body...]`.
    pub(crate) fn envelope(&self, body: Message) -> Message {
        let mut frames = Vec::with_capacity(body.len() + 2);
        if self.correlate {
            let id = self.sending.unwrap_or(self.next_id);
            frames.push(Bytes::copy_from_slice(&id.to_be_bytes()));
        }
        frames.push(Bytes::new());
        if body.is_empty() {
            // A body of no frames is one empty frame (SPEC §5.1).
            frames.push(Bytes::new());
        }
        frames.extend(body.into_frames());
        Message::from_frames(frames)
    }

    /// The body of a request made by [`envelope`](Self::envelope), for a
    /// send that failed and hands its message back.
    pub(crate) fn strip(&self, request: Message) -> Message {
        let skip = if self.correlate { 2 } else { 1 };
        Message::from_frames(request.into_frames().split_off(skip))
    }

    /// The send under way went to `peer`: the turn is the reply's.
    pub(crate) fn sent(&mut self, peer: RoutingId) {
        if let Some(id) = self.sending.take() {
            self.waiting = Some((peer, id));
        }
    }

    /// The send under way ended without sending (failed, or dropped):
    /// the turn is unchanged.
    pub(crate) fn end_send(&mut self) {
        self.sending = None;
    }

    /// Whether a receive may start: a request must be out.
    pub(crate) fn check_recv(&self) -> Result<(), StateError> {
        match self.waiting {
            Some(_) => Ok(()),
            None => Err(StateError::NoRequest),
        }
    }

    /// Judges one message from `from` (SPEC §5.6).
    pub(crate) fn judge(&mut self, from: RoutingId, msg: Message) -> Result<Reply, StateError> {
        let (peer, id) = self.waiting.ok_or(StateError::NoRequest)?;
        if from != peer {
            return Ok(Reply::Dropped);
        }
        let properties = msg.properties().cloned();
        let mut frames = msg.into_frames().into_iter();
        if self.correlate && frames.next().is_none_or(|f| f.as_ref() != id.to_be_bytes()) {
            return Ok(Reply::Dropped);
        }
        if frames.next().is_none_or(|delimiter| !delimiter.is_empty()) {
            return Ok(Reply::Dropped);
        }
        let body: Vec<Bytes> = frames.collect();
        if body.is_empty() {
            return Ok(Reply::Dropped);
        }
        self.waiting = None;
        Ok(Reply::Accepted(
            Message::from_frames(body).with_properties(properties),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> RoutingId {
        RoutingId::new(n).unwrap()
    }

    fn b(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[test]
    fn strict_alternation() {
        let mut r = Requester::new(false, false, 7);
        assert_eq!(r.check_recv(), Err(StateError::NoRequest));
        r.begin_send().unwrap();
        assert_eq!(r.begin_send(), Err(StateError::SendInProgress));
        let req = r.envelope(Message::from("q"));
        assert_eq!(req.frames(), &[b(""), b("q")]);
        r.sent(id(1));
        assert_eq!(r.begin_send(), Err(StateError::ReplyPending));
        r.check_recv().unwrap();
        let reply = Message::from_frames(vec![b(""), b("a")]);
        assert_eq!(r.judge(id(1), reply), Ok(Reply::Accepted("a".into())));
        assert_eq!(r.check_recv(), Err(StateError::NoRequest));
        r.begin_send().unwrap();
    }

    #[test]
    fn a_failed_send_leaves_the_turn_and_gives_the_body_back() {
        let mut r = Requester::new(false, true, 1);
        r.begin_send().unwrap();
        let body = Message::from_frames(vec![b("x"), b("y")]);
        let req = r.envelope(body.clone());
        assert_eq!(req.len(), 4);
        assert_eq!(r.strip(req), body);
        r.end_send();
        assert_eq!(r.check_recv(), Err(StateError::NoRequest));
        r.begin_send().unwrap();
        let empty = r.envelope(Message::new());
        assert_eq!(empty.len(), 3, "an empty body is one empty frame");
    }

    #[test]
    fn replies_from_others_malformed_or_stale_are_dropped() {
        let mut r = Requester::new(true, true, 0x0102_0304);
        r.begin_send().unwrap();
        assert_eq!(
            r.envelope(Message::from("q")).first(),
            &b"\x01\x02\x03\x04"[..]
        );
        r.sent(id(5));
        let good = |rid: &'static [u8]| {
            Message::from_frames(vec![Bytes::from_static(rid), b(""), b("ok")])
        };
        assert_eq!(
            r.judge(id(6), good(b"\x01\x02\x03\x04")),
            Ok(Reply::Dropped)
        );
        assert_eq!(
            r.judge(id(5), good(b"\x00\x00\x00\x00")),
            Ok(Reply::Dropped)
        );
        let no_delimiter = Message::from_frames(vec![b("\x01\x02\x03\x04"), b("ok")]);
        assert_eq!(r.judge(id(5), no_delimiter), Ok(Reply::Dropped));
        let no_body = Message::from_frames(vec![b("\x01\x02\x03\x04"), b("")]);
        assert_eq!(r.judge(id(5), no_body), Ok(Reply::Dropped));
        // Relaxed: a second request replaces the first; its reply only.
        r.begin_send().unwrap();
        r.sent(id(5));
        assert_eq!(
            r.judge(id(5), good(b"\x01\x02\x03\x04")),
            Ok(Reply::Dropped)
        );
        assert_eq!(
            r.judge(id(5), good(b"\x01\x02\x03\x05")),
            Ok(Reply::Accepted("ok".into()))
        );
    }
}
