//! The call forms, written once over the socket types' primitives
//! (SPEC §6.3): `try_*` never waits, async waits as long as needed and is
//! cancel-safe, `blocking_*` parks the thread for at most the socket's
//! timeout, `poll_*` registers the task's waker. A send that does not
//! happen hands its message back ([`SendError`]).

use std::task::{Context, Poll};

use crate::driver::core::outbound::{blocking_retry_send, retry_send};
use crate::error::{Error, Result, SendError};
use crate::socket::{Receiver, Sender};

/// Ends a send begun with [`Sender::begin_send`] when dropped (also when
/// an async send is cancelled).
struct EndSend<'a, S: Sender + ?Sized>(&'a S);

impl<S: Sender + ?Sized> Drop for EndSend<'_, S> {
    fn drop(&mut self) {
        self.0.end_send();
    }
}

/// Ends a receive begun with [`Receiver::begin_recv`] when dropped.
struct EndRecv<'a, R: Receiver + ?Sized>(&'a R);

impl<R: Receiver + ?Sized> Drop for EndRecv<'_, R> {
    fn drop(&mut self) {
        self.0.end_recv();
    }
}

/// A send under way: its end guard and the item.
type Begun<'a, S> = (EndSend<'a, S>, <S as Sender>::Item);

/// Starts a send ([`Sender::begin_send`]); a refusal hands the item back.
#[inline]
fn begin_send<S: Sender>(s: &S, item: S::Item) -> Result<Begun<'_, S>, SendError<S::Item>> {
    match s.begin_send() {
        Ok(()) => Ok((EndSend(s), item)),
        Err(error) => Err(SendError {
            error,
            message: item,
        }),
    }
}

/// Sends without waiting: `WouldBlock` (with the item) when it cannot go
/// now.
#[inline]
pub(crate) fn try_send<S: Sender>(s: &S, item: S::Item) -> Result<(), SendError<S::Item>> {
    let (_end, item) = begin_send(s, item)?;
    s.offer(item).map_err(SendError::from)
}

/// Sends, waiting for room as long as needed. Cancel-safe: if the future
/// is dropped, nothing was sent.
#[inline]
pub(crate) async fn send<S: Sender>(s: &S, item: S::Item) -> Result<(), SendError<S::Item>> {
    if s.never_waits() {
        return try_send(s, item);
    }
    let (_end, item) = begin_send(s, item)?;
    retry_send(s.core().room(), item, |m| s.offer(m))
        .await
        .map_err(SendError::from)
}

/// Sends from a plain thread, waiting at most `sndtimeo` (then
/// `Timeout`, with the item).
#[inline]
pub(crate) fn blocking_send<S: Sender>(s: &S, item: S::Item) -> Result<(), SendError<S::Item>> {
    if s.never_waits() {
        return try_send(s, item);
    }
    let (_end, item) = begin_send(s, item)?;
    let room = s.core().room();
    blocking_retry_send(room, item, |m| s.offer(m), s.core().options.sndtimeo)
        .map_err(SendError::from)
}

/// Sends the item in `slot`, if any: `Ready(Ok)` once sent (the slot is
/// then empty), `Pending` with the item still in `slot` (the task is woken
/// when room may have appeared), `Ready(Err)` with the item in the error.
#[inline]
pub(crate) fn poll_send<S: Sender>(
    s: &S,
    cx: &mut Context<'_>,
    slot: &mut Option<S::Item>,
) -> Poll<Result<(), SendError<S::Item>>> {
    let Some(item) = slot.take() else {
        return Poll::Ready(Ok(()));
    };
    let (_end, item) = begin_send(s, item)?;
    let item = match s.offer(item) {
        Err((Error::WouldBlock, m)) => m,
        r => return Poll::Ready(r.map_err(SendError::from)),
    };
    s.core().room().register(cx.waker());
    match s.offer(item) {
        Err((Error::WouldBlock, m)) => {
            *slot = Some(m);
            Poll::Pending
        }
        r => Poll::Ready(r.map_err(SendError::from)),
    }
}

/// Receives without waiting: `WouldBlock` when nothing is queued.
#[inline]
pub(crate) fn try_recv<R: Receiver>(r: &R) -> Result<R::Item> {
    r.begin_recv()?;
    let _end = EndRecv(r);
    r.core().try_recv_where(|id, m| r.judge(id, m))
}

/// Receives, waiting as long as needed. Cancel-safe: a dropped call takes
/// no message.
#[inline]
pub(crate) async fn recv<R: Receiver>(r: &R) -> Result<R::Item> {
    r.begin_recv()?;
    let _end = EndRecv(r);
    r.core().recv_where(|id, m| r.judge(id, m)).await
}

/// Receives on a plain thread, waiting at most `rcvtimeo`.
#[inline]
pub(crate) fn blocking_recv<R: Receiver>(r: &R) -> Result<R::Item> {
    r.begin_recv()?;
    let _end = EndRecv(r);
    r.core().blocking_recv_where(|id, m| r.judge(id, m))
}

/// Receives if a message is queued; else registers the task's waker and
/// returns `Pending`.
#[inline]
pub(crate) fn poll_recv<R: Receiver>(r: &R, cx: &mut Context<'_>) -> Poll<Result<R::Item>> {
    if let Err(e) = r.begin_recv() {
        return Poll::Ready(Err(e));
    }
    let _end = EndRecv(r);
    let core = r.core();
    match core.try_recv_where(|id, m| r.judge(id, m)) {
        Err(Error::WouldBlock) => {}
        ready => return Poll::Ready(ready),
    }
    core.inbound.register(cx.waker());
    match core.try_recv_where(|id, m| r.judge(id, m)) {
        Err(Error::WouldBlock) => Poll::Pending,
        ready => Poll::Ready(ready),
    }
}
