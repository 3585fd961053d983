//! SERVER (RFC 41, SPEC §5.3).

use crate::driver::lifecycle::SocketBase;
use crate::error::Result;
use crate::message::Message;
use crate::routing_id::RoutingId;
use crate::socket::client::single;
use crate::zmtp::SocketType;
use bytes::Bytes;

/// A SERVER socket (RFC 41, SPEC §5.3): talks to CLIENT peers with
/// single-frame messages. Every received message comes with the routing id
/// of the client that sent it; replies are addressed with that id. Sending
/// to an unknown or departed id fails with
/// [`Error::HostUnreachable`](crate::Error::HostUnreachable); to a peer at
/// `sndhwm`, `send` waits. Never drops a message silently. `Send + Sync`.
pub struct Server {
    base: SocketBase,
}

socket_common!(Server, SocketType::Server);

impl Server {
    /// Sends to the peer `to`, waiting while it is at `sndhwm`.
    /// Errors: `HostUnreachable` (unknown or departed id), `Closed`.
    /// Cancel-safe.
    pub async fn send(&self, to: RoutingId, payload: impl Into<Bytes>) -> Result<()> {
        self.base
            .core
            .send_with(Message::from(payload.into()), |c, m| c.try_send_to(to, m))
            .await
            .map_err(|(e, _)| e)
    }

    /// Sends without waiting: `WouldBlock` when the peer is full.
    pub fn try_send(&self, to: RoutingId, payload: impl Into<Bytes>) -> Result<()> {
        self.base
            .core
            .try_send_to(to, Message::from(payload.into()))
            .map_err(|(e, _)| e)
    }

    /// Blocking form of [`send`](Self::send), waiting at most `sndtimeo`.
    pub fn blocking_send(&self, to: RoutingId, payload: impl Into<Bytes>) -> Result<()> {
        let msg = Message::from(payload.into());
        self.base
            .core
            .blocking_send_with(msg, |c, m| c.try_send_to(to, m))
            .map_err(|(e, _)| e)
    }

    /// Receives the next message and its sender's routing id. Cancel-safe.
    pub async fn recv(&self) -> Result<(RoutingId, Bytes)> {
        self.base.core.recv().await.map(|(id, m)| (id, single(m)))
    }

    /// Receives without waiting: `WouldBlock` when none is queued.
    pub fn try_recv(&self) -> Result<(RoutingId, Bytes)> {
        self.base.core.try_recv().map(|(id, m)| (id, single(m)))
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`.
    pub fn blocking_recv(&self) -> Result<(RoutingId, Bytes)> {
        self.base
            .core
            .blocking_recv()
            .map(|(id, m)| (id, single(m)))
    }
}
