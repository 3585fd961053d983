//! The two primitives every socket type implements, which `api/` turns
//! into the call forms (see the parent module), and CLIENT's and SERVER's
//! single-frame rule.

use bytes::Bytes;

use crate::driver::core::receive::Verdict;
use crate::driver::core::SocketCore;
use crate::driver::lifecycle::SocketBase;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::routing_id::RoutingId;

/// Every socket handle: it owns its socket ([`SocketBase`]).
pub(crate) trait Handle: Send + Sync {
    /// The socket.
    fn base(&self) -> &SocketBase;

    /// The socket, taken out of its handle (to close it).
    fn into_base(self) -> SocketBase
    where
        Self: Sized;

    /// The socket's shared state.
    fn core(&self) -> &SocketCore {
        &self.base().core
    }
}

/// A socket type's sending (see the module documentation).
pub(crate) trait Sender: Handle {
    /// What is sent: a [`Message`], or CLIENT's payload, or SERVER's
    /// addressed payload.
    type Item: Send;

    /// Checks that a send may start now (REQ: its turn); a send in
    /// progress ends with [`end_send`](Self::end_send).
    fn begin_send(&self) -> Result<()> {
        Ok(())
    }

    /// The send started with [`begin_send`](Self::begin_send) ended,
    /// however it ended.
    fn end_send(&self) {}

    /// One attempt: `WouldBlock` (with the item) when it cannot go now and
    /// waiting for room may help; any other error ends the send.
    fn offer(&self, item: Self::Item) -> Result<(), (Error, Self::Item)>;

    /// Whether sends complete at once in every form (PUB, XSUB, REP, and
    /// ROUTER without `router_mandatory` never wait for room).
    fn never_waits(&self) -> bool {
        false
    }
}

/// A socket type's receiving (see the module documentation).
pub(crate) trait Receiver: Handle {
    /// What is received.
    type Item: Send;

    /// Checks that a receive may start now (REQ: a request is out; REP:
    /// its turn); a receive in progress ends with
    /// [`end_recv`](Self::end_recv).
    fn begin_recv(&self) -> Result<()> {
        Ok(())
    }

    /// The receive started with [`begin_recv`](Self::begin_recv) ended,
    /// however it ended.
    fn end_recv(&self) {}

    /// What becomes of one message taken from peer `from`: `None` drops it
    /// and the receive goes on.
    fn judge(&self, from: RoutingId, msg: Message) -> Verdict<Self::Item>;
}

/// CLIENT and SERVER only ever queue single-frame messages (multipart ones
/// are discarded on arrival); should one slip through, its frames are
/// joined rather than lost.
pub(crate) fn single(m: Message) -> Bytes {
    match m.try_into_single() {
        Ok(b) => b,
        Err(m) => join_frames(&m),
    }
}

#[cold]
fn join_frames(m: &Message) -> Bytes {
    let mut joined = bytes::BytesMut::with_capacity(m.byte_len());
    for f in m.frames() {
        joined.extend_from_slice(f);
    }
    joined.freeze()
}
