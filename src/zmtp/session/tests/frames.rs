//! SPEC §3.3 frames.

use super::*;
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
