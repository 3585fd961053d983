//! The session alone, bytes in and bytes out, on a fake clock: one test
//! (or more) per rule of SPEC §3, §6.1 (limits) and §6.8 (heartbeats).

use super::*;
use crate::zmtp::frame::{encode_frame, Frame};
use crate::zmtp::greeting::{Greeting, GREETING_LEN};
use crate::zmtp::mechanism::Mechanism;
use crate::zmtp::metadata::Metadata;
use proptest::prelude::*;

/// A fake clock: an origin and an offset moved by the tests.
struct Clock(Instant, Duration);

impl Clock {
    fn new() -> Clock {
        Clock(Instant::now(), Duration::ZERO)
    }
    fn now(&self) -> Instant {
        self.0 + self.1
    }
    fn advance(&mut self, d: Duration) -> Instant {
        self.1 += d;
        self.now()
    }
}

fn config(t: SocketType) -> SessionConfig {
    SessionConfig::new(t)
}

/// Everything the session wants written, as one byte string.
fn drain(s: &mut Session) -> Vec<u8> {
    let mut all = Vec::new();
    loop {
        let mut iov = [IoSlice::new(&[]); 8];
        let n = s.poll_transmit(&mut iov);
        if n == 0 {
            return all;
        }
        let mut taken = 0;
        for slice in &iov[..n] {
            all.extend_from_slice(slice);
            taken += slice.len();
        }
        s.transmitted(taken);
    }
}

fn events(s: &mut Session) -> Vec<SessionEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn messages(s: &mut Session) -> Vec<Message> {
    std::iter::from_fn(|| s.poll_message()).collect()
}

/// Splits bytes into frames (panics on bad framing).
fn frames(bytes: &[u8]) -> Vec<Frame> {
    let mut buf = BytesMut::from(bytes);
    let mut dec = FrameDecoder::new(None);
    let mut out = Vec::new();
    while let Some(f) = dec.decode(&mut buf).unwrap() {
        out.push(f);
    }
    assert!(buf.is_empty(), "trailing bytes");
    out
}

fn commands(bytes: &[u8]) -> Vec<Command> {
    frames(bytes)
        .into_iter()
        .map(|f| {
            assert!(f.command, "a message frame where a command was expected");
            Command::parse(f.body).unwrap()
        })
        .collect()
}

fn greeting(minor: u8) -> Vec<u8> {
    let mut out = BytesMut::new();
    let mut g = Greeting::ours(Mechanism::Null, false);
    g.minor = minor;
    g.encode(&mut out);
    out.to_vec()
}

fn ready_frame(t: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut md = Metadata::new();
    md.insert("Socket-Type", Bytes::copy_from_slice(t.as_bytes()));
    for (n, v) in extra {
        md.insert(n, Bytes::copy_from_slice(v));
    }
    let mut out = BytesMut::new();
    Command::Ready(md).encode(&mut out);
    out.to_vec()
}

fn cmd(c: Command) -> Vec<u8> {
    let mut out = BytesMut::new();
    c.encode(&mut out);
    out.to_vec()
}

fn msg_bytes(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for (i, p) in parts.iter().enumerate() {
        encode_frame(p, i + 1 < parts.len(), false, &mut out);
    }
    out.to_vec()
}

/// A session of type `ours` established with a scripted peer of type
/// `peer` speaking ZMTP 3.`minor`; its greeting and READY are read off.
fn established_with(cfg: SessionConfig, peer: &str, minor: u8, clock: &Clock) -> Session {
    let mut s = Session::new(cfg, clock.now());
    let out = drain(&mut s);
    assert_eq!(out.len(), GREETING_LEN);
    let mut input = greeting(minor);
    input.extend(ready_frame(peer, &[]));
    s.handle_bytes(clock.now(), &input);
    let ready = commands(&drain(&mut s));
    assert!(matches!(&ready[..], [Command::Ready(_)]), "{ready:?}");
    match &events(&mut s)[..] {
        [SessionEvent::Established(info)] => assert_eq!(info.minor_version, minor.min(1)),
        other => panic!("{other:?}"),
    }
    s
}

