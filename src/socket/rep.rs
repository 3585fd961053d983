//! REP (RFC 28, SPEC §5.6): the glue between the socket core and REP's
//! state machine (`pattern::reply`).

use std::sync::atomic::Ordering;
use std::sync::Mutex;

use super::primitives::{Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::reply::Replier;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

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
    state: Mutex<Replier>,
    pub(crate) sink: Option<Message>,
}

impl Rep {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        Rep {
            base: SocketBase::new(SocketType::Rep, options),
            state: Mutex::new(Replier::default()),
            sink: None,
        }
    }
}

impl Handle for Rep {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Receiver for Rep {
    type Item = Message;

    fn begin_recv(&self) -> Result<()> {
        Ok(lock(&self.state).begin_recv()?)
    }

    fn end_recv(&self) {
        lock(&self.state).end_recv();
    }

    fn judge(&self, from: RoutingId, msg: Message) -> Verdict<Message> {
        lock(&self.state).judge(from, msg).map(Ok)
    }
}

impl Sender for Rep {
    type Item = Message;

    fn never_waits(&self) -> bool {
        true
    }

    /// Sends the reply to the last request received (SPEC §5.6): a reply
    /// to a requester that left, or that is at `sndhwm`, is dropped and
    /// counted (libzmq's REP drops too).
    fn offer(&self, body: Message) -> Result<(), (Error, Message)> {
        let (peer, reply, envelope) = match lock(&self.state).reply(body) {
            Ok(r) => r,
            Err((e, body)) => return Err((e.into(), body)),
        };
        let core = &self.base.core;
        match core.try_send_to(peer, reply) {
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
            Err((e, reply)) => {
                let body = Message::from_frames(reply.into_frames().split_off(envelope));
                Err((e, body))
            }
        }
    }
}
