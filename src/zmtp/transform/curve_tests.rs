//! The CURVE MESSAGE codec (SPEC §9.5): frames through a pair of codecs
//! that share a key, as the two ends of a connection do.

use bytes::{Bytes, BytesMut};

use super::curve::{CurveCodec, CLIENT_PREFIX, MESSAGE_OVERHEAD, SERVER_PREFIX};
use super::nacl::{short_nonce, BoxKey, TAG_LEN};
use super::Transform;
use crate::zmtp::command::Command;
use crate::zmtp::error::{CurveBox, CurveCommand, ProtocolError};
use crate::zmtp::frame::{encode_frame, Frame, FrameDecoder};

const KEY: [u8; 32] = [0x42; 32];

/// A client and a server codec as a handshake leaves them.
fn pair() -> (CurveCodec, CurveCodec) {
    CurveCodec::pair_after_handshake(&KEY)
}

/// The frames in `wire`, which must hold whole frames only.
fn frames(mut wire: BytesMut) -> Vec<Frame> {
    let mut decoder = FrameDecoder::new(None);
    let mut out = Vec::new();
    while let Some(frame) = decoder.decode(&mut wire).unwrap() {
        out.push(frame);
    }
    assert!(wire.is_empty(), "a partial frame left");
    out
}

/// One frame sealed by `from`, as it goes on the wire.
fn sealed(from: &mut CurveCodec, body: &[u8], more: bool, command: bool) -> Frame {
    let mut wire = BytesMut::new();
    from.encode(body, more, command, &mut wire);
    let mut v = frames(wire);
    assert_eq!(v.len(), 1);
    v.remove(0)
}

fn frame(body: &[u8], more: bool, command: bool) -> Frame {
    Frame {
        more,
        command,
        body: Bytes::copy_from_slice(body),
    }
}

#[test]
fn frames_cross_both_ways_with_their_flags() {
    let (mut client, mut server) = pair();
    let cases: [(&[u8], bool, bool); 5] = [
        (b"first", true, false),
        (b"last", false, false),
        (b"", false, false),
        (b"\x04PING\x00\x00", false, true),
        (&[7u8; 70_000], false, false),
    ];
    for (body, more, command) in cases {
        let wire = sealed(&mut client, body, more, command);
        assert_eq!(server.decode(wire).unwrap(), frame(body, more, command));
        let wire = sealed(&mut server, body, more, command);
        assert_eq!(client.decode(wire).unwrap(), frame(body, more, command));
    }
    assert_eq!(client.next_nonce(), 3 + cases.len() as u64);
    assert_eq!(server.next_nonce(), 2 + cases.len() as u64);
}

#[test]
fn the_wire_form_is_libzmqs() {
    let (mut client, _) = pair();
    let mut wire = BytesMut::new();
    client.encode(b"hello", true, false, &mut wire);
    // A data frame without MORE (the flags are in the box), short form.
    assert_eq!(wire[0], 0x00);
    assert_eq!(usize::from(wire[1]), MESSAGE_OVERHEAD + 5);
    assert_eq!(&wire[2..10], b"\x07MESSAGE");
    assert_eq!(&wire[10..18], &3u64.to_be_bytes());
    assert_eq!(wire.len(), 2 + MESSAGE_OVERHEAD + 5);
    // The box is NaCl's: tag, then ciphertext, under the client's prefix.
    let mut sealed_box = wire[18..].to_vec();
    BoxKey::from_key(&KEY)
        .open_in_place(&short_nonce(CLIENT_PREFIX, 3), &mut sealed_box)
        .unwrap();
    assert_eq!(&sealed_box[TAG_LEN..], b"\x01hello");

    // Over 255 bytes: LONG, still no MORE or COMMAND outside.
    let mut wire = BytesMut::new();
    client.encode(&[0u8; 300], false, false, &mut wire);
    assert_eq!(wire[0], 0x02);
    assert_eq!(
        &wire[1..9],
        &((MESSAGE_OVERHEAD + 300) as u64).to_be_bytes()
    );
}

#[test]
fn commands_travel_boxed_with_the_command_flag() {
    // libzmq 4.3.5 seals a SUBSCRIBE as flags 0x02, "\x09SUBSCRIBE", the
    // topic; PING likewise with its name, TTL and context.
    let (_, mut server) = pair();
    let (mut client, _) = pair();
    for command in [
        Command::Subscribe(Bytes::from_static(b"topic")),
        Command::Cancel(Bytes::from_static(b"")),
        Command::Ping {
            ttl_deciseconds: 300,
            context: Bytes::from_static(b"ctx"),
        },
        Command::Subscribe(Bytes::from(vec![b't'; 400])),
    ] {
        let mut plain = BytesMut::new();
        command.encode(&mut plain);
        let plain_frame = frames(plain).remove(0);

        let mut wire = BytesMut::from(&b"before"[..]);
        let nonce = client.next_nonce();
        client.encode_command(&command, &mut wire);
        assert_eq!(&wire[..6], b"before", "appended after what was there");
        let mut v = frames(wire.split_off(6));
        let outer = v.remove(0);
        assert!(v.is_empty());
        assert!(!outer.command && !outer.more, "a data frame outside");
        let mut inner = outer.body[16..].to_vec();
        BoxKey::from_key(&KEY)
            .open_in_place(&short_nonce(CLIENT_PREFIX, nonce), &mut inner)
            .unwrap();
        assert_eq!(inner[TAG_LEN], 0x02);
        assert_eq!(&inner[TAG_LEN + 1..], &plain_frame.body[..]);

        let opened = server.decode(outer).unwrap();
        assert!(opened.command && !opened.more);
        assert_eq!(Command::parse(opened.body).unwrap(), command);
    }
}