fn established(t: SocketType, peer: &str, clock: &Clock) -> Session {
    established_with(config(t), peer, 1, clock)
}

fn closed(s: &mut Session) -> SessionEnd {
    let end = s.end().cloned().expect("the session has not ended");
    assert!(
        events(s).contains(&SessionEvent::Closed(end.clone())),
        "no Closed event"
    );
    end
}

fn protocol(s: &mut Session) -> ProtocolError {
    match closed(s) {
        SessionEnd::Protocol(e) => e,
        other => panic!("ended with {other:?}"),
    }
}

/// Two sessions joined in memory, bytes moved in chunks of `chunk`.
fn pump(a: &mut Session, b: &mut Session, now: Instant, chunk: usize) {
    for _ in 0..100_000 {
        let ab = drain(a);
        let ba = drain(b);
        if ab.is_empty() && ba.is_empty() {
            return;
        }
        for c in ab.chunks(chunk) {
            b.handle_bytes(now, c);
        }
        for c in ba.chunks(chunk) {
            a.handle_bytes(now, c);
        }
    }
    panic!("the sessions never went quiet");
}

// ----- §3.1 greeting ---------------------------------------------------------

#[test]
fn greeting_is_queued_at_once_and_as_rfc_37_says() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Dealer), clock.now());
    let g = drain(&mut s);
    assert_eq!(g.len(), 64);
    assert_eq!(g[0], 0xFF);
    assert_eq!(&g[1..9], &[0; 8]);
    assert_eq!(g[9], 0x7F);
    assert_eq!((g[10], g[11]), (3, 1));
    assert_eq!(&g[12..16], b"NULL");
    assert!(g[16..32].iter().all(|&b| b == 0));
    assert_eq!(g[32], 0, "as-server is 0 with NULL");
    assert!(g[33..].iter().all(|&b| b == 0));
    assert!(!s.is_established());
}

#[test]
fn bad_signature_is_refused_from_the_first_byte() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    drain(&mut s);
    s.handle_bytes(clock.now(), b"G");
    assert_eq!(protocol(&mut s), ProtocolError::BadSignature);
    // Byte 9 without its low bit: ZMTP 1.0 framing.
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    s.handle_bytes(clock.now(), &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7E]);
    assert_eq!(protocol(&mut s), ProtocolError::BadSignature);
}

