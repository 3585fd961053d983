//! The greeting exchange, the security mechanism's handshake (NULL, PLAIN,
//! CURVE; with the ZAP handler's verdict where the mechanism asks for one)
//! and the check of the peer's socket type (SPEC §3.1, §3.2, §9).

use bytes::{Bytes, BytesMut};

use super::command::Command;
use super::error::ProtocolError;
use super::frame::FrameDecoder;
use super::greeting::Greeting;
use super::metadata::{Metadata, IDENTITY, SOCKET_TYPE};
use super::resume::RESUME_PROPERTY;
use super::security::zap::{ZapConfig, ZapOutcome, ZapReply, ZapRequest, ZapStatus};
use super::security::{Security, SecurityMechanism, Step};
use super::socket_type::SocketType;
use super::transform::Transform;

/// Largest frame accepted during the handshake: 64 KiB (SPEC §3.2).
///
/// A READY command normally carries well under 1 KiB (socket type, an
/// identity of at most 255 bytes, a few custom properties), so 64 KiB leaves
/// ample room while making sure a peer announcing a huge READY length is
/// refused with [`ProtocolError::FrameTooLarge`] at once instead of making
/// the driver buffer its bytes.
pub const HANDSHAKE_MAX_FRAME: u64 = 64 * 1024;

/// Longest `Identity` a peer may announce (RFC 37: 0 to 255 bytes).
const MAX_IDENTITY: usize = 255;

/// Reason sent in the ERROR command when the peer's identity is refused.
const INVALID_IDENTITY: &str = "Invalid identity";

/// Reason sent in the ERROR command when the peer's socket type is refused
/// (SPEC §3.5).
const INVALID_SOCKET_TYPE: &str = "Invalid socket type";

/// What we announce during the handshake (SPEC §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeConfig {
    /// Our socket type, sent as `Socket-Type`.
    pub socket_type: SocketType,
    /// Our identity, sent as `Identity` whenever `Some` (even if empty).
    pub identity: Option<Bytes>,
    /// The mechanism and our role in it, which the greeting's as-server
    /// byte carries (always 0 for NULL, which has no roles: RFC 23)
    /// (SPEC §3.1, §9).
    pub security: Security,
    /// The peer's address, for the ZAP request (SPEC §9.2).
    pub peer_address: Bytes,
    /// The ZAP domain and whether a handler is required (SPEC §9.2).
    pub zap: ZapConfig,
}

/// The request id of our ZAP requests: one per handshake, so any fixed
/// value serves (libzmq sends "1" too).
const ZAP_REQUEST_ID: &[u8] = b"1";

/// The property under which the ZAP handler's user id reaches the
/// application (libzmq's name) (SPEC §9.2).
pub const USER_ID: &str = "User-Id";

/// What we learned about the peer once the handshake is done (SPEC §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket type, already checked compatible with ours.
    pub socket_type: SocketType,
    /// The peer's `Identity` property, `None` if absent or empty.
    pub identity: Option<Bytes>,
    /// Negotiated ZMTP 3.x minor version: 0 for a 3.0 peer, 1 otherwise.
    /// A 3.0 peer expects subscriptions as messages, not SUBSCRIBE commands.
    pub minor_version: u8,
    /// All properties of the peer's READY command, with the ZAP handler's
    /// `User-Id` and metadata when it approved the peer.
    pub metadata: Metadata,
    /// Whether a ZAP handler approved the peer (SPEC §9.2).
    pub authenticated: bool,
}

/// Result of [`Handshake::feed`] (SPEC §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeStatus {
    /// More bytes from the peer are needed.
    InProgress,
    /// The peer's READY is in and checked; ours waits for
    /// [`Handshake::send_ready`] (`ResumeRole::Accept` only).
    PeerReady(PeerInfo),
    /// The handshake succeeded; traffic may flow.
    Done(PeerInfo),
}

/// What our READY says about resumption (SPEC §3.7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ResumeRole {
    /// Nothing.
    #[default]
    Off,
    /// The connecting side: our READY carries this `OxMQ-Resume` value.
    Offer(Bytes),
    /// The accepting side: our READY waits for the peer's
    /// ([`HandshakeStatus::PeerReady`]), whose offer decides what ours
    /// says.
    Accept,
}

