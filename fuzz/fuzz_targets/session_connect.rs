//! The connecting side's `zmtp::Session` against an arbitrary peer: the
//! socket offers messages before and during the handshake and as bytes
//! arrive, writes only part of what the session gives it, and reconnects
//! with what was not written.
//!
//! Input: see `oxmq_fuzz::Input`. `mode` bits 0-4 pick our socket type
//! (modulo the 19 types), bit 5 sets receive limits (`param`: max frame
//! size low byte × 16, max frames bits 8-11, max message bytes ×64 bits
//! 12-15), bit 6 offers a multipart message after each chunk, bit 7
//! prepends a valid 3.1 NULL greeting and READY of a compatible peer type
//! so the fuzzer reaches the data phase. Each chunk's first byte (if any)
//! is also the write budget, in bytes, before the next chunk.
//!
//! Checks (`oxmq_fuzz::session`): no panic; what we write is our greeting,
//! our READY, valid frames, and the offered messages in order and
//! unchanged; messages handed out obey the limits and come only between
//! the handshake and the end; one end, reported once and never changed;
//! the messages `take_unsent` gives back are exactly the offered ones not
//! completely written, in order.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::{
    Command, Greeting, Limits, Mechanism, Metadata, Session, SessionConfig, SocketType,
};
use oxmq::Message;
use oxmq_fuzz::session::{Clock, Observer};
use oxmq_fuzz::Input;

fn limits(on: bool, param: u16) -> Limits {
    if !on {
        return Limits::default();
    }
    Limits {
        max_frame: Some(u64::from(param & 0xff) * 16),
        max_frames: Some(usize::from((param >> 8) & 0xf) + 1),
        max_message_bytes: usize::from(param >> 12) * 64,
    }
}

/// A valid 3.1 NULL greeting and the READY of a peer that may talk to
/// `ours`.
fn good_start(ours: SocketType) -> Vec<u8> {
    let mut out = BytesMut::new();
    Greeting::ours(Mechanism::Null, false).encode(&mut out);
    let peer = SocketType::ALL
        .into_iter()
        .find(|p| ours.is_compatible_with(*p))
        .unwrap_or(SocketType::Pair);
    let mut md = Metadata::new();
    md.insert("Socket-Type", Bytes::from_static(peer.as_str().as_bytes()));
    Command::Ready(md).encode(&mut out);
    out.to_vec()
}

fuzz_target!(|data: &[u8]| {
    let input = Input::parse(data);
    let ours = SocketType::ALL[usize::from(input.mode & 0x1f) % SocketType::ALL.len()];
    let mut config = SessionConfig::new(ours);
    config.limits = limits(input.mode & 0x20 != 0, input.param);
    config.keep_unsent = true;
    let mut clock = Clock::new();
    let mut s = Session::new(config.clone(), clock.now());
    let mut seen = Observer::new(ours, config.limits);
    let mut sent: Vec<Message> = Vec::new();
    let mut offer = |s: &mut Session, m: Message| {
        sent.push(m.clone());
        s.send_message(m);
    };
    offer(&mut s, Message::from("before the handshake"));
    offer(&mut s, Message::new());
    if input.mode & 0x80 != 0 {
        s.handle_bytes(clock.now(), &good_start(ours));
    }
    seen.collect(&mut s, usize::MAX);
    for (i, (chunk, run)) in input.chunk_runs().enumerate() {
        let now = clock.advance_ms(run as u64);
        s.handle_bytes(now, chunk);
        s.handle_timeout(now);
        if input.mode & 0x40 != 0 {
            let n = (i % 3) as u8;
            let frames: Vec<Bytes> = (0..=n).map(|k| Bytes::from(vec![k; i % 300])).collect();
            offer(&mut s, Message::from_frames(frames));
        } else if i % 4 == 0 {
            offer(&mut s, Message::from(vec![i as u8; i % 9000]));
        }
        let budget = chunk
            .first()
            .map_or(usize::MAX, |&b| usize::from(b) * 64 + 1);
        seen.collect(&mut s, budget);
    }
    seen.collect(&mut s, usize::MAX);
    seen.check_written(&sent);
    // What was not completely written comes back, in order: the offered
    // messages after those that went out whole.
    let unsent: Vec<Message> = s.take_unsent().into_iter().collect();
    assert!(unsent.len() <= sent.len());
    assert_eq!(sent[sent.len() - unsent.len()..], unsent[..]);
    assert!(!s.has_transmit(), "take_unsent leaves nothing to write");
});