#[test]
fn old_major_versions_are_refused_and_newer_accepted() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    let mut g = greeting(1);
    g[10] = 2;
    s.handle_bytes(clock.now(), &g[..12]);
    assert_eq!(
        protocol(&mut s),
        ProtocolError::UnsupportedVersion { major: 2, minor: 1 }
    );
    // A major version above 3 speaks 3.1 with us.
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    let mut input = greeting(0);
    input[10] = 4;
    input.extend(ready_frame("PUSH", &[]));
    s.handle_bytes(clock.now(), &input);
    match &events(&mut s)[..] {
        [SessionEvent::Established(info)] => assert_eq!(info.minor_version, 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn padding_and_filler_are_not_interpreted() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    let mut input = greeting(1);
    input[1..9].copy_from_slice(&[9; 8]);
    for b in &mut input[33..] {
        *b = 0xAB;
    }
    input.extend(ready_frame("PUSH", &[]));
    s.handle_bytes(clock.now(), &input);
    assert!(s.is_established());
}

// ----- §3.2 handshake --------------------------------------------------------

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

// ----- §3.3 frames -----------------------------------------------------------

#[test]
fn messages_round_trip_between_two_sessions_in_any_chunking() {
    let clock = Clock::new();
    for chunk in [1, 3, 64, 100_000] {
        let mut a = Session::new(config(SocketType::Dealer), clock.now());
        let mut b = Session::new(config(SocketType::Router), clock.now());
        let sent = [
            Message::from("one"),
            Message::from_frames(vec![Bytes::new(), Bytes::from(vec![5u8; 300])]),
            Message::from(vec![9u8; 20_000]),
        ];
        for m in &sent {
            a.send_message(m.clone());
        }
        pump(&mut a, &mut b, clock.now(), chunk);
        assert_eq!(messages(&mut b), sent, "chunk {chunk}");
    }
}

#[test]
fn short_form_up_to_255_bytes_long_form_above() {
    let clock = Clock::new();
    let mut s = established(SocketType::Push, "PULL", &clock);
    s.send_message(Message::from(vec![1u8; 255]));
    s.send_message(Message::from(vec![1u8; 256]));
    let out = drain(&mut s);
    assert_eq!(&out[..2], &[0x00, 255]);
    assert_eq!(&out[257..266], &[0x02, 0, 0, 0, 0, 0, 0, 1, 0]);
}

#[test]
fn long_form_is_accepted_for_short_bodies() {
    let clock = Clock::new();
    let mut s = established(SocketType::Pull, "PUSH", &clock);
    let mut input = vec![0x02, 0, 0, 0, 0, 0, 0, 0, 3];
    input.extend(b"abc");
    s.handle_bytes(clock.now(), &input);
    assert_eq!(messages(&mut s), vec![Message::from("abc")]);
}

#[test]
fn bad_flags_and_lengths_end_the_session() {
    let clock = Clock::new();
    let cases: [(&[u8], ProtocolError); 3] = [
        (&[0x08, 0], ProtocolError::InvalidFlags(0x08)),
        (&[0x05, 0], ProtocolError::InvalidFlags(0x05)),
        (
            &[0x02, 0x80, 0, 0, 0, 0, 0, 0, 0],
            ProtocolError::InvalidLength(1 << 63),
        ),
    ];
    for (input, expected) in cases {
        let mut s = established(SocketType::Pull, "PUSH", &clock);
        s.handle_bytes(clock.now(), input);
        assert_eq!(protocol(&mut s), expected);
        assert_eq!(s.poll_timeout(), None);
    }
}

#[test]
fn received_bodies_share_the_read_buffer() {
    let clock = Clock::new();
    let mut s = established(SocketType::Pull, "PUSH", &clock);
    let bytes = msg_bytes(&[&[7u8; 1000]]);
    let buf = s.read_buffer();
    buf.reserve(bytes.len());
    buf.extend_from_slice(&bytes);
    let start = buf.as_ptr() as usize;
    s.handle_read(clock.now(), bytes.len());
    let m = s.poll_message().unwrap();
    let body = m.first().as_ptr() as usize;
    assert!(
        (start..start + bytes.len()).contains(&body),
        "the body was copied"
    );
}

#[test]
fn large_frames_are_written_from_the_callers_bytes() {
    let clock = Clock::new();
    let mut s = established(SocketType::Push, "PULL", &clock);
    let big = Bytes::from(vec![3u8; 8 * 1024 + 1]);
    let small = Bytes::from(vec![4u8; 8 * 1024]);
    s.send_message(Message::from_frames(vec![small.clone(), big.clone()]));
    let mut iov = [IoSlice::new(&[]); 8];
    let n = s.poll_transmit(&mut iov);
    assert_eq!(
        n, 2,
        "one buffer for the small frame and the big one's header"
    );
    assert_eq!(iov[1].as_ptr(), big.as_ptr(), "the big frame was copied");
    assert_eq!(iov[0].len(), 9 + small.len() + 9);
}

#[test]
fn partial_writes_continue_where_they_stopped() {
    let clock = Clock::new();
    let mut a = established(SocketType::Push, "PULL", &clock);
    let mut b = established(SocketType::Pull, "PUSH", &clock);
    let sent: Vec<Message> = (0..50u8).map(|i| Message::from(vec![i; 700])).collect();
    for m in &sent {
        a.send_message(m.clone());
    }
    // Write 1000 bytes at a time.
    while a.has_transmit() {
        let mut iov = [IoSlice::new(&[]); 4];
        let n = a.poll_transmit(&mut iov);
        let mut chunk = Vec::new();
        for s in &iov[..n] {
            chunk.extend_from_slice(s);
        }
        chunk.truncate(1000);
        let len = chunk.len();
        a.transmitted(len);
        b.handle_bytes(clock.now(), &chunk);
    }
    assert_eq!(messages(&mut b), sent);
}

#[test]
fn frames_above_maxmsgsize_end_the_session_from_the_header() {
    let clock = Clock::new();
    let mut cfg = config(SocketType::Pull);
    cfg.limits.max_frame = Some(1000);
    let mut s = established_with(cfg, "PUSH", 1, &clock);
    let mut input = msg_bytes(&[&[1u8; 1000]]);
    // Only the header of the next one.
    input.extend([0x02, 0, 0, 0, 0, 0, 0, 0x03, 0xE9]);
    s.handle_bytes(clock.now(), &input);
    assert_eq!(messages(&mut s).len(), 1, "the frame at the limit arrives");
    assert_eq!(
        protocol(&mut s),
        ProtocolError::FrameTooLarge {
            size: 1001,
            max: 1000
        }
    );
}

// ----- §3.4 commands ---------------------------------------------------------

#[test]
fn ping_is_answered_with_its_context() {
    let clock = Clock::new();
    let mut s = established(SocketType::Pull, "PUSH", &clock);
    s.handle_bytes(
        clock.now(),
        &cmd(Command::Ping {
            ttl_deciseconds: 0,
            context: Bytes::from_static(b"ctx"),
        }),
    );
    assert_eq!(
        commands(&drain(&mut s)),
        vec![Command::Pong {
            context: Bytes::from_static(b"ctx")
        }]
    );
    assert!(s.end().is_none());
}

#[test]
fn error_command_ends_the_session_after_the_messages_before_it() {
    let clock = Clock::new();
    let mut s = established(SocketType::Pull, "PUSH", &clock);
    let mut input = msg_bytes(&[b"before"]);
    input.extend(cmd(Command::Error {
        reason: "bye".into(),
    }));
    input.extend(msg_bytes(&[b"after"]));
    s.handle_bytes(clock.now(), &input);
    assert_eq!(messages(&mut s), vec![Message::from("before")]);
    assert_eq!(protocol(&mut s), ProtocolError::PeerError("bye".into()));
    // Later input is ignored.
    s.handle_bytes(clock.now(), &msg_bytes(&[b"later"]));
    assert!(messages(&mut s).is_empty());
}

#[test]
fn unknown_commands_are_ignored_and_malformed_ones_refused() {
    let clock = Clock::new();
    let mut s = established(SocketType::Pull, "PUSH", &clock);
    let mut input = cmd(Command::Unknown {
        name: "XYZZY".into(),
        data: Bytes::from_static(b"data"),
    });
    input.extend(cmd(Command::Pong {
        context: Bytes::new(),
    }));
    input.extend(msg_bytes(&[b"m"]));
    s.handle_bytes(clock.now(), &input);
    assert_eq!(messages(&mut s), vec![Message::from("m")]);
    assert!(s.end().is_none());
    let mut body = b"\x04PING\x00\x00".to_vec();
    body.extend([0u8; 17]);
    let mut input = BytesMut::new();
    encode_frame(&body, false, true, &mut input);
    s.handle_bytes(clock.now(), &input);
    assert!(matches!(
        protocol(&mut s),
        ProtocolError::MalformedCommand(_)
    ));
}

#[test]
fn publishers_get_subscription_commands_as_messages() {
    let clock = Clock::new();
    for t in [SocketType::Pub, SocketType::XPub] {
        let mut s = established(t, "SUB", &clock);
        let mut input = cmd(Command::Subscribe(Bytes::from_static(b"topic")));
        input.extend(cmd(Command::Cancel(Bytes::from_static(b"t"))));
        input.extend(msg_bytes(&[b"\x01old-style"]));
        s.handle_bytes(clock.now(), &input);
        assert_eq!(
            messages(&mut s),
            vec![
                Message::from("\x01topic"),
                Message::from("\x00t"),
                Message::from("\x01old-style")
            ]
        );
    }
    // Other types ignore them.
    let mut s = established(SocketType::Sub, "PUB", &clock);
    s.handle_bytes(
        clock.now(),
        &cmd(Command::Subscribe(Bytes::from_static(b"x"))),
    );
    assert!(messages(&mut s).is_empty());
    assert!(s.end().is_none());
}

#[test]
fn subscribers_send_commands_to_3_1_and_messages_to_3_0() {
    let clock = Clock::new();
    for t in [SocketType::Sub, SocketType::XSub] {
        let mut s = established_with(config(t), "PUB", 1, &clock);
        s.send_message(Message::from("\x01abc"));
        s.send_message(Message::from("\x00abc"));
        s.send_message(Message::from_frames(vec![
            Bytes::from_static(b"\x01"),
            Bytes::from_static(b"multipart is data"),
        ]));
        let out = frames(&drain(&mut s));
        assert_eq!(
            Command::parse(out[0].body.clone()).unwrap(),
            Command::Subscribe(Bytes::from_static(b"abc"))
        );
        assert_eq!(
            Command::parse(out[1].body.clone()).unwrap(),
            Command::Cancel(Bytes::from_static(b"abc"))
        );
        assert!(!out[2].command && out[2].more);
        let mut s = established_with(config(t), "PUB", 0, &clock);
        s.send_message(Message::from("\x01abc"));
        let out = frames(&drain(&mut s));
        assert!(!out[0].command);
        assert_eq!(out[0].body, "\x01abc");
    }
}

// ----- §5.3 CLIENT and SERVER ------------------------------------------------

#[test]
fn client_and_server_discard_multipart_whole() {
    let clock = Clock::new();
    for (t, peer) in [
        (SocketType::Client, "SERVER"),
        (SocketType::Server, "CLIENT"),
    ] {
        let mut s = established(t, peer, &clock);
        let mut input = msg_bytes(&[b"a", b"b"]);
        input.extend(msg_bytes(&[b"single"]));
        s.handle_bytes(clock.now(), &input);
        assert_eq!(messages(&mut s), vec![Message::from("single")]);
        assert_eq!(events(&mut s), vec![SessionEvent::MultipartDropped]);
    }
}

// ----- §6.1 limits -----------------------------------------------------------

#[test]
fn frame_count_limit_ends_the_session() {
    let clock = Clock::new();
    let mut cfg = config(SocketType::Pull);
    cfg.limits.max_frames = Some(4);
    let mut s = established_with(cfg, "PUSH", 1, &clock);
    let mut input = msg_bytes(&[b"1", b"2", b"3", b"4"]);
    input.extend(msg_bytes(&[b"1", b"2", b"3", b"4", b"5"]));
    s.handle_bytes(clock.now(), &input);
    assert_eq!(messages(&mut s).len(), 1);
    assert_eq!(protocol(&mut s), ProtocolError::TooManyFrames { max: 4 });
}

#[test]
fn message_byte_limit_ends_the_session() {
    let clock = Clock::new();
    let mut cfg = config(SocketType::Pull);
    cfg.limits.max_message_bytes = 1000;
    let mut s = established_with(cfg, "PUSH", 1, &clock);
    let quarter = [0u8; 250];
    let mut input = msg_bytes(&[&quarter, &quarter, &quarter, &quarter]);
    input.extend(msg_bytes(&[&quarter, &quarter, &quarter, &[0u8; 251]]));
    s.handle_bytes(clock.now(), &input);
    assert_eq!(messages(&mut s).len(), 1);
    assert_eq!(
        protocol(&mut s),
        ProtocolError::MessageTooLarge {
            size: 1001,
            max: 1000
        }
    );
}

// ----- §6.4 what a lost connection leaves unsent ------------------------------

#[test]
fn unsent_messages_are_those_not_completely_written() {
    let clock = Clock::new();
    let mut cfg = config(SocketType::Push);
    cfg.keep_unsent = true;
    let mut s = established_with(cfg, "PULL", 1, &clock);
    let sent: Vec<Message> = (0..3u8).map(|i| Message::from(vec![i; 100])).collect();
    for m in &sent {
        s.send_message(m.clone());
    }
    // The first message and half of the second reach the transport.
    s.transmitted(102 + 51);
    assert_eq!(s.take_unsent(), sent[1..].to_vec());
    assert!(!s.has_transmit());
    // Without keep_unsent nothing is kept, except messages offered before
    // the handshake finished.
    let mut s = Session::new(config(SocketType::Push), clock.now());
    s.send_message(Message::from("early"));
    assert_eq!(s.take_unsent(), vec![Message::from("early")]);
}

#[test]
fn messages_offered_during_the_handshake_go_after_it() {
    let clock = Clock::new();
    let mut a = Session::new(config(SocketType::Push), clock.now());
    let mut b = Session::new(config(SocketType::Pull), clock.now());
    a.send_message(Message::from("early"));
    pump(&mut a, &mut b, clock.now(), 7);
    assert_eq!(messages(&mut b), vec![Message::from("early")]);
}

// ----- §6.8 heartbeats -------------------------------------------------------

fn heartbeat_config(ivl: u64, timeout: Option<u64>, ttl: Option<u64>) -> SessionConfig {
    let mut cfg = config(SocketType::Dealer);
    cfg.heartbeat = HeartbeatConfig {
        interval: Some(Duration::from_millis(ivl)),
        timeout: timeout.map(Duration::from_millis),
        ttl: ttl.map(Duration::from_millis),
    };
    cfg
}

#[test]
fn no_heartbeat_timer_without_options_or_peer_ttl() {
    let clock = Clock::new();
    let s = established(SocketType::Dealer, "DEALER", &clock);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn pings_go_every_interval_with_the_ttl() {
    let mut clock = Clock::new();
    let mut s = established_with(
        heartbeat_config(100, Some(10_000), Some(2500)),
        "DEALER",
        1,
        &clock,
    );
    let start = clock.now();
    assert_eq!(s.poll_timeout(), Some(start + Duration::from_millis(100)));
    for i in 1..=3u32 {
        let now = clock.advance(Duration::from_millis(100));
        // Keep the peer alive.
        s.handle_bytes(
            now,
            &cmd(Command::Pong {
                context: Bytes::new(),
            }),
        );
        s.handle_timeout(now);
        assert_eq!(
            commands(&drain(&mut s)),
            vec![Command::Ping {
                ttl_deciseconds: 25,
                context: Bytes::new()
            }],
            "ping {i}"
        );
    }
    assert!(s.end().is_none());
}

#[test]
fn ttl_is_sent_in_tenths_of_a_second_clamped() {
    let cfg = HeartbeatConfig {
        interval: None,
        timeout: None,
        ttl: Some(Duration::from_secs(100_000)),
    };
    assert_eq!(cfg.ttl_deciseconds(), u16::MAX);
    assert_eq!(HeartbeatConfig::default().ttl_deciseconds(), 0);
}

#[test]
fn silence_after_a_ping_ends_the_session() {
    let mut clock = Clock::new();
    let mut s = established_with(heartbeat_config(100, Some(50), None), "DEALER", 1, &clock);
    let now = clock.advance(Duration::from_millis(100));
    s.handle_timeout(now);
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_millis(50)));
    let now = clock.advance(Duration::from_millis(49));
    s.handle_timeout(now);
    assert!(s.end().is_none());
    let now = clock.advance(Duration::from_millis(1));
    s.handle_timeout(now);
    assert_eq!(closed(&mut s), SessionEnd::HeartbeatTimeout);
}

