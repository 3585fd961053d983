//! The greeting exchange and NULL security handshake (SPEC §3.1, §3.2).

use bytes::{Bytes, BytesMut};

use super::command::Command;
use super::error::ProtocolError;
use super::frame::FrameDecoder;
use super::greeting::Greeting;
use super::metadata::{Metadata, IDENTITY, SOCKET_TYPE};
use super::security::{null::Null, SecurityMechanism, Step};
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
    /// Whether we act as server in the security handshake. The NULL
    /// mechanism has no roles, so RFC 23 requires the greeting's as-server
    /// byte to be zero: it is sent as 0 regardless while the mechanism is NULL.
    pub as_server: bool,
}

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
    /// All properties of the peer's READY command.
    pub metadata: Metadata,
}

/// Result of [`Handshake::feed`] (SPEC §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeStatus {
    /// More bytes from the peer are needed.
    InProgress,
    /// The handshake succeeded; traffic may flow.
    Done(PeerInfo),
}

/// Where the state machine is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for the peer's 64-byte greeting.
    Greeting,
    /// The mechanism's exchange (for NULL: our READY is sent, the peer's
    /// is awaited).
    Mechanism { minor_version: u8 },
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
}

impl Handshake {
    /// Creates the state machine and appends our greeting to `out`; the
    /// driver writes it at once (SPEC §3.1).
    pub fn new(config: HandshakeConfig, out: &mut BytesMut) -> Self {
        // NULL is the only mechanism so far. It has no client/server
        // roles, so its as-server byte is 0 whatever `config` says.
        let mechanism: Box<dyn SecurityMechanism> = Box::new(Null);
        Greeting::ours(mechanism.name(), mechanism.as_server()).encode(out);
        Handshake {
            config,
            mechanism,
            decoder: FrameDecoder::new(Some(HANDSHAKE_MAX_FRAME)),
            state: State::Greeting,
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
                    self.finish_if_done(step, minor_version, out)?;
                }
                State::Mechanism { minor_version } => {
                    let minor_version = *minor_version;
                    let Some(frame) = self.decoder.decode(in_buf)? else {
                        return Ok(HandshakeStatus::InProgress);
                    };
                    if !frame.command {
                        return Err(ProtocolError::MessageBeforeReady);
                    }
                    let step = self
                        .mechanism
                        .on_command(Command::parse(frame.body)?, out)?;
                    self.finish_if_done(step, minor_version, out)?;
                }
            }
        }
    }

    /// Once the mechanism is done, checks the peer's properties and
    /// records the outcome.
    fn finish_if_done(
        &mut self,
        step: Step,
        minor_version: u8,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        let Step::Done(metadata) = step else {
            return Ok(());
        };
        let peer = self.check_peer(&metadata).inspect_err(|_| {
            Command::Error {
                reason: INVALID_SOCKET_TYPE.to_owned(),
            }
            .encode(out);
        })?;
        self.state = State::Done(PeerInfo {
            socket_type: peer,
            identity: metadata.identity().cloned(),
            minor_version,
            metadata,
        });
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
        metadata
    }

    /// Validates the peer's socket type against ours (SPEC §3.5).
    fn check_peer(&self, metadata: &Metadata) -> Result<SocketType, ProtocolError> {
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
mod tests {
    use super::super::frame::{encode_frame, encode_message};
    use super::super::mechanism::Mechanism;
    use super::*;
    use proptest::prelude::*;

    fn config(socket_type: SocketType, identity: Option<&'static [u8]>) -> HandshakeConfig {
        HandshakeConfig {
            socket_type,
            identity: identity.map(Bytes::from_static),
            as_server: false,
        }
    }

    /// One side of an in-memory connection.
    struct Side {
        hs: Handshake,
        /// Bytes this side has written and the other has not read yet.
        out: BytesMut,
        /// Bytes received by this side and not consumed yet.
        inbox: BytesMut,
        result: Option<Result<HandshakeStatus, ProtocolError>>,
    }

    impl Side {
        fn new(cfg: HandshakeConfig) -> Self {
            let mut out = BytesMut::new();
            let hs = Handshake::new(cfg, &mut out);
            Side {
                hs,
                out,
                inbox: BytesMut::new(),
                result: None,
            }
        }
    }

    /// Moves at most `chunk` bytes from `from.out` to `to.inbox` and feeds.
    fn transfer(from: &mut Side, to: &mut Side, chunk: usize) {
        let n = chunk.min(from.out.len());
        to.inbox.extend_from_slice(&from.out.split_to(n));
        if !matches!(to.result, Some(Ok(HandshakeStatus::Done(_))) | Some(Err(_))) {
            to.result = Some(to.hs.feed(&mut to.inbox, &mut to.out));
        }
    }

    fn run(a: &mut Side, b: &mut Side, chunk: usize) {
        for _ in 0..10_000 {
            if a.out.is_empty() && b.out.is_empty() {
                break;
            }
            transfer(a, b, chunk);
            transfer(b, a, chunk);
        }
    }

    fn done(side: &Side) -> PeerInfo {
        match &side.result {
            Some(Ok(HandshakeStatus::Done(peer))) => peer.clone(),
            other => panic!("handshake not done: {other:?}"),
        }
    }

    #[test]
    fn client_server_handshake() {
        for chunk in [1, 7, 64, 1000] {
            let mut a = Side::new(config(SocketType::Client, None));
            let mut b = Side::new(config(SocketType::Server, None));
            run(&mut a, &mut b, chunk);
            let pa = done(&a);
            let pb = done(&b);
            assert_eq!(pa.socket_type, SocketType::Server);
            assert_eq!(pb.socket_type, SocketType::Client);
            assert_eq!((pa.minor_version, pb.minor_version), (1, 1));
            assert_eq!(pa.identity, None);
            assert!(a.hs.is_done() && b.hs.is_done());
            assert!(a.inbox.is_empty() && b.inbox.is_empty());
        }
    }

    #[test]
    fn push_pull_with_identity_and_trailing_messages() {
        let mut push = Side::new(config(SocketType::Push, Some(b"pusher")));
        let mut pull = Side::new(config(SocketType::Pull, Some(b"")));
        // The pull side answers the push greeting with greeting + READY; the
        // push side then sends its READY and is done at once.
        transfer(&mut push, &mut pull, usize::MAX);
        assert!(matches!(pull.result, Some(Ok(HandshakeStatus::InProgress))));
        transfer(&mut pull, &mut push, usize::MAX);
        assert!(push.hs.is_done());
        // The pusher sends right after its READY: the message arrives in the
        // same read as the READY and must be left in the buffer.
        encode_message(
            &[Bytes::from_static(b"hello"), Bytes::from(vec![1u8; 300])],
            &mut push.out,
        );
        transfer(&mut push, &mut pull, usize::MAX);
        transfer(&mut pull, &mut push, usize::MAX);
        let at_pull = done(&pull);
        let at_push = done(&push);
        assert_eq!(at_pull.socket_type, SocketType::Push);
        assert_eq!(at_pull.identity.as_deref(), Some(&b"pusher"[..]));
        assert_eq!(at_push.socket_type, SocketType::Pull);
        assert_eq!(at_push.identity, None); // empty identity reads as None
        assert_eq!(at_push.metadata.get("identity").map(|v| v.len()), Some(0));

        let mut dec = FrameDecoder::new(None);
        let f1 = dec.decode(&mut pull.inbox).unwrap().unwrap();
        let f2 = dec.decode(&mut pull.inbox).unwrap().unwrap();
        assert_eq!((&f1.body[..], f1.more), (&b"hello"[..], true));
        assert_eq!((f2.body.len(), f2.more), (300, false));
        assert!(pull.inbox.is_empty());
        // A later call reports Done again without consuming anything.
        let mut extra = BytesMut::from(&b"\x00\x01x"[..]);
        let mut out = BytesMut::new();
        assert!(matches!(
            pull.hs.feed(&mut extra, &mut out),
            Ok(HandshakeStatus::Done(_))
        ));
        assert_eq!(extra.len(), 3);
        assert!(out.is_empty());
    }

    #[test]
    fn ready_is_sent_after_peer_greeting_and_matches_rfc() {
        let mut out = BytesMut::new();
        let cfg = HandshakeConfig {
            socket_type: SocketType::Dealer,
            identity: Some(Bytes::new()),
            as_server: true,
        };
        let mut hs = Handshake::new(cfg, &mut out);
        assert_eq!(out.len(), 64);
        assert_eq!(out[32], 0, "as-server is zero with NULL");
        out.clear();
        let mut peer = BytesMut::new();
        Greeting {
            major: 3,
            minor: 0,
            mechanism: Mechanism::Null,
            as_server: false,
        }
        .encode(&mut peer);
        assert_eq!(
            hs.feed(&mut peer, &mut out),
            Ok(HandshakeStatus::InProgress)
        );
        // The RFC 23 worked example: DEALER READY with an empty Identity.
        let mut expected = vec![0x04, 41, 5];
        expected.extend_from_slice(b"READY\x0bSocket-Type\x00\x00\x00\x06DEALER");
        expected.extend_from_slice(b"\x08Identity\x00\x00\x00\x00");
        assert_eq!(&out[..], &expected[..]);
        let mut md = Metadata::new();
        md.insert("Socket-Type", Bytes::from_static(b"ROUTER"));
        Command::Ready(md).encode(&mut peer);
        match hs.feed(&mut peer, &mut out) {
            Ok(HandshakeStatus::Done(info)) => assert_eq!(info.minor_version, 0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn incompatible_types_send_error() {
        let mut a = Side::new(config(SocketType::Client, None));
        let mut b = Side::new(config(SocketType::Push, None));
        transfer(&mut a, &mut b, usize::MAX);
        transfer(&mut b, &mut a, usize::MAX);
        // `a` saw b's READY: it queued its own READY, then an ERROR.
        let mut dec = FrameDecoder::new(None);
        let mut a_out = a.out.clone();
        let ready = dec.decode(&mut a_out).unwrap().unwrap();
        assert!(matches!(Command::parse(ready.body), Ok(Command::Ready(_))));
        let error = dec.decode(&mut a_out).unwrap().unwrap();
        assert_eq!(
            Command::parse(error.body),
            Ok(Command::Error {
                reason: "Invalid socket type".into()
            })
        );
        assert!(a_out.is_empty());
        transfer(&mut a, &mut b, usize::MAX);
        let expected_a = ProtocolError::IncompatibleSocketType {
            ours: SocketType::Client,
            theirs: SocketType::Push,
        };
        assert_eq!(a.result, Some(Err(expected_a.clone())));
        assert_eq!(
            b.result,
            Some(Err(ProtocolError::IncompatibleSocketType {
                ours: SocketType::Push,
                theirs: SocketType::Client,
            }))
        );
        // `b` refused a's READY (before reading a's ERROR) and queued its own.
        let frame = dec.decode(&mut b.out).unwrap().unwrap();
        assert_eq!(
            Command::parse(frame.body),
            Ok(Command::Error {
                reason: "Invalid socket type".into()
            })
        );
        // Once failed, the error is sticky.
        assert_eq!(
            a.hs.feed(&mut BytesMut::new(), &mut BytesMut::new()),
            Err(expected_a)
        );
        // The peer's ERROR, if read, is reported as PeerError.
        let mut c = Side::new(config(SocketType::Push, None));
        let mut d = Side::new(config(SocketType::Client, None));
        transfer(&mut c, &mut d, usize::MAX);
        transfer(&mut d, &mut c, usize::MAX);
        let mut err = BytesMut::new();
        Command::Error {
            reason: "go away".into(),
        }
        .encode(&mut err);
        let mut out = BytesMut::new();
        assert_eq!(
            d.hs.feed(&mut err, &mut out),
            Err(ProtocolError::PeerError("go away".into()))
        );
    }

    /// A handshake that has received a 3.1 NULL greeting and sent READY.
    fn after_greeting(socket_type: SocketType) -> (Handshake, BytesMut) {
        let mut out = BytesMut::new();
        let mut hs = Handshake::new(config(socket_type, None), &mut out);
        let mut peer = BytesMut::new();
        Greeting::ours(Mechanism::Null, false).encode(&mut peer);
        assert_eq!(
            hs.feed(&mut peer, &mut out),
            Ok(HandshakeStatus::InProgress)
        );
        out.clear();
        (hs, out)
    }

    #[test]
    fn refusals_after_greeting() {
        // A message frame instead of READY.
        let (mut hs, mut out) = after_greeting(SocketType::Pull);
        let mut input = BytesMut::new();
        encode_frame(b"data", false, false, &mut input);
        assert_eq!(
            hs.feed(&mut input, &mut out),
            Err(ProtocolError::MessageBeforeReady)
        );

        // READY without Socket-Type.
        let (mut hs, mut out) = after_greeting(SocketType::Pull);
        let mut md = Metadata::new();
        md.insert("Identity", Bytes::from_static(b"x"));
        let mut input = BytesMut::new();
        Command::Ready(md).encode(&mut input);
        assert_eq!(
            hs.feed(&mut input, &mut out),
            Err(ProtocolError::MissingSocketType)
        );
        let frame = FrameDecoder::new(None).decode(&mut out).unwrap().unwrap();
        assert!(matches!(
            Command::parse(frame.body),
            Ok(Command::Error { .. })
        ));

        // Unknown socket type.
        let (mut hs, mut out) = after_greeting(SocketType::Pull);
        let mut md = Metadata::new();
        md.insert("Socket-Type", Bytes::from_static(b"FOO"));
        let mut input = BytesMut::new();
        Command::Ready(md).encode(&mut input);
        assert_eq!(
            hs.feed(&mut input, &mut out),
            Err(ProtocolError::UnknownSocketType("FOO".into()))
        );

        // Another command first.
        let (mut hs, mut out) = after_greeting(SocketType::Pull);
        let mut input = BytesMut::new();
        Command::Ping {
            ttl_deciseconds: 0,
            context: Bytes::new(),
        }
        .encode(&mut input);
        assert_eq!(
            hs.feed(&mut input, &mut out),
            Err(ProtocolError::UnexpectedCommand("PING".into()))
        );

        // A huge READY length is refused from the header alone.
        let (mut hs, mut out) = after_greeting(SocketType::Pull);
        let mut input = BytesMut::from(&[0x06u8, 0, 0, 0, 1, 0, 0, 0, 0][..]);
        assert_eq!(
            hs.feed(&mut input, &mut out),
            Err(ProtocolError::FrameTooLarge {
                size: 1 << 32,
                max: HANDSHAKE_MAX_FRAME
            })
        );
    }

    #[test]
    fn greeting_refusals() {
        let mut out = BytesMut::new();
        let mut hs = Handshake::new(config(SocketType::Pair, None), &mut out);
        out.clear();
        let mut plain = BytesMut::new();
        Greeting::ours(Mechanism::Plain, false).encode(&mut plain);
        assert_eq!(
            hs.feed(&mut plain, &mut out),
            Err(ProtocolError::MechanismMismatch {
                ours: Mechanism::Null,
                theirs: Mechanism::Plain
            })
        );
        assert!(out.is_empty(), "no READY for a refused greeting");

        let mut hs = Handshake::new(config(SocketType::Pair, None), &mut out);
        let mut old = BytesMut::from(&[0xFFu8, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1][..]);
        assert_eq!(
            hs.feed(&mut old, &mut out),
            Err(ProtocolError::UnsupportedVersion { major: 1, minor: 0 })
        );
    }

    proptest! {
        #[test]
        fn feed_never_panics(
            valid_greeting in any::<bool>(),
            data in prop::collection::vec(any::<u8>(), 0..600),
            chunk in 1usize..100,
        ) {
            let mut out = BytesMut::new();
            let mut hs = Handshake::new(config(SocketType::Dealer, None), &mut out);
            let mut wire = BytesMut::new();
            if valid_greeting {
                Greeting::ours(Mechanism::Null, false).encode(&mut wire);
            }
            wire.extend_from_slice(&data);
            let mut inbox = BytesMut::new();
            while !wire.is_empty() {
                let n = chunk.min(wire.len());
                inbox.extend_from_slice(&wire.split_to(n));
                if hs.feed(&mut inbox, &mut out).is_err() {
                    break;
                }
            }
        }

        #[test]
        fn feed_never_panics_on_frames(
            frames in prop::collection::vec(
                (0u8..8, prop::collection::vec(any::<u8>(), 0..40)),
                0..6,
            ),
        ) {
            let mut out = BytesMut::new();
            let mut hs = Handshake::new(config(SocketType::Router, None), &mut out);
            let mut wire = BytesMut::new();
            Greeting::ours(Mechanism::Null, false).encode(&mut wire);
            for (flags, body) in frames {
                wire.extend_from_slice(&[flags, body.len() as u8]);
                wire.extend_from_slice(&body);
            }
            let _ = hs.feed(&mut wire, &mut out);
        }
    }
}
