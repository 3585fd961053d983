//! Security mechanisms: the pluggable part of the handshake (SPEC §3.2).
//!
//! After the greeting, the handshake hands every command frame to the
//! mechanism both sides named, until the mechanism has the peer's
//! properties (its READY, or what CURVE and PLAIN carry instead). The
//! mechanism then gives the frame transform of the data phase
//! (`Transform`): identity for NULL (and for PLAIN), a box per frame for
//! CURVE.
//!
//! NULL ([`null`]), PLAIN ([`plain`], SPEC §9.3) and CURVE ([`curve`],
//! RFC 26, SPEC §9.5) are implemented.
//! A server-side mechanism that needs the ZAP handler's verdict answers
//! [`Step::Authenticate`] with the credentials; the handshake makes the
//! request ([`zap`]), and on approval calls
//! [`SecurityMechanism::approved`] (SPEC §9.2).

pub mod curve;
pub mod null;
pub mod plain;
pub mod zap;

use std::fmt;

use bytes::{Bytes, BytesMut};

use super::command::Command;
use super::error::ProtocolError;
use super::mechanism::Mechanism;
use super::metadata::Metadata;
use super::transform::Transform;
use crate::curve::CurveSecretKey;

/// Where a mechanism's handshake is after an input.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// More commands from the peer are needed.
    Continue,
    /// A server has the client's credentials (for the ZAP request's
    /// credential frames) and waits for the handler's verdict before it
    /// answers (SPEC §9.2).
    Authenticate(Vec<Bytes>),
    /// The handshake is complete: the peer's properties (its `Socket-Type`,
    /// `Identity` and any other), still to be checked against ours.
    Done(Metadata),
}

/// One side's security handshake (SPEC §3.2): a state machine fed the
/// peer's commands, writing its own into the output buffer.
///
/// Errors are fatal for the connection; a mechanism may queue an ERROR
/// command before returning one.
pub trait SecurityMechanism: Send + fmt::Debug {
    /// The name sent in our greeting.
    fn name(&self) -> Mechanism;

    /// The greeting's as-server flag (always false for NULL).
    fn as_server(&self) -> bool;

    /// The peer's greeting has arrived and names our mechanism: queue our
    /// first commands into `out` (`ours` is what we announce: socket type,
    /// identity).
    fn start(&mut self, ours: &Metadata, out: &mut BytesMut) -> Result<Step, ProtocolError>;

    /// A command frame from the peer during the handshake.
    fn on_command(&mut self, command: Command, out: &mut BytesMut) -> Result<Step, ProtocolError>;

    /// A command frame's body (name and data) from the peer during the
    /// handshake, as it came: what the handshake calls. By default it is
    /// parsed and given to [`on_command`](Self::on_command); CURVE, whose
    /// READY holds a box where the others' holds properties, reads the
    /// body itself.
    fn on_command_frame(&mut self, body: Bytes, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        self.on_command(Command::parse(body)?, out)
    }

    /// The ZAP handler approved the credentials of [`Step::Authenticate`]
    /// (status 200), or no handler is bound and the mechanism may go on
    /// without one ([`needs_handler`](Self::needs_handler) false): queue
    /// what follows (PLAIN: WELCOME; NULL: READY). A mechanism that never
    /// authenticates refuses the call.
    fn approved(&mut self, _out: &mut BytesMut) -> Result<Step, ProtocolError> {
        Err(ProtocolError::UnexpectedCommand("ZAP approval".to_owned()))
    }

    /// Whether the handshake fails when no ZAP handler is bound (PLAIN, as
    /// in libzmq); otherwise it goes on unauthenticated unless
    /// `zap_enforce_domain` is set (SPEC §9.2).
    fn needs_handler(&self) -> bool {
        false
    }

    /// The peer's properties of [`Step::Done`] passed the handshake's
    /// checks (its socket type): queue what completes our side (a PLAIN
    /// server's READY). Nothing for most mechanisms.
    fn accepted(&mut self, _out: &mut BytesMut) {}

    /// Leaves our READY to the handshake, which sends it once it has the
    /// peer's (an accepting side offering resumption, SPEC §3.7). Returns
    /// whether this mechanism can: only NULL, whose READY carries nothing
    /// of the mechanism's own.
    fn defer_ready(&mut self) -> bool {
        false
    }

    /// Once [`Step::Done`]: the frame transform for everything after the
    /// handshake.
    fn transform(&mut self) -> Transform;
}

/// Which mechanism a connection uses, and in which role (SPEC §9).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Security {
    /// NULL (RFC 23, SPEC §3.2).
    #[default]
    Null,
    /// A PLAIN client logging in with these credentials (SPEC §9.3).
    PlainClient(plain::PlainCredentials),
    /// A PLAIN server (SPEC §9.3).
    PlainServer,
    /// A CURVE client with its long-term key pair and the server's public
    /// key (SPEC §9.5).
    CurveClient(curve::CurveClientKeys),
    /// A CURVE server with its long-term secret key (SPEC §9.5).
    CurveServer {
        /// The server's long-term secret key (`Debug` does not show it).
        secret: CurveSecretKey,
    },
}

impl Security {
    /// A fresh state machine for one connection's handshake; `zap` tells
    /// NULL whether to ask the ZAP handler (a non-empty domain, SPEC §9.2).
    pub fn mechanism(&self, zap: &zap::ZapConfig) -> Box<dyn SecurityMechanism> {
        match self {
            Security::Null => Box::new(null::Null::new(!zap.domain.is_empty())),
            Security::PlainClient(c) => Box::new(plain::PlainClient::new(c.clone())),
            Security::PlainServer => Box::new(plain::PlainServer::default()),
            Security::CurveClient(keys) => Box::new(curve::CurveClient::new(keys.clone())),
            Security::CurveServer { secret } => Box::new(curve::CurveServer::new(secret.clone())),
        }
    }
}
