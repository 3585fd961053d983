//! PULL (RFC 30, SPEC §5.4).

use crate::driver::lifecycle::SocketBase;
use crate::error::Result;
use crate::message::Message;
use crate::zmtp::SocketType;

/// A PULL socket (RFC 30, SPEC §5.4): receives multipart messages
/// fair-queued from PUSH peers. Cannot send. `Send + Sync`.
pub struct Pull {
    base: SocketBase,
}

socket_common!(Pull, SocketType::Pull);

impl Pull {
    /// Receives the next message. Cancel-safe. Errors: `Closed`.
    pub async fn recv(&self) -> Result<Message> {
        self.base.core.recv().await.map(|(_, m)| m)
    }

    /// Receives without waiting: `WouldBlock` when none is queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.base.core.try_recv().map(|(_, m)| m)
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`.
    pub fn blocking_recv(&self) -> Result<Message> {
        self.base.core.blocking_recv().map(|(_, m)| m)
    }
}
