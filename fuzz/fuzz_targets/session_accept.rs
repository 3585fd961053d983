//! The accepting side's `zmtp::Session` against an arbitrary peer, with
//! the handshake deadline and heartbeats running on a fake clock that the
//! input moves.
//!
//! Input: see `oxmq_fuzz::Input`. `mode` bits 0-4 pick our socket type
//! (modulo the 19 types), bit 5 sets a handshake deadline of
//! `param & 0xff` ms, bit 6 heartbeats (interval `(param >> 8) & 0xf` × 10
//! ms + 1, timeout half of it, our TTL `param >> 12` tenths of a second),
//! bit 7 prepends a valid 3.1 NULL greeting so the fuzzer reaches the
//! READY phase. A run of `k` empty chunks advances the clock by `k` ms; a
//! non-empty chunk by its first byte in ms.
//!
//! Checks (`oxmq_fuzz::session`): as `session_connect`; and time: a
//! session not established when its handshake deadline passes has ended
//! with `HandshakeTimeout` (or an earlier end); with no heartbeat options
//! and no TTL from the peer, an established session sets no timer; a
//! deadline the session gives is never in the past after
//! `handle_timeout`.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::{
    Greeting, HeartbeatConfig, Mechanism, Session, SessionConfig, SocketType,
};
use oxmq_fuzz::session::{Clock, Observer};
use oxmq_fuzz::Input;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let input = Input::parse(data);
    let ours = SocketType::ALL[usize::from(input.mode & 0x1f) % SocketType::ALL.len()];
    let mut config = SessionConfig::new(ours);
    let handshake_ms = u64::from(input.param & 0xff);
    if input.mode & 0x20 != 0 {
        config.handshake_timeout = Some(Duration::from_millis(handshake_ms));
    }
    let heartbeats = input.mode & 0x40 != 0;
    if heartbeats {
        let ivl = u64::from((input.param >> 8) & 0xf) * 10 + 1;
        config.heartbeat = HeartbeatConfig {
            interval: Some(Duration::from_millis(ivl)),
            timeout: Some(Duration::from_millis(ivl / 2)),
            ttl: Some(Duration::from_millis(u64::from(input.param >> 12) * 100)),
        };
    }
    let mut clock = Clock::new();
    let start = clock.now();
    let mut s = Session::new(config.clone(), start);
    let mut seen = Observer::new(ours, config.limits);
    if input.mode & 0x80 != 0 {
        let mut g = BytesMut::new();
        Greeting::ours(Mechanism::Null, false).encode(&mut g);
        s.handle_bytes(clock.now(), &g);
    }
    seen.collect(&mut s, usize::MAX);
    // A PING (a command whose body starts with the name length 4 and
    // PING, whatever its header) may bring a TTL, which sets a timer.
    let may_ping = input.stream.windows(5).any(|w| w == b"\x04PING");
    for (chunk, run) in input.chunk_runs() {
        let step = chunk.first().map_or(run as u64, |&b| u64::from(b));
        let now = clock.advance_ms(step);
        s.handle_bytes(now, chunk);
        s.handle_timeout(now);
        seen.collect(&mut s, usize::MAX);
        if let Some(at) = s.poll_timeout() {
            assert!(at > now, "a deadline already passed after handle_timeout");
        }
        if config.handshake_timeout.is_some()
            && now >= start + Duration::from_millis(handshake_ms)
            && !seen.established()
        {
            assert!(
                seen.ended(),
                "the handshake deadline passed and nothing ended"
            );
        }
        if seen.established() && !seen.ended() && !heartbeats && !may_ping {
            assert_eq!(s.poll_timeout(), None, "a timer without heartbeats");
        }
    }
    // Time runs out: a session never established ends by its deadline.
    let later = clock.advance_ms(10_000);
    s.handle_timeout(later);
    seen.collect(&mut s, usize::MAX);
    if config.handshake_timeout.is_some() && !seen.established() {
        assert!(seen.ended());
    }
    seen.check_written(&[]);
});
