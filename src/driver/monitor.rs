//! Socket events for monitoring (SPEC §6.6).

use crate::driver::runtime::block_on;
use crate::zmtp::ProtocolError;
use event_listener::{Event, EventListener};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

/// Why a connection ended (SPEC §6.6).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The peer closed the connection.
    PeerClosed,
    /// The peer broke the protocol; the connection was closed by us.
    Protocol(ProtocolError),
    /// An I/O error (kind and message).
    Io(std::io::ErrorKind, String),
    /// The handshake did not finish within `handshake_ivl`.
    HandshakeTimeout,
    /// Our socket is closing, or the endpoint was unbound or disconnected.
    SocketClosed,
    /// Heartbeats (SPEC §6.8): nothing came from the peer within
    /// `heartbeat_timeout` of a PING, or within the TTL its own PING gave.
    HeartbeatTimeout,
    /// The socket type refused the peer after the handshake: a PAIR that
    /// has its peer already, a ROUTER that knows the peer's identity from
    /// another connection (SPEC §5).
    Refused,
    /// A new connection resumed the same session (SPEC §3.7): this one,
    /// half-open, was closed for it.
    Replaced,
}

impl std::fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DisconnectReason::PeerClosed => write!(f, "peer closed the connection"),
            DisconnectReason::Protocol(e) => write!(f, "protocol error: {e}"),
            DisconnectReason::Io(_, m) => write!(f, "i/o error: {m}"),
            DisconnectReason::HandshakeTimeout => write!(f, "handshake timed out"),
            DisconnectReason::SocketClosed => write!(f, "socket closed"),
            DisconnectReason::Refused => write!(f, "refused by the socket type"),
            DisconnectReason::HeartbeatTimeout => write!(f, "heartbeat timed out: peer silent"),
            DisconnectReason::Replaced => write!(f, "replaced by a new connection"),
        }
    }
}

/// Something that happened to one of a socket's endpoints or connections
/// (SPEC §6.6). `endpoint` is the bound or connected endpoint; `peer` the
/// remote address of the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketEvent {
    /// A bind succeeded; the endpoint is the resolved one.
    Listening {
        /// The resolved endpoint.
        endpoint: String,
    },
    /// A bind failed (the call also returned `Error::Bind`).
    BindFailed {
        /// The endpoint as given.
        endpoint: String,
        /// Why (the operating system's reason).
        error: String,
    },
    /// Accepting a connection failed (out of file descriptors, say); the
    /// listener stays and tries again after a pause.
    AcceptFailed {
        /// The bound endpoint.
        endpoint: String,
        /// Why.
        error: String,
    },
    /// A connect attempt has started and is pending (libzmq's
    /// CONNECT_DELAYED); `Connected` or `ConnectRetried` follows.
    ConnectDelayed {
        /// The connected endpoint.
        endpoint: String,
    },
    /// A listener accepted a connection.
    Accepted {
        /// The bound endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
    },
    /// An outgoing connection was established (handshake follows).
    Connected {
        /// The connected endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
    },
    /// A connect attempt failed; another follows after `retry_in`.
    ConnectRetried {
        /// The connected endpoint.
        endpoint: String,
        /// Why the attempt failed.
        error: String,
        /// Time until the next attempt.
        retry_in: Duration,
    },
    /// The socket stopped reconnecting to this endpoint: the peer refused
    /// its credentials with ERROR, and RFC 37 says not to try them again
    /// (unless `reconnect_after_error`) (SPEC §9.3). `disconnect` still
    /// forgets the endpoint; a new `connect` tries again.
    ConnectStopped {
        /// The connected endpoint.
        endpoint: String,
        /// The refusal.
        reason: DisconnectReason,
    },
    /// The ZMTP handshake finished; messages can flow.
    HandshakeSucceeded {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
    },
    /// The handshake failed and the connection was closed.
    HandshakeFailed {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// Why.
        reason: DisconnectReason,
    },
    /// An established connection ended.
    Disconnected {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// Why.
        reason: DisconnectReason,
    },
    /// A connection resumed the session of an earlier one (SPEC §3.7):
    /// nothing was lost between them.
    SessionResumed {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// Messages sent again because the peer had not had them.
        resent: u64,
    },
    /// A session could not be resumed (SPEC §3.7): the peer restarted, or
    /// it was away longer than `resume_ivl`. Up to `lost` messages sent
    /// to the old session may not have reached it; the connecting side
    /// sends them again unless `resend_on_reset` is off.
    SessionReset {
        /// The endpoint.
        endpoint: String,
        /// The peer's address (empty when the accepting side gave up a
        /// detached peer).
        peer: String,
        /// Messages the old session never acknowledged (on the accepting
        /// side, with those still queued for it).
        lost: u64,
    },
    /// A listener stopped (unbind or close).
    Closed {
        /// The endpoint.
        endpoint: String,
    },
}

