//! Resumption's window and acknowledgements (SPEC §3.7), two sessions
//! wired to each other in memory.

use super::*;
use crate::zmtp::resume::{ResumeState, WINDOW_BYTES};

/// A connecting CLIENT and an accepting SERVER, both resuming, with the
/// records given; established.
fn resumed_pair(client: ResumeState, server: ResumeState, clock: &Clock) -> (Session, Session) {
    let now = clock.now();
    let mut c = Session::with_resume(config(SocketType::Client), now, Resume::Connect(client));
    let mut s = Session::with_resume(config(SocketType::Server), now, Resume::Accept);
    let mut server = Some(server);
    for _ in 0..10 {
        pump(&mut c, &mut s, now);
        for e in events(&mut s) {
            if matches!(e, SessionEvent::ResumeLookup(_)) {
                s.handle_resume(now, server.take().expect("one lookup"));
            }
        }
        pump(&mut s, &mut c, now);
    }
    assert!(c.is_resumable() && s.is_resumable(), "both resume");
    events(&mut c);
    events(&mut s);
    (c, s)
}

/// What `from` writes, fed to `to`.
fn pump(from: &mut Session, to: &mut Session, now: Instant) {
    let bytes = drain(from);
    if !bytes.is_empty() {
        to.handle_bytes(now, &bytes);
    }
}

/// The counts of the ACKs among the frames of `bytes`.
fn acks(bytes: &[u8]) -> Vec<u64> {
    frames(bytes)
        .into_iter()
        .filter(|f| f.command)
        .filter_map(|f| match Command::parse(f.body) {
            Ok(Command::Ack(n)) => Some(n),
            _ => None,
        })
        .collect()
}

#[test]
fn small_messages_are_acknowledged_every_256_kib_not_every_half_sndhwm() {
    let clock = Clock::new();
    let (mut c, mut s) = resumed_pair(ResumeState::new(1000), ResumeState::new(1000), &clock);
    // 32-byte messages take 34 bytes on the wire: 256 KiB is 7711 of them.
    let per_ack = (256 * 1024u64).div_ceil(34);
    let mut acked = Vec::new();
    for i in 0..20_000u64 {
        c.send_message(Message::from(vec![i as u8; 32]));
        if i % 100 == 99 {
            pump(&mut c, &mut s, clock.now());
            assert_eq!(messages(&mut s).len(), 100);
            let back = drain(&mut s);
            acked.extend(acks(&back));
            c.handle_bytes(clock.now(), &back);
        }
    }
    // 500 messages (half of sndhwm) are not enough: the bytes decide.
    assert_eq!(acked.len(), 2, "{acked:?}");
    assert!(acked[0] >= per_ack && acked[0] < per_ack + 100, "{acked:?}");
    assert!(acked[1] >= 2 * per_ack && acked[1] < 2 * per_ack + 200);
    // Between ACKs the sender's window never filled.
    assert_eq!(c.unacknowledged() as u64, 20_000 - acked[1]);
    assert!(c.send_room() > 0);
}

#[test]
fn the_window_is_full_at_sndhwm_messages_and_4_mib() {
    let clock = Clock::new();
    let (mut c, _s) = resumed_pair(ResumeState::new(10), ResumeState::new(10), &clock);
    // Ten small messages fill `sndhwm`, not the window.
    for _ in 0..10 {
        c.send_message(Message::from("small"));
    }
    assert!(c.send_room() > 0);
    // Large ones fill its bytes: then nothing more is taken.
    let big = Bytes::from(vec![0u8; 1 << 20]);
    let mut sent = 0;
    while c.send_room() > 0 {
        c.send_message(Message::from(big.clone()));
        sent += 1;
        assert!(sent <= 5, "more than 4 MiB kept");
    }
    assert_eq!(sent, WINDOW_BYTES >> 20);
    assert_eq!(c.unacknowledged(), 10 + sent);
}

#[test]
fn what_is_sent_again_is_the_messages_without_the_commands_between_them() {
    let mut clock = Clock::new();
    let (mut c, mut s) = resumed_pair(ResumeState::new(100), ResumeState::new(100), &clock);
    for i in 0..3 {
        c.send_message(Message::from(format!("m{i}")));
    }
    // The client acknowledges a reply (its ACK timer runs out) between
    // its messages.
    s.send_message(Message::from("reply"));
    pump(&mut s, &mut c, clock.now());
    assert_eq!(messages(&mut c), vec![Message::from("reply")]);
    let later = clock.advance(Duration::from_millis(10));
    c.handle_timeout(later);
    for i in 3..6 {
        c.send_message(Message::from(format!("m{i}")));
    }
    assert_eq!(acks(&drain(&mut c)), vec![1], "an ACK between the messages");
    // The cut: the server got none of it.
    let c_record = c.take_resume().expect("the client's record");
    let s_record = s.take_resume().expect("the server's record");
    assert_eq!(c_record.unacked.len(), 6);
    let (_c2, mut s2) = resumed_pair(c_record, s_record, &clock);
    let got = messages(&mut s2);
    let want: Vec<Message> = (0..6).map(|i| Message::from(format!("m{i}"))).collect();
    assert_eq!(got, want);
    // The old ACK was not written again.
    assert_eq!(s2.ack_counts().1, 0);
}
