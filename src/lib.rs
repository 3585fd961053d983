//! # oxmq
//!
//! ZeroMQ-compatible messaging in Rust: message-oriented sockets (CLIENT,
//! SERVER, PUSH, PULL, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER,
//! PAIR, and a [`proxy`] between them) over interchangeable `tcp://`,
//! `ipc://` and `inproc://` transports, speaking ZMTP 3.1 on the wire so
//! they talk to libzmq, pyzmq, zmq.rs and JeroMQ peers (SPEC §1). The
//! PLAIN and CURVE mechanisms secure tcp and ipc connections, judged by a
//! ZAP handler such as [`auth::Authenticator`] (SPEC §9).
//!
//! Every socket is `Send + Sync` and offers three forms of each call:
//! `async` (any executor), `blocking_*` (plain threads, with the
//! `sndtimeo`/`rcvtimeo` options as timeouts) and `try_*` (never waits).
//! A send that does not happen hands the message back in its
//! [`SendError`]. The traits [`Socket`], [`SendSocket`] and [`RecvSocket`]
//! give the same calls (and `poll_*` forms) to generic code; receiving
//! sockets are `futures::Stream`s and sending ones `futures::Sink`s. The
//! contract is in SPEC.md; doc comments cite its sections. New here? Read
//! the [`guide`].
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

mod api;
pub mod cert;
pub mod curve;
mod driver;
mod error;
pub mod guide;
mod message;
mod options;
mod pattern;
mod routing_id;
mod socket;
pub mod z85;
mod zmtp;

pub use api::auth;
pub use api::poller::{Interest, PollEvent, Pollable, Poller};
pub use api::proxy::{
    blocking_proxy, blocking_proxy_steerable, proxy, proxy_steerable, ProxyCapture, ProxyControl,
    ProxySocket,
};
pub use api::{RecvSocket, SendSocket, Socket};
pub use driver::core::stats::{PeerQueues, SocketStats};
pub use driver::monitor::{DisconnectReason, Monitor, SocketEvent};
pub use error::{Error, Result, SendError, StateError};
pub use message::{Message, Properties};
pub use options::{Secret, SocketOptions};
pub use oxmq_transports::{Endpoint, EndpointError};
pub use routing_id::RoutingId;
pub use socket::{
    Client, Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Server, Sub, XPub, XSub,
};
pub use zmtp::{CurveBox, CurveCommand, CurveKey, Mechanism, ProtocolError, SocketType};

/// Not part of the API: the sans-IO layers, for oxmq's own fuzz targets
/// and protocol tests (a scripted raw peer encodes with them). Anything
/// here may change in any release.
#[doc(hidden)]
pub mod __internal {
    pub use crate::pattern::{SubscriptionCounts, SubscriptionTrie};

    /// The ZMTP codecs and the session (SPEC §3).
    pub mod zmtp {
        pub use crate::zmtp::command::MAX_PING_CONTEXT;
        pub use crate::zmtp::resume;
        pub use crate::zmtp::security::{self, Security};
        pub use crate::zmtp::session::Resume;
        pub use crate::zmtp::transform::Transform;
        pub use crate::zmtp::{
            encode_frame, encode_message, frame_header, Command, Frame, FrameDecoder, Greeting,
            Handshake, HandshakeConfig, HandshakeStatus, HeartbeatConfig, Limits, Mechanism,
            Metadata, PeerInfo, ProtocolError, Session, SessionConfig, SessionEnd, SessionEvent,
            SocketType, FLAG_COMMAND, FLAG_LONG, FLAG_MORE, GREETING_LEN, HANDSHAKE_MAX_FRAME,
        };
    }
}
