//! SPEC §6.1 limits.

use super::*;
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

/// Found by the session_connect fuzz target: a SUBSCRIBE command became a
/// message past `rcvhwm_bytes`.
#[test]
fn subscription_commands_are_held_to_the_message_byte_limit() {
    let clock = Clock::new();
    let mut cfg = config(SocketType::XPub);
    cfg.limits.max_message_bytes = 10;
    let mut s = established_with(cfg, "SUB", 1, &clock);
    let mut input = cmd(Command::Subscribe(Bytes::from_static(b"123456789")));
    input.extend(cmd(Command::Cancel(Bytes::from_static(b"1234567890"))));
    s.handle_bytes(clock.now(), &input);
    assert_eq!(messages(&mut s), vec![Message::from("\x01123456789")]);
    assert_eq!(
        protocol(&mut s),
        ProtocolError::MessageTooLarge { size: 11, max: 10 }
    );
}
