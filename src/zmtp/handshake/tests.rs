//! Unit tests of the parent module.

use super::super::frame::{encode_frame, encode_message};
use super::super::mechanism::Mechanism;
use super::*;
use proptest::prelude::*;

fn config(socket_type: SocketType, identity: Option<&'static [u8]>) -> HandshakeConfig {
    HandshakeConfig {
        socket_type,
        identity: identity.map(Bytes::from_static),
        security: Security::Null,
        peer_address: Bytes::new(),
        zap: ZapConfig::default(),
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
        security: Security::Null,
        peer_address: Bytes::new(),
        zap: ZapConfig::default(),
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

#[test]
fn a_peer_cannot_name_its_own_user_id() {
    let (mut hs, mut out) = after_greeting(SocketType::Pull);
    let mut md = Metadata::new();
    md.insert("Socket-Type", Bytes::from_static(b"PUSH"));
    md.insert("user-id", Bytes::from_static(b"root"));
    md.insert("X-Custom", Bytes::from_static(b"kept"));
    let mut input = BytesMut::new();
    Command::Ready(md).encode(&mut input);
    let Ok(HandshakeStatus::Done(peer)) = hs.feed(&mut input, &mut out) else {
        panic!("refused");
    };
    assert!(!peer.authenticated);
    assert_eq!(
        peer.metadata.get(USER_ID),
        None,
        "only a ZAP handler names the user"
    );
    assert_eq!(
        peer.metadata.get("x-custom").map(|v| v.as_ref()),
        Some(&b"kept"[..])
    );
}

#[test]
fn an_identity_over_255_bytes_is_refused() {
    for (len, ok) in [(255usize, true), (256, false)] {
        let (mut hs, mut out) = after_greeting(SocketType::Router);
        let mut md = Metadata::new();
        md.insert("Socket-Type", Bytes::from_static(b"DEALER"));
        md.insert("Identity", Bytes::from(vec![b'i'; len]));
        let mut input = BytesMut::new();
        Command::Ready(md).encode(&mut input);
        let result = hs.feed(&mut input, &mut out);
        if ok {
            assert!(
                matches!(result, Ok(HandshakeStatus::Done(_))),
                "{len}: {result:?}"
            );
        } else {
            assert!(
                matches!(result, Err(ProtocolError::MalformedMetadata(_))),
                "{len}: {result:?}"
            );
            let mut d = FrameDecoder::new(None);
            let f = d.decode(&mut out).unwrap().expect("an ERROR");
            assert_eq!(
                Command::parse(f.body).unwrap(),
                Command::Error {
                    reason: "Invalid identity".to_owned()
                }
            );
        }
    }
}
