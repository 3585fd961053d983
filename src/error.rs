//! The error type of every fallible oxmq call (SPEC §8).

use crate::routing_id::RoutingId;
use oxmq_transports::EndpointError;
use std::io;

/// Everything that can go wrong in oxmq, each variant naming what failed
/// and where (SPEC §8).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The endpoint text could not be parsed (SPEC §4.1).
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// Binding failed: address in use, permission denied, unknown host...
    #[error("cannot bind {endpoint}: {source}")]
    Bind {
        /// The endpoint as given.
        endpoint: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// `unbind` named an endpoint this socket has not bound.
    #[error("{endpoint} is not bound by this socket")]
    NotBound {
        /// The endpoint as given.
        endpoint: String,
    },
    /// `disconnect` named an endpoint this socket has not connected.
    #[error("{endpoint} is not connected by this socket")]
    NotConnected {
        /// The endpoint as given.
        endpoint: String,
    },
    /// A non-blocking call (`try_send`, `try_recv`) could not proceed now
    /// (EAGAIN in libzmq) (SPEC §6.3).
    #[error("the operation would block")]
    WouldBlock,
    /// A blocking call's timeout (`sndtimeo`, `rcvtimeo`) expired
    /// (SPEC §6.3).
    #[error("the operation timed out after {after:?}")]
    Timeout {
        /// The timeout that expired.
        after: std::time::Duration,
    },
    /// SERVER: no connected peer has this routing id (EHOSTUNREACH)
    /// (SPEC §5.3).
    #[error("no peer with routing id {routing_id}: unknown or departed")]
    HostUnreachable {
        /// The routing id the message was addressed to.
        routing_id: RoutingId,
    },
    /// ROUTER with `router_mandatory`: no connected peer has this
    /// identity (EHOSTUNREACH in libzmq) (SPEC §5.7).
    #[error("no peer with identity {identity:?}: unknown or departed")]
    UnknownIdentity {
        /// The identity the message was addressed to (its first frame).
        identity: bytes::Bytes,
    },
    /// The call is not allowed in the socket's current state: a REQ
    /// sending before the reply to its last request came, or receiving
    /// with no request out; a REP sending before it received (EFSM in
    /// libzmq) (SPEC §5.6, §8).
    #[error("operation not allowed now: {0}")]
    State(#[from] StateError),
    /// The socket has been closed.
    #[error("the socket is closed")]
    Closed,
    /// An option's value cannot be used (a PLAIN user name of more than
    /// 255 bytes, say): `bind` and `connect` refuse it (SPEC §7, §8).
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option's name in `SocketOptions`.
        option: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
}

/// Shorthand for `Result<T, oxmq::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call is not allowed in its socket's state (SPEC §5.6, §8;
/// libzmq's EFSM), carried by [`Error::State`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// REQ: a request is out and `req_relaxed` is off; receive its reply
    /// first.
    #[error("REQ: a request is already out; receive its reply first")]
    ReplyPending,
    /// REQ: no request is out; send one first.
    #[error("REQ: no request is out; send one first")]
    NoRequest,
    /// REP: the last request is not answered; send the reply first.
    #[error("REP: the last request is not answered; send the reply first")]
    Unanswered,
    /// REP: no request to answer; receive one first.
    #[error("REP: no request to answer; receive one first")]
    NothingToAnswer,
    /// Another send is in progress on this REQ socket.
    #[error("another send is in progress on this socket")]
    SendInProgress,
    /// Another receive is in progress on this REP socket.
    #[error("another receive is in progress on this socket")]
    RecvInProgress,
    /// The socket type cannot send (a proxy side that is PULL or SUB).
    #[error("this socket type cannot send")]
    CannotSend,
}

/// A send that did not happen (SPEC §6.3): why, and the message, handed
/// back untouched so that nothing is lost (as tokio's `TrySendError`
/// does). Converts into [`Error`] with `?`, dropping the message.
pub struct SendError<M> {
    /// Why the message was not sent: [`Error::WouldBlock`] from a `try_*`
    /// call, [`Error::Timeout`] from a blocking one, or the error of the
    /// socket or peer.
    pub error: Error,
    /// The message, as it was given.
    pub message: M,
}

impl<M> SendError<M> {
    /// The message, for another try.
    pub fn into_message(self) -> M {
        self.message
    }

    /// Whether the send would have had to wait (`try_*`) or waited too
    /// long (`blocking_*`): the same message may be sent again later.
    pub fn is_retryable(&self) -> bool {
        matches!(self.error, Error::WouldBlock | Error::Timeout { .. })
    }
}

impl<M> From<(Error, M)> for SendError<M> {
    fn from((error, message): (Error, M)) -> Self {
        SendError { error, message }
    }
}

impl<M> From<SendError<M>> for Error {
    fn from(e: SendError<M>) -> Error {
        e.error
    }
}

impl<M> std::fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<M> std::fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "message not sent: {}", self.error)
    }
}

impl<M> std::error::Error for SendError<M> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
