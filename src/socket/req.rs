//! REQ (RFC 28, SPEC §5.6).

use crate::driver::core::receive::Verdict;
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;
use bytes::Bytes;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

#[derive(Default)]
struct ReqState {
    /// A send is under way (set between the state check and the end of
    /// the send, so two concurrent sends cannot both pass the check).
    sending: bool,
    /// The request out: the peer it went to and its request id.
    waiting: Option<(RoutingId, u32)>,
}

/// A REQ socket (RFC 28, SPEC §5.6): sends requests round-robin to REP or
/// ROUTER peers and receives their replies, strictly alternating: `send`,
/// then `recv`, then `send`... A call out of turn fails with
/// [`Error::State`]. Each request goes out as `[empty][body...]` (with
/// `req_correlate`: `[request id][empty][body...]`); `recv` returns only
/// the body of the reply from the peer the last request went to, and
/// silently drops anything else. With `req_relaxed`, a new request may be
/// sent while a reply is pending; the old reply is then ignored (with one
/// peer, only `req_correlate` can tell it apart). Sends wait while no peer
/// has room. `Send + Sync`, but the alternation is the socket's, not a
/// thread's: a second `send` (or `recv`) while one is in progress fails
/// with `State`.
///
/// ```
/// # use oxmq::{Rep, Req};
/// let rep = Rep::new();
/// let ep = rep.bind("inproc://doc-req").unwrap();
/// let req = Req::new();
/// req.connect(&ep).unwrap();
/// req.blocking_send("ping").unwrap();
/// assert_eq!(rep.blocking_recv().unwrap(), Message::from("ping"));
/// rep.blocking_send("pong").unwrap();
/// assert_eq!(req.blocking_recv().unwrap(), Message::from("pong"));
/// # use oxmq::Message;
/// ```
pub struct Req {
    base: SocketBase,
    state: Mutex<ReqState>,
    next_request_id: AtomicU32,
}

socket_common!(Req, SocketType::Req, custom_constructor);

/// Clears `sending` when a send ends, however it ends (cancel-safety).
struct SendingGuard<'a>(&'a Mutex<ReqState>);

impl Drop for SendingGuard<'_> {
    fn drop(&mut self) {
        lock(self.0).sending = false;
    }
}

impl Req {
    /// Creates the socket with the given options (SPEC §7): `req_relaxed`
    /// and `req_correlate` apply (SPEC §5.6).
    pub fn with_options(options: crate::options::SocketOptions) -> Self {
        Req {
            base: SocketBase::new(SocketType::Req, options),
            state: Mutex::new(ReqState::default()),
            next_request_id: AtomicU32::new(rand::random()),
        }
    }

    /// Checks the turn and marks a send in progress; builds the request.
    fn begin_send(&self, body: Message) -> Result<(SendingGuard<'_>, Message, u32)> {
        {
            let mut st = lock(&self.state);
            if st.sending {
                return Err(Error::State("REQ: another send is in progress"));
            }
            if st.waiting.is_some() && !self.base.core.options.req_relaxed {
                return Err(Error::State(
                    "REQ: a request is already out; receive its reply first",
                ));
            }
            st.sending = true;
        }
        let guard = SendingGuard(&self.state);
        let request_id = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        let mut frames = Vec::with_capacity(body.len() + 2);
        if self.base.core.options.req_correlate {
            frames.push(Bytes::copy_from_slice(&request_id.to_be_bytes()));
        }
        frames.push(Bytes::new());
        frames.extend(body.into_frames());
        Ok((guard, Message::from_frames(frames), request_id))
    }

    fn sent(&self, guard: SendingGuard<'_>, peer: RoutingId, request_id: u32) {
        lock(&self.state).waiting = Some((peer, request_id));
        drop(guard);
    }

