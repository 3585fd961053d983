//! SERVER (RFC 41, SPEC §5.3).

use bytes::Bytes;

use super::primitives::{single, Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::lifecycle::SocketBase;
use crate::error::Error;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

/// A SERVER socket (RFC 41, SPEC §5.3): talks to CLIENT peers with
/// single-frame messages. Every received message comes with the routing id
/// of the client that sent it; replies are addressed with that id. Sending
/// to an unknown or departed id fails with
/// [`Error::HostUnreachable`](crate::Error::HostUnreachable); to a peer at
/// `sndhwm`, `send` waits. Never drops a message silently. `Send + Sync`.
///
/// Its items, as the [`SendSocket`](crate::SendSocket) and
/// [`RecvSocket`](crate::RecvSocket) traits see them, are `(RoutingId,
/// Bytes)` pairs; its own `send` methods take the two apart.
pub struct Server {
    base: SocketBase,
    pub(crate) sink: Option<(RoutingId, Bytes)>,
}

impl Server {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        Server {
            base: SocketBase::new(SocketType::Server, options),
            sink: None,
        }
    }
}

impl Handle for Server {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Sender for Server {
    type Item = (RoutingId, Bytes);

    fn offer(&self, (to, payload): (RoutingId, Bytes)) -> Result<(), (Error, (RoutingId, Bytes))> {
        self.base
            .core
            .try_send_to(to, Message::from(payload))
            .map_err(|(e, m)| (e, (to, single(m))))
    }
}

impl Receiver for Server {
    type Item = (RoutingId, Bytes);

    #[inline]
    fn judge(&self, from: RoutingId, msg: Message) -> Verdict<(RoutingId, Bytes)> {
        Some(Ok((from, single(msg))))
    }
}
