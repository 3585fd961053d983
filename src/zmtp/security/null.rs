//! The NULL mechanism (RFC 23 §"The NULL Security Mechanism", SPEC §3.2):
//! each side sends READY with its properties; no authentication, no
//! encryption.

use bytes::BytesMut;

use super::{SecurityMechanism, Step};
use crate::zmtp::command::Command;
use crate::zmtp::error::ProtocolError;
use crate::zmtp::mechanism::Mechanism;
use crate::zmtp::metadata::Metadata;
use crate::zmtp::transform::Transform;

/// NULL: READY out as soon as the peer's greeting is in, then the peer's
/// READY is the only acceptable command (an ERROR ends the handshake with
/// the peer's reason). With a ZAP domain, our READY waits for the ZAP
/// handler's approval of the peer (no credentials), as in libzmq
/// (SPEC §9.2).
#[derive(Clone, Debug, Default)]
pub struct Null {
    /// Ask the ZAP handler before sending READY.
    zap: bool,
    /// Our properties, kept for the READY sent after the approval.
    ours: Metadata,
    /// Our READY is the handshake's to send (SPEC §3.7).
    deferred: bool,
}

impl Null {
    /// NULL, asking the ZAP handler first when `zap` is set.
    pub fn new(zap: bool) -> Null {
        Null {
            zap,
            ours: Metadata::new(),
            deferred: false,
        }
    }
}

impl SecurityMechanism for Null {
    fn name(&self) -> Mechanism {
        Mechanism::Null
    }

    fn as_server(&self) -> bool {
        // RFC 23: NULL has no roles, so the as-server byte is zero.
        false
    }

    fn start(&mut self, ours: &Metadata, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        if self.zap {
            self.ours = ours.clone();
            return Ok(Step::Authenticate(Vec::new()));
        }
        if !self.deferred {
            Command::Ready(ours.clone()).encode(out);
        }
        Ok(Step::Continue)
    }

    fn approved(&mut self, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        if !std::mem::take(&mut self.zap) {
            return Err(ProtocolError::UnexpectedCommand("ZAP approval".to_owned()));
        }
        let ours = std::mem::take(&mut self.ours);
        if !self.deferred {
            Command::Ready(ours).encode(out);
        }
        Ok(Step::Continue)
    }

    fn defer_ready(&mut self) -> bool {
        self.deferred = true;
        true
    }

    fn on_command(&mut self, command: Command, _out: &mut BytesMut) -> Result<Step, ProtocolError> {
        match command {
            Command::Ready(metadata) => Ok(Step::Done(metadata)),
            Command::Error { reason } => Err(ProtocolError::PeerError(reason)),
            other => Err(ProtocolError::UnexpectedCommand(other.name().to_owned())),
        }
    }

    fn transform(&mut self) -> Transform {
        Transform::Identity
    }
}
