//! Resumable sessions (SPEC §3.7): the `OxMQ-Resume` value, the ACK and
//! BYE commands, and a `zmtp::Session` that offers resumption, on the
//! accepting or the connecting side, against a peer the input plays.
//!
//! Every input first goes, whole, to `ResumeOffer::decode` and, behind
//! the names `\x03ACK` and `\x03BYE` (whole and cut to 8 bytes), to
//! `Command::parse`. Then it is read as (missing bytes read as zero):
//!
//! | bytes | meaning |
//! |---|---|
//! | `mode` | bit 0: the connecting side (else the accepting one); bits 1-4: our socket type, among the nine that resume (modulo 9); bit 5: `resend_on_reset`; bit 6: heartbeats (from `param`, as `session_accept`); bit 7: receive limits (from `param`, as `session_connect`) |
//! | `shape` | bits 0-1: the peer's `OxMQ-Resume`: 0 a version-1 value of the offer below, 1 the same as a later version (version byte, then extra bytes), 2 raw bytes, 3 none; bit 2: the ids match (our record's peer is the offer's session and the offer names our session), so the session resumes; bit 3: the accepting side answers the lookup only at an `answer` op; bits 4-7: the peer's greeting and READY are fed cut after `8 ×` this many bytes |
//! | 2 bytes | `param` |
//! | 1 | the peer's socket type, among those compatible with ours |
//! | … | our record (`ResumeState`): session id (`[1 + b % 4; 16]`), peer (`b % 5`, 0: none), received, acked (a byte below 0xf0, else 7 more bytes), `b % 8` unacknowledged messages, window (`b % 17`, 0: none) |
//! | … | the peer's offer: session (`[b % 5; 16]`, so sometimes all zeros), peer seen (`b % 5`, 0: none), received (a byte below 0xf0, 0xff: `u64::MAX`, else 8 more bytes), window (likewise, a byte taken `% 17`, a longer count cut to u32); for a later version a version byte (`2 + b % 254`) and `b % 8` extra bytes; for raw bytes `b % 64` bytes |
//! | rest | operations, one byte each (`op % 12`, the high bits a parameter) and their operands: raw peer bytes; a peer message (well-formed frames); a peer ACK (of everything sent, one more, a repeat, fewer, arbitrary, `u64::MAX`, of a wrong length); a peer BYE (or one with data); a peer PING; another peer command (ERROR, SUBSCRIBE, READY, unknown); a message of ours (within `send_room` unless bit 7); a write of part or all of what the session gives; time passing (`handle_timeout`); `say_bye`; the lookup's answer (`handle_resume`); end of stream |
//!
//! Checks: no panic. `decode(encode(x)) == x` for any decoded offer, and
//! `encode(decode(v)) == v` for a version-1 value `v` (a later version:
//! the same 44 bytes after the version); errors are `MalformedMetadata`.
//! An ACK parses only with an 8-byte count (else it is an unknown command
//! named ACK), a BYE only with no data; both round-trip byte-exact.
//!
//! The session, against an independent model of `ResumeState::on_connect`:
//! the handshake ends as the offer says (`ResumeLookup` with the decoded
//! offer on the accepting side, `MalformedMetadata` for a bad value, the
//! outcome's `MalformedCommand` for a count above what our record sent,
//! established otherwise); `Resumed` carries the model's outcome just
//! before `Established`; our READY carries our offer (the accepting
//! side's: our session, the peer's, the count kept, our window) or no
//! offer; what we write is our greeting, our READY, then the messages the
//! peer did not have (resumed), or all the record's (reset, with
//! `resend_on_reset`), then ours in order, with ACK and BYE only on a
//! resumed connection, ACK counts rising and never above what was handed
//! over, BYE only after `say_bye`; an ACK is due (`has_transmit`) once
//! half the peer's window waits, and written 5 ms after the first message
//! it covers; `unacknowledged()` never exceeds the record's messages plus
//! those offered, and while the peer stream is made of whole frames it is
//! exactly what was sent less the peer's highest ACK; such an ACK above
//! what was sent ends the session with `MalformedCommand`, one of a wrong
//! length too, and neither matters to a session that did not resume;
//! `take_window_opened` reports an ACK that freed a full window;
//! `send_room` is the window's room; `ack_counts` match the ACKs written
//! (and received); messages handed out obey the limits and stop at the
//! end; `take_unsent` gives back exactly the offered messages never
//! encoded; `take_resume` gives the record back exactly when the code
//! says (resumed: always on the connecting side, on the accepting side
//! unless a BYE went either way; not resumed: never on the accepting
//! side, and on the connecting side unless the peer's offer failed it),
//! with `unacked` the last `unacknowledged()` messages written and
//! `received` what was handed over; then `None`.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::resume::{
    ResumeOffer, ResumeOutcome, ResumeState, SessionId, Window, RESUME_PROPERTY, RESUME_VERSION,
};
use oxmq::__internal::zmtp::{
    encode_frame, Command, FrameDecoder, Greeting, HeartbeatConfig, Limits, Mechanism, Metadata,
    ProtocolError, Resume, Session, SessionConfig, SessionEnd, SessionEvent, SocketType,
    GREETING_LEN,
};
use oxmq::Message;
use oxmq_fuzz::session::Clock;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

/// The socket types that offer resumption (SPEC §3.7).
const RESUMABLE: [SocketType; 9] = [
    SocketType::Client,
    SocketType::Server,
    SocketType::Push,
    SocketType::Pull,
    SocketType::Dealer,
    SocketType::Router,
    SocketType::Req,
    SocketType::Rep,
    SocketType::Pair,
];

/// The ACK delay of SPEC §3.7, in ms.
const ACK_DELAY_MS: u64 = 5;

/// Acknowledge by this many when the peer's window is unlimited.
const UNLIMITED_HALF: u64 = 512;

// ----- part 1 and 2: the codecs ------------------------------------------

