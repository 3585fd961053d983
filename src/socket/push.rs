//! PUSH (RFC 30, SPEC §5.4).

use crate::driver::core::SocketCore;
use crate::driver::lifecycle::SocketBase;
use crate::error::Result;
use crate::message::Message;
use crate::zmtp::SocketType;

/// A PUSH socket (RFC 30, SPEC §5.4): sends multipart messages round-robin
/// to PULL peers with room; waits when every peer is at `sndhwm` or there
/// is no peer. Never drops. Cannot receive. `Send + Sync`.
pub struct Push {
    base: SocketBase,
}

socket_common!(Push, SocketType::Push);

impl Push {
    /// Sends a message (one or more frames), waiting for room.
    /// Cancel-safe. Errors: [`Error::Closed`](crate::Error::Closed).
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
}
