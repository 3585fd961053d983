//! Sending (SPEC §5.2, §5.3, §6.3): balanced sends over the outlets,
//! sends addressed to one peer, and waiting for room. Every attempt that
//! fails gives the message back, so a caller can wait and retry, or hand
//! it to the application.

use event_listener::EventListener;

use super::registry::Refusal;
use super::SocketCore;
use crate::driver::lock;
use crate::driver::wait::Room;
use crate::error::Error;
use crate::message::Message;
use crate::routing_id::RoutingId;
use std::time::{Duration, Instant};

/// A failed attempt: why, and the message, given back.
pub(crate) type Refused<M> = (Error, M);

/// Retries `attempt` until it takes the message or fails with something
/// other than `WouldBlock`, waiting on `room` between tries. Cancel-safe:
/// if the future is dropped, the message was not sent.
pub(crate) async fn retry_send<M>(
    room: &Room,
    mut msg: M,
    mut attempt: impl FnMut(M) -> Result<(), Refused<M>>,
) -> Result<(), Refused<M>> {
    loop {
        match attempt(msg) {
            Err((Error::WouldBlock, m)) => msg = m,
            r => return r,
        }
        let listener = room.listen();
        match attempt(msg) {
            Err((Error::WouldBlock, m)) => msg = m,
            r => return r,
        }
        listener.await;
    }
}

/// [`retry_send`] on a plain thread: tries at once, and only if that would
/// block waits, at most `timeout` (then `Timeout`, with the message).
#[inline]
pub(crate) fn blocking_retry_send<M>(
    room: &Room,
    msg: M,
    mut attempt: impl FnMut(M) -> Result<(), Refused<M>>,
    timeout: Option<Duration>,
) -> Result<(), Refused<M>> {
    match attempt(msg) {
        Err((Error::WouldBlock, m)) => wait_and_retry(room, m, attempt, timeout),
        r => r,
    }
}

/// The slow part of [`blocking_retry_send`]: the first try would have
/// blocked. Retries each time the room changes, spinning and then parking
/// on its generation count (SPEC §6.2): no future, no allocation.
#[cold]
fn wait_and_retry<M>(
    room: &Room,
    mut msg: M,
    mut attempt: impl FnMut(M) -> Result<(), Refused<M>>,
    timeout: Option<Duration>,
) -> Result<(), Refused<M>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        // The generation before the attempt: a change after it (room
        // made by a reader, a peer arriving) ends the wait at once.
        let seen = room.generation();
        match attempt(msg) {
            Err((Error::WouldBlock, m)) => msg = m,
            r => return r,
        }
        if !room.wait_change(seen, deadline) {
            return match attempt(msg) {
                Err((Error::WouldBlock, m)) => Err((
                    Error::Timeout {
                        after: timeout.unwrap_or_default(),
                    },
                    m,
                )),
                r => r,
            };
        }
    }
}

impl SocketCore {
    /// Whether a peer could take a message now (SPEC §6.9).
    pub(crate) fn any_room(&self) -> bool {
        lock(&self.peers).any_room()
    }

    /// What senders waiting for room wait on (see [`retry_send`]).
    pub(crate) fn room(&self) -> &Room {
        &self.room
    }

    /// A listener for [`room`](Self::room).
    pub(crate) fn room_listener(&self) -> EventListener {
        self.room.listen()
    }

    /// Hands `msg` to the next peer with room, round-robin (SPEC §5.2),
    /// telling which peer took it (REQ waits for the reply from that one).
    /// `WouldBlock` with the message when no peer can take it now.
    #[inline]
    pub(crate) fn try_send_balanced_to(&self, msg: Message) -> Result<RoutingId, Refused<Message>> {
        if self.is_closed() {
            return Err((Error::Closed, msg));
        }
        let mut gone = Vec::new();
        let r = lock(&self.peers).offer_balanced(msg, &mut gone);
        // The peer lock is released: now the reader's hook may run (an
        // idle connection's write, SPEC §6.1).
        for id in gone {
            self.peer_left(id);
        }
        match r {
            Ok((id, wake)) => {
                wake.run();
                Ok(id)
            }
            Err(m) => Err((Error::WouldBlock, m)),
        }
    }

    /// [`try_send_balanced_to`](Self::try_send_balanced_to), without
    /// telling which peer.
    #[inline]
    pub(crate) fn try_send_balanced(&self, msg: Message) -> Result<(), Refused<Message>> {
        self.try_send_balanced_to(msg).map(|_| ())
    }

    /// Sends to one peer (SPEC §5.3): `HostUnreachable` for an unknown or
    /// departed id, `WouldBlock` when it is full; the message comes back
    /// either way.
    pub(crate) fn try_send_to(&self, id: RoutingId, msg: Message) -> Result<(), Refused<Message>> {
        if self.is_closed() {
            return Err((Error::Closed, msg));
        }
        let r = lock(&self.peers).offer_to(id, msg);
        match r {
            Ok(wake) => {
                wake.run();
                Ok(())
            }
            Err(Refusal::Full(m)) => Err((Error::WouldBlock, m)),
            Err(Refusal::Unknown(m)) => Err((Error::HostUnreachable { routing_id: id }, m)),
            Err(Refusal::Gone(m)) => {
                self.peer_left(id);
                Err((Error::HostUnreachable { routing_id: id }, m))
            }
        }
    }
}