/// `ResumeOffer::decode` on `value`, and the round trips of what it gives.
fn check_offer_codec(value: &[u8]) {
    let offer = match ResumeOffer::decode(value) {
        Ok(offer) => offer,
        Err(e) => {
            assert!(matches!(e, ProtocolError::MalformedMetadata(_)), "{e:?}");
            return;
        }
    };
    assert_ne!(offer.session, [0; 16], "decoded a session id of zeros");
    assert_ne!(offer.peer_seen, Some([0; 16]), "zeros are no peer");
    let encoded = offer.encode();
    assert_eq!(encoded.len(), 49);
    assert_eq!(encoded[0], RESUME_VERSION);
    assert_eq!(ResumeOffer::decode(&encoded), Ok(offer));
    if value[0] == RESUME_VERSION {
        assert_eq!(&encoded[..], value, "a version-1 value did not re-encode");
    } else {
        // A later version, read as far as version 1 goes.
        assert!(value[0] > RESUME_VERSION);
        assert_eq!(&encoded[1..], &value[1..49]);
    }
}

/// The body `name` (with its length byte) then `data`.
fn command_body(name: &[u8], data: &[u8]) -> Bytes {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    Bytes::from(body)
}

/// Encodes `cmd` into one frame and parses it back; returns the body.
fn command_round_trip(cmd: &Command) -> Bytes {
    let mut out = BytesMut::new();
    cmd.encode(&mut out);
    let frame = FrameDecoder::new(None)
        .decode(&mut out)
        .expect("an encoded command is a valid frame")
        .expect("an encoded command is a whole frame");
    assert!(out.is_empty() && frame.command && !frame.more);
    let again = Command::parse(frame.body.clone()).expect("an encoded command parses");
    assert_eq!(&again, cmd, "a command did not round-trip");
    frame.body
}

/// `Command::parse` on ACK and BYE bodies with `data` after the name.
fn check_ack_bye(data: &[u8]) {
    let short = &data[..data.len().min(8)];
    for d in [data, short] {
        let body = command_body(b"ACK", d);
        match Command::parse(body.clone()) {
            Ok(Command::Ack(n)) => {
                assert_eq!(d.len(), 8);
                assert_eq!(&n.to_be_bytes()[..], d);
                assert_eq!(command_round_trip(&Command::Ack(n)), body);
            }
            Ok(Command::Unknown { name, data: rest }) => {
                assert_ne!(d.len(), 8, "an 8-byte ACK left unknown");
                assert_eq!((name.as_str(), &rest[..]), ("ACK", d));
            }
            other => panic!("ACK parsed as {other:?}"),
        }
        let body = command_body(b"BYE", d);
        match Command::parse(body.clone()) {
            Ok(Command::Bye) => {
                assert!(d.is_empty());
                assert_eq!(command_round_trip(&Command::Bye), body);
            }
            Ok(Command::Unknown { name, data: rest }) => {
                assert!(!d.is_empty(), "an empty BYE left unknown");
                assert_eq!((name.as_str(), &rest[..]), ("BYE", d));
            }
            other => panic!("BYE parsed as {other:?}"),
        }
    }
    let mut count = [0; 8];
    count[..short.len()].copy_from_slice(short);
    let n = u64::from_be_bytes(count);
    assert_eq!(
        command_round_trip(&Command::Ack(n)),
        command_body(b"ACK", &count)
    );
}

// ----- the input ----------------------------------------------------------

/// The input, read front to back; bytes past its end read as zero.
struct Src<'a>(&'a [u8]);

