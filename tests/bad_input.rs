//! Hostile and broken peers: a raw scripted TCP peer sends bad bytes to a
//! bound oxmq socket while a well-behaved oxmq peer keeps talking to the
//! same socket. Each bad connection must be closed by oxmq, with the reason
//! reported by the socket's monitor, and the socket must keep serving the
//! good peer (SPEC §3.6).

mod raw_peer;

use bytes::Bytes;
use oxmq::__internal::zmtp::{Command, Mechanism, ProtocolError};
use oxmq::{
    Client, DisconnectReason, Message, Monitor, Pull, Push, Server, SocketOptions, SocketType,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use raw_peer::{
    command, commands_in, end_reason, frame, long_header, message, null_greeting, raw_greeting,
    ready, ready_as, wait_connection_end, wait_handshake_succeeded, Closed, RawPeer, COMMAND,
};
use std::time::Duration;

/// Hang guard for every wait.
const T: Duration = Duration::from_secs(10);

fn opts() -> SocketOptions {
    SocketOptions::default()
        .rcvtimeo(Some(T))
        .sndtimeo(Some(T))
        .linger(Some(Duration::ZERO))
}

/// The socket under attack and its well-behaved peer.
enum Good {
    /// A SERVER with a CLIENT connected.
    Server { server: Server, client: Client },
    /// A PULL with a PUSH connected.
    Pull { pull: Pull, push: Push },
}

struct Harness {
    good: Good,
    endpoint: String,
    monitor: Monitor,
    seq: u64,
}

/// What became of a bad connection.
struct Outcome {
    /// How oxmq closed it.
    closed: Closed,
    /// What oxmq sent after its greeting.
    rest: Vec<u8>,
    /// Whether the handshake had completed (`Disconnected`) or not
    /// (`HandshakeFailed`).
    after_handshake: bool,
    /// The reason in the end event.
    reason: DisconnectReason,
}

impl Harness {
    /// A SERVER bound on an ephemeral tcp port with `options`, and a CLIENT
    /// connected to it that has already exchanged one message.
    fn server(options: SocketOptions) -> Harness {
        let server = Server::with_options(options);
        let monitor = server.monitor();
        let endpoint = server.bind("tcp://127.0.0.1:0").unwrap();
        let client = Client::with_options(opts());
        client.connect(&endpoint).unwrap();
        Self::start(Good::Server { server, client }, endpoint, monitor)
    }

    /// A PULL bound on an ephemeral tcp port with `options`, and a PUSH
    /// connected to it that has already delivered one message.
    fn pull(options: SocketOptions) -> Harness {
        let pull = Pull::with_options(options);
        let monitor = pull.monitor();
        let endpoint = pull.bind("tcp://127.0.0.1:0").unwrap();
        let push = Push::with_options(opts());
        push.connect(&endpoint).unwrap();
        Self::start(Good::Pull { pull, push }, endpoint, monitor)
    }

    fn start(good: Good, endpoint: String, monitor: Monitor) -> Harness {
        let mut h = Harness {
            good,
            endpoint,
            monitor,
            seq: 0,
        };
        h.exchange();
        h
    }

    /// The type of the socket under attack.
    fn kind(&self) -> SocketType {
        match self.good {
            Good::Server { .. } => SocketType::Server,
            Good::Pull { .. } => SocketType::Pull,
        }
    }

    /// A socket type the socket under attack accepts as a peer.
    fn peer_type(&self) -> SocketType {
        match self.good {
            Good::Server { .. } => SocketType::Client,
            Good::Pull { .. } => SocketType::Push,
        }
    }

    /// A socket type the socket under attack must refuse.
    fn incompatible_type(&self) -> SocketType {
        match self.good {
            Good::Server { .. } => SocketType::Push,
            Good::Pull { .. } => SocketType::Pull,
        }
    }

    fn dropped_multipart(&self) -> u64 {
        match &self.good {
            Good::Server { server, .. } => server.stats().dropped_multipart,
            Good::Pull { pull, .. } => pull.stats().dropped_multipart,
        }
    }

    /// One round trip with the good peer (one message for PUSH/PULL), which
    /// must be the next thing the socket receives.
    fn exchange(&mut self) {
        assert_eq!(self.exchange_skipping(), 0, "stray message before ours");
    }

    /// One round trip with the good peer; returns how many messages from
    /// other peers were received (and skipped) before the good peer's one.
    fn exchange_skipping(&mut self) -> usize {
        self.seq += 1;
        let tag = Bytes::from(format!("good-{}-{}", std::process::id(), self.seq));
        let mut skipped = 0;
        match &self.good {
            Good::Server { server, client } => {
                client.blocking_send(tag.clone()).expect("good client send");
                let id = loop {
                    let (id, msg) = server
                        .blocking_recv()
                        .expect("server recv from good client");
                    if msg == tag {
                        break id;
                    }
                    skipped += 1;
                };
                let reply = Bytes::from(format!("reply-{}", self.seq));
                server
                    .blocking_send(id, reply.clone())
                    .expect("server reply");
                assert_eq!(client.blocking_recv().expect("good client recv"), reply);
            }
            Good::Pull { pull, push } => {
                push.blocking_send(Message::from(tag.clone()))
                    .expect("good push send");
                loop {
                    let msg = pull.blocking_recv().expect("pull recv from good push");
                    if msg.frames() == [tag.clone()] {
                        break;
                    }
                    skipped += 1;
                }
            }
        }
        skipped
    }

    /// The next message the socket under attack receives (from any peer),
    /// as frames.
    fn recv_any(&self) -> Vec<Bytes> {
        match &self.good {
            Good::Server { server, .. } => vec![server.blocking_recv().expect("server recv").1],
            Good::Pull { pull, .. } => pull.blocking_recv().expect("pull recv").into_frames(),
        }
    }

    /// The next message already received by the socket under attack, if
    /// any, without waiting.
    fn try_recv_any(&self) -> Option<Vec<Bytes>> {
        match &self.good {
            Good::Server { server, .. } => server.try_recv().ok().map(|(_, m)| vec![m]),
            Good::Pull { pull, .. } => pull.try_recv().ok().map(Message::into_frames),
        }
    }

    fn raw(&self) -> RawPeer {
        RawPeer::connect(&self.endpoint)
    }

    /// The end event of the connection from `raw`.
    fn end_of(&self, raw: &RawPeer) -> (bool, DisconnectReason) {
        end_reason(&wait_connection_end(&self.monitor, &raw.local_addr(), T))
    }

    /// Runs one bad connection: connects a raw peer, checks oxmq greets it,
    /// has the good peer exchange a message while it is connected, runs
    /// `script` (the bad bytes), then requires oxmq to close the connection
    /// (without the raw peer closing), reads the reason from the monitor and
    /// has the good peer exchange again.
    fn bad_peer(&mut self, script: impl FnOnce(&mut Self, &mut RawPeer)) -> Outcome {
        let mut raw = self.raw();
        let g = raw.read_greeting();
        assert_eq!((g.major, g.mechanism), (3, Mechanism::Null));
        self.exchange();
        script(self, &mut raw);
        let (closed, rest) = raw.expect_closed();
        let (after_handshake, reason) = self.end_of(&raw);
        drop(raw);
        self.exchange();
        Outcome {
            closed,
            rest,
            after_handshake,
            reason,
        }
    }
}

fn protocol(e: ProtocolError) -> DisconnectReason {
    DisconnectReason::Protocol(e)
}

// ----- the cases -------------------------------------------------------------

/// Case 1: Bytes that are not a ZMTP signature.
fn case_wrong_signature(h: &mut Harness) {
    let inputs: [&[u8]; 4] = [
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        &[0u8; 10],
        // 0xFF first but byte 9 has its low bit clear.
        &[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7E, 3, 1],
        // A single wrong first byte is enough.
        b"G",
    ];
    for input in inputs {
        let o = h.bad_peer(|_, raw| raw.send(input));
        assert_eq!(o.reason, protocol(ProtocolError::BadSignature), "{input:?}");
        assert!(!o.after_handshake);
        assert!(o.rest.is_empty(), "oxmq sent more than its greeting");
    }
}

/// Case 2: A valid signature announcing ZMTP 1.x or 2.x.
fn case_old_versions(h: &mut Harness) {
    for major in [1, 2] {
        let o = h.bad_peer(|_, raw| raw.send(&raw_greeting(major, 0, b"NULL")));
        assert_eq!(
            o.reason,
            protocol(ProtocolError::UnsupportedVersion { major, minor: 0 })
        );
        assert!(!o.after_handshake);
        assert!(o.rest.is_empty(), "oxmq answered an old version with READY");
    }
    // Only the signature and the major byte: refused without the rest.
    let o = h.bad_peer(|_, raw| raw.send(&raw_greeting(2, 0, b"NULL")[..11]));
    assert_eq!(
        o.reason,
        protocol(ProtocolError::UnsupportedVersion { major: 2, minor: 0 })
    );
}

/// Case 3: A mechanism oxmq does not know, and one it knows but does not use.
fn case_unknown_mechanism(h: &mut Harness) {
    let o = h.bad_peer(|_, raw| raw.send(&raw_greeting(3, 1, b"FOO")));
    assert_eq!(
        o.reason,
        protocol(ProtocolError::UnsupportedMechanism("FOO".into()))
    );
    assert!(!o.after_handshake);
    assert!(o.rest.is_empty());

    let o = h.bad_peer(|_, raw| raw.send(&raw_greeting(3, 1, b"PLAIN")));
    assert_eq!(
        o.reason,
        protocol(ProtocolError::MechanismMismatch {
            ours: Mechanism::Null,
            theirs: Mechanism::Plain,
        })
    );
    assert!(!o.after_handshake);
}

/// Case 4a: A truncated greeting, silence (the good peer talks meanwhile), then
/// the peer closes.
fn case_truncated_greeting_then_close(h: &mut Harness) {
    let o = h.bad_peer(|h, raw| {
        raw.send(&null_greeting()[..20]);
        h.exchange();
        raw.shutdown_write();
    });
    assert_eq!(o.reason, DisconnectReason::PeerClosed);
    assert!(!o.after_handshake);
    assert!(o.rest.is_empty());
}

/// Case 4b: With a short `handshake_ivl`: silence alone (after part of a
/// greeting, after nothing, after a whole greeting) gets the connection
/// closed while the peer keeps it open.
fn case_handshake_timeout(h: &mut Harness) {
    let scripts: [&[u8]; 3] = [&null_greeting()[..20], b"", &null_greeting()];
    for bytes in scripts {
        // The timer runs from accept: the send may find the connection
        // closed already, which is what is being tested anyway.
        let o = h.bad_peer(|_, raw| {
            let _ = raw.try_send(bytes);
        });
        assert_eq!(o.reason, DisconnectReason::HandshakeTimeout, "{bytes:?}");
        assert!(!o.after_handshake);
    }
}

/// Case 5: A frame above `maxmsgsize` (the socket must have
/// `maxmsgsize(Some(1024))`); one of exactly 1024 bytes is delivered.
fn case_frame_too_large(h: &mut Harness) {
    let peer_type = h.peer_type();
    let o = h.bad_peer(|h, raw| {
        raw.handshake(peer_type);
        raw.send(&frame(&[7u8; 1024], false, false));
        assert_eq!(h.recv_any(), [Bytes::from(vec![7u8; 1024])]);
        let mut big = frame(&[9u8; 2000], false, false);
        assert_eq!(big[0], raw_peer::LONG, "2000 bytes need the long form");
        raw.send(&big);
        // More bytes behind it changes nothing.
        big.truncate(100);
        let _ = raw.try_send(&big);
    });
    assert_eq!(
        o.reason,
        protocol(ProtocolError::FrameTooLarge {
            size: 2000,
            max: 1024
        })
    );
    assert!(o.after_handshake);
}

/// Case 5c: A message of more frames than `max_frames` (the socket must
/// have `max_frames(Some(4))`); one of exactly 4 frames is delivered.
fn case_too_many_frames(h: &mut Harness) {
    let peer_type = h.peer_type();
    let o = h.bad_peer(|h, raw| {
        raw.handshake(peer_type);
        raw.send(&message(&[b"a", b"b", b"c", b"d"]));
        assert_eq!(h.recv_any().len(), 4);
        raw.send(&message(&[b"1", b"2", b"3", b"4", b"5"]));
    });
    assert_eq!(o.reason, protocol(ProtocolError::TooManyFrames { max: 4 }));
    assert!(o.after_handshake);
}

/// Case 5d: A message larger than `rcvhwm_bytes` in all its frames (the
/// socket must have `rcvhwm_bytes(1000)`), though each frame is small; one
/// of exactly 1000 bytes is delivered.
fn case_message_above_queue_bytes(h: &mut Harness) {
    let peer_type = h.peer_type();
    let o = h.bad_peer(|h, raw| {
        raw.handshake(peer_type);
        raw.send(&message(&[&[1u8; 500], &[2u8; 500]]));
        assert_eq!(h.recv_any().len(), 2);
        raw.send(&message(&[&[3u8; 400], &[4u8; 400], &[5u8; 400]]));
    });
    assert_eq!(
        o.reason,
        protocol(ProtocolError::MessageTooLarge {
            size: 1200,
            max: 1000
        })
    );
    assert!(o.after_handshake);
}

/// Case 5b: A READY above the 64 KiB handshake limit, whatever `maxmsgsize` is.
fn case_oversized_ready(h: &mut Harness) {
    let t = h.peer_type();
    let o = h.bad_peer(|_, raw| {
        let big = vec![b'x'; 70_000];
        raw.send(&null_greeting());
        let _ = raw.try_send(&ready(&[
            ("Socket-Type", t.as_str().as_bytes()),
            ("X-Big", &big),
        ]));
    });
    match o.reason {
        DisconnectReason::Protocol(ProtocolError::FrameTooLarge { size, max }) => {
            assert_eq!(max, 64 * 1024);
            assert!(size > max);
        }
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    assert!(!o.after_handshake);
}

/// Case 6: Long-form lengths of 2^63 and u64::MAX, after a valid handshake and
/// (as a command) during it.
fn case_invalid_length(h: &mut Harness) {
    let t = h.peer_type();
    for len in [1u64 << 63, u64::MAX] {
        let o = h.bad_peer(|_, raw| {
            raw.handshake(t);
            raw.send(&long_header(0, len));
        });
        assert_eq!(o.reason, protocol(ProtocolError::InvalidLength(len)));
        assert!(o.after_handshake);

        let o = h.bad_peer(|_, raw| {
            raw.send(&null_greeting());
            raw.send(&long_header(COMMAND, len));
        });
        assert_eq!(o.reason, protocol(ProtocolError::InvalidLength(len)));
        assert!(!o.after_handshake);
    }
}

/// Case 7: A message frame where READY is due.
fn case_message_before_ready(h: &mut Harness) {
    let o = h.bad_peer(|_, raw| {
        let mut bytes = null_greeting();
        bytes.extend_from_slice(&message(&[b"hello"]));
        raw.send(&bytes);
    });
    assert_eq!(o.reason, protocol(ProtocolError::MessageBeforeReady));
    assert!(!o.after_handshake);
}

/// Sends a greeting and `ready_frame`, and requires oxmq to refuse with
/// `expected`, sending READY then an ERROR command before closing.
fn refused_ready(h: &mut Harness, ready_frame: Vec<u8>, expected: ProtocolError) {
    let o = h.bad_peer(|_, raw| {
        let mut bytes = null_greeting();
        bytes.extend_from_slice(&ready_frame);
        raw.send(&bytes);
    });
    assert_eq!(o.reason, protocol(expected));
    assert!(!o.after_handshake);
    // oxmq read everything sent, so it closes cleanly and nothing is lost.
    assert_eq!(o.closed, Closed::Eof);
    let cmds = commands_in(&o.rest);
    match cmds.as_slice() {
        [Command::Ready(md), Command::Error { reason }] => {
            assert_eq!(md.socket_type(), Ok(h.kind()));
            assert!(!reason.is_empty());
        }
        other => panic!("expected READY then ERROR from oxmq, got {other:?}"),
    }
}

/// Case 8: READY without `Socket-Type` (and with an unknown one).
fn case_ready_without_socket_type(h: &mut Harness) {
    refused_ready(
        h,
        ready(&[("Identity", b"abc")]),
        ProtocolError::MissingSocketType,
    );
    refused_ready(h, ready(&[]), ProtocolError::MissingSocketType);
    refused_ready(
        h,
        ready(&[("Socket-Type", b"FOO")]),
        ProtocolError::UnknownSocketType("FOO".into()),
    );
}

/// Case 9: An incompatible socket type: ERROR back, then the close.
fn case_incompatible_socket_type(h: &mut Harness) {
    let (ours, theirs) = (h.kind(), h.incompatible_type());
    refused_ready(
        h,
        ready_as(theirs),
        ProtocolError::IncompatibleSocketType { ours, theirs },
    );
}

/// Case 10: Multipart messages from a raw peer: discarded whole by SERVER (and
/// counted), delivered whole by PULL; a following single-frame message is
/// delivered either way, and the connection stays up.
fn case_multipart(h: &mut Harness) {
    let mut raw = h.raw();
    let peer = raw.local_addr();
    let md = raw.handshake(h.peer_type());
    assert_eq!(md.socket_type(), Ok(h.kind()));
    wait_handshake_succeeded(&h.monitor, &peer, T);
    h.exchange();

    let before = h.dropped_multipart();
    let mut bytes = message(&[b"part-1", b"part-2"]);
    bytes.extend_from_slice(&message(&[b"a", b"", b"c"]));
    bytes.extend_from_slice(&message(&[b"single"]));
    raw.send(&bytes);
    match h.kind() {
        SocketType::Server => {
            assert_eq!(h.recv_any(), [Bytes::from_static(b"single")]);
            assert_eq!(h.dropped_multipart(), before + 2);
            // The peer is still attached: a reply reaches it.
            let Good::Server { server, .. } = &h.good else {
                unreachable!()
            };
            raw.send(&message(&[b"who"]));
            let (id, msg) = server.blocking_recv().unwrap();
            assert_eq!(msg, "who");
            server.blocking_send(id, "you").unwrap();
            assert_eq!(
                raw.read_message_frame(),
                (Bytes::from_static(b"you"), false)
            );
        }
        _ => {
            assert_eq!(h.recv_any(), ["part-1", "part-2"]);
            assert_eq!(h.recv_any(), ["a", "", "c"]);
            assert_eq!(h.recv_any(), ["single"]);
            assert_eq!(h.dropped_multipart(), before);
        }
    }
    h.exchange();
    raw.shutdown_write();
    let (closed, rest) = raw.expect_closed();
    assert_eq!((closed, rest.len()), (Closed::Eof, 0));
    assert_eq!(h.end_of(&raw), (true, DisconnectReason::PeerClosed));
    h.exchange();
}

/// Case 11: Bad flags and bad commands, during and after the handshake.
fn case_flags_and_commands(h: &mut Harness) {
    let t = h.peer_type();
    // After a valid handshake.
    let after: [(Vec<u8>, ProtocolError); 5] = [
        (vec![0x08, 0], ProtocolError::InvalidFlags(0x08)),
        (vec![0x80, 0], ProtocolError::InvalidFlags(0x80)),
        // COMMAND with MORE.
        (vec![0x05, 1, b'x'], ProtocolError::InvalidFlags(0x05)),
        (
            frame(b"", false, true),
            ProtocolError::MalformedCommand("empty command frame".into()),
        ),
        (
            command(&Command::Error {
                reason: "go away".into(),
            }),
            ProtocolError::PeerError("go away".into()),
        ),
    ];
    for (bytes, expected) in after {
        let o = h.bad_peer(|_, raw| {
            raw.handshake(t);
            raw.send(&bytes);
        });
        assert_eq!(o.reason, protocol(expected), "{bytes:02x?}");
        assert!(o.after_handshake);
    }
    // A PING answered with PONG; the connection stays up until an ERROR.
    let o = h.bad_peer(|_, raw| {
        raw.handshake(t);
        raw.send(&command(&Command::Ping {
            ttl_deciseconds: 0,
            context: Bytes::from_static(b"ctx"),
        }));
        assert_eq!(
            raw.read_command(),
            Command::Pong {
                context: Bytes::from_static(b"ctx")
            }
        );
        raw.send(&command(&Command::Error {
            reason: "bye".into(),
        }));
    });
    assert_eq!(o.reason, protocol(ProtocolError::PeerError("bye".into())));
    // Where READY is due: another command, or bad flags.
    let during: [(Vec<u8>, ProtocolError); 3] = [
        (
            command(&Command::Ping {
                ttl_deciseconds: 0,
                context: Bytes::new(),
            }),
            ProtocolError::UnexpectedCommand("PING".into()),
        ),
        (
            command(&Command::Error {
                reason: "nope".into(),
            }),
            ProtocolError::PeerError("nope".into()),
        ),
        (vec![0x40, 0], ProtocolError::InvalidFlags(0x40)),
    ];
    for (bytes, expected) in during {
        let o = h.bad_peer(|_, raw| {
            let mut b = null_greeting();
            b.extend_from_slice(&bytes);
            raw.send(&b);
        });
        assert_eq!(o.reason, protocol(expected), "{bytes:02x?}");
        assert!(!o.after_handshake);
    }
}

/// Case 12: Complete messages that arrive before a protocol error (in the
/// same read) are delivered, as libzmq does (its engine flushes the session
/// before tearing the connection down): the error closes the connection,
/// it does not retract what the peer had already sent. SPEC §5.3: SERVER
/// never drops a message silently.
fn case_messages_before_error_are_delivered(h: &mut Harness) {
    let t = h.peer_type();
    let bad_tails = [
        long_header(0, 1 << 63),
        vec![0x08, 0],
        command(&Command::Error {
            reason: "done".into(),
        }),
    ];
    for tail in bad_tails {
        let mut raw = h.raw();
        raw.handshake(t);
        h.exchange();
        let mut bytes = message(&[b"before-1"]);
        bytes.extend_from_slice(&message(&[b"before-2"]));
        bytes.extend_from_slice(&tail);
        raw.send(&bytes);
        raw.expect_closed();
        let (after_handshake, reason) = h.end_of(&raw);
        assert!(after_handshake);
        assert!(
            matches!(reason, DisconnectReason::Protocol(_)),
            "{reason:?}"
        );
        // The end event comes after the engine has handed over what it read.
        let mut got = Vec::new();
        while let Some(frames) = h.try_recv_any() {
            got.push(frames);
        }
        assert_eq!(
            got,
            [
                vec![Bytes::from_static(b"before-1")],
                vec![Bytes::from_static(b"before-2")]
            ],
            "messages sent before the bad frame {tail:02x?} (end: {reason:?})"
        );
        h.exchange();
    }
}

// ----- tests -------------------------------------------------------------------

#[test]
fn wrong_signature_is_refused() {
    case_wrong_signature(&mut Harness::server(opts()));
}

#[test]
fn zmtp_1_and_2_are_refused() {
    case_old_versions(&mut Harness::server(opts()));
}

#[test]
fn unknown_mechanism_is_refused() {
    case_unknown_mechanism(&mut Harness::server(opts()));
}

#[test]
fn truncated_greeting_then_close() {
    case_truncated_greeting_then_close(&mut Harness::server(opts()));
}

#[test]
fn trickling_peer_hits_handshake_timeout() {
    // 64 greeting bytes, one every 20 ms, take 1.3 s; the handshake has
    // 200 ms. Each byte arriving must not restart the clock.
    let mut h = Harness::server(opts().handshake_ivl(Some(Duration::from_millis(200))));
    let o = h.bad_peer(|_, raw| {
        for b in null_greeting() {
            if raw.try_send(&[b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    assert_eq!(o.reason, DisconnectReason::HandshakeTimeout);
    assert!(!o.after_handshake);
}

#[test]
fn silent_peer_hits_handshake_timeout() {
    let mut h = Harness::server(opts().handshake_ivl(Some(Duration::from_millis(200))));
    case_handshake_timeout(&mut h);
}

#[test]
fn frame_above_maxmsgsize_disconnects() {
    let mut h = Harness::server(opts().maxmsgsize(Some(1024)));
    case_frame_too_large(&mut h);
    case_oversized_ready(&mut h);
}

#[test]
fn limits_on_frames_and_queued_bytes_close_only_that_connection() {
    let mut h = Harness::pull(opts().max_frames(Some(4)).rcvhwm_bytes(1000));
    case_too_many_frames(&mut h);
    case_message_above_queue_bytes(&mut h);
}

#[test]
fn long_length_of_2_pow_63_disconnects() {
    case_invalid_length(&mut Harness::server(opts()));
}

#[test]
fn message_before_ready_is_refused() {
    case_message_before_ready(&mut Harness::server(opts()));
}

#[test]
fn ready_without_socket_type_is_refused() {
    case_ready_without_socket_type(&mut Harness::server(opts()));
}

#[test]
fn incompatible_socket_type_gets_error_command() {
    case_incompatible_socket_type(&mut Harness::server(opts()));
}

#[test]
fn bad_flags_and_commands_disconnect() {
    case_flags_and_commands(&mut Harness::server(opts()));
}

#[test]
fn messages_before_a_protocol_error_are_delivered() {
    case_messages_before_error_are_delivered(&mut Harness::server(opts()));
}

#[test]
fn multipart_to_server_is_discarded_whole() {
    case_multipart(&mut Harness::server(opts()));
}

/// Every case, one after the other, against one SERVER and its one CLIENT.
#[test]
fn one_server_survives_every_case() {
    let mut h = Harness::server(opts().maxmsgsize(Some(1024)));
    case_wrong_signature(&mut h);
    case_old_versions(&mut h);
    case_unknown_mechanism(&mut h);
    case_truncated_greeting_then_close(&mut h);
    case_frame_too_large(&mut h);
    case_oversized_ready(&mut h);
    case_invalid_length(&mut h);
    case_message_before_ready(&mut h);
    case_ready_without_socket_type(&mut h);
    case_incompatible_socket_type(&mut h);
    case_flags_and_commands(&mut h);
    case_multipart(&mut h);
    assert_eq!(h.dropped_multipart(), 2);
}

/// The same cases against a PULL fed by a PUSH.
#[test]
fn one_pull_survives_every_case() {
    let mut h = Harness::pull(opts().maxmsgsize(Some(1024)));
    case_wrong_signature(&mut h);
    case_old_versions(&mut h);
    case_unknown_mechanism(&mut h);
    case_truncated_greeting_then_close(&mut h);
    case_frame_too_large(&mut h);
    case_oversized_ready(&mut h);
    case_invalid_length(&mut h);
    case_message_before_ready(&mut h);
    case_ready_without_socket_type(&mut h);
    case_incompatible_socket_type(&mut h);
    case_flags_and_commands(&mut h);
    case_multipart(&mut h);
}

#[test]
fn pull_handshake_timeout() {
    let mut h = Harness::pull(opts().handshake_ivl(Some(Duration::from_millis(200))));
    case_handshake_timeout(&mut h);
}

// ----- random input ------------------------------------------------------------

/// Random bytes of random length up to `max`.
fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let mut v = vec![0u8; rng.random_range(0..=max)];
    rng.fill(&mut v[..]);
    v
}

/// Random bytes that look like frames: valid-ish flags and short or long
/// lengths, with bodies shorter or longer than announced.
fn random_frames(rng: &mut StdRng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.random_range(1..6) {
        let flags: u8 = if rng.random_bool(0.8) {
            rng.random_range(0..8)
        } else {
            rng.random()
        };
        out.push(flags);
        if flags & raw_peer::LONG != 0 {
            let len: u64 = match rng.random_range(0..4) {
                0 => rng.random_range(0..600),
                1 => rng.random(),
                2 => 1 << rng.random_range(0..64),
                _ => u64::MAX - rng.random_range(0..3),
            };
            out.extend_from_slice(&len.to_be_bytes());
        } else {
            out.push(rng.random());
        }
        let body = random_bytes(rng, 300);
        out.extend_from_slice(&body);
    }
    out
}

/// A well-formed greeting with a few random bytes changed.
fn mutated_greeting(rng: &mut StdRng) -> Vec<u8> {
    let mut g = null_greeting();
    for _ in 0..rng.random_range(1..4) {
        let i = rng.random_range(0..g.len());
        g[i] = rng.random();
    }
    g.truncate(rng.random_range(1..=g.len()));
    g
}

/// Thousands of connections with random bytes, some after a valid greeting
/// or a whole valid handshake. After sending, each raw peer half-closes; oxmq
/// must close every connection and report its end, and the socket must keep
/// serving the good peer throughout.
#[test]
fn random_garbage_connections() {
    const ROUNDS: usize = 3000;
    let mut rng = StdRng::seed_from_u64(0x6f78_6d71_6261_6421);
    let mut h = Harness::server(opts());
    let mut after_handshake = 0;
    for round in 0..ROUNDS {
        let bytes = match rng.random_range(0..6) {
            0 => random_bytes(&mut rng, 200),
            1 => mutated_greeting(&mut rng),
            kind => {
                let mut b = null_greeting();
                if kind >= 4 {
                    b.extend_from_slice(&ready_as(SocketType::Client));
                }
                if kind % 2 == 0 {
                    b.extend_from_slice(&random_bytes(&mut rng, 300));
                } else {
                    b.extend_from_slice(&random_frames(&mut rng));
                }
                b
            }
        };
        let mut raw = h.raw();
        // Sometimes in two writes, split at a random point.
        let cut = rng.random_range(0..=bytes.len());
        let sent = raw
            .try_send(&bytes[..cut])
            .and_then(|()| raw.try_send(&bytes[cut..]));
        raw.shutdown_write();
        let _ = raw.expect_closed();
        let (done, reason) = h.end_of(&raw);
        after_handshake += usize::from(done);
        assert!(
            matches!(
                reason,
                DisconnectReason::PeerClosed | DisconnectReason::Protocol(_)
            ),
            "round {round}: unexpected end {reason:?} (send result {sent:?}) for {bytes:02x?}"
        );
        if round % 250 == 0 {
            // Random frames after a valid READY may form messages: they are
            // skipped, the good peer's must still come through.
            h.exchange_skipping();
        }
    }
    h.exchange_skipping();
    // The generator did reach the post-handshake frame decoder.
    assert!(
        after_handshake > ROUNDS / 10,
        "{after_handshake} post-handshake rounds"
    );
}