/// Where the state machine is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for the peer's 64-byte greeting.
    Greeting,
    /// The mechanism's exchange (for NULL: our READY is sent, the peer's
    /// is awaited).
    Mechanism { minor_version: u8 },
    /// The mechanism waits for the ZAP handler's verdict
    /// ([`Handshake::zap_answer`]); nothing from the peer is read meanwhile.
    Authenticating { minor_version: u8 },
    /// The peer's READY is in; ours is not sent yet (SPEC §3.7).
    PeerReady(PeerInfo),
    /// Finished successfully.
    Done(PeerInfo),
    /// Finished with an error, reported again on every later call.
    Failed(ProtocolError),
}

/// Sans-IO state machine for the greeting and the security handshake
/// (SPEC §3.1, §3.2).
///
/// [`Handshake::new`] queues our greeting; once the peer's greeting arrives
/// (and names the same mechanism) the mechanism runs its exchange (NULL:
/// our READY out, the peer's READY in), then the peer's socket type is
/// validated. After `Done` or an error, further calls return the same
/// result without consuming anything.
#[derive(Debug)]
pub struct Handshake {
    config: HandshakeConfig,
    mechanism: Box<dyn SecurityMechanism>,
    decoder: FrameDecoder,
    state: State,
    /// A ZAP request made and not yet taken by the driver.
    zap_request: Option<ZapRequest>,
    /// The handler's approval: its user id and properties join the peer's.
    approval: Option<ZapReply>,
    resume: ResumeRole,
}

impl Handshake {
    /// Creates the state machine and appends our greeting to `out`; the
    /// driver writes it at once (SPEC §3.1).
    pub fn new(config: HandshakeConfig, out: &mut BytesMut) -> Self {
        let mechanism = config.security.mechanism(&config.zap);
        Greeting::ours(mechanism.name(), mechanism.as_server()).encode(out);
        Handshake {
            config,
            mechanism,
            decoder: FrameDecoder::new(Some(HANDSHAKE_MAX_FRAME)),
            state: State::Greeting,
            zap_request: None,
            approval: None,
            resume: ResumeRole::Off,
        }
    }

    /// What our READY says about resumption (SPEC §3.7); set before the
    /// peer's greeting is fed. [`ResumeRole::Accept`] needs a mechanism
    /// that lets the handshake send our READY (NULL); with any other it
    /// is [`ResumeRole::Off`]. Returns the role taken.
    pub fn set_resume(&mut self, role: ResumeRole) -> &ResumeRole {
        self.resume = match role {
            ResumeRole::Accept if !self.mechanism.defer_ready() => ResumeRole::Off,
            role => role,
        };
        &self.resume
    }

    /// Sends our READY, with `resume` as its `OxMQ-Resume` property when
    /// given, once the peer's is in ([`HandshakeStatus::PeerReady`]): the
    /// handshake is done.
    pub fn send_ready(
        &mut self,
        resume: Option<Bytes>,
        out: &mut BytesMut,
    ) -> Result<HandshakeStatus, ProtocolError> {
        let State::PeerReady(info) = &self.state else {
            return Err(ProtocolError::UnexpectedCommand("READY".to_owned()));
        };
        let info = info.clone();
        let mut ours = self.our_properties();
        if let Some(value) = resume {
            ours.insert(RESUME_PROPERTY, value);
        }
        Command::Ready(ours).encode(out);
        self.state = State::Done(info.clone());
        Ok(HandshakeStatus::Done(info))
    }

    /// The ZAP request the mechanism asked for, once (SPEC §9.2): the
    /// driver sends it to the handler and hands the reply to
    /// [`zap_answer`](Self::zap_answer).
    pub fn take_zap_request(&mut self) -> Option<ZapRequest> {
        self.zap_request.take()
    }

    /// Whether the handshake waits for a ZAP reply.
    pub fn is_authenticating(&self) -> bool {
        matches!(self.state, State::Authenticating { .. })
    }

