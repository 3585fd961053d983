//! # oxmq
//!
//! ZeroMQ-compatible messaging in Rust: message-oriented sockets (CLIENT,
//! SERVER, PUSH, PULL, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER,
//! PAIR, and a [`proxy`] between them) over interchangeable `tcp://`,
//! `ipc://` and `inproc://` transports, speaking ZMTP 3.1 on the wire so
//! they talk to libzmq, pyzmq, zmq.rs and JeroMQ peers (SPEC §1).
//!
//! Every socket is `Send + Sync` and offers three forms of each call:
//! `async` (any executor), `blocking_*` (plain threads, with the
//! `sndtimeo`/`rcvtimeo` options as timeouts) and `try_*` (never waits).
//! The contract is in SPEC.md; doc comments cite its sections.
//!
//! ```
//! use oxmq::{Pull, Push};
//! let pull = Pull::new();
//! pull.bind("inproc://doc-example").unwrap();
//! let push = Push::new();
//! push.connect("inproc://doc-example").unwrap();
//! push.blocking_send(vec![bytes::Bytes::from("a"), bytes::Bytes::from("b")]).unwrap();
//! let msg = pull.blocking_recv().unwrap();
//! assert_eq!(msg.frames(), &["a", "b"]);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver;
mod error;
mod message;
mod options;
pub mod pattern;
pub mod proxy;
mod routing_id;
mod socket;
pub mod zmtp;

pub use driver::core::stats::{PeerQueues, SocketStats};
pub use driver::monitor::{DisconnectReason, Monitor, SocketEvent};
pub use error::{Error, Result};
pub use message::Message;
pub use options::SocketOptions;
pub use oxmq_transports::{Endpoint, EndpointError};
pub use proxy::{
    blocking_proxy, blocking_proxy_steerable, proxy, proxy_steerable, ProxyCapture, ProxyControl,
    ProxySocket,
};
pub use routing_id::RoutingId;
pub use socket::{
    Client, Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Server, Sub, XPub, XSub,
};
pub use zmtp::SocketType;
