//! Heartbeats (SPEC §6.8): PINGs every `heartbeat_ivl`, a silent peer
//! dropped after `heartbeat_timeout`, the peer's TTL honoured, PONGs
//! answered, reconnection after a heartbeat drop, and libzmq both ways.

mod raw_peer;
mod support;

use bytes::Bytes;
use oxmq::__internal::zmtp::{Command, SocketType};
use oxmq::{Client, DisconnectReason, Pull, Server, SocketEvent, SocketOptions};
use oxmq_interop::{opt, Context, SocketKind};
use raw_peer::{command, end_reason, message, wait_connection_end, RawPeer};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use support::{wait_event, GUARD};

fn beating(ivl_ms: u64, timeout_ms: u64) -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(GUARD))
        .sndtimeo(Some(GUARD))
        .heartbeat_ivl(Some(Duration::from_millis(ivl_ms)))
        .heartbeat_timeout(Some(Duration::from_millis(timeout_ms)))
        .heartbeat_ttl(Some(Duration::from_millis(1500)))
}

/// A peer that completes the handshake and then never sends another byte
/// (as a process stopped with SIGSTOP) is dropped for its silence; the
/// PINGs it was sent carry our TTL.
#[test]
fn silent_peer_is_dropped_after_the_heartbeat_timeout() {
    let server = Server::with_options(beating(30, 90));
    let mon = server.monitor();
    let ep = server.bind("tcp://127.0.0.1:0").unwrap();
    let mut raw = RawPeer::connect(&ep);
    raw.handshake(SocketType::Client);
    match raw.read_command() {
        Command::Ping {
            ttl_deciseconds,
            context,
        } => {
            assert_eq!(ttl_deciseconds, 15, "TTL of 1.5 s in tenths");
            assert!(context.is_empty());
        }
        other => panic!("expected PING, got {other:?}"),
    }
    let ev = wait_connection_end(&mon, &raw.local_addr(), GUARD);
    assert_eq!(end_reason(&ev), (true, DisconnectReason::HeartbeatTimeout));
    raw.expect_closed();
}

/// A peer that answers every PING keeps its connection, however many
/// intervals pass; a message still gets through at the end.
#[test]
fn answered_pings_keep_the_connection() {
    let pull = Pull::with_options(beating(10, 40));
    let mon = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:0").unwrap();
    let mut raw = RawPeer::connect(&ep);
    raw.handshake(SocketType::Push);
    let mut answered = 0;
    while answered < 20 {
        if let Command::Ping { context, .. } = raw.read_command() {
            raw.send(&command(&Command::Pong { context }));
            answered += 1;
        }
    }
    raw.send(&message(&[b"still here"]));
    assert_eq!(
        pull.blocking_recv().unwrap(),
        oxmq::Message::from("still here")
    );
    while let Some(ev) = mon.try_next() {
        assert!(
            !matches!(ev, SocketEvent::Disconnected { .. }),
            "dropped despite answering: {ev:?}"
        );
    }
}

/// The peer's own PING gives a TTL: if nothing follows within it, we drop
/// the connection even with no heartbeat options of our own.
#[test]
fn peer_ttl_is_honoured_without_our_own_heartbeats() {
    let server = Server::with_options(SocketOptions::default().linger(Some(Duration::ZERO)));
    let mon = server.monitor();
    let ep = server.bind("tcp://127.0.0.1:0").unwrap();
    let mut raw = RawPeer::connect(&ep);
    raw.handshake(SocketType::Client);
    raw.send(&command(&Command::Ping {
        ttl_deciseconds: 2,
        context: Bytes::from_static(b"t"),
    }));
    match raw.read_command() {
        Command::Pong { context } => assert_eq!(context, "t"),
        other => panic!("expected PONG, got {other:?}"),
    }
    let ev = wait_connection_end(&mon, &raw.local_addr(), GUARD);
    assert_eq!(end_reason(&ev), (true, DisconnectReason::HeartbeatTimeout));
}

