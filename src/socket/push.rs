//! PUSH (RFC 30, SPEC §5.4).

use super::primitives::{Handle, Sender};
use crate::driver::lifecycle::SocketBase;
use crate::error::Error;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::zmtp::SocketType;

/// A PUSH socket (RFC 30, SPEC §5.4): sends multipart messages round-robin
/// to PULL peers with room; waits when every peer is at `sndhwm` or there
/// is no peer. Never drops. Cannot receive. `Send + Sync`.
pub struct Push {
    base: SocketBase,
    pub(crate) sink: Option<Message>,
}

impl Push {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        Push {
            base: SocketBase::new(SocketType::Push, options),
            sink: None,
        }
    }
}

impl Handle for Push {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Sender for Push {
    type Item = Message;

    fn offer(&self, msg: Message) -> Result<(), (Error, Message)> {
        self.base.core.try_send_balanced(msg)
    }
}
