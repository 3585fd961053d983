//! REQ (RFC 28, SPEC §5.6): the glue between the socket core and REQ's
//! state machine (`pattern::request`).

use std::sync::Mutex;

use super::primitives::{Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::request::{Reply, Requester};
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

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
/// thread's: a second `send` while one is in progress fails with `State`.
///
/// ```
/// # use oxmq::{Message, Rep, Req};
/// let rep = Rep::new();
/// let ep = rep.bind("inproc://doc-req").unwrap();
/// let req = Req::new();
/// req.connect(&ep).unwrap();
/// req.blocking_send("ping").unwrap();
/// assert_eq!(rep.blocking_recv().unwrap(), Message::from("ping"));
/// rep.blocking_send("pong").unwrap();
/// assert_eq!(req.blocking_recv().unwrap(), Message::from("pong"));
/// ```
pub struct Req {
    base: SocketBase,
    state: Mutex<Requester>,
    pub(crate) sink: Option<Message>,
}

impl Req {
    /// Creates the socket with the given options (SPEC §7): `req_relaxed`
    /// and `req_correlate` apply (SPEC §5.6).
    pub fn with_options(options: SocketOptions) -> Self {
        let state = Requester::new(options.req_relaxed, options.req_correlate, rand::random());
        Req {
            base: SocketBase::new(SocketType::Req, options),
            state: Mutex::new(state),
            sink: None,
        }
    }
}

impl Handle for Req {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Sender for Req {
    type Item = Message;

    fn begin_send(&self) -> Result<()> {
        Ok(lock(&self.state).begin_send()?)
    }

    fn end_send(&self) {
        lock(&self.state).end_send();
    }

    fn offer(&self, body: Message) -> Result<(), (Error, Message)> {
        let request = lock(&self.state).envelope(body);
        match self.base.core.try_send_balanced_to(request) {
            Ok(peer) => {
                lock(&self.state).sent(peer);
                Ok(())
            }
            Err((e, request)) => Err((e, lock(&self.state).strip(request))),
        }
    }
}

impl Receiver for Req {
    type Item = Message;

    fn begin_recv(&self) -> Result<()> {
        Ok(lock(&self.state).check_recv()?)
    }

    fn judge(&self, from: RoutingId, msg: Message) -> Verdict<Message> {
        match lock(&self.state).judge(from, msg) {
            Ok(Reply::Accepted(body)) => Some(Ok(body)),
            Ok(Reply::Dropped) => None,
            Err(e) => Some(Err(e.into())),
        }
    }
}