    /// What became of the ZAP request (SPEC §9.2), then what the peer sent
    /// meanwhile is read from `in_buf`.
    ///
    /// A reply of 200 lets the mechanism go on; 400 and 500 queue an
    /// ERROR carrying the status code and fail with
    /// [`ProtocolError::AuthenticationFailed`]; 300 fails the same way with
    /// no ERROR (the connection closes silently, as in libzmq); a
    /// malformed reply fails with [`ProtocolError::ZapReply`]. With no
    /// handler, PLAIN (and every mechanism under `zap_enforce_domain`)
    /// fails with [`ProtocolError::NoZapHandler`], and NULL and CURVE go on
    /// unauthenticated, as in libzmq; a handler that left before replying
    /// fails the handshake.
    pub fn zap_answer(
        &mut self,
        outcome: ZapOutcome,
        in_buf: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<HandshakeStatus, ProtocolError> {
        let result = self.judge(outcome, in_buf, out);
        if let Err(e) = &result {
            self.state = State::Failed(e.clone());
        }
        result
    }

    fn judge(
        &mut self,
        outcome: ZapOutcome,
        in_buf: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<HandshakeStatus, ProtocolError> {
        let State::Authenticating { minor_version } = self.state else {
            return Err(ProtocolError::UnexpectedCommand("ZAP reply".to_owned()));
        };
        self.approval = match outcome {
            ZapOutcome::Reply(frames) => Some(Self::verdict(&frames, out)?),
            ZapOutcome::HandlerClosed => {
                return Err(ProtocolError::NoZapHandler(
                    "the handler closed before it replied",
                ))
            }
            ZapOutcome::NoHandler if self.config.zap.enforce || self.mechanism.needs_handler() => {
                return Err(ProtocolError::NoZapHandler(
                    "none is bound at inproc://zeromq.zap.01",
                ))
            }
            ZapOutcome::NoHandler => None,
        };
        self.state = State::Mechanism { minor_version };
        let step = self.mechanism.approved(out)?;
        self.on_step(step, minor_version, out)?;
        self.advance(in_buf, out)
    }

    /// The approval in a handler's reply, or the failure it means (queuing
    /// the ERROR for 400 and 500).
    fn verdict(frames: &[Bytes], out: &mut BytesMut) -> Result<ZapReply, ProtocolError> {
        let reply = ZapReply::parse(frames, ZAP_REQUEST_ID).map_err(ProtocolError::ZapReply)?;
        let status = reply.status.code();
        match reply.status {
            ZapStatus::Success => Ok(reply),
            ZapStatus::TemporaryFailure => Err(ProtocolError::AuthenticationFailed { status }),
            ZapStatus::Failure | ZapStatus::InternalError => {
                Command::Error {
                    reason: status.to_string(),
                }
                .encode(out);
                Err(ProtocolError::AuthenticationFailed { status })
            }
        }
    }

    /// The frame transform for the data phase, once the handshake is done
    /// (SPEC §3.3); identity before that.
    pub fn transform(&mut self) -> Transform {
        if self.is_done() {
            self.mechanism.transform()
        } else {
            Transform::Identity
        }
    }

    /// Feeds received bytes (SPEC §3.1, §3.2).
    ///
    /// Consumes what it uses from `in_buf` and leaves any bytes after the
    /// peer's READY (e.g. the first message frames) there. Appends bytes to
    /// send to `out`: our READY once the peer's greeting is in, and an ERROR
    /// command before returning an error when the peer's READY is refused
    /// (missing, unknown or incompatible socket type). On `Err` the driver
    /// flushes `out` best-effort and closes the connection.
    pub fn feed(
        &mut self,
        in_buf: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<HandshakeStatus, ProtocolError> {
        let result = self.advance(in_buf, out);
        if let Err(e) = &result {
            self.state = State::Failed(e.clone());
        }
        result
    }

    /// Whether the handshake has completed successfully.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    fn advance(
        &mut self,
        in_buf: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<HandshakeStatus, ProtocolError> {
        loop {
            match &self.state {
                State::Done(peer) => return Ok(HandshakeStatus::Done(peer.clone())),
                State::PeerReady(peer) => return Ok(HandshakeStatus::PeerReady(peer.clone())),
                State::Failed(e) => return Err(e.clone()),
                State::Greeting => {
                    let Some(greeting) = Greeting::decode(in_buf)? else {
                        return Ok(HandshakeStatus::InProgress);
                    };
                    let ours = self.mechanism.name();
                    if greeting.mechanism != ours {
                        return Err(ProtocolError::MechanismMismatch {
                            ours,
                            theirs: greeting.mechanism,
                        });
                    }
                    let minor_version = greeting.negotiated_minor();
                    self.state = State::Mechanism { minor_version };
                    let step = self.mechanism.start(&self.our_properties(), out)?;
                    self.on_step(step, minor_version, out)?;
                }
                State::Authenticating { .. } => return Ok(HandshakeStatus::InProgress),
                State::Mechanism { minor_version } => {
                    let minor_version = *minor_version;
                    let Some(frame) = self.decoder.decode(in_buf)? else {
                        return Ok(HandshakeStatus::InProgress);
                    };
                    if !frame.command {
                        return Err(ProtocolError::MessageBeforeReady);
                    }
                    let step = self.mechanism.on_command_frame(frame.body, out)?;
                    self.on_step(step, minor_version, out)?;
                }
            }
        }
    }

    /// Acts on where the mechanism is: a ZAP request to make, or, once it
    /// is done, the check of the peer's properties.
    fn on_step(
        &mut self,
        step: Step,
        minor_version: u8,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        let mut metadata = match step {
            Step::Continue => return Ok(()),
            Step::Authenticate(credentials) => {
                self.zap_request = Some(ZapRequest {
                    request_id: Bytes::from_static(ZAP_REQUEST_ID),
                    domain: self.config.zap.domain.clone(),
                    address: self.config.peer_address.clone(),
                    identity: self.config.identity.clone().unwrap_or_default(),
                    mechanism: self.mechanism.name(),
                    credentials,
                });
                self.state = State::Authenticating { minor_version };
                return Ok(());
            }
            Step::Done(metadata) => metadata,
        };
        match &self.approval {
            Some(approval) => {
                // The handler's word wins over anything the peer claimed.
                metadata.insert(USER_ID, approval.user_id.clone());
                for (name, value) in approval.metadata.iter() {
                    metadata.insert(name, value.clone());
                }
            }
            // Only a handler names the user: a peer's own claim is dropped.
            None => metadata.remove(USER_ID),
        }
        // A refusal comes after our READY, as it always does from a peer
        // that sent it at once (libzmq's order), also when ours waited.
        let deferred = matches!(self.resume, ResumeRole::Accept).then(|| self.our_properties());
        let peer = self.check_peer(&metadata).inspect_err(|e| {
            if let Some(ours) = deferred {
                Command::Ready(ours).encode(out);
            }
            let reason = match e {
                ProtocolError::MalformedMetadata(_) => INVALID_IDENTITY,
                _ => INVALID_SOCKET_TYPE,
            };
            Command::Error {
                reason: reason.to_owned(),
            }
            .encode(out);
        })?;
        self.mechanism.accepted(out);
        let info = PeerInfo {
            socket_type: peer,
            identity: metadata.identity().cloned(),
            minor_version,
            authenticated: self.approval.is_some(),
            metadata,
        };
        self.state = match self.resume {
            ResumeRole::Accept => State::PeerReady(info),
            _ => State::Done(info),
        };
        Ok(())
    }

    /// The properties we announce: our socket type, and our identity when
    /// we have one.
    fn our_properties(&self) -> Metadata {
        let mut metadata = Metadata::new();
        metadata.insert(
            SOCKET_TYPE,
            Bytes::from_static(self.config.socket_type.as_str().as_bytes()),
        );
        if let Some(identity) = &self.config.identity {
            metadata.insert(IDENTITY, identity.clone());
        }
        if let ResumeRole::Offer(value) = &self.resume {
            metadata.insert(RESUME_PROPERTY, value.clone());
        }
        metadata
    }

    /// Validates the peer's socket type against ours (SPEC §3.5), and the
    /// length of its identity (at most 255 bytes, RFC 37).
    fn check_peer(&self, metadata: &Metadata) -> Result<SocketType, ProtocolError> {
        if let Some(id) = metadata.get(IDENTITY).filter(|id| id.len() > MAX_IDENTITY) {
            return Err(ProtocolError::MalformedMetadata(format!(
                "an Identity of {} bytes; at most {MAX_IDENTITY}",
                id.len()
            )));
        }
        let ours = self.config.socket_type;
        let theirs = metadata.socket_type()?;
        if ours.is_compatible_with(theirs) {
            Ok(theirs)
        } else {
            Err(ProtocolError::IncompatibleSocketType { ours, theirs })
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod plain_tests;

#[cfg(test)]
mod curve_tests;
