//! Protocol errors (SPEC §3.6).

use super::mechanism::Mechanism;
use super::socket_type::SocketType;

/// A violation of ZMTP by the peer, or a refusal of the peer (SPEC §3.6).
///
/// Every variant is fatal for the connection: the driver flushes whatever the
/// sans-IO state machine appended to its output buffer (best effort) and then
/// closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The first ten greeting bytes are not a ZMTP 2.0+ signature: byte 0 is
    /// not `0xFF` or byte 9 has its low bit clear (SPEC §3.1).
    #[error("invalid greeting signature: the peer does not speak ZMTP 2.0 or later")]
    BadSignature,
    /// The peer announced a protocol version older than ZMTP 3.0 (SPEC §3.1).
    #[error("the peer speaks ZMTP {major}.{minor}, but ZMTP 3.0 or later is required")]
    UnsupportedVersion {
        /// Major version announced by the peer.
        major: u8,
        /// Minor version announced by the peer (0 if it was not received yet).
        minor: u8,
    },
    /// The greeting names a security mechanism this implementation does not
    /// know (SPEC §3.1).
    #[error("unsupported security mechanism {0:?}")]
    UnsupportedMechanism(String),
    /// The peer's security mechanism is not the one we announced (SPEC §3.1).
    #[error("security mechanism mismatch: we use {ours} but the peer uses {theirs}")]
    MechanismMismatch {
        /// Our mechanism.
        ours: Mechanism,
        /// The peer's mechanism.
        theirs: Mechanism,
    },
    /// A frame's flags byte has reserved bits set, or MORE set on a command
    /// frame (SPEC §3.3).
    #[error("invalid frame flags 0x{0:02x}: reserved bits set or MORE set on a command frame")]
    InvalidFlags(u8),
    /// A frame's length is above 2^63-1 or does not fit in this platform's
    /// address space (SPEC §3.3).
    #[error("invalid frame length {0}: above 2^63-1 or too large for this platform")]
    InvalidLength(u64),
    /// A frame is larger than the configured maximum (SPEC §3.3).
    #[error("frame of {size} bytes exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// The announced frame body length.
        size: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A command frame's body does not follow its grammar (SPEC §3.4).
    #[error("malformed command: {0}")]
    MalformedCommand(String),
    /// The metadata properties of a READY command are malformed (SPEC §3.2).
    #[error("malformed metadata: {0}")]
    MalformedMetadata(String),
    /// The peer sent a message frame before its READY command (SPEC §3.2).
    #[error("the peer sent a message frame before its READY command")]
    MessageBeforeReady,
    /// The peer sent a command that is not valid at this point (SPEC §3.2).
    #[error("unexpected command {0:?} from the peer")]
    UnexpectedCommand(String),
    /// The peer's READY command has no Socket-Type property (SPEC §3.2).
    #[error("the peer's READY command has no Socket-Type property")]
    MissingSocketType,
    /// The peer's Socket-Type property names no known socket type (SPEC §3.5).
    #[error("the peer announced an unknown socket type {0:?}")]
    UnknownSocketType(String),
    /// The peer's socket type cannot talk to ours (SPEC §3.5).
    #[error("a {ours} socket cannot talk to a {theirs} peer")]
    IncompatibleSocketType {
        /// Our socket type.
        ours: SocketType,
        /// The peer's socket type.
        theirs: SocketType,
    },
    /// A message has more frames than the `max_frames` option allows
    /// (SPEC §7).
    #[error("message of more than {max} frames")]
    TooManyFrames {
        /// The configured maximum.
        max: usize,
    },
    /// A message (all its frames) is larger than the `rcvhwm_bytes`
    /// option allows: it could never be queued (SPEC §7).
    #[error("message of at least {size} bytes exceeds the per-peer queue limit of {max} bytes")]
    MessageTooLarge {
        /// Bytes of the message received so far.
        size: u64,
        /// The configured limit.
        max: u64,
    },
    /// The peer refused the connection with an ERROR command (SPEC §3.4).
    #[error("the peer refused the connection: {0}")]
    PeerError(String),
    /// The ZAP handler did not approve the peer's credentials: status 300
    /// (temporary failure), 400 (refused) or 500 (handler error) (SPEC §9.2).
    #[error("authentication failed: the ZAP handler answered {status}")]
    AuthenticationFailed {
        /// The ZAP status code.
        status: u16,
    },
    /// The ZAP handler's reply is malformed (SPEC §9.2).
    #[error("invalid ZAP reply: {0}")]
    ZapReply(ZapError),
    /// Authentication was needed and no ZAP handler is bound at
    /// `inproc://zeromq.zap.01` (PLAIN, or any mechanism with
    /// `zap_enforce_domain`), or the handler left before it replied
    /// (SPEC §9.2).
    #[error("no ZAP handler answered: {0}")]
    NoZapHandler(&'static str),
}

/// Why a ZAP reply was refused (SPEC §9.2); the handshake it answers
/// fails, as in libzmq.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZapError {
    /// A reply has 7 frames (the delimiter, then 6).
    #[error("a reply of {0} frames; a reply has 7")]
    FrameCount(usize),
    /// The first frame is not the empty delimiter.
    #[error("no empty delimiter frame")]
    Delimiter,
    /// The version frame is not `1.0`.
    #[error("version {0:?}, not 1.0")]
    Version(bytes::Bytes),
    /// The request id does not echo the request's.
    #[error("a reply to request {got:?}, not to {expected:?}")]
    RequestId {
        /// The id of the request made.
        expected: bytes::Bytes,
        /// The id the reply carries.
        got: bytes::Bytes,
    },
    /// The status code is not 200, 300, 400 or 500.
    #[error("status code {0:?}, not 200, 300, 400 or 500")]
    Status(bytes::Bytes),
    /// The metadata frame is not a ZMTP property list.
    #[error("malformed metadata: {0}")]
    Metadata(String),
}
