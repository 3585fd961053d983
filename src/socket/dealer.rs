//! DEALER (RFC 28, SPEC §5.7).

use super::primitives::{Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::lifecycle::SocketBase;
use crate::error::Error;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

/// A DEALER socket (RFC 28, SPEC §5.7): sends multipart messages
/// round-robin to peers with room (REP, DEALER or ROUTER), waiting while
/// every peer is at `sndhwm` or there is none; receives fair-queued from
/// all of them. No envelope handling: to talk to a REP, put the empty
/// delimiter frame in front yourself. Never drops. `Send + Sync`.
pub struct Dealer {
    base: SocketBase,
    pub(crate) sink: Option<Message>,
}

impl Dealer {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        Dealer {
            base: SocketBase::new(SocketType::Dealer, options),
            sink: None,
        }
    }
}

impl Handle for Dealer {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Sender for Dealer {
    type Item = Message;

    fn offer(&self, msg: Message) -> Result<(), (Error, Message)> {
        self.base.core.try_send_balanced(msg)
    }
}

impl Receiver for Dealer {
    type Item = Message;

    #[inline]
    fn judge(&self, _from: RoutingId, msg: Message) -> Verdict<Message> {
        Some(Ok(msg))
    }
}
