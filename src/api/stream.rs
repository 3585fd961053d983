//! `futures::Stream` for receiving sockets and `futures::Sink` for
//! sending ones (SPEC §6.3), over `poll_recv` and `poll_send`.
//!
//! A socket's stream yields `Ok(item)` for each message (or an error of
//! the receive, such as REQ's `State`) and ends once the socket is
//! closed. Both the socket and a shared reference to it are streams. A
//! socket is a sink of its item type (`Message`, CLIENT's `Bytes`,
//! SERVER's `(RoutingId, Bytes)`): `poll_ready` sends the item held by
//! the last `start_send`, so at most one message waits in the sink;
//! `poll_flush` and `poll_close` send it. A failed send hands the message
//! back in its [`SendError`].

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;

use super::forms;
use crate::error::{Error, Result, SendError};
use crate::message::Message;
use crate::routing_id::RoutingId;
use crate::socket::{
    Client, Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Server, Sub, XPub, XSub,
};

fn next<T>(polled: Poll<Result<T>>) -> Poll<Option<Result<T>>> {
    match polled {
        Poll::Ready(Err(Error::Closed)) => Poll::Ready(None),
        Poll::Ready(r) => Poll::Ready(Some(r)),
        Poll::Pending => Poll::Pending,
    }
}

macro_rules! stream {
    ($t:ident, $item:ty) => {
        impl Stream for $t {
            type Item = Result<$item>;
            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                next(forms::poll_recv(&*self, cx))
            }
        }

        impl Stream for &$t {
            type Item = Result<$item>;
            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                next(forms::poll_recv(*self, cx))
            }
        }
    };
}

macro_rules! sink {
    ($t:ident, $item:ty) => {
        impl Sink<$item> for $t {
            type Error = SendError<$item>;

            fn poll_ready(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<Result<(), Self::Error>> {
                let this = self.get_mut();
                let mut slot = this.sink.take();
                let r = forms::poll_send(&*this, cx, &mut slot);
                this.sink = slot;
                r
            }

            fn start_send(self: Pin<&mut Self>, item: $item) -> Result<(), Self::Error> {
                let this = self.get_mut();
                match this.sink.replace(item) {
                    // `poll_ready` was not called, or not awaited to the
                    // end: refuse the new item rather than lose the old.
                    Some(old) => {
                        let new = this.sink.replace(old);
                        Err(SendError {
                            error: Error::WouldBlock,
                            message: new.unwrap_or_else(|| unreachable!("just put there")),
                        })
                    }
                    None => Ok(()),
                }
            }

            fn poll_flush(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<Result<(), Self::Error>> {
                self.poll_ready(cx)
            }

            fn poll_close(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<Result<(), Self::Error>> {
                self.poll_ready(cx)
            }
        }
    };
}

stream!(Client, Bytes);
stream!(Server, (RoutingId, Bytes));
stream!(Pull, Message);
stream!(Sub, Message);
stream!(XPub, Message);
stream!(XSub, Message);
stream!(Req, Message);
stream!(Rep, Message);
stream!(Dealer, Message);
stream!(Router, Message);
stream!(Pair, Message);

sink!(Client, Bytes);
sink!(Server, (RoutingId, Bytes));
sink!(Push, Message);
sink!(Pub, Message);
sink!(XPub, Message);
sink!(XSub, Message);
sink!(Req, Message);
sink!(Rep, Message);
sink!(Dealer, Message);
sink!(Router, Message);
sink!(Pair, Message);
