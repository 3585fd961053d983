//! Every socket type's methods and trait implementations, generated here
//! once from the call forms in `forms` (SPEC §6.3): the inherent methods
//! take anything that converts into the socket's item (`impl
//! Into<Message>`), the traits take the item itself.

use std::task::{Context, Poll};

use bytes::Bytes;

use super::forms;
use super::poller::{PollTarget, Pollable};
use super::{RecvSocket, SendSocket, Socket};
use crate::driver::core::stats::SocketStats;
use crate::driver::monitor::Monitor;
use crate::error::{Result, SendError};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::routing_id::RoutingId;
use crate::socket::{
    Client, Dealer, Handle, Pair, Pub, Pull, Push, Rep, Req, Router, Server, Sub, XPub, XSub,
};
use crate::zmtp::SocketType;

/// What every socket type has: construction, endpoints, monitor,
/// counters, options, close.
macro_rules! common {
    ($t:ident) => {
        impl $t {
            /// Creates the socket with default options (SPEC §7).
            pub fn new() -> Self {
                Self::with_options(SocketOptions::default())
            }

            /// Binds to an endpoint (`tcp://`, `ipc://`, `inproc://`) and
            /// returns the endpoint actually bound (a tcp port 0 replaced by
            /// the real port). Errors: [`Error::Endpoint`](crate::Error::Endpoint),
            /// [`Error::Bind`](crate::Error::Bind) (SPEC §4).
            pub fn bind(&self, endpoint: &str) -> Result<String> {
                self.base().bind(endpoint)
            }

            /// Stops listening on an endpoint given to [`bind`](Self::bind)
            /// (as given or as returned). Errors:
            /// [`Error::NotBound`](crate::Error::NotBound) (SPEC §6.4).
            pub fn unbind(&self, endpoint: &str) -> Result<()> {
                self.base().unbind(endpoint)
            }

            /// Connects to an endpoint. Returns at once; the connection is
            /// made, and remade after failures, in the background, and
            /// messages sent meanwhile queue for it (SPEC §6.4).
            pub fn connect(&self, endpoint: &str) -> Result<()> {
                self.base().connect(endpoint)
            }

            /// Stops connecting to an endpoint given to
            /// [`connect`](Self::connect); messages still queued for it are
            /// dropped. Errors: [`Error::NotConnected`](crate::Error::NotConnected).
            pub fn disconnect(&self, endpoint: &str) -> Result<()> {
                self.base().disconnect(endpoint)
            }

            /// A new stream of this socket's events (SPEC §6.6).
            pub fn monitor(&self) -> Monitor {
                self.base().monitor()
            }

            /// The socket's counters (SPEC §6.7).
            pub fn stats(&self) -> SocketStats {
                self.base().stats()
            }

            /// The options the socket was created with (SPEC §7).
            pub fn options(&self) -> &SocketOptions {
                &self.core().options
            }

            /// Closes the socket and waits until queued messages have been
            /// sent (at most `linger`) and its tasks have stopped
            /// (SPEC §6.5). Dropping the socket does the same in the
            /// background.
            pub async fn close(self) {
                self.into_base().close().await
            }

            /// Blocking form of [`close`](Self::close).
            pub fn blocking_close(self) {
                self.into_base().blocking_close();
            }
        }

        impl Socket for $t {
            fn socket_type(&self) -> SocketType {
                self.core().kind
            }
            fn bind(&self, endpoint: &str) -> Result<String> {
                $t::bind(self, endpoint)
            }
            fn unbind(&self, endpoint: &str) -> Result<()> {
                $t::unbind(self, endpoint)
            }
            fn connect(&self, endpoint: &str) -> Result<()> {
                $t::connect(self, endpoint)
            }
            fn disconnect(&self, endpoint: &str) -> Result<()> {
                $t::disconnect(self, endpoint)
            }
            fn monitor(&self) -> Monitor {
                $t::monitor(self)
            }
            fn stats(&self) -> SocketStats {
                $t::stats(self)
            }
            fn options(&self) -> &SocketOptions {
                $t::options(self)
            }
        }

        impl Pollable for $t {
            fn poll_target(&self) -> PollTarget {
                PollTarget::new(self.base().core.clone())
            }
        }

        impl Default for $t {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).finish_non_exhaustive()
            }
        }
    };
}

/// The sending forms of a socket type whose item is `$item`, taking
/// `impl Into<$item>` in the inherent methods.
macro_rules! sends {
    ($t:ident, $item:ty) => {
        impl $t {
            /// Sends without waiting (SPEC §6.3). When the message cannot
            /// go now the error is [`Error::WouldBlock`](crate::Error::WouldBlock);
            /// the message comes back in every error.
            #[inline]
            pub fn try_send(&self, msg: impl Into<$item>) -> Result<(), SendError<$item>> {
                forms::try_send(self, msg.into())
            }

            /// Sends, waiting while no peer can take the message
            /// (SPEC §6.3). Cancel-safe: if the future is dropped, the
            /// message was not sent. The payload is not copied.
            #[inline]
            pub fn send(
                &self,
                msg: impl Into<$item>,
            ) -> impl std::future::Future<Output = Result<(), SendError<$item>>> + Send + '_ {
                forms::send(self, msg.into())
            }

            /// Sends from a plain thread, waiting at most `sndtimeo`; then
            /// [`Error::Timeout`](crate::Error::Timeout), with the message.
            /// Needs no runtime; safe to call from inside one.
            #[inline]
            pub fn blocking_send(&self, msg: impl Into<$item>) -> Result<(), SendError<$item>> {
                forms::blocking_send(self, msg.into())
            }
        }

        impl SendSocket for $t {
            type Item = $item;
            #[inline]
            fn try_send(&self, item: $item) -> Result<(), SendError<$item>> {
                forms::try_send(self, item)
            }
            #[inline]
            fn send(
                &self,
                item: $item,
            ) -> impl std::future::Future<Output = Result<(), SendError<$item>>> + Send {
                forms::send(self, item)
            }
            #[inline]
            fn blocking_send(&self, item: $item) -> Result<(), SendError<$item>> {
                forms::blocking_send(self, item)
            }
            #[inline]
            fn poll_send(
                &self,
                cx: &mut Context<'_>,
                slot: &mut Option<$item>,
            ) -> Poll<Result<(), SendError<$item>>> {
                forms::poll_send(self, cx, slot)
            }
        }
    };
}