#[test]
fn any_traffic_answers_a_ping_and_timeout_defaults_to_the_interval() {
    let mut clock = Clock::new();
    let mut s = established_with(heartbeat_config(100, None, None), "DEALER", 1, &clock);
    let now = clock.advance(Duration::from_millis(100));
    s.handle_timeout(now);
    drain(&mut s);
    // A message, not a PONG, comes 99 ms later.
    let now = clock.advance(Duration::from_millis(99));
    s.handle_bytes(now, &msg_bytes(&[b"alive"]));
    let now = clock.advance(Duration::from_millis(1));
    s.handle_timeout(now);
    assert!(s.end().is_none(), "traffic counts as an answer");
    // The next PING (sent now) gets no answer within the interval.
    let now = clock.advance(Duration::from_millis(100));
    s.handle_timeout(now);
    assert_eq!(closed(&mut s), SessionEnd::HeartbeatTimeout);
}

#[test]
fn the_peers_ttl_ends_a_silent_session_and_each_ping_renews_it() {
    let mut clock = Clock::new();
    let mut s = established(SocketType::Dealer, "DEALER", &clock);
    let ping = cmd(Command::Ping {
        ttl_deciseconds: 5,
        context: Bytes::new(),
    });
    s.handle_bytes(clock.now(), &ping);
    drain(&mut s);
    assert_eq!(
        s.poll_timeout(),
        Some(clock.now() + Duration::from_millis(500))
    );
    let now = clock.advance(Duration::from_millis(400));
    s.handle_bytes(now, &ping);
    let now = clock.advance(Duration::from_millis(400));
    s.handle_timeout(now);
    assert!(s.end().is_none(), "renewed by the second PING");
    let now = clock.advance(Duration::from_millis(100));
    s.handle_timeout(now);
    assert_eq!(closed(&mut s), SessionEnd::HeartbeatTimeout);
}

