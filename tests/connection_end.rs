//! A connection's end is never lost, whichever thread reads the bytes that
//! end it (SPEC §3.6, §6.1). Over tcp and ipc a thread blocked in
//! `blocking_recv` reads its connections itself; a limit broken, an ERROR
//! command or a malformed command read that way must still close the
//! connection with its reason and a `Disconnected` event, and the peer's
//! next connection must carry its later messages. The same holds with a
//! receiver waiting in async `recv`, and whichever side binds.

mod raw_peer;
mod support;

use bytes::Bytes;
use oxmq::__internal::zmtp::{Command, ProtocolError};
use oxmq::{
    DisconnectReason, Message, Monitor, Pull, Push, SocketEvent, SocketOptions, SocketType,
};
use raw_peer::{command, frame, message, wait_connection_end, RawPeer};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use support::{ipc_ep, tcp_ep, wait_event, GUARD};

/// How the receiving thread waits.
#[derive(Clone, Copy, Debug)]
enum Waiter {
    Blocking,
    Async,
}

/// The limit the peer breaks.
#[derive(Clone, Copy, Debug)]
enum Limit {
    /// `maxmsgsize(Some(1000))`: a 1000-byte frame passes, 1001 does not.
    FrameSize,
    /// `max_frames(Some(4))`: four frames pass, five do not.
    Frames,
    /// `rcvhwm_bytes(1000)`: 1000 bytes in four frames pass, 1001 do not.
    QueuedBytes,
}

impl Limit {
    fn options(self, o: SocketOptions) -> SocketOptions {
        match self {
            Limit::FrameSize => o.maxmsgsize(Some(1000)),
            Limit::Frames => o.max_frames(Some(4)),
            Limit::QueuedBytes => o.rcvhwm_bytes(1000),
        }
    }

    /// The largest message within the limit.
    fn at_limit(self) -> Message {
        match self {
            Limit::FrameSize => Message::from(vec![b'a'; 1000]),
            Limit::Frames => Message::from_frames(vec![Bytes::from_static(b"f"); 4]),
            Limit::QueuedBytes => Message::from_frames(vec![Bytes::from(vec![b'q'; 250]); 4]),
        }
    }

    /// The smallest message beyond it.
    fn beyond(self) -> Message {
        match self {
            Limit::FrameSize => Message::from(vec![b'b'; 1001]),
            Limit::Frames => Message::from_frames(vec![Bytes::from_static(b"g"); 5]),
            Limit::QueuedBytes => {
                let mut frames = vec![Bytes::from(vec![b'r'; 250]); 3];
                frames.push(Bytes::from(vec![b'r'; 251]));
                Message::from_frames(frames)
            }
        }
    }

    fn error(self) -> ProtocolError {
        match self {
            Limit::FrameSize => ProtocolError::FrameTooLarge {
                size: 1001,
                max: 1000,
            },
            Limit::Frames => ProtocolError::TooManyFrames { max: 4 },
            Limit::QueuedBytes => ProtocolError::MessageTooLarge {
                size: 1001,
                max: 1000,
            },
        }
    }
}

fn opts() -> SocketOptions {
    SocketOptions::default()
        .rcvtimeo(Some(GUARD))
        .sndtimeo(Some(GUARD))
        .linger(Some(Duration::ZERO))
        .reconnect_ivl(Duration::from_millis(10))
}

/// Starts a thread that receives `count` messages from `pull` the way
/// `waiter` says and hands each to the returned channel as it arrives.
fn receiver(
    pull: std::sync::Arc<Pull>,
    waiter: Waiter,
    count: usize,
) -> (mpsc::Receiver<Message>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || match waiter {
        Waiter::Blocking => {
            for _ in 0..count {
                match pull.blocking_recv() {
                    Ok(m) => {
                        if tx.send(m).is_err() {
                            return;
                        }
                    }
                    Err(e) => panic!("blocking_recv: {e}"),
                }
            }
        }
        Waiter::Async => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            rt.block_on(async {
                for _ in 0..count {
                    match tokio::time::timeout(GUARD, pull.recv()).await {
                        Ok(Ok(m)) => {
                            if tx.send(m).is_err() {
                                return;
                            }
                        }
                        Ok(Err(e)) => panic!("recv: {e}"),
                        Err(_) => panic!("recv waited more than {GUARD:?}"),
                    }
                }
            });
        }
    });
    (rx, h)
}

fn next(rx: &mpsc::Receiver<Message>, what: &str) -> Message {
    rx.recv_timeout(GUARD)
        .unwrap_or_else(|_| panic!("no {what} within {GUARD:?}"))
}

fn disconnected(m: &Monitor, what: &str) -> DisconnectReason {
    match wait_event(m, what, |e| matches!(e, SocketEvent::Disconnected { .. })) {
        SocketEvent::Disconnected { reason, .. } => reason,
        _ => unreachable!(),
    }
}

fn handshake(m: &Monitor, what: &str) {
    wait_event(m, what, |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    });
}