#[test]
fn a_replayed_or_reordered_message_is_refused() {
    let (mut client, mut server) = pair();
    let first = sealed(&mut client, b"one", false, false);
    let second = sealed(&mut client, b"two", false, false);
    let third = sealed(&mut client, b"three", false, false);
    assert_eq!(server.decode(first.clone()).unwrap().body, "one");
    assert_eq!(
        server.decode(first),
        Err(ProtocolError::InvalidNonce {
            command: CurveCommand::Message,
            nonce: 3,
            last: 3
        }),
        "replayed"
    );
    assert_eq!(server.decode(third).unwrap().body, "three");
    assert_eq!(
        server.decode(second),
        Err(ProtocolError::InvalidNonce {
            command: CurveCommand::Message,
            nonce: 4,
            last: 5
        }),
        "reordered"
    );
}

#[test]
fn the_first_message_must_follow_the_handshake_nonce() {
    // A server whose peer's INITIATE was 2 refuses a MESSAGE numbered 2.
    let mut early = CurveCodec::new(BoxKey::from_key(&KEY), false, 2, 1);
    let (_, mut server) = pair();
    let wire = sealed(&mut early, b"x", false, false);
    assert!(matches!(
        server.decode(wire),
        Err(ProtocolError::InvalidNonce {
            nonce: 2,
            last: 2,
            ..
        })
    ));
}

#[test]
fn flipping_any_byte_of_a_message_is_a_typed_error() {
    let (mut client, _) = pair();
    let mut wire = BytesMut::new();
    client.encode(b"payload", true, false, &mut wire);
    for position in 0..wire.len() {
        for flip in [0x01u8, 0x02, 0x04, 0x80, 0xff] {
            let (_, mut server) = pair();
            let mut bad = wire.clone();
            bad[position] ^= flip;
            // The header's length byte may now claim more bytes than
            // there are: the frame decoder waits, then the frame that
            // follows (here: zeros) is swallowed into a box that fails.
            // A LONG flag makes the next 8 bytes the length: too large.
            bad.extend_from_slice(&[0u8; 512]);
            let result = FrameDecoder::new(Some(1 << 20))
                .decode(&mut bad)
                .and_then(|f| server.decode(f.expect("a whole frame")));
            let err = result.expect_err(&format!("byte {position} ^ {flip:#x} accepted"));
            assert!(
                matches!(
                    err,
                    ProtocolError::CryptoFailure(CurveBox::Message)
                        | ProtocolError::InvalidNonce { .. }
                        | ProtocolError::MalformedCurve { .. }
                        | ProtocolError::InvalidFlags(_)
                        | ProtocolError::FrameTooLarge { .. }
                        | ProtocolError::UnexpectedCommand(_)
                ),
                "byte {position}: {err:?}"
            );
        }
    }
}

/// What an error must be.
type Check = Box<dyn Fn(&ProtocolError) -> bool>;

#[test]
fn frames_that_are_not_messages_are_refused() {
    let (_, mut server) = pair();
    let malformed = |reason: &str| -> Check {
        let reason = reason.to_owned();
        Box::new(
            move |e| matches!(e, ProtocolError::MalformedCurve { command: CurveCommand::Message, reason: r } if r.contains(&reason)),
        )
    };
    let cases: Vec<(Frame, Check)> = vec![
        (
            frame(b"plain text", false, false),
            malformed("not a MESSAGE"),
        ),
        (
            frame(b"\x07MESSAGE", false, false),
            malformed("at least 33"),
        ),
        (frame(&[0u8; 40], false, false), malformed("not a MESSAGE")),
        (
            frame(b"\x05ERROR\x03400", false, true),
            Box::new(|e| *e == ProtocolError::UnexpectedCommand("ERROR".into())),
        ),
        (
            frame(b"", false, true),
            Box::new(|e| matches!(e, ProtocolError::UnexpectedCommand(_))),
        ),
    ];
    for (f, check) in cases {
        let err = server.decode(f.clone()).unwrap_err();
        assert!(check(&err), "{f:?}: {err:?}");
    }
    // A real MESSAGE, but with MORE or COMMAND set outside.
    let (mut client, _) = pair();
    let good = sealed(&mut client, b"x", false, false);
    let outer_more = Frame {
        more: true,
        ..good.clone()
    };
    assert!(malformed("MORE")(&server.decode(outer_more).unwrap_err()));
    let outer_command = Frame {
        command: true,
        ..good.clone()
    };
    assert_eq!(
        server.decode(outer_command),
        Err(ProtocolError::UnexpectedCommand("MESSAGE".into()))
    );
    // None of the refusals counted its nonce: the MESSAGE still opens.
    assert_eq!(server.decode(good).unwrap().body, "x");
}