/// The receiving forms of a socket type whose item is `$item`.
macro_rules! receives {
    ($t:ident, $item:ty) => {
        impl $t {
            /// Receives without waiting (SPEC §6.3):
            /// [`Error::WouldBlock`](crate::Error::WouldBlock) when nothing
            /// is queued.
            #[inline]
            pub fn try_recv(&self) -> Result<$item> {
                forms::try_recv(self)
            }

            /// Receives, waiting as long as needed (SPEC §6.3).
            /// Cancel-safe: a dropped call takes no message. Errors:
            /// [`Error::Closed`](crate::Error::Closed).
            #[inline]
            pub fn recv(&self) -> impl std::future::Future<Output = Result<$item>> + Send + '_ {
                forms::recv(self)
            }

            /// Receives on a plain thread, waiting at most `rcvtimeo`; then
            /// [`Error::Timeout`](crate::Error::Timeout). Needs no runtime.
            #[inline]
            pub fn blocking_recv(&self) -> Result<$item> {
                forms::blocking_recv(self)
            }
        }

        impl RecvSocket for $t {
            type Item = $item;
            #[inline]
            fn try_recv(&self) -> Result<$item> {
                forms::try_recv(self)
            }
            #[inline]
            fn recv(&self) -> impl std::future::Future<Output = Result<$item>> + Send {
                forms::recv(self)
            }
            #[inline]
            fn blocking_recv(&self) -> Result<$item> {
                forms::blocking_recv(self)
            }
            #[inline]
            fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<$item>> {
                forms::poll_recv(self, cx)
            }
        }
    };
}

common!(Client);
common!(Server);
common!(Push);
common!(Pull);
common!(Pub);
common!(Sub);
common!(XPub);
common!(XSub);
common!(Req);
common!(Rep);
common!(Dealer);
common!(Router);
common!(Pair);

sends!(Client, Bytes);
sends!(Push, Message);
sends!(Pub, Message);
sends!(XPub, Message);
sends!(XSub, Message);
sends!(Req, Message);
sends!(Rep, Message);
sends!(Dealer, Message);
sends!(Router, Message);
sends!(Pair, Message);

receives!(Client, Bytes);
receives!(Server, (RoutingId, Bytes));
receives!(Pull, Message);
receives!(Sub, Message);
receives!(XPub, Message);
receives!(XSub, Message);
receives!(Req, Message);
receives!(Rep, Message);
receives!(Dealer, Message);
receives!(Router, Message);
receives!(Pair, Message);

/// SERVER's sends name the peer beside the payload.
impl Server {
    /// Sends `payload` to the peer `to` without waiting (SPEC §5.3):
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) when it is at
    /// `sndhwm`, [`Error::HostUnreachable`](crate::Error::HostUnreachable)
    /// for an unknown or departed id; the payload comes back in the error.
    #[inline]
    pub fn try_send(
        &self,
        to: RoutingId,
        payload: impl Into<Bytes>,
    ) -> Result<(), SendError<(RoutingId, Bytes)>> {
        forms::try_send(self, (to, payload.into()))
    }

    /// Sends `payload` to the peer `to`, waiting while it is at `sndhwm`
    /// (SPEC §5.3). Cancel-safe. Errors: `HostUnreachable`, `Closed`.
    #[inline]
    pub fn send(
        &self,
        to: RoutingId,
        payload: impl Into<Bytes>,
    ) -> impl std::future::Future<Output = Result<(), SendError<(RoutingId, Bytes)>>> + Send + '_
    {
        forms::send(self, (to, payload.into()))
    }

    /// Blocking form of [`send`](Self::send), waiting at most `sndtimeo`.
    #[inline]
    pub fn blocking_send(
        &self,
        to: RoutingId,
        payload: impl Into<Bytes>,
    ) -> Result<(), SendError<(RoutingId, Bytes)>> {
        forms::blocking_send(self, (to, payload.into()))
    }
}

impl SendSocket for Server {
    type Item = (RoutingId, Bytes);
    #[inline]
    fn try_send(&self, item: Self::Item) -> Result<(), SendError<Self::Item>> {
        forms::try_send(self, item)
    }
    #[inline]
    fn send(
        &self,
        item: Self::Item,
    ) -> impl std::future::Future<Output = Result<(), SendError<Self::Item>>> + Send {
        forms::send(self, item)
    }
    #[inline]
    fn blocking_send(&self, item: Self::Item) -> Result<(), SendError<Self::Item>> {
        forms::blocking_send(self, item)
    }
    #[inline]
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        slot: &mut Option<Self::Item>,
    ) -> Poll<Result<(), SendError<Self::Item>>> {
        forms::poll_send(self, cx, slot)
    }
}
