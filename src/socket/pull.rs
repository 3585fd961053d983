//! PULL (RFC 30, SPEC §5.4).

use super::primitives::{Handle, Receiver};
use crate::driver::core::receive::Verdict;
use crate::driver::lifecycle::SocketBase;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

/// A PULL socket (RFC 30, SPEC §5.4): receives multipart messages
/// fair-queued from PUSH peers. Cannot send. `Send + Sync`.
pub struct Pull {
    base: SocketBase,
}

impl Pull {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        Pull {
            base: SocketBase::new(SocketType::Pull, options),
        }
    }
}

impl Handle for Pull {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Receiver for Pull {
    type Item = Message;

    #[inline]
    fn judge(&self, _from: RoutingId, msg: Message) -> Verdict<Message> {
        Some(Ok(msg))
    }
}