/// A MESSAGE from the client whose box holds exactly `plaintext`.
fn message_holding(nonce: u64, plaintext: &[u8]) -> Frame {
    let mut body = BytesMut::from(&b"\x07MESSAGE"[..]);
    body.extend_from_slice(&nonce.to_be_bytes());
    BoxKey::from_key(&KEY).seal_into(&short_nonce(CLIENT_PREFIX, nonce), plaintext, &mut body);
    frame(&body, false, false)
}

#[test]
fn payload_flags_are_checked() {
    let (_, mut server) = pair();
    assert_eq!(
        server.decode(message_holding(3, b"\x01a")).unwrap(),
        frame(b"a", true, false)
    );
    for (nonce, flags) in [(4, 0x04u8), (5, 0x80), (6, 0x03)] {
        let err = server
            .decode(message_holding(nonce, &[flags, b'a']))
            .unwrap_err();
        assert!(
            matches!(
                err,
                ProtocolError::MalformedCurve {
                    command: CurveCommand::Message,
                    ..
                }
            ),
            "{flags:#x}: {err:?}"
        );
    }
    // An empty box (no flags byte) is too short to be a MESSAGE.
    let err = server.decode(message_holding(9, b"")).unwrap_err();
    assert!(
        matches!(err, ProtocolError::MalformedCurve { .. }),
        "{err:?}"
    );
}

#[test]
fn a_box_for_the_other_direction_does_not_open() {
    // The server's prefix on a client's MESSAGE: the box stays shut.
    let (_, mut server) = pair();
    let mut body = BytesMut::from(&b"\x07MESSAGE"[..]);
    body.extend_from_slice(&3u64.to_be_bytes());
    BoxKey::from_key(&KEY).seal_into(&short_nonce(SERVER_PREFIX, 3), b"\x00a", &mut body);
    assert_eq!(
        server.decode(frame(&body, false, false)),
        Err(ProtocolError::CryptoFailure(CurveBox::Message))
    );
    // And a key of another connection neither.
    let mut other = CurveCodec::new(BoxKey::from_key(&[1; 32]), false, 3, 1);
    let wire = sealed(&mut other, b"x", false, false);
    assert_eq!(
        server.decode(wire),
        Err(ProtocolError::CryptoFailure(CurveBox::Message))
    );
}

#[test]
fn an_unshared_body_is_opened_in_place() {
    let (mut client, mut server) = pair();
    let wire = sealed(&mut client, b"in place", false, false);
    // Unique bytes: opened where they are.
    let unique = Frame {
        body: Bytes::from(wire.body.to_vec()),
        ..wire.clone()
    };
    let start = unique.body.as_ptr() as usize;
    let opened = server.decode(unique).unwrap();
    assert_eq!(opened.body, "in place");
    assert_eq!(opened.body.as_ptr() as usize, start + MESSAGE_OVERHEAD);
    // Shared bytes (the receive buffer's): copied once, the original
    // left as it was.
    let wire = sealed(&mut client, b"copied", false, false);
    let keep = wire.body.clone();
    assert_eq!(server.decode(wire).unwrap().body, "copied");
    assert!(keep.starts_with(b"\x07MESSAGE"));
}

#[test]
fn the_transform_is_curve_and_never_identity() {
    let (client, server) = pair();
    let mut a = Transform::Curve(Box::new(client));
    let mut b = Transform::Curve(Box::new(server));
    assert!(!a.is_identity());
    let mut wire = BytesMut::new();
    a.encode(b"m", false, false, &mut wire);
    a.encode_command(&Command::Subscribe(Bytes::from_static(b"t")), &mut wire);
    let got: Vec<Frame> = frames(wire)
        .into_iter()
        .map(|f| b.decode(f).unwrap())
        .collect();
    assert_eq!(
        got,
        [
            frame(b"m", false, false),
            frame(b"\x09SUBSCRIBEt", false, true)
        ]
    );
    // The identity's plain frame is refused by a CURVE peer.
    let mut plain = BytesMut::new();
    encode_frame(b"m", false, false, &mut plain);
    assert!(b.decode(frames(plain).remove(0)).is_err());
}

#[test]
fn a_sealed_shut_codec_opens_nothing() {
    let mut shut = CurveCodec::sealed_shut(true);
    let (mut client, mut server) = pair();
    let wire = sealed(&mut client, b"x", false, false);
    assert_eq!(
        shut.decode(wire),
        Err(ProtocolError::CryptoFailure(CurveBox::Message))
    );
    let wire = sealed(&mut shut, b"x", false, false);
    assert!(server.decode(wire).is_err());
}

#[test]
fn debug_shows_counters_not_the_key() {
    let (client, _) = pair();
    let shown = format!("{:?}", Transform::Curve(Box::new(client)));
    assert!(
        shown.contains("next_nonce: 3") && shown.contains("peer_nonce: 1"),
        "{shown}"
    );
    assert!(!shown.contains("66, 66"), "{shown}");
}
