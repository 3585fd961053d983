//! CLIENT (RFC 41, SPEC §5.3).

use crate::driver::core::SocketCore;
use crate::driver::{blocking, socket_common, SocketBase};
use crate::error::{Error, Result};
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

fn balanced(core: &SocketCore, m: Message) -> std::result::Result<(), (Error, Message)> {
    core.try_send_balanced(m)
}

impl Client {
    /// Sends a message, waiting while no peer has room (SPEC §5.3).
    /// Cancel-safe: if the future is dropped the message was not sent.
    /// The payload is not copied. Errors: [`Error::Closed`].
    pub async fn send(&self, payload: impl Into<Bytes>) -> Result<()> {
        self.base
            .core
            .send_with(Message::from(payload.into()), balanced)
            .await
    }

    /// Sends without waiting: [`Error::WouldBlock`] when no peer has room.
    pub fn try_send(&self, payload: impl Into<Bytes>) -> Result<()> {
        self.base
            .core
            .try_send_balanced(Message::from(payload.into()))
            .map_err(|(e, _)| e)
    }

    /// Sends from a plain thread, waiting at most `sndtimeo`
    /// ([`Error::Timeout`]). Needs no runtime; safe to call from inside one.
    pub fn blocking_send(&self, payload: impl Into<Bytes>) -> Result<()> {
        let core = &self.base.core;
        match core.try_send_balanced(Message::from(payload.into())) {
            Err((Error::WouldBlock, m)) => {
                blocking(core.send_with(m, balanced), core.options.sndtimeo)
            }
            r => r.map_err(|(e, _)| e),
        }
    }

    /// Receives the next message, fair-queued over peers. Cancel-safe: a
    /// dropped call takes no message. Errors: [`Error::Closed`].
    pub async fn recv(&self) -> Result<Bytes> {
        self.base.core.recv().await.map(|(_, m)| single(m))
    }

    /// Receives without waiting: [`Error::WouldBlock`] when none is queued.
    pub fn try_recv(&self) -> Result<Bytes> {
        self.base.core.try_recv().map(|(_, m)| single(m))
    }

    /// Receives on a plain thread, waiting at most `rcvtimeo`
    /// ([`Error::Timeout`]).
    pub fn blocking_recv(&self) -> Result<Bytes> {
        match self.try_recv() {
            Err(Error::WouldBlock) => blocking(self.recv(), self.base.core.options.rcvtimeo),
            r => r,
        }
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