/// Most events a monitor keeps unread; older ones are dropped past this.
const MONITOR_CAPACITY: usize = 10_000;

struct Queue {
    events: Mutex<(VecDeque<SocketEvent>, bool)>,
    ready: Event,
}

/// Fans events out to every live [`Monitor`].
#[derive(Default)]
pub(crate) struct MonitorHub {
    monitors: Mutex<Vec<Weak<Queue>>>,
}

impl MonitorHub {
    pub(crate) fn subscribe(&self) -> Monitor {
        let q = Arc::new(Queue {
            events: Mutex::new((VecDeque::new(), false)),
            ready: Event::new(),
        });
        let mut m = self.monitors.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|w| w.strong_count() > 0);
        m.push(Arc::downgrade(&q));
        Monitor {
            queue: q,
            waiting: None,
        }
    }

    pub(crate) fn emit(&self, event: SocketEvent) {
        let m = self.monitors.lock().unwrap_or_else(|e| e.into_inner());
        for q in m.iter().filter_map(Weak::upgrade) {
            let mut ev = q.events.lock().unwrap_or_else(|e| e.into_inner());
            if ev.0.len() >= MONITOR_CAPACITY {
                ev.0.pop_front();
            }
            ev.0.push_back(event.clone());
            drop(ev);
            q.ready.notify(usize::MAX);
        }
    }

    /// The socket is gone: monitors end after their queued events.
    pub(crate) fn finish(&self) {
        let m = self.monitors.lock().unwrap_or_else(|e| e.into_inner());
        for q in m.iter().filter_map(Weak::upgrade) {
            q.events.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
            q.ready.notify(usize::MAX);
        }
    }
}

/// A stream of [`SocketEvent`]s from one socket, from the moment it was
/// created (SPEC §6.6). Keeps at most 10 000 unread events, dropping the
/// oldest beyond that. Read it with [`next`](Monitor::next) (async),
/// [`blocking_next`](Monitor::blocking_next) or
/// [`try_next`](Monitor::try_next), or as a `futures::Stream`, which ends
/// once the socket has closed and every event was read.
pub struct Monitor {
    queue: Arc<Queue>,
    /// The stream's registration while it waits for an event.
    waiting: Option<EventListener>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").finish_non_exhaustive()
    }
}

impl futures_core::Stream for Monitor {
    type Item = SocketEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SocketEvent>> {
        let this = self.get_mut();
        loop {
            {
                let mut ev = this.queue.events.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(e) = ev.0.pop_front() {
                    this.waiting = None;
                    return Poll::Ready(Some(e));
                }
                if ev.1 {
                    this.waiting = None;
                    return Poll::Ready(None);
                }
            }
            match &mut this.waiting {
                // Registered first, then the queue is looked at again.
                None => this.waiting = Some(this.queue.ready.listen()),
                Some(l) => match Pin::new(l).poll(cx) {
                    Poll::Ready(()) => this.waiting = None,
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }
}

impl Monitor {
    /// The next event, without waiting. `None` if there is none now.
    pub fn try_next(&self) -> Option<SocketEvent> {
        self.queue
            .events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .pop_front()
    }

    /// Waits for the next event. `None` once the socket is closed and every
    /// event has been read.
    pub async fn next(&self) -> Option<SocketEvent> {
        loop {
            {
                let mut ev = self.queue.events.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(e) = ev.0.pop_front() {
                    return Some(e);
                }
                if ev.1 {
                    return None;
                }
            }
            let l = self.queue.ready.listen();
            {
                let ev = self.queue.events.lock().unwrap_or_else(|e| e.into_inner());
                if !ev.0.is_empty() || ev.1 {
                    continue;
                }
            }
            l.await;
        }
    }

    /// Blocking form of [`Monitor::next`]; `None` also when `timeout`
    /// expires first.
    pub fn blocking_next(&self, timeout: Option<Duration>) -> Option<SocketEvent> {
        block_on(self.next(), timeout).flatten()
    }
}
