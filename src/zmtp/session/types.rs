//! What a session is configured with and reports: its configuration, the
//! resumption role, how it ended, its events (SPEC §3, §3.7, §6.6).

use std::time::Duration;

use bytes::Bytes;

use super::heartbeat::HeartbeatConfig;
use super::inbound::Limits;
use crate::zmtp::error::ProtocolError;
use crate::zmtp::handshake::PeerInfo;
use crate::zmtp::resume::{ResumeOffer, ResumeOutcome, ResumeState};
use crate::zmtp::security::zap::{ZapConfig, ZapRequest};
use crate::zmtp::security::Security;
use crate::zmtp::socket_type::SocketType;

/// Everything a session needs to know about its socket (SPEC §7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our socket type, announced in the handshake and deciding what is
    /// done with multipart messages and subscriptions.
    pub socket_type: SocketType,
    /// Our `Identity` property (the `routing_id` option).
    pub identity: Option<Bytes>,
    /// The security mechanism and our role in it (SPEC §9).
    pub security: Security,
    /// The peer's address, for ZAP requests (SPEC §9.2).
    pub peer_address: Bytes,
    /// The ZAP domain and whether a handler is required (SPEC §9.2).
    pub zap: ZapConfig,
    /// The receive limits.
    pub limits: Limits,
    /// `handshake_ivl`: the time allowed for the handshake; `None`: no
    /// limit.
    pub handshake_timeout: Option<Duration>,
    /// The heartbeat options.
    pub heartbeat: HeartbeatConfig,
    /// Keep the messages not completely written, for
    /// [`Session::take_unsent`](super::Session::take_unsent) (a connecting socket's endpoint).
    pub keep_unsent: bool,
    /// After a peer session changed, send what the old one did not
    /// acknowledge to the new one (at-least-once) rather than drop it
    /// (SPEC §3.7).
    pub resend_on_reset: bool,
}

/// Whether and how a session offers resumption (SPEC §3.7).
#[derive(Debug, Default)]
pub enum Resume {
    /// It does not.
    #[default]
    Off,
    /// The connecting side, with the relationship's record.
    Connect(ResumeState),
    /// The accepting side: the peer's offer is reported
    /// ([`SessionEvent::ResumeLookup`]) and the record of that peer is
    /// given with [`Session::handle_resume`](super::Session::handle_resume).
    Accept,
}

impl SessionConfig {
    /// A session for `socket_type` with default options: no identity, no
    /// limits, no handshake deadline, no heartbeats.
    pub fn new(socket_type: SocketType) -> SessionConfig {
        SessionConfig {
            socket_type,
            identity: None,
            security: Security::Null,
            peer_address: Bytes::new(),
            zap: ZapConfig::default(),
            limits: Limits::default(),
            handshake_timeout: None,
            heartbeat: HeartbeatConfig::default(),
            keep_unsent: false,
            resend_on_reset: true,
        }
    }
}

/// How a session ended (SPEC §3.6, §6.6, §6.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The peer closed its end of the stream.
    PeerClosed,
    /// The peer broke the protocol, refused us (an ERROR command), or was
    /// refused by us.
    Protocol(ProtocolError),
    /// The handshake did not finish in time.
    HandshakeTimeout,
    /// The peer stayed silent past a heartbeat deadline.
    HeartbeatTimeout,
}

/// Something the driver must know about (SPEC §6.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// The handshake succeeded: messages may flow. The peer's type is
    /// compatible with ours.
    Established(PeerInfo),
    /// A multipart message arrived at a CLIENT or SERVER and was discarded
    /// whole (RFC 41, SPEC §5.3).
    MultipartDropped,
    /// The handshake waits for the ZAP handler's verdict on this request
    /// (SPEC §9.2): the driver sends it and hands the reply to
    /// [`Session::handle_zap`](super::Session::handle_zap). Nothing from the peer is decoded
    /// until then; the handshake deadline still runs.
    ZapRequest(ZapRequest),
    /// The peer offered resumption in its READY (SPEC §3.7): the driver
    /// finds the record of that relationship (or makes a fresh one) and
    /// gives it with [`Session::handle_resume`](super::Session::handle_resume). Our READY waits for it;
    /// the handshake deadline still runs.
    ResumeLookup(ResumeOffer),
    /// Both sides offered resumption, and this is what the new connection
    /// did to the relationship; reported just before `Established`.
    Resumed(ResumeOutcome),
    /// The session is over (see [`Session::end`](super::Session::end)). What is still queued
    /// for writing (an ERROR command, say) may be written before the
    /// connection is closed.
    Closed(SessionEnd),
}
