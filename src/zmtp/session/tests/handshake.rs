//! SPEC §3.2 handshake.

use super::*;
#[test]
fn unknown_and_other_mechanisms_are_refused() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    let mut g = greeting(1);
    g[12..32].copy_from_slice(&[0; 20]);
    g[12..15].copy_from_slice(b"FOO");
    s.handle_bytes(clock.now(), &g);
    assert_eq!(
        protocol(&mut s),
        ProtocolError::UnsupportedMechanism("FOO".into())
    );
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    drain(&mut s);
    let mut g = BytesMut::new();
    Greeting::ours(Mechanism::Curve, true).encode(&mut g);
    s.handle_bytes(clock.now(), &g);
    assert_eq!(
        protocol(&mut s),
        ProtocolError::MechanismMismatch {
            ours: Mechanism::Null,
            theirs: Mechanism::Curve
        }
    );
    assert!(drain(&mut s).is_empty(), "no READY for a refused greeting");
}

#[test]
fn ready_carries_socket_type_and_identity() {
    let clock = Clock::new();
    let mut cfg = config(SocketType::Router);
    cfg.identity = Some(Bytes::from_static(b"me"));
    let mut s = Session::new(cfg, clock.now());
    drain(&mut s);
    s.handle_bytes(clock.now(), &greeting(1));
    match &commands(&drain(&mut s))[..] {
        [Command::Ready(md)] => {
            assert_eq!(md.get("Socket-Type").unwrap(), "ROUTER");
            assert_eq!(md.get("Identity").unwrap(), "me");
        }
        other => panic!("{other:?}"),
    }
    // Without a routing id, no Identity property.
    let mut s = Session::new(config(SocketType::Dealer), clock.now());
    drain(&mut s);
    s.handle_bytes(clock.now(), &greeting(1));
    match &commands(&drain(&mut s))[..] {
        [Command::Ready(md)] => assert!(md.get("Identity").is_none()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn peer_info_names_type_identity_and_properties_case_insensitively() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Router), clock.now());
    drain(&mut s);
    let mut md = Metadata::new();
    md.insert("socket-type", Bytes::from_static(b"DEALER"));
    md.insert("IDENTITY", Bytes::from_static(b"peer-1"));
    md.insert("X-Extra", Bytes::from_static(b"v"));
    let mut input = greeting(1);
    input.extend(cmd(Command::Ready(md)));
    s.handle_bytes(clock.now(), &input);
    match &events(&mut s)[..] {
        [SessionEvent::Established(info)] => {
            assert_eq!(info.socket_type, SocketType::Dealer);
            assert_eq!(info.identity.as_deref(), Some(&b"peer-1"[..]));
            assert_eq!(info.metadata.get("x-extra").unwrap(), "v");
        }
        other => panic!("{other:?}"),
    }
}

/// The first frame after the greeting must be the peer's READY.
#[test]
fn first_frame_must_be_ready() {
    let clock = Clock::new();
    let cases: Vec<(Vec<u8>, ProtocolError, bool)> = vec![
        (
            msg_bytes(&[b"data"]),
            ProtocolError::MessageBeforeReady,
            false,
        ),
        (
            cmd(Command::Ping {
                ttl_deciseconds: 0,
                context: Bytes::new(),
            }),
            ProtocolError::UnexpectedCommand("PING".into()),
            false,
        ),
        (
            cmd(Command::Error {
                reason: "no".into(),
            }),
            ProtocolError::PeerError("no".into()),
            false,
        ),
        (
            ready_frame("FOO", &[]),
            ProtocolError::UnknownSocketType("FOO".into()),
            true,
        ),
        (
            ready_frame("PULL", &[]),
            ProtocolError::IncompatibleSocketType {
                ours: SocketType::Pull,
                theirs: SocketType::Pull,
            },
            true,
        ),
        (
            cmd(Command::Ready(Metadata::new())),
            ProtocolError::MissingSocketType,
            true,
        ),
    ];
    for (frame, expected, sends_error) in cases {
        let mut s = Session::new(config(SocketType::Pull), clock.now());
        drain(&mut s);
        let mut input = greeting(1);
        input.extend(frame);
        s.handle_bytes(clock.now(), &input);
        assert_eq!(protocol(&mut s), expected);
        let out = commands(&drain(&mut s));
        assert!(matches!(out[0], Command::Ready(_)));
        let error = out.iter().any(|c| matches!(c, Command::Error { .. }));
        assert_eq!(error, sends_error, "{expected:?}: ERROR sent? {out:?}");
        if sends_error {
            assert_eq!(
                out.last(),
                Some(&Command::Error {
                    reason: "Invalid socket type".into()
                })
            );
        }
    }
}

#[test]
fn handshake_frames_are_limited_to_64_kib() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    let mut input = greeting(1);
    input.extend([0x06, 0, 0, 0, 0, 0, 1, 0, 1]);
    s.handle_bytes(clock.now(), &input);
    assert_eq!(
        protocol(&mut s),
        ProtocolError::FrameTooLarge {
            size: 65_537,
            max: 65_536
        }
    );
}

#[test]
fn handshake_deadline_is_not_moved_by_trickling_bytes() {
    let mut clock = Clock::new();
    let mut cfg = config(SocketType::Pull);
    cfg.handshake_timeout = Some(Duration::from_millis(200));
    let mut s = Session::new(cfg, clock.now());
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, clock.now() + Duration::from_millis(200));
    for b in greeting(1).into_iter().take(10) {
        let now = clock.advance(Duration::from_millis(19));
        s.handle_bytes(now, &[b]);
        s.handle_timeout(now);
        assert_eq!(s.poll_timeout(), Some(deadline));
    }
    assert!(s.end().is_none());
    let now = clock.advance(Duration::from_millis(10));
    s.handle_timeout(now);
    assert_eq!(closed(&mut s), SessionEnd::HandshakeTimeout);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn no_handshake_deadline_without_handshake_ivl() {
    let clock = Clock::new();
    let s = Session::new(config(SocketType::Pull), clock.now());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn eof_ends_the_session() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    s.handle_bytes(clock.now(), &greeting(1)[..20]);
    s.handle_eof(clock.now());
    assert_eq!(closed(&mut s), SessionEnd::PeerClosed);
    let mut s = established(SocketType::Pull, "PUSH", &clock);
    s.handle_bytes(clock.now(), &msg_bytes(&[b"a", b"b"])[..4]);
    s.handle_eof(clock.now());
    assert_eq!(closed(&mut s), SessionEnd::PeerClosed);
    assert!(messages(&mut s).is_empty(), "a partial message is lost");
}

/// Every pair of socket types agrees with SPEC §3.5, for both sides.
#[test]
fn compatibility_table() {
    let clock = Clock::new();
    for ours in SocketType::ALL {
        for theirs in SocketType::ALL {
            let mut a = Session::new(config(ours), clock.now());
            let mut b = Session::new(config(theirs), clock.now());
            pump(&mut a, &mut b, clock.now(), 1000);
            let ok = ours.is_compatible_with(theirs);
            assert_eq!(a.is_established(), ok, "{ours} with {theirs}");
            assert_eq!(b.is_established(), ok, "{theirs} with {ours}");
            if !ok {
                assert!(matches!(
                    a.end(),
                    Some(SessionEnd::Protocol(
                        ProtocolError::IncompatibleSocketType { .. } | ProtocolError::PeerError(_)
                    ))
                ));
            }
        }
    }
}