/// A PUSH sends a message at the limit, then one beyond it, then three
/// small ones once it has reconnected: the PULL gets the first and the
/// last three, and reports the broken limit.
fn limit_case(endpoint: fn() -> String, pull_binds: bool, waiter: Waiter, limit: Limit) {
    let case = format!("{limit:?}, {waiter:?}, pull binds: {pull_binds}");
    let pull = std::sync::Arc::new(Pull::with_options(limit.options(opts())));
    let push = Push::with_options(opts());
    let pull_events = pull.monitor();
    let push_events = push.monitor();
    if pull_binds {
        let ep = pull.bind(&endpoint()).unwrap();
        push.connect(&ep).unwrap();
    } else {
        let ep = push.bind(&endpoint()).unwrap();
        pull.connect(&ep).unwrap();
    }
    handshake(&push_events, "first handshake");
    let (rx, h) = receiver(pull.clone(), waiter, 4);
    push.blocking_send(limit.at_limit()).unwrap();
    assert_eq!(
        next(&rx, "message at the limit"),
        limit.at_limit(),
        "{case}"
    );
    // The receiver is waiting again: the next bytes are read by it (a
    // blocking receiver) or by the I/O task (an async one).
    push.blocking_send(limit.beyond()).unwrap();
    assert_eq!(
        disconnected(&pull_events, "PULL's Disconnected"),
        DisconnectReason::Protocol(limit.error()),
        "{case}"
    );
    disconnected(&push_events, "PUSH's Disconnected");
    handshake(&push_events, "second handshake");
    for i in 0..3u8 {
        push.blocking_send(vec![i]).unwrap();
    }
    for i in 0..3u8 {
        assert_eq!(
            next(&rx, "message after the reconnection"),
            Message::from(vec![i]),
            "{case}"
        );
    }
    h.join().unwrap();
}

fn every_limit(endpoint: fn() -> String, pull_binds: bool, waiter: Waiter) {
    for limit in [Limit::FrameSize, Limit::Frames, Limit::QueuedBytes] {
        limit_case(endpoint, pull_binds, waiter, limit);
    }
}

#[test]
fn limits_with_a_blocked_receiver_tcp_pull_binds() {
    every_limit(tcp_ep, true, Waiter::Blocking);
}

#[test]
fn limits_with_a_blocked_receiver_tcp_push_binds() {
    every_limit(tcp_ep, false, Waiter::Blocking);
}

#[test]
fn limits_with_a_blocked_receiver_ipc_pull_binds() {
    every_limit(ipc_ep, true, Waiter::Blocking);
}

#[test]
fn limits_with_a_blocked_receiver_ipc_push_binds() {
    every_limit(ipc_ep, false, Waiter::Blocking);
}

#[test]
fn limits_with_an_async_receiver_tcp() {
    every_limit(tcp_ep, true, Waiter::Async);
    every_limit(tcp_ep, false, Waiter::Async);
}

#[test]
fn limits_with_an_async_receiver_ipc() {
    every_limit(ipc_ep, true, Waiter::Async);
    every_limit(ipc_ep, false, Waiter::Async);
}

/// A raw peer completes the handshake as a PUSH, sends one message, and
/// once it has been received sends `last`: the PULL reports `expected`
/// and the message before it was delivered.
fn command_case(waiter: Waiter, last: &[u8], expected: ProtocolError) {
    let pull = std::sync::Arc::new(Pull::with_options(opts()));
    let events = pull.monitor();
    let ep = pull.bind(&tcp_ep()).unwrap();
    let mut raw = RawPeer::connect(&ep);
    raw.handshake(SocketType::Push);
    let (rx, h) = receiver(pull.clone(), waiter, 2);
    raw.send(&message(&[b"before"]));
    assert_eq!(next(&rx, "the message before"), Message::from("before"));
    // The receiver is waiting again: the next bytes are read by it (a
    // blocking receiver) or by the I/O task (an async one).
    raw.send(last);
    let ev = wait_connection_end(&events, &raw.local_addr(), GUARD);
    assert_eq!(
        raw_peer::end_reason(&ev),
        (true, DisconnectReason::Protocol(expected)),
        "{waiter:?}"
    );
    // The socket still serves a new connection, and the waiting receiver
    // gets its message.
    let mut again = RawPeer::connect(&ep);
    again.handshake(SocketType::Push);
    again.send(&message(&[b"after"]));
    assert_eq!(next(&rx, "the message after"), Message::from("after"));
    h.join().unwrap();
}

fn error_command() -> Vec<u8> {
    command(&Command::Error {
        reason: "going away".into(),
    })
}

/// A PING whose context is longer than RFC 37's 16 bytes.
fn malformed_ping() -> Vec<u8> {
    let mut body = b"\x04PING\x00\x00".to_vec();
    body.extend_from_slice(&[7u8; 17]);
    frame(&body, false, true)
}

#[test]
fn peer_error_with_a_blocked_receiver() {
    command_case(
        Waiter::Blocking,
        &error_command(),
        ProtocolError::PeerError("going away".into()),
    );
}

#[test]
fn peer_error_with_an_async_receiver() {
    command_case(
        Waiter::Async,
        &error_command(),
        ProtocolError::PeerError("going away".into()),
    );
}

#[test]
fn malformed_command_with_a_blocked_receiver() {
    let expected = malformed_ping_error();
    command_case(Waiter::Blocking, &malformed_ping(), expected);
}

#[test]
fn malformed_command_with_an_async_receiver() {
    let expected = malformed_ping_error();
    command_case(Waiter::Async, &malformed_ping(), expected);
}

/// What the command parser says of [`malformed_ping`].
fn malformed_ping_error() -> ProtocolError {
    let body = malformed_ping();
    Command::parse(Bytes::copy_from_slice(&body[2..])).unwrap_err()
}
