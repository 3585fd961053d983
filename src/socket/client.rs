//! CLIENT (RFC 41, SPEC §5.3).

use crate::driver::core::SocketCore;
use crate::driver::lifecycle::SocketBase;
use crate::error::Result;
use crate::message::Message;
use crate::zmtp::SocketType;
use bytes::Bytes;

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
}

socket_common!(Client, SocketType::Client);

impl Client {
    /// Sends a message, waiting while no peer has room (SPEC §5.3).
    /// Cancel-safe: if the future is dropped the message was not sent.
    /// The payload is not copied. Errors: [`Error::Closed`](crate::Error::Closed).
    pub async fn send(&self, payload: impl Into<Bytes>) -> Result<()> {
        let msg = Message::from(payload.into());
        self.base
            .core
            .send_with(msg, SocketCore::try_send_balanced)
            .await
            .map_err(|(e, _)| e)
    }

    /// Sends without waiting: [`Error::WouldBlock`](crate::Error::WouldBlock) when no peer has room.
    pub fn try_send(&self, payload: impl Into<Bytes>) -> Result<()> {
        let msg = Message::from(payload.into());
        self.base.core.try_send_balanced(msg).map_err(|(e, _)| e)
    }

    /// Sends from a plain thread, waiting at most `sndtimeo`
    /// ([`Error::Timeout`](crate::Error::Timeout)). Needs no runtime; safe to call from inside one.
    pub fn blocking_send(&self, payload: impl Into<Bytes>) -> Result<()> {
        let msg = Message::from(payload.into());
        self.base
            .core
            .blocking_send_with(msg, SocketCore::try_send_balanced)
            .map_err(|(e, _)| e)
    }

    /// Receives the next message, fair-queued over peers. Cancel-safe: a
    /// dropped call takes no message. Errors: [`Error::Closed`](crate::Error::Closed).
    pub async fn recv(&self) -> Result<Bytes> {
        self.base.core.recv().await.map(|(_, m)| single(m))
    }

    /// Receives without waiting: [`Error::WouldBlock`](crate::Error::WouldBlock) when none is queued.
    pub fn try_recv(&self) -> Result<Bytes> {
        self.base.core.try_recv().map(|(_, m)| single(m))
    }

    /// Receives on a plain thread, waiting at most `rcvtimeo`
    /// ([`Error::Timeout`](crate::Error::Timeout)).
    pub fn blocking_recv(&self) -> Result<Bytes> {
        self.base.core.blocking_recv().map(|(_, m)| single(m))
    }
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
