//! REP (RFC 28, SPEC §5.6).

use crate::driver::core::receive::Verdict;
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;
use bytes::Bytes;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

enum Phase {
    /// Ready to receive a request.
    Idle,
    /// A `recv` is in progress.
    Receiving,
    /// A request was received; the reply goes to `peer` behind `envelope`.
    Replying {
        peer: RoutingId,
        envelope: Vec<Bytes>,
    },
}

/// A REP socket (RFC 28, SPEC §5.6): receives requests fair-queued from
/// REQ or DEALER peers and answers each, strictly alternating: `recv`,
/// then `send`, then `recv`... A call out of turn fails with
/// [`Error::State`]. `recv` strips the request's envelope (every frame up
/// to and including the first empty one) and returns the body; `send`
/// puts the envelope back and sends the reply to the peer the request
/// came from. A request without an empty delimiter frame, or with nothing
/// after it, is dropped. Replies never wait: one for a requester that has
/// left is dropped (counted in `dropped_unroutable`), one for a requester
/// at `sndhwm` too (counted in `dropped_hwm`), as in libzmq. `Send +
/// Sync`; a second `recv` while one is in progress fails with `State`.
pub struct Rep {
    base: SocketBase,
    phase: Mutex<Phase>,
}

socket_common!(Rep, SocketType::Rep, custom_constructor);

/// Puts the phase back to `Idle` if a `recv` ends without a request
/// (error, timeout, or a dropped future).
struct ReceivingGuard<'a> {
    phase: &'a Mutex<Phase>,
    armed: bool,
}

impl Drop for ReceivingGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            *lock(self.phase) = Phase::Idle;
        }
    }
}

/// Splits a request into (envelope, body); `None` if it is malformed.
fn split(msg: Message) -> Option<(Vec<Bytes>, Vec<Bytes>)> {
    let mut frames = msg.into_frames();
    let delimiter = frames.iter().position(Bytes::is_empty)?;
    if delimiter + 1 == frames.len() {
        return None;
    }
    let body = frames.split_off(delimiter + 1);
    Some((frames, body))
}

impl Rep {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: crate::options::SocketOptions) -> Self {
        Rep {
            base: SocketBase::new(SocketType::Rep, options),
            phase: Mutex::new(Phase::Idle),
        }
    }

    fn begin_recv(&self) -> Result<ReceivingGuard<'_>> {
        let mut phase = lock(&self.phase);
        match *phase {
            Phase::Idle => {
                *phase = Phase::Receiving;
                Ok(ReceivingGuard {
                    phase: &self.phase,
                    armed: true,
                })
            }
            Phase::Receiving => Err(Error::State("REP: another recv is in progress")),
            Phase::Replying { .. } => Err(Error::State(
                "REP: the last request is not answered; send the reply first",
            )),
        }
    }

    fn judge(id: RoutingId, msg: Message) -> Verdict<(RoutingId, Vec<Bytes>, Vec<Bytes>)> {
        split(msg).map(|(envelope, body)| Ok((id, envelope, body)))
    }

    fn received(
        &self,
        mut guard: ReceivingGuard<'_>,
        r: Result<(RoutingId, Vec<Bytes>, Vec<Bytes>)>,
    ) -> Result<Message> {
        let (peer, envelope, body) = r?;
        *lock(&self.phase) = Phase::Replying { peer, envelope };
        guard.armed = false;
        Ok(Message::from_frames(body))
    }

    /// Receives the next request, fair-queued over peers, and returns its
    /// body (SPEC §5.6). Cancel-safe: a dropped call takes no request.
    /// Errors: [`Error::State`] (the last request is not answered yet),
    /// [`Error::Closed`].
    pub async fn recv(&self) -> Result<Message> {
        let guard = self.begin_recv()?;
        let r = self.base.core.recv_where(Self::judge).await;
        self.received(guard, r)
    }

    /// Receives without waiting: [`Error::WouldBlock`] when no request is
    /// queued.
    pub fn try_recv(&self) -> Result<Message> {
        let guard = self.begin_recv()?;
        let r = self.base.core.try_recv_where(Self::judge);
        self.received(guard, r)
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`.
    pub fn blocking_recv(&self) -> Result<Message> {
        let guard = self.begin_recv()?;
        let r = self.base.core.blocking_recv_where(Self::judge);
        self.received(guard, r)
    }

    /// Sends the reply to the last request received (SPEC §5.6). Never
    /// waits: a reply to a requester that left, or that is at `sndhwm`, is
    /// dropped and counted (libzmq's REP drops too). Errors:
    /// [`Error::State`] (no request received to answer),
    /// [`Error::Closed`].
    pub fn try_send(&self, body: impl Into<Message>) -> Result<()> {
        let (peer, mut frames) = {
            let mut phase = lock(&self.phase);
            match std::mem::replace(&mut *phase, Phase::Idle) {
                Phase::Replying { peer, envelope } => (peer, envelope),
                other => {
                    *phase = other;
                    return Err(Error::State("REP: no request to answer; receive one first"));
                }
            }
        };
        frames.extend(body.into().into_frames());
        let core = &self.base.core;
        match core.try_send_to(peer, Message::from_frames(frames)) {
            Ok(()) => Ok(()),
            Err((Error::WouldBlock, _)) => {
                core.counters.dropped_hwm.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err((Error::HostUnreachable { .. }, _)) => {
                core.counters
                    .dropped_unroutable
                    .fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err((e, _)) => Err(e),
        }
    }

    /// Same as [`try_send`](Self::try_send): a REP reply never waits.
    pub async fn send(&self, body: impl Into<Message>) -> Result<()> {
        self.try_send(body)
    }

    /// Same as [`try_send`](Self::try_send): a REP reply never waits.
    pub fn blocking_send(&self, body: impl Into<Message>) -> Result<()> {
        self.try_send(body)
    }
}
