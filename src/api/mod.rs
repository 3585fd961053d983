//! One socket interface (SPEC §6.3): the traits every socket implements,
//! so that code can be generic over sockets, and the inherent methods
//! that let a program use a socket without importing anything.
//!
//! * [`Socket`]: endpoints, monitor, counters, options, close.
//! * [`SendSocket`]: `try_send`, `send` (async), `blocking_send`,
//!   `poll_send`. A send that does not happen gives the message back in
//!   its [`SendError`](crate::SendError).
//! * [`RecvSocket`]: `try_recv`, `recv` (async), `blocking_recv`,
//!   `poll_recv`.
//!
//! Receiving sockets are also `futures::Stream`s of `Result<Item>` that
//! end when the socket closes; sending sockets are `futures::Sink`s.
//!
//! ```
//! use oxmq::{Message, Pull, Push, RecvSocket, SendSocket};
//!
//! /// Moves one message from any receiving socket to any sending one.
//! fn forward<R, S>(from: &R, to: &S) -> oxmq::Result<()>
//! where
//!     R: RecvSocket<Item = Message>,
//!     S: SendSocket<Item = Message>,
//! {
//!     let m = from.blocking_recv()?;
//!     Ok(to.blocking_send(m)?)
//! }
//!
//! let (a, b) = (Pull::new(), Push::new());
//! a.bind("inproc://doc-forward-in").unwrap();
//! let src = Push::new();
//! src.connect("inproc://doc-forward-in").unwrap();
//! let sink = Pull::new();
//! sink.bind("inproc://doc-forward-out").unwrap();
//! b.connect("inproc://doc-forward-out").unwrap();
//! src.blocking_send("hop").unwrap();
//! forward(&a, &b).unwrap();
//! assert_eq!(sink.blocking_recv().unwrap(), Message::from("hop"));
//! ```

pub mod auth;
mod forms;
pub(crate) mod poller;
pub(crate) mod proxy;
mod sockets;
mod stream;

use std::future::Future;
use std::task::{Context, Poll};

use crate::driver::core::stats::SocketStats;
use crate::driver::monitor::Monitor;
use crate::error::{Result, SendError};
use crate::options::SocketOptions;
use crate::zmtp::SocketType;

/// What every socket does (SPEC §4, §6.4-§6.7). Every socket is `Send +
/// Sync`: share it with `Arc` and call it from any thread or task.
pub trait Socket: Send + Sync {
    /// The socket's type.
    fn socket_type(&self) -> SocketType;

    /// Binds to an endpoint (`tcp://`, `ipc://`, `inproc://`) and returns
    /// the endpoint actually bound (a tcp port 0 replaced by the real
    /// port). Errors: [`Error::Endpoint`](crate::Error::Endpoint),
    /// [`Error::Bind`](crate::Error::Bind), [`Error::Closed`](crate::Error::Closed)
    /// (SPEC §4).
    fn bind(&self, endpoint: &str) -> Result<String>;

    /// Stops listening on an endpoint given to [`bind`](Self::bind) (as
    /// given or as returned) and closes the connections it accepted.
    /// Errors: [`Error::NotBound`](crate::Error::NotBound) (SPEC §6.4).
    fn unbind(&self, endpoint: &str) -> Result<()>;

    /// Connects to an endpoint. Returns at once; the connection is made,
    /// and remade after failures, in the background, and messages sent
    /// meanwhile queue for it (SPEC §6.4). Errors:
    /// [`Error::Endpoint`](crate::Error::Endpoint), [`Error::Closed`](crate::Error::Closed).
    fn connect(&self, endpoint: &str) -> Result<()>;

    /// Stops connecting to an endpoint given to [`connect`](Self::connect);
    /// messages still queued for it are dropped. Errors:
    /// [`Error::NotConnected`](crate::Error::NotConnected) (SPEC §6.4).
    fn disconnect(&self, endpoint: &str) -> Result<()>;

    /// A new stream of this socket's events, from now on (SPEC §6.6).
    fn monitor(&self) -> Monitor;

    /// The socket's counters (SPEC §6.7).
    fn stats(&self) -> SocketStats;

    /// The options the socket was created with (SPEC §7).
    fn options(&self) -> &SocketOptions;
}

/// A socket that sends (SPEC §6.3). `Item` is a [`Message`](crate::Message),
/// CLIENT's `Bytes` payload, or SERVER's `(RoutingId, Bytes)`.
pub trait SendSocket: Socket {
    /// What one send takes.
    type Item: Send + 'static;

    /// Sends without waiting. When the message cannot go now the error is
    /// [`Error::WouldBlock`](crate::Error::WouldBlock), and the message
    /// comes back in it, as with every failure.
    fn try_send(&self, item: Self::Item) -> Result<(), SendError<Self::Item>>;

    /// Sends, waiting while the socket's peers have no room (SPEC §6.3).
    /// Cancel-safe: if the future is dropped, the message was not sent.
    /// Runs on any executor.
    fn send(
        &self,
        item: Self::Item,
    ) -> impl Future<Output = Result<(), SendError<Self::Item>>> + Send;

    /// Sends from a plain thread, waiting at most `sndtimeo`; then
    /// [`Error::Timeout`](crate::Error::Timeout), with the message. Needs
    /// no runtime, and works inside one.
    fn blocking_send(&self, item: Self::Item) -> Result<(), SendError<Self::Item>>;

    /// Sends the item in `slot` if it can go now (the slot is then
    /// emptied); otherwise returns `Pending`, leaving it there, and wakes
    /// the task when room may have appeared. As with tokio's `poll_*`
    /// methods, only the task that polled last is woken. An empty slot is
    /// `Ready(Ok(()))`.
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        slot: &mut Option<Self::Item>,
    ) -> Poll<Result<(), SendError<Self::Item>>>;
}

/// A socket that receives (SPEC §6.3). `Item` is a
/// [`Message`](crate::Message), CLIENT's `Bytes`, or SERVER's
/// `(RoutingId, Bytes)`.
pub trait RecvSocket: Socket {
    /// What one receive gives.
    type Item: Send + 'static;

    /// Receives without waiting: [`Error::WouldBlock`](crate::Error::WouldBlock)
    /// when nothing is queued.
    fn try_recv(&self) -> Result<Self::Item>;

    /// Receives, waiting as long as needed (SPEC §6.3). Cancel-safe: a
    /// dropped call takes no message. Runs on any executor.
    fn recv(&self) -> impl Future<Output = Result<Self::Item>> + Send;

    /// Receives on a plain thread, waiting at most `rcvtimeo`; then
    /// [`Error::Timeout`](crate::Error::Timeout). Needs no runtime.
    fn blocking_recv(&self) -> Result<Self::Item>;

    /// Receives if a message is queued; otherwise returns `Pending` and
    /// wakes the task when one may have arrived. As with tokio's `poll_*`
    /// methods, only the task that polled last is woken.
    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<Self::Item>>;
}
