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
    /// A CURVE box did not open: it was forged, altered on the way, or
    /// sealed with other keys than ours (a client that has the wrong
    /// server key fails the server's HELLO check) (SPEC §9.5).
    #[error("CURVE: the {0} does not open: forged, altered, or sealed with other keys")]
    CryptoFailure(CurveBox),
    /// A CURVE short nonce is not above the last one the peer used: a
    /// replayed or reordered command (SPEC §9.5).
    #[error("CURVE: {command} short nonce {nonce} is not above the previous one, {last}: replayed or reordered")]
    InvalidNonce {
        /// The command that carried it.
        command: CurveCommand,
        /// Its short nonce.
        nonce: u64,
        /// The peer's previous short nonce.
        last: u64,
    },
    /// A CURVE command of the wrong size, or with a field of the wrong
    /// value (SPEC §9.5).
    #[error("CURVE: malformed {command}: {reason}")]
    MalformedCurve {
        /// The command.
        command: CurveCommand,
        /// What is wrong with it.
        reason: String,
    },
    /// A CURVE key of low order: the X25519 secret it shares with any key
    /// is all zero, so it would protect nothing (SPEC §9.5).
    #[error("CURVE: the {0} has low order (its shared secret is all zero)")]
    WeakKey(CurveKey),
    /// A key sealed inside a CURVE box is not the one expected (SPEC §9.5).
    #[error("CURVE: the {key} in the {within} is not the one expected")]
    KeyMismatch {
        /// Which key.
        key: CurveKey,
        /// The box that named it.
        within: CurveBox,
    },
}

/// A command of the CURVE handshake or data phase (RFC 26, SPEC §9.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CurveCommand {
    /// The client's first command.
    Hello,
    /// The server's answer to HELLO.
    Welcome,
    /// The client's answer to WELCOME.
    Initiate,
    /// The server's last handshake command.
    Ready,
    /// A frame of the data phase.
    Message,
}

impl std::fmt::Display for CurveCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CurveCommand::Hello => "HELLO",
            CurveCommand::Welcome => "WELCOME",
            CurveCommand::Initiate => "INITIATE",
            CurveCommand::Ready => "READY",
            CurveCommand::Message => "MESSAGE",
        })
    }
}

/// A box of the CURVE handshake or data phase (RFC 26, SPEC §9.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CurveBox {
    /// HELLO's signature box, from the client's transient key to the
    /// server's long-term key.
    Hello,
    /// WELCOME's box, from the server's long-term key to the client's
    /// transient key.
    Welcome,
    /// The cookie, sealed with the server's cookie key.
    Cookie,
    /// INITIATE's box, between the two transient keys.
    Initiate,
    /// The vouch inside INITIATE's box, from the client's long-term key to
    /// the server's transient key.
    Vouch,
    /// READY's box, between the two transient keys.
    Ready,
    /// A MESSAGE's box, between the two transient keys.
    Message,
}

impl std::fmt::Display for CurveBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CurveBox::Hello => "HELLO signature box",
            CurveBox::Welcome => "WELCOME box",
            CurveBox::Cookie => "WELCOME cookie",
            CurveBox::Initiate => "INITIATE box",
            CurveBox::Vouch => "INITIATE vouch",
            CurveBox::Ready => "READY box",
            CurveBox::Message => "MESSAGE box",
        })
    }
}

/// One of the four keys of a CURVE connection (RFC 26, SPEC §9.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CurveKey {
    /// The server's long-term public key (S).
    ServerLongTerm,
    /// The server's transient public key (S').
    ServerTransient,
    /// The client's long-term public key (C).
    ClientLongTerm,
    /// The client's transient public key (C').
    ClientTransient,
}

impl std::fmt::Display for CurveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CurveKey::ServerLongTerm => "server's long-term key",
            CurveKey::ServerTransient => "server's transient key",
            CurveKey::ClientLongTerm => "client's long-term key",
            CurveKey::ClientTransient => "client's transient key",
        })
    }
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
