//! CLIENT (RFC 41, SPEC §5.3).

use bytes::Bytes;

use super::primitives::{single, Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::lifecycle::SocketBase;
use crate::error::Error;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

/// A CLIENT socket (RFC 41, SPEC §5.3): talks to SERVER peers with
/// single-frame messages. Sends go round-robin to peers with room;
/// receives are fair-queued. Never drops a message: with every peer at
/// `sndhwm`, or no peer yet, `send` waits. `Send + Sync`: share it with
/// `Arc` and call it from many threads or tasks at once.
///
/// ```
/// # use oxmq::{Client, Server};
/// let server = Server::new();
/// let ep = server.bind("tcp://127.0.0.1:0").unwrap();
/// let client = Client::new();
/// client.connect(&ep).unwrap();
/// client.blocking_send("ping").unwrap();
/// let (id, msg) = server.blocking_recv().unwrap();
/// assert_eq!(msg, "ping");
/// server.blocking_send(id, "pong").unwrap();
/// assert_eq!(client.blocking_recv().unwrap(), "pong");
/// ```
pub struct Client {
    base: SocketBase,
    pub(crate) sink: Option<Bytes>,
}

impl Client {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        Client {
            base: SocketBase::new(SocketType::Client, options),
            sink: None,
        }
    }
}

impl Handle for Client {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Sender for Client {
    type Item = Bytes;

    fn offer(&self, payload: Bytes) -> Result<(), (Error, Bytes)> {
        self.base
            .core
            .try_send_balanced(Message::from(payload))
            .map_err(|(e, m)| (e, single(m)))
    }
}

impl Receiver for Client {
    type Item = Bytes;

    #[inline]
    fn judge(&self, _from: RoutingId, msg: Message) -> Verdict<Bytes> {
        Some(Ok(single(msg)))
    }
}