/// A connecting socket whose peer falls silent drops the connection and
/// connects again; the new connection works.
#[test]
fn connecting_side_reconnects_after_a_heartbeat_drop() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = Client::with_options(beating(20, 60).reconnect_ivl(Duration::from_millis(10)));
    let mon = client.monitor();
    client.connect(&format!("tcp://{addr}")).unwrap();
    let (first, _) = listener.accept().unwrap();
    let mut silent = RawPeer::from_stream(first);
    silent.handshake(SocketType::Server);
    let ev = wait_event(
        &mon,
        "heartbeat drop",
        |e| matches!(e, SocketEvent::Disconnected { reason, .. } if *reason == DisconnectReason::HeartbeatTimeout),
    );
    assert!(matches!(ev, SocketEvent::Disconnected { .. }));
    // It comes back: a second connection, on which messages flow.
    let (second, _) = listener.accept().unwrap();
    let mut alive = RawPeer::from_stream(second);
    alive.handshake(SocketType::Server);
    client.blocking_send("again").unwrap();
    loop {
        let (body, more) = alive.read_message_frame();
        assert!(!more);
        if body == "again" {
            break;
        }
    }
}

fn no_disconnect(mon: &oxmq::Monitor) {
    while let Some(ev) = mon.try_next() {
        assert!(
            !matches!(ev, SocketEvent::Disconnected { .. }),
            "connection dropped: {ev:?}"
        );
    }
}

/// Round trips for `span` (many heartbeat intervals), each checked.
fn round_trips_for(span: Duration, mut one: impl FnMut(u32)) {
    let end = Instant::now() + span;
    let mut i = 0;
    while Instant::now() < end {
        one(i);
        i += 1;
    }
}

/// libzmq pings us (ivl 20 ms, timeout 60 ms): we answer, so it keeps the
/// connection for ten times its timeout.
#[test]
fn libzmq_heartbeats_are_answered() {
    let server = Server::with_options(SocketOptions::default().rcvtimeo(Some(GUARD)));
    let mon = server.monitor();
    let ep = server.bind("tcp://127.0.0.1:0").unwrap();
    let ctx = Context::new();
    let client = ctx.socket(SocketKind::Client).unwrap();
    client.set_int(opt::HEARTBEAT_IVL, 20).unwrap();
    client.set_int(opt::HEARTBEAT_TIMEOUT, 60).unwrap();
    client.set_rcvtimeo_ms(10_000).unwrap();
    client.set_linger_ms(0).unwrap();
    client.connect(&ep).unwrap();
    round_trips_for(Duration::from_millis(600), |i| {
        let body = format!("req {i}");
        client.send(body.as_bytes(), false).unwrap();
        let (id, got) = server.blocking_recv().unwrap();
        assert_eq!(got, body.as_bytes());
        server.blocking_send(id, got).unwrap();
        assert_eq!(client.recv().unwrap().0, body.as_bytes());
        std::thread::sleep(Duration::from_millis(5));
    });
    no_disconnect(&mon);
}

/// We ping libzmq (ivl 20 ms, timeout 60 ms): it answers, so we keep the
/// connection for ten times our timeout.
#[test]
fn libzmq_answers_our_heartbeats() {
    let ctx = Context::new();
    let server = ctx.socket(SocketKind::Server).unwrap();
    server.set_rcvtimeo_ms(10_000).unwrap();
    server.set_linger_ms(0).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let ep = server.last_endpoint().unwrap();
    let client = Client::with_options(beating(20, 60));
    let mon = client.monitor();
    client.connect(&ep).unwrap();
    round_trips_for(Duration::from_millis(600), |i| {
        let body = format!("req {i}");
        client.blocking_send(body.clone()).unwrap();
        let (id, got) = server.recv_from().unwrap();
        assert_eq!(got, body.as_bytes());
        server.send_to(id, &got).unwrap();
        assert_eq!(client.blocking_recv().unwrap(), body.as_bytes());
        std::thread::sleep(Duration::from_millis(5));
    });
    no_disconnect(&mon);
}
