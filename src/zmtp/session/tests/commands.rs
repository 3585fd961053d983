//! SPEC §3.4 commands.

use super::*;
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