#[test]
fn a_ping_without_ttl_sets_no_timer() {
    let clock = Clock::new();
    let mut s = established(SocketType::Dealer, "DEALER", &clock);
    s.handle_bytes(
        clock.now(),
        &cmd(Command::Ping {
            ttl_deciseconds: 0,
            context: Bytes::new(),
        }),
    );
    assert_eq!(s.poll_timeout(), None);
}

// ----- §3.6 nothing from the network panics ------------------------------------

proptest! {
    #[test]
    fn arbitrary_input_never_panics(
        valid_greeting in any::<bool>(),
        ready in any::<bool>(),
        data in prop::collection::vec(any::<u8>(), 0..800),
        chunk in 1usize..64,
        t in 0usize..SocketType::ALL.len(),
    ) {
        let clock = Clock::new();
        let mut cfg = config(SocketType::ALL[t]);
        cfg.limits = Limits { max_frame: Some(300), max_frames: Some(3), max_message_bytes: 400 };
        let mut s = Session::new(cfg, clock.now());
        let mut wire = Vec::new();
        if valid_greeting {
            wire.extend(greeting(1));
        }
        if ready {
            let peer = SocketType::ALL
                .into_iter()
                .find(|p| SocketType::ALL[t].is_compatible_with(*p))
                .unwrap_or(SocketType::Pair);
            wire.extend(ready_frame(peer.as_str(), &[]));
        }
        wire.extend(data);
        for c in wire.chunks(chunk) {
            s.handle_bytes(clock.now(), c);
            drain(&mut s);
            s.handle_timeout(clock.now());
        }
        let ended = s.end().cloned();
        let evs = events(&mut s);
        if let Some(end) = ended {
            prop_assert_eq!(evs.last(), Some(&SessionEvent::Closed(end)));
        }
        for m in messages(&mut s) {
            prop_assert!(m.len() <= 3 && m.byte_len() <= 400);
        }
    }
}