impl<'a> Src<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }

    fn u64(&mut self) -> u64 {
        let mut b = [0; 8];
        let t = self.take(8);
        b[..t.len()].copy_from_slice(t);
        u64::from_be_bytes(b)
    }

    /// A count of ours: mostly small, at most 2^56 (a real record counts
    /// messages, far from overflowing).
    fn our_count(&mut self) -> u64 {
        match self.byte() {
            b @ 0..=0xef => u64::from(b),
            _ => self.u64() >> 8,
        }
    }

    /// A count from the peer: anything.
    fn peer_count(&mut self) -> u64 {
        match self.byte() {
            b @ 0..=0xef => u64::from(b),
            0xff => u64::MAX,
            _ => self.u64(),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A session id from a small alphabet, so ids meet; 0 is all zeros.
fn id(k: u8) -> SessionId {
    [k; 16]
}

/// Our record before the connection, as the driver would give it.
struct StateSpec {
    session: SessionId,
    peer: Option<SessionId>,
    received: u64,
    acked: u64,
    unacked: Vec<Message>,
    window: usize,
}

impl StateSpec {
    fn read(src: &mut Src, single_frame: bool) -> StateSpec {
        let session = id(1 + src.byte() % 4);
        let peer = Some(src.byte() % 5).filter(|&k| k != 0).map(id);
        let received = src.our_count();
        let acked = src.our_count();
        let n = usize::from(src.byte() % 8);
        let unacked = (0..n)
            .map(|i| {
                let frames = if single_frame { 1 } else { 1 + i % 2 };
                Message::from_frames(
                    (0..frames)
                        .map(|f| Bytes::from(format!("u{i}.{f}")))
                        .collect(),
                )
            })
            .collect();
        let window = usize::from(src.byte() % 17);
        StateSpec {
            session,
            peer,
            received,
            acked,
            unacked,
            window,
        }
    }

    fn build(&self) -> ResumeState {
        ResumeState {
            session: self.session,
            peer: self.peer,
            received: self.received,
            acked: self.acked,
            unacked: Window::from_messages(&self.unacked),
            window: self.window,
            // The model's window is in messages only.
            window_bytes: 0,
        }
    }

    fn offer(&self) -> ResumeOffer {
        ResumeOffer {
            session: self.session,
            peer_seen: self.peer,
            received: self.received,
            window: u32::try_from(self.window).unwrap_or(u32::MAX),
            window_bytes: 0,
        }
    }
}

/// The record after the connection was made, per SPEC §3.7 (written
/// from the SPEC, not from `on_connect`).
#[derive(Clone, Debug)]
struct After {
    outcome: ResumeOutcome,
    /// Sent first, in order, and still unacknowledged.
    resend: Vec<Message>,
    acked: u64,
    received: u64,
}

/// `None`: the peer's count is above what we sent, a protocol error.
fn model_connect(st: &StateSpec, peer: &ResumeOffer, resend_on_reset: bool) -> Option<After> {
    let n = st.unacked.len() as u64;
    if st.peer == Some(peer.session) && peer.peer_seen == Some(st.session) {
        if peer.received > st.acked + n {
            return None;
        }
        let skipped = peer.received.saturating_sub(st.acked);
        return Some(After {
            outcome: ResumeOutcome::Resumed {
                skipped,
                resent: n - skipped,
            },
            resend: st.unacked[skipped as usize..].to_vec(),
            acked: st.acked + skipped,
            received: st.received,
        });
    }
    let fresh = st.peer.is_none() && st.acked == 0 && n == 0;
    Some(After {
        outcome: if fresh {
            ResumeOutcome::Fresh
        } else {
            ResumeOutcome::Reset { unacknowledged: n }
        },
        resend: if resend_on_reset {
            st.unacked.clone()
        } else {
            Vec::new()
        },
        acked: 0,
        received: 0,
    })
}

// ----- the run --------------------------------------------------------------

/// The session, what the model expects of it, and what it gave so far.
struct Run {
    s: Session,
    clock: Clock,
    /// The clock, in ms since the start.
    ms: u64,
    ours: SocketType,
    accept: bool,
    limits: Limits,
    heartbeats: bool,
    resend_on_reset: bool,
    spec: StateSpec,
    /// The accepting side's record, until the lookup is answered.
    pending_state: Option<ResumeState>,
    /// The peer's offer as `ResumeOffer::decode` reads it; `None`: the
    /// peer offered nothing.
    peer_offer: Option<Result<ResumeOffer, ProtocolError>>,
    /// The model's record after the connection, once both offered.
    after: Option<After>,
    /// The `Resumed` outcome expected, once known.
    expect_resumed: Option<ResumeOutcome>,
    /// Our READY's `OxMQ-Resume`, once known.
    expect_ready: Option<Option<Bytes>>,
    /// The connection resumed (both offered, the record is the session's).
    active: bool,
    /// What `received` the ACKs start from.
    base: u64,
    /// Acknowledge by this many.
    half: u64,
    /// Messages the session writes before ours, at establishment.
    pre: Vec<Message>,
    /// Every message we offered, in order.
    offered: Vec<Message>,
    /// How many of `offered` were encoded (the rest wait, or came after the end).
    encoded: usize,
    // Events.
    lookups: u32,
    answered: bool,
    resumed_seen: bool,
    last_event_resumed: bool,
    established: bool,
    end: Option<SessionEnd>,
    polled: u64,
    drops: u64,
    /// The session ended on a command frame beyond `maxmsgsize`: no
    /// message was refused.
    command_too_large: bool,
    // Our output.
    out: BytesMut,
    greeting_seen: bool,
    decoder: FrameDecoder,
    ready_seen: bool,
    parts: Vec<Bytes>,
    written_msgs: usize,
    error_seen: bool,
    last_ack: u64,
    acks_written: u64,
    byes_written: u64,
    bye_calls: u64,
    /// Our BYE went while resumed and live: the accepting side keeps nothing.
    said_bye: bool,
    /// When (ms) each count of messages handed over was reached, for
    /// those not covered by an ACK written yet.
    handed_log: VecDeque<(u64, u64)>,
    // The peer.
    /// Everything the peer sent, handshake included.
    fed: Vec<u8>,
    /// Everything the peer sent since the handshake is whole frames, fed
    /// while established: the session decoded each as it came.
    in_sync: bool,
    /// The highest ACK the peer sent (while `in_sync`), from `after.acked`.
    peer_acked: u64,
    /// Valid ACKs the peer sent to a resumed session (while `in_sync`).
    acks_in: u64,
}

impl Run {
    fn now(&self) -> Instant {
        self.clock.now()
    }

    fn single_frame(&self) -> bool {
        matches!(self.ours, SocketType::Client | SocketType::Server)
    }

    /// Messages of the peer's session handed over so far, as the session
    /// counts them: decoded and taken, dropped multipart, and one that
    /// broke a limit (not a command beyond `maxmsgsize`).
    fn delivered(&self) -> u64 {
        let refused = self.established
            && !self.command_too_large
            && matches!(
                self.end,
                Some(SessionEnd::Protocol(
                    ProtocolError::FrameTooLarge { .. }
                        | ProtocolError::TooManyFrames { .. }
                        | ProtocolError::MessageTooLarge { .. }
                ))
            );
        self.base + self.polled + self.drops + u64::from(refused)
    }

    /// Messages our record holds in all: acknowledged and not.
    fn sent_total(&self) -> u64 {
        let after = self.after.as_ref().expect("resumed");
        after.acked + after.resend.len() as u64 + self.encoded as u64
    }

    /// The messages we wrote, in order, as the model has them.
    fn expected_msg(&self, i: usize) -> &Message {
        match i.checked_sub(self.pre.len()) {
            None => &self.pre[i],
            Some(j) => {
                assert!(j < self.encoded, "we wrote a message never offered");
                &self.offered[j]
            }
        }
    }

    fn feed(&mut self, bytes: &[u8], whole_frames: bool) {
        if !whole_frames || !self.established || self.end.is_some() {
            self.in_sync = false;
        }
        self.fed.extend_from_slice(bytes);
        let now = self.now();
        self.s.handle_bytes(now, bytes);
    }

    /// Takes the session's events, up to `budget` bytes of output, and
    /// its messages, checking each.
    fn collect(&mut self, budget: usize) {
        let ended_before = self.end.is_some();
        while let Some(ev) = self.s.poll_event() {
            self.event(ev);
        }
        self.transmit(budget);
        while let Some(m) = self.s.poll_message() {
            assert!(self.established, "a message before the handshake finished");
            assert!(!ended_before, "a message decoded after the end");
            self.check_message(&m);
            self.polled += 1;
        }
        self.check_state();
    }

    fn event(&mut self, ev: SessionEvent) {
        let resumed_before = std::mem::take(&mut self.last_event_resumed);
        match ev {
            SessionEvent::ResumeLookup(offer) => {
                assert!(self.accept, "the connecting side asked for a lookup");
                assert!(!self.answered && !self.established && self.end.is_none());
                assert_eq!(self.peer_offer, Some(Ok(offer)), "another offer looked up");
                assert_eq!(self.s.resume_offer(), Some(&offer));
                // The handshake reports the offer again with each read
                // while the lookup is awaited.
                self.lookups += 1;
            }
            SessionEvent::Resumed(outcome) => {
                assert!(!self.resumed_seen, "resumed twice");
                assert_eq!(Some(outcome), self.expect_resumed, "another outcome");
                self.resumed_seen = true;
                self.last_event_resumed = true;
            }
            SessionEvent::Established(info) => {
                assert!(!self.established, "established twice");
                assert!(self.end.is_none(), "established after the end");
                assert!(self.ours.is_compatible_with(info.socket_type));
                assert_eq!(
                    resumed_before,
                    self.expect_resumed.is_some(),
                    "Resumed must come just before Established, when expected"
                );
                self.established = true;
                if !self.accept {
                    match &self.peer_offer {
                        Some(Ok(_)) => {
                            let after = self.after.as_ref().expect("the model refused it");
                            self.pre = after.resend.clone();
                            self.active = true;
                        }
                        Some(Err(_)) => panic!("established with a malformed offer"),
                        None => {
                            let old = self.spec.peer.is_some() || !self.spec.unacked.is_empty();
                            if old && self.resend_on_reset {
                                self.pre = self.spec.unacked.clone();
                            }
                        }
                    }
                } else if self.active {
                    self.pre = self.after.as_ref().unwrap().resend.clone();
                }
                // What waited is encoded now.
                self.encoded = self.offered.len();
            }
            SessionEvent::MultipartDropped => {
                assert!(self.single_frame());
                self.drops += 1;
            }
            SessionEvent::ZapRequest(_) => panic!("a NULL session asked for a ZAP verdict"),
            SessionEvent::Closed(end) => {
                assert!(self.end.is_none(), "closed twice");
                assert_eq!(self.s.end(), Some(&end), "the event and end() disagree");
                self.end = Some(end);
            }
        }
    }

    fn check_message(&self, m: &Message) {
        assert!(!m.is_empty(), "a received message has a frame");
        if let Some(max) = self.limits.max_frames {
            assert!(m.len() <= max);
        }
        if self.limits.max_message_bytes != 0 {
            assert!(m.byte_len() <= self.limits.max_message_bytes);
        }
        if let Some(max) = self.limits.max_frame {
            assert!(m.iter().all(|f| f.len() as u64 <= max));
        }
        if self.single_frame() {
            assert_eq!(m.len(), 1, "CLIENT/SERVER took a multipart message");
        }
    }

    /// Writes up to `budget` bytes of what the session offers, and checks
    /// what is complete of it.
    fn transmit(&mut self, mut budget: usize) {
        while budget > 0 {
            let mut iov = [IoSlice::new(&[]); 8];
            let n = self.s.poll_transmit(&mut iov);
            if n == 0 {
                break;
            }
            let mut took = 0;
            for slice in &iov[..n] {
                let k = slice.len().min(budget - took);
                self.out.extend_from_slice(&slice[..k]);
                took += k;
                if took == budget {
                    break;
                }
            }
            assert!(took > 0, "poll_transmit offered only empty slices");
            self.s.transmitted(took);
            budget -= took;
        }
        if !self.greeting_seen {
            if self.out.len() < GREETING_LEN {
                return;
            }
            let g = Greeting::decode(&mut self.out).unwrap().unwrap();
            assert_eq!(g, Greeting::ours(Mechanism::Null, false));
            self.greeting_seen = true;
        }
        while let Some(f) = self.decoder.decode(&mut self.out).expect("we write valid frames") {
            self.written_frame(f.command, f.more, f.body);
        }
    }

    fn written_frame(&mut self, command: bool, more: bool, body: Bytes) {
        assert!(!self.error_seen, "we wrote after our ERROR");
        if !self.ready_seen {
            assert!(command, "our first frame is READY");
            let Ok(Command::Ready(md)) = Command::parse(body) else {
                panic!("our first command is not READY");
            };
            assert_eq!(md.socket_type(), Ok(self.ours));
            let expected = self
                .expect_ready
                .as_ref()
                .expect("READY went before the model knew what it says");
            assert_eq!(md.get(RESUME_PROPERTY), expected.as_ref(), "our offer");
            self.ready_seen = true;
            return;
        }
        if command {
            match Command::parse(body).expect("we write valid commands") {
                Command::Ping { .. } => assert!(self.heartbeats, "a PING without heartbeats"),
                Command::Pong { .. } => {}
                Command::Error { .. } => self.error_seen = true,
                Command::Ack(n) => {
                    assert!(self.active, "an ACK on a connection that did not resume");
                    assert!(n > self.last_ack, "ACK {n} after ACK {}", self.last_ack);
                    assert!(
                        n <= self.delivered(),
                        "ACK {n}; {} handed over",
                        self.delivered()
                    );
                    self.last_ack = n;
                    self.acks_written += 1;
                }
                Command::Bye => {
                    assert!(self.active, "a BYE on a connection that did not resume");
                    self.byes_written += 1;
                    assert!(self.byes_written <= self.bye_calls, "a BYE unasked");
                }
                other => panic!("we wrote {other:?}"),
            }
            return;
        }
        assert!(self.established, "a message before the handshake finished");
        self.parts.push(body);
        if !more {
            let m = Message::from_frames(std::mem::take(&mut self.parts));
            assert_eq!(
                &m,
                self.expected_msg(self.written_msgs),
                "message {} written out of order or changed",
                self.written_msgs
            );
            self.written_msgs += 1;
        }
    }

    /// What holds after every step.
    fn check_state(&mut self) {
        let s = &self.s;
        assert_eq!(s.end(), self.end.as_ref());
        if self.end.is_some() {
            assert_eq!(s.poll_timeout(), None);
        }
        assert_eq!(s.is_established(), self.established && self.end.is_none());
        assert_eq!(s.is_resumable(), self.active);
        let unack = s.unacknowledged();
        assert!(
            unack <= self.spec.unacked.len() + self.offered.len(),
            "{unack} unacknowledged of {} + {}",
            self.spec.unacked.len(),
            self.offered.len()
        );
        let waiting = self.offered.len() - self.encoded;
        if self.active {
            let sent = self.sent_total();
            assert!(unack as u64 <= sent - self.peer_acked);
            if self.in_sync {
                assert_eq!(unack as u64, sent - self.peer_acked, "ACKs not applied");
            }
            let room = match self.spec.window {
                0 => usize::MAX,
                w => w.saturating_sub(unack),
            };
            assert_eq!(s.send_room(), room.saturating_sub(waiting));
            let handed = self.delivered();
            if self.handed_log.back().map_or(self.last_ack, |e| e.1) < handed {
                self.handed_log.push_back((self.ms, handed));
            }
            while self.handed_log.front().is_some_and(|e| e.1 <= self.last_ack) {
                self.handed_log.pop_front();
            }
            if self.end.is_none() && handed - self.last_ack >= self.half {
                assert!(s.has_transmit(), "half the window waits and no ACK is due");
            }
        } else {
            assert_eq!(unack, 0);
            assert_eq!(s.send_room(), usize::MAX - waiting);
        }
    }

    // ----- operations ----------------------------------------------------

    /// The lookup's answer: our record for the peer's offer.
    fn answer(&mut self) {
        let awaited = self.lookups > 0 && !self.answered;
        let Some(state) = awaited.then(|| self.pending_state.take()).flatten() else {
            // Not awaited (or answered already): ignored.
            let before = self.s.unacknowledged();
            let now = self.now();
            self.s.handle_resume(now, ResumeState::new(3));
            assert!(self.s.poll_event().is_none(), "an ignored answer made an event");
            assert_eq!(self.s.unacknowledged(), before);
            return;
        };
        let Some(Ok(offer)) = self.peer_offer.clone() else {
            unreachable!("a record kept without a lookup");
        };
        self.answered = true;
        let live = self.end.is_none();
        let model = model_connect(&self.spec, &offer, self.resend_on_reset);
        if live {
            if let Some(after) = &model {
                let ours = ResumeOffer {
                    session: self.spec.session,
                    peer_seen: Some(offer.session),
                    received: after.received,
                    window: u32::try_from(self.spec.window).unwrap_or(u32::MAX),
                    window_bytes: 0,
                };
                self.expect_ready = Some(Some(ours.encode()));
                self.expect_resumed = Some(after.outcome);
                self.activate(after.clone(), &offer);
            }
        }
        let now = self.now();
        self.s.handle_resume(now, state);
        self.collect(0);
        if live {
            match model {
                Some(_) => assert!(self.established, "not established once answered"),
                None => assert!(
                    matches!(
                        self.end,
                        Some(SessionEnd::Protocol(ProtocolError::MalformedCommand(_)))
                    ),
                    "a count above what we sent: {:?}",
                    self.end
                ),
            }
        }
    }

    fn activate(&mut self, after: After, peer: &ResumeOffer) {
        self.active = true;
        self.base = after.received;
        self.last_ack = after.received;
        self.peer_acked = after.acked;
        self.half = match peer.window {
            0 => UNLIMITED_HALF,
            w => u64::from(w / 2).max(1),
        };
        self.after = Some(after);
    }

    /// A peer command frame. Returns whether it is within `maxmsgsize`,
    /// which command frames are held to as well (else it ends the
    /// session with `FrameTooLarge`).
    fn command(&mut self, name: &[u8], data: &[u8]) -> bool {
        let body = command_body(name, data);
        let fits = self
            .limits
            .max_frame
            .is_none_or(|max| body.len() as u64 <= max);
        let mut buf = BytesMut::new();
        encode_frame(&body, false, true, &mut buf);
        let open = self.end.is_none();
        self.feed(&buf, true);
        if !fits
            && open
            && matches!(
                self.end,
                Some(SessionEnd::Protocol(ProtocolError::FrameTooLarge { .. }))
            )
        {
            self.command_too_large = true;
        }
        fits
    }

    fn live(&self) -> bool {
        self.in_sync && self.established && self.end.is_none()
    }

    fn peer_message(&mut self, op: u8, src: &mut Src) {
        let frames = 1 + (op >> 4) % 3;
        let mut buf = BytesMut::new();
        for k in 0..frames {
            let mut len = usize::from(src.byte() % 24);
            if op & 0x80 != 0 {
                len *= 40;
            }
            encode_frame(&vec![k; len], k + 1 < frames, false, &mut buf);
        }
        self.feed(&buf, true);
    }

    fn peer_ack(&mut self, op: u8, src: &mut Src) {
        let live = self.live();
        let sent = if self.active { self.sent_total() } else { 0 };
        let kind = (op >> 4) & 7;
        let count = match kind {
            0 => sent,
            1 => sent.saturating_add(1 + u64::from(src.byte())),
            2 => self.peer_acked,
            3 => sent.saturating_sub(u64::from(src.byte())),
            4 => src.u64(),
            5 => u64::MAX,
            7 => self.peer_acked.saturating_sub(1 + u64::from(src.byte())),
            _ => {
                // Not 8 bytes.
                let mut len = usize::from(src.byte() % 16);
                if len == 8 {
                    len = 9;
                }
                // Padded: the input may end before `len` bytes.
                let mut data = src.take(len).to_vec();
                data.resize(len, 0);
                let fits = self.command(b"ACK", &data);
                self.collect(0);
                if live && fits {
                    if self.active {
                        assert!(
                            matches!(
                                self.end,
                                Some(SessionEnd::Protocol(ProtocolError::MalformedCommand(_)))
                            ),
                            "an ACK of {len} bytes: {:?}",
                            self.end
                        );
                    } else {
                        assert!(self.end.is_none(), "an unknown command ended it");
                    }
                }
                return;
            }
        };
        let unack_before = self.s.unacknowledged();
        let full = self.active && self.spec.window != 0 && unack_before >= self.spec.window;
        let fits = self
            .limits
            .max_frame
            .is_none_or(|max| 1 + 3 + 8 <= max);
        // The model first: `collect` checks the session against it.
        let applies = live && fits && self.active && count <= sent;
        let acked_before = self.peer_acked;
        if applies {
            self.peer_acked = self.peer_acked.max(count);
            self.acks_in += 1;
        }
        // A flag left by raw bytes is not this ACK's.
        self.s.take_window_opened();
        self.command(b"ACK", &count.to_be_bytes());
        self.collect(0);
        let opened = self.s.take_window_opened();
        if !live || !fits {
            return;
        }
        if !self.active {
            assert!(self.end.is_none(), "an ACK to a session that did not resume ended it");
            return;
        }
        if count > sent {
            assert!(
                matches!(
                    self.end,
                    Some(SessionEnd::Protocol(ProtocolError::MalformedCommand(_)))
                ),
                "an ACK of {count} with {sent} sent: {:?}",
                self.end
            );
            return;
        }
        assert!(self.end.is_none(), "ACK {count} of {sent}: {:?}", self.end);
        assert_eq!(self.peer_acked, acked_before.max(count));
        let unack = self.s.unacknowledged();
        assert_eq!(unack as u64, sent - self.peer_acked);
        assert_eq!(opened, full && unack < unack_before, "take_window_opened");
        assert_eq!(self.s.ack_counts().1, self.acks_in);
    }

    fn other_command(&mut self, op: u8, src: &mut Src) {
        let live = self.live();
        match (op >> 4) % 4 {
            0 => {
                let len = src.byte() % 8;
                let mut data = vec![len];
                data.extend_from_slice(src.take(usize::from(len)));
                let fits = self.command(b"ERROR", &data);
                self.collect(0);
                if live && fits && data.len() == 1 + usize::from(len) {
                    assert!(matches!(
                        self.end,
                        Some(SessionEnd::Protocol(ProtocolError::PeerError(_)))
                    ));
                }
            }
            1 => {
                let len = usize::from(src.byte() % 8);
                let data = src.take(len).to_vec();
                let fits = self.command(b"SUBSCRIBE", &data);
                self.collect(0);
                if live && fits {
                    assert!(self.end.is_none(), "a SUBSCRIBE ended it");
                }
            }
            2 => {
                let len = usize::from(src.byte() % 16);
                let data = src.take(len).to_vec();
                let _ = self.command(b"READY", &data);
                self.collect(0);
            }
            _ => {
                let len = usize::from(src.byte() % 8);
                let data = src.take(len).to_vec();
                let fits = self.command(b"XACK", &data);
                self.collect(0);
                if live && fits {
                    assert!(self.end.is_none(), "an unknown command ended it");
                }
            }
        }
    }

    fn send(&mut self, op: u8, src: &mut Src) {
        let respect = op & 0x80 == 0;
        let room = self.s.send_room();
        if respect && room == 0 {
            return;
        }
        let i = self.offered.len();
        let size = usize::from(src.byte() % 32);
        let m = match (op >> 4) & 3 {
            2 if !self.single_frame() => Message::from_frames(vec![
                Bytes::from(format!("s{i}")),
                Bytes::from(vec![b'.'; size]),
            ]),
            // Past the size the session copies: queued as its own chunk.
            3 => {
                let mut v = format!("s{i}").into_bytes();
                v.resize(9000 + size, b'+');
                Message::from(v)
            }
            _ => {
                let mut v = format!("s{i}").into_bytes();
                v.resize(v.len() + size, b'-');
                Message::from(v)
            }
        };
        let was_established = self.s.is_established();
        self.offered.push(m.clone());
        self.s.send_message(m);
        if was_established {
            self.encoded += 1;
            if self.active && respect && self.spec.window != 0 {
                assert!(self.s.unacknowledged() <= self.spec.window, "past the window");
            }
        }
    }

    fn time(&mut self, op: u8, src: &mut Src) {
        let step = u64::from(src.byte()) * if op & 0x80 != 0 { 16 } else { 1 };
        self.ms += step;
        let now = self.clock.advance_ms(step);
        // Messages handed over at least the ACK delay ago: their ACK is
        // due (queued by its timer, or earlier with other bytes).
        let due = self
            .handed_log
            .iter()
            .filter(|e| e.0 + ACK_DELAY_MS <= self.ms)
            .map(|e| e.1)
            .max();
        self.s.handle_timeout(now);
        self.collect(usize::MAX);
        if let Some(at) = self.s.poll_timeout() {
            assert!(at > now, "a deadline already passed after handle_timeout");
        }
        if let (Some(due), true) = (due, self.active && self.end.is_none()) {
            assert!(
                self.last_ack >= due,
                "{due} handed over {ACK_DELAY_MS} ms ago, ACK {} written",
                self.last_ack
            );
        }
    }

    fn op(&mut self, src: &mut Src) {
        let op = src.byte();
        match op % 12 {
            0 => {
                let n = 1 + usize::from(src.byte() % 64);
                let raw = src.take(n);
                self.feed(raw, false);
                self.collect(0);
            }
            1 => {
                self.peer_message(op, src);
                self.collect(0);
            }
            2 => self.peer_ack(op, src),
            3 => {
                let data: &[u8] = if op & 0x10 != 0 { b"x" } else { b"" };
                let live = self.live();
                let fits = self.command(b"BYE", data);
                self.collect(0);
                if live && fits {
                    assert!(self.end.is_none(), "a BYE ended it");
                }
            }
            4 => {
                let ttl = [src.byte(), src.byte()];
                let len = usize::from(src.byte() % 20);
                let mut data = ttl.to_vec();
                data.extend_from_slice(src.take(len));
                let live = self.live();
                let fits = self.command(b"PING", &data);
                self.collect(0);
                if live && fits {
                    assert_eq!(self.end.is_some(), data.len() > 2 + 16, "{:?}", self.end);
                }
            }
            5 => {
                self.other_command(op, src);
            }
            6 => {
                self.send(op, src);
                self.collect(0);
            }
            7 => {
                let budget = if op & 0x80 != 0 {
                    usize::MAX
                } else {
                    usize::from(src.byte()) * 16 + 1
                };
                self.collect(budget);
            }
            8 => self.time(op, src),
            9 => {
                if self.active && self.end.is_none() {
                    self.said_bye = true;
                }
                self.bye_calls += 1;
                self.s.say_bye();
                self.collect(0);
            }
            10 => self.answer(),
            _ => {
                if op >> 4 == 0 {
                    let now = self.now();
                    self.s.handle_eof(now);
                    self.collect(0);
                    assert!(self.end.is_some());
                } else {
                    self.collect(usize::MAX);
                }
            }
        }
        if self.in_sync && !matches!(op % 12, 2) {
            assert!(!self.s.take_window_opened(), "the window opened with no ACK");
        } else {
            self.s.take_window_opened();
        }
    }

    /// The end of the input: the rest is written, the record taken back.
    fn finish(mut self) {
        self.collect(usize::MAX);
        // The messages taken last may make an ACK due.
        self.collect(usize::MAX);
        assert!(!self.s.has_transmit(), "bytes left after a full write");
        assert_eq!(self.s.ack_counts().0, self.acks_written, "ACKs sent and written");
        if self.in_sync {
            assert_eq!(self.s.ack_counts().1, self.acks_in, "ACKs received");
        }
        if self.established {
            assert!(self.parts.is_empty(), "a message written in part");
            assert_eq!(self.written_msgs, self.pre.len() + self.encoded);
        } else {
            assert_eq!(self.written_msgs, 0);
        }
        if self.resumed_seen {
            assert!(self.established || self.end.is_some());
        }
        let resumed = self.s.is_resumable();
        let unack = self.s.unacknowledged();
        let record = self.s.take_resume();
        match (&record, resumed) {
            (Some(r), true) => {
                assert_eq!(r.unacked.len(), unack, "the record's unacked");
                // A frame refused from its header counts as a message only
                // when it is not a command; raw peer bytes leave the model
                // unsure which it was, so either count is right then.
                let header_refused = !self.command_too_large
                    && matches!(
                        self.end,
                        Some(SessionEnd::Protocol(ProtocolError::FrameTooLarge { .. }))
                    );
                let delivered = self.delivered();
                assert!(
                    r.received == delivered || (header_refused && r.received + 1 == delivered),
                    "the record's count: {} for {delivered}",
                    r.received
                );
                assert_eq!(r.session, self.spec.session);
                assert_eq!(r.window, self.spec.window);
                let Some(Ok(offer)) = &self.peer_offer else {
                    panic!("resumed without an offer");
                };
                assert_eq!(r.peer, Some(offer.session));
                if self.in_sync {
                    assert_eq!(r.acked, self.peer_acked);
                }
                // The last messages written are the ones kept.
                let all = self.pre.len() + self.encoded;
                for (k, m) in r.unacked.messages().iter().enumerate() {
                    assert_eq!(m, self.expected_msg(all - unack + k), "kept message {k}");
                }
            }
            (None, true) => {
                // The accepting side keeps nothing after a BYE either way.
                let bye_in = self.fed.windows(4).any(|w| w == b"\x03BYE");
                assert!(self.accept, "the connecting side lost its record");
                assert!(self.said_bye || bye_in, "the record lost with no BYE");
            }
            (Some(r), false) if self.accept => {
                // The record given with the lookup comes back whole when
                // the peer's offer named more than it holds.
                assert!(
                    matches!(
                        self.end,
                        Some(SessionEnd::Protocol(ProtocolError::MalformedCommand(_)))
                    ) && !self.established,
                    "a record back from a session that resumed: {:?}",
                    self.end
                );
                assert_eq!(r.session, self.spec.session);
                assert_eq!(r.peer, self.spec.peer);
                assert_eq!((r.received, r.acked), (self.spec.received, self.spec.acked));
                assert_eq!(r.unacked.len(), self.spec.unacked.len());
            }
            (Some(r), false) => {
                assert_eq!(r.session, self.spec.session);
                let old = self.spec.peer.is_some() || !self.spec.unacked.is_empty();
                if self.established && old {
                    // The peer offered nothing: the relationship starts again.
                    assert!(self.peer_offer.is_none());
                    assert!(r.unacked.is_empty() && r.peer.is_none());
                    assert_eq!((r.received, r.acked), (0, 0));
                } else {
                    // Untouched (a record with no peer and nothing kept
                    // is not reset; a real one then counts nothing).
                    assert!(self.peer_offer.is_none() || !self.established);
                    assert_eq!(r.peer, self.spec.peer);
                    assert_eq!((r.received, r.acked), (self.spec.received, self.spec.acked));
                    assert_eq!(r.unacked.len(), self.spec.unacked.len());
                }
            }
            (None, false) => {
                // The connecting side never loses its record, not even to
                // a malformed or over-counting offer.
                assert!(self.accept, "the record lost: {:?}", self.end);
            }
        }
        assert!(self.s.take_resume().is_none(), "the record given twice");
        let unsent: Vec<Message> = self.s.take_unsent().into_iter().collect();
        assert_eq!(unsent[..], self.offered[self.encoded..], "take_unsent");
    }
}

/// A valid 3.1 NULL greeting and a READY of `peer` with `resume` as its
/// `OxMQ-Resume`.
fn peer_start(peer: SocketType, resume: Option<&Bytes>) -> Vec<u8> {
    let mut out = BytesMut::new();
    Greeting::ours(Mechanism::Null, false).encode(&mut out);
    let mut md = Metadata::new();
    md.insert("Socket-Type", Bytes::from_static(peer.as_str().as_bytes()));
    if let Some(v) = resume {
        md.insert(RESUME_PROPERTY, v.clone());
    }
    Command::Ready(md).encode(&mut out);
    out.to_vec()
}

fuzz_target!(|data: &[u8]| {
    check_offer_codec(data);
    check_ack_bye(data);

    let mut src = Src(data);
    let mode = src.byte();
    let shape = src.byte();
    let param = u16::from_be_bytes([src.byte(), src.byte()]);
    let accept = mode & 1 == 0;
    let ours = RESUMABLE[usize::from((mode >> 1) & 0xf) % RESUMABLE.len()];
    let peers: Vec<SocketType> = SocketType::ALL
        .into_iter()
        .filter(|p| ours.is_compatible_with(*p))
        .collect();
    let peer = peers[usize::from(src.byte()) % peers.len()];
    let single_frame = matches!(ours, SocketType::Client | SocketType::Server);
    let mut spec = StateSpec::read(&mut src, single_frame);
    let mut offer = ResumeOffer {
        session: id(src.byte() % 5),
        peer_seen: Some(src.byte() % 5).filter(|&k| k != 0).map(id),
        received: src.peer_count(),
        window: match src.peer_count() {
            w @ 0..=0xef => (w % 17) as u32,
            w => w as u32,
        },
        // No byte window: the model acknowledges by messages only.
        window_bytes: 0,
    };
    if shape & 4 != 0 {
        spec.peer = Some(offer.session);
        offer.peer_seen = Some(spec.session);
    }
    let value: Option<Bytes> = match shape & 3 {
        0 => Some(offer.encode()),
        1 => {
            let mut v = offer.encode().to_vec();
            v[0] = 2 + src.byte() % 254;
            let extra = usize::from(src.byte() % 8);
            v.extend_from_slice(src.take(extra));
            Some(Bytes::from(v))
        }
        2 => {
            let n = usize::from(src.byte() % 64);
            Some(Bytes::copy_from_slice(src.take(n)))
        }
        _ => None,
    };
    if let Some(v) = &value {
        check_offer_codec(v);
    }

    let mut config = SessionConfig::new(ours);
    config.resend_on_reset = mode & 0x20 != 0;
    let heartbeats = mode & 0x40 != 0;
    if heartbeats {
        let ivl = u64::from((param >> 8) & 0xf) * 10 + 1;
        config.heartbeat = HeartbeatConfig {
            interval: Some(Duration::from_millis(ivl)),
            timeout: Some(Duration::from_millis(ivl / 2)),
            ttl: Some(Duration::from_millis(u64::from(param >> 12) * 100)),
        };
    }
    if mode & 0x80 != 0 {
        config.limits = Limits {
            max_frame: Some(u64::from(param & 0xff) * 16),
            max_frames: Some(usize::from((param >> 8) & 0xf) + 1),
            max_message_bytes: usize::from(param >> 12) * 64,
        };
    }
    // The connecting side keeps what it did not write (its endpoint's
    // next connection sends it), as the driver sets it.
    config.keep_unsent = !accept;

    let peer_offer = value.as_ref().map(|v| ResumeOffer::decode(v));
    let model = match &peer_offer {
        Some(Ok(o)) => model_connect(&spec, o, config.resend_on_reset),
        _ => None,
    };
    let clock = Clock::new();
    let resume = if accept {
        Resume::Accept
    } else {
        Resume::Connect(spec.build())
    };
    let s = Session::with_resume(config.clone(), clock.now(), resume);
    let mut run = Run {
        s,
        clock,
        ms: 0,
        ours,
        accept,
        limits: config.limits,
        heartbeats,
        resend_on_reset: config.resend_on_reset,
        pending_state: accept.then(|| spec.build()),
        spec,
        peer_offer,
        after: None,
        expect_resumed: None,
        expect_ready: None,
        active: false,
        base: 0,
        half: UNLIMITED_HALF,
        pre: Vec::new(),
        offered: Vec::new(),
        encoded: 0,
        lookups: 0,
        answered: false,
        resumed_seen: false,
        last_event_resumed: false,
        established: false,
        end: None,
        polled: 0,
        drops: 0,
        command_too_large: false,
        out: BytesMut::new(),
        greeting_seen: false,
        decoder: FrameDecoder::new(None),
        ready_seen: false,
        parts: Vec::new(),
        written_msgs: 0,
        error_seen: false,
        last_ack: 0,
        acks_written: 0,
        byes_written: 0,
        bye_calls: 0,
        said_bye: false,
        handed_log: VecDeque::new(),
        fed: Vec::new(),
        in_sync: true,
        peer_acked: 0,
        acks_in: 0,
    };
    if accept {
        if run.peer_offer.is_none() {
            run.expect_ready = Some(None);
        }
    } else {
        run.expect_ready = Some(Some(run.spec.offer().encode()));
        match (&run.peer_offer, &model) {
            (Some(Ok(o)), Some(after)) => {
                run.expect_resumed = Some(after.outcome);
                let (after, o) = (after.clone(), *o);
                // Activated with the handshake, before anything else is
                // decoded or written.
                run.activate(after, &o);
                run.active = false;
            }
            (None, _) if run.spec.peer.is_some() || !run.spec.unacked.is_empty() => {
                run.expect_resumed = Some(ResumeOutcome::Reset {
                    unacknowledged: run.spec.unacked.len() as u64,
                });
            }
            _ => {}
        }
    }

    // Some messages of ours before the handshake finishes.
    for _ in 0..src.byte() % 3 {
        run.send(0, &mut src);
    }
    let start = peer_start(peer, value.as_ref());
    let cut = (usize::from(shape >> 4) * 8).min(start.len());
    run.feed(&start[..cut], true);
    run.collect(0);
    run.feed(&start[cut..], true);
    run.collect(usize::MAX);
    // The peer's stream so far is the handshake, wholly decoded.
    run.in_sync = true;
    match (&run.peer_offer, accept) {
        (None, _) => assert!(run.established, "not established: {:?}", run.end),
        (Some(Err(_)), _) => assert!(
            matches!(
                run.end,
                Some(SessionEnd::Protocol(ProtocolError::MalformedMetadata(_)))
            ),
            "a malformed offer: {:?}",
            run.end
        ),
        (Some(Ok(_)), true) => {
            assert!(run.lookups == 1 && !run.established && run.end.is_none());
            if shape & 8 == 0 {
                run.answer();
            }
        }
        (Some(Ok(_)), false) => match &model {
            Some(_) => assert!(run.established && run.active, "{:?}", run.end),
            None => assert!(
                matches!(
                    run.end,
                    Some(SessionEnd::Protocol(ProtocolError::MalformedCommand(_)))
                ),
                "a count above what we sent: {:?}",
                run.end
            ),
        },
    }
    while !src.is_empty() {
        run.op(&mut src);
    }
    run.finish();
});
