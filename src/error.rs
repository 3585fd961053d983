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
    /// libzmq) (SPEC §5.6).
    #[error("operation not allowed now: {0}")]
    State(&'static str),
    /// The socket has been closed.
    #[error("the socket is closed")]
    Closed,
}

/// Shorthand for `Result<T, oxmq::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
