//! The session alone, bytes in and bytes out, on a fake clock: one test
//! (or more) per rule of SPEC §3, §6.1 (limits) and §6.8 (heartbeats).

use super::*;
use crate::zmtp::frame::{encode_frame, Frame};
use crate::zmtp::greeting::{Greeting, GREETING_LEN};
use crate::zmtp::mechanism::Mechanism;
use crate::zmtp::metadata::Metadata;
pub(super) use crate::zmtp::security::Security;
pub(super) use std::time::Duration;

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

mod commands;
mod curve;
mod frames;
mod greeting;
mod handshake;
mod heartbeats;
mod limits;
mod no_panic;
mod resume;
mod security;
mod single_frame;
mod unsent;
