//! DEALER (RFC 28, SPEC §5.7).

use crate::driver::core::SocketCore;
use crate::driver::lifecycle::SocketBase;
use crate::error::Result;
use crate::message::Message;
use crate::zmtp::SocketType;

/// A DEALER socket (RFC 28, SPEC §5.7): sends multipart messages
/// round-robin to peers with room (REP, DEALER or ROUTER), waiting while
/// every peer is at `sndhwm` or there is none; receives fair-queued from
/// all of them. No envelope handling: to talk to a REP, put the empty
/// delimiter frame in front yourself. Never drops. `Send + Sync`.
pub struct Dealer {
    base: SocketBase,
}

socket_common!(Dealer, SocketType::Dealer);

impl Dealer {
    /// Sends a message, waiting for room. Cancel-safe: if the future is
    /// dropped, the message was not sent. Errors:
    /// [`Error::Closed`](crate::Error::Closed).
    pub async fn send(&self, msg: impl Into<Message>) -> Result<()> {
        let core = &self.base.core;
        core.send_with(msg.into(), SocketCore::try_send_balanced)
            .await
            .map_err(|(e, _)| e)
    }

    /// Sends without waiting: [`Error::WouldBlock`](crate::Error::WouldBlock)
    /// when no peer has room.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.base
            .core
            .try_send_balanced(msg.into())
            .map_err(|(e, _)| e)
    }

    /// Blocking form of [`send`](Self::send), waiting at most `sndtimeo`.
    pub fn blocking_send(&self, msg: impl Into<Message>) -> Result<()> {
        let core = &self.base.core;
        core.blocking_send_with(msg.into(), SocketCore::try_send_balanced)
            .map_err(|(e, _)| e)
    }

    /// Receives the next message, fair-queued over peers. Cancel-safe.
    /// Errors: [`Error::Closed`](crate::Error::Closed).
    pub async fn recv(&self) -> Result<Message> {
        self.base.core.recv().await.map(|(_, m)| m)
    }

    /// Receives without waiting: [`Error::WouldBlock`](crate::Error::WouldBlock)
    /// when none is queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.base.core.try_recv().map(|(_, m)| m)
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`.
    pub fn blocking_recv(&self) -> Result<Message> {
        self.base.core.blocking_recv().map(|(_, m)| m)
    }
}
