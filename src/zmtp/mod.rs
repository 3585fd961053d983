//! Sans-IO implementation of the ZeroMQ Message Transport Protocol, ZMTP 3.1
//! (RFC 37, backwards compatible with ZMTP 3.0 / RFC 23 peers).
//!
//! This module only transforms bytes: it never performs I/O and never reads a
//! clock. A connection's driver feeds a [`Session`] what it reads, the time
//! and the messages to send, and writes what the session gives it; the
//! session does everything else (SPEC §2).
//!
//! * [`Session`]: one connection's protocol as a state machine (SPEC §3,
//!   §6.1, §6.8).
//! * [`Greeting`]: the fixed 64-byte greeting (SPEC §3.1), naming a
//!   [`Mechanism`].
//! * [`Handshake`]: the greeting exchange, the security mechanism
//!   (`security`: NULL, PLAIN, CURVE, the ZAP verdict) and the peer's
//!   socket type (SPEC §3.2, §9).
//! * `transform`: what the mechanism does to frames after the handshake
//!   (CURVE's MESSAGE boxes, SPEC §9.5).
//! * [`FrameDecoder`], [`encode_frame`], [`encode_message`]: framing (SPEC §3.3).
//! * [`Command`]: READY, ERROR, PING, PONG, SUBSCRIBE, CANCEL (SPEC §3.4).
//! * [`SocketType`]: socket-type names and compatibility (SPEC §3.5).
//! * `resume`: resumable sessions between oxmq peers (SPEC §3.7).
//! * [`ProtocolError`]: every way a peer can violate the protocol (SPEC §3.6).

pub mod command;
pub mod error;
pub mod frame;
pub mod greeting;
pub mod handshake;
pub mod mechanism;
pub mod metadata;
pub mod resume;
pub mod security;
pub mod session;
pub mod socket_type;
pub mod transform;

pub use command::Command;
pub use error::{CurveBox, CurveCommand, CurveKey, ProtocolError};
pub use frame::{
    encode_frame, encode_message, frame_header, Frame, FrameDecoder, FLAG_COMMAND, FLAG_LONG,
    FLAG_MORE,
};
pub use greeting::{Greeting, GREETING_LEN};
pub use handshake::{Handshake, HandshakeConfig, HandshakeStatus, PeerInfo, HANDSHAKE_MAX_FRAME};
pub use mechanism::Mechanism;
pub use metadata::Metadata;
pub use session::{HeartbeatConfig, Limits, Session, SessionConfig, SessionEnd, SessionEvent};
pub use socket_type::SocketType;