    /// Sends a request (one or more frames) to the next peer with room,
    /// waiting while none has (SPEC §5.6). Cancel-safe: if the future is
    /// dropped, nothing was sent and the turn is unchanged. Errors:
    /// [`Error::State`] (a reply is pending and `req_relaxed` is off, or
    /// another send is in progress), [`Error::Closed`].
    pub async fn send(&self, body: impl Into<Message>) -> Result<()> {
        let (guard, msg, request_id) = self.begin_send(body.into())?;
        let chosen = AtomicU32::new(0);
        self.base
            .core
            .send_with(msg, |c, m| {
                c.try_send_balanced_to(m).map(|id| {
                    chosen.store(id.get(), Ordering::Relaxed);
                })
            })
            .await
            .map_err(|(e, _)| e)?;
        self.finish_send(guard, &chosen, request_id)
    }

    /// Sends without waiting: [`Error::WouldBlock`] when no peer has room
    /// (the turn is unchanged).
    pub fn try_send(&self, body: impl Into<Message>) -> Result<()> {
        let (guard, msg, request_id) = self.begin_send(body.into())?;
        let peer = self
            .base
            .core
            .try_send_balanced_to(msg)
            .map_err(|(e, _)| e)?;
        self.sent(guard, peer, request_id);
        Ok(())
    }

    /// Blocking form of [`send`](Self::send), waiting at most `sndtimeo`.
    pub fn blocking_send(&self, body: impl Into<Message>) -> Result<()> {
        let (guard, msg, request_id) = self.begin_send(body.into())?;
        let chosen = AtomicU32::new(0);
        self.base
            .core
            .blocking_send_with(msg, |c, m| {
                c.try_send_balanced_to(m).map(|id| {
                    chosen.store(id.get(), Ordering::Relaxed);
                })
            })
            .map_err(|(e, _)| e)?;
        self.finish_send(guard, &chosen, request_id)
    }

    fn finish_send(&self, guard: SendingGuard<'_>, chosen: &AtomicU32, id: u32) -> Result<()> {
        match RoutingId::new(chosen.load(Ordering::Relaxed)) {
            Some(peer) => {
                self.sent(guard, peer, id);
                Ok(())
            }
            None => Err(Error::State("REQ: send completed without a peer")),
        }
    }

    /// The expected reply's peer and id, or `State` when none is out.
    fn expected(&self) -> Result<(RoutingId, u32)> {
        lock(&self.state)
            .waiting
            .ok_or(Error::State("REQ: no request is out; send one first"))
    }

    /// Judges one inbound message: the reply's body, or `None` to drop it.
    fn judge(&self, from: RoutingId, msg: Message) -> Verdict<Message> {
        let mut st = lock(&self.state);
        let Some((peer, request_id)) = st.waiting else {
            return Some(Err(Error::State("REQ: no request is out; send one first")));
        };
        if from != peer {
            return None;
        }
        let mut frames = msg.into_frames().into_iter();
        if self.base.core.options.req_correlate {
            let id = frames.next()?;
            if id.as_ref() != request_id.to_be_bytes() {
                return None;
            }
        }
        if !frames.next()?.is_empty() {
            return None;
        }
        let body: Vec<Bytes> = frames.collect();
        if body.is_empty() {
            return None;
        }
        st.waiting = None;
        Some(Ok(Message::from_frames(body)))
    }

    /// Receives the reply to the last request: its body frames (SPEC §5.6).
    /// Messages from other peers, without the empty delimiter, or (with
    /// `req_correlate`) with another request id are dropped. Cancel-safe:
    /// a dropped call loses no reply and leaves the request pending.
    /// Errors: [`Error::State`] (no request out), [`Error::Closed`].
    pub async fn recv(&self) -> Result<Message> {
        self.expected()?;
        self.base.core.recv_where(|id, m| self.judge(id, m)).await
    }

    /// Receives without waiting: [`Error::WouldBlock`] when the reply has
    /// not come yet.
    pub fn try_recv(&self) -> Result<Message> {
        self.expected()?;
        self.base.core.try_recv_where(|id, m| self.judge(id, m))
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`.
    pub fn blocking_recv(&self) -> Result<Message> {
        self.expected()?;
        self.base
            .core
            .blocking_recv_where(|id, m| self.judge(id, m))
    }
}
