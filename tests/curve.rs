//! CURVE between oxmq sockets (SPEC §9.5), over tcp and ipc:
//!
//! - messages of 0 B to 1 MiB both ways, byte for byte, with no ZAP
//!   handler (libzmq's "Stonehouse": any client key) and with the
//!   authenticator, whose user id is the client's key;
//! - a client key the authenticator does not know is refused (400), and
//!   the client stops reconnecting (RFC 37); a client with the wrong
//!   server key fails the server's HELLO check;
//! - options that cannot make a CURVE socket are refused by bind/connect;
//! - what the wire carries (through the fault proxy): never the plaintext
//!   of a message or a subscription; heartbeats go on encrypted;
//! - a flipped byte in a MESSAGE box closes that connection only, with a
//!   typed error; the client reconnects, and another client of the same
//!   server is undisturbed.
//!
//! A ZAP handler anywhere in the process judges every CURVE server, so
//! the cases take turns.

mod support;

use bytes::Bytes;
use oxmq::auth::Authenticator;
use oxmq::curve::{curve_keypair, CurveKeypair};
use oxmq::{
    CurveBox, Dealer, DisconnectReason, Error, Message, Monitor, ProtocolError, Pub, Router,
    SocketEvent, SocketOptions, Sub,
};
use std::time::{Duration, Instant};
use support::fault_proxy::FaultProxy;
use support::wait_event;
use support::zap_handler::turn;

const TIMEOUT: Duration = Duration::from_secs(20);

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .sndtimeo(Some(TIMEOUT))
        .rcvtimeo(Some(TIMEOUT))
        .reconnect_ivl(Duration::from_millis(20))
}

fn server_opts(keys: &CurveKeypair) -> SocketOptions {
    opts()
        .curve_server(true)
        .curve_secretkey(keys.secret.clone())
}

fn client_opts(keys: &CurveKeypair, server: &CurveKeypair) -> SocketOptions {
    opts()
        .curve_secretkey(keys.secret.clone())
        .curve_publickey(keys.public)
        .curve_serverkey(server.public)
}

/// Message `i`'s payload: sizes from 0 B to 1 MiB, most of them small.
fn payload(i: usize) -> Bytes {
    let size = match i % 50 {
        49 => 1 << 20,
        9 | 19 | 29 | 39 => 64 * 1024 + i,
        _ => (i * 37) % 2048,
    };
    Bytes::from((0..size).map(|k| (k * 7 + i) as u8).collect::<Vec<u8>>())
}

fn handshake(mon: &Monitor) -> Result<(), DisconnectReason> {
    match wait_event(mon, "handshake", |e| {
        matches!(
            e,
            SocketEvent::HandshakeFailed { .. } | SocketEvent::HandshakeSucceeded { .. }
        )
    }) {
        SocketEvent::HandshakeFailed { reason, .. } => Err(reason),
        _ => Ok(()),
    }
}

/// `n` messages each way between a CURVE DEALER and ROUTER; returns the
/// first message the server received.
fn exchange(transport: &str, n: usize) -> Message {
    let (skeys, ckeys) = (curve_keypair(), curve_keypair());
    let server = Router::with_options(server_opts(&skeys));
    let ep = server
        .bind(&(support::transport(transport).ep)())
        .expect("bind");
    let client = Dealer::with_options(client_opts(&ckeys, &skeys));
    client.connect(&ep).expect("connect");
    let mut first = None;
    for i in 0..n {
        client
            .blocking_send(Message::from_frames(vec![
                Bytes::from(i.to_string()),
                payload(i),
            ]))
            .expect("send");
        let got = server.blocking_recv().expect("recv");
        assert_eq!(
            &got.frames()[1..],
            &[Bytes::from(i.to_string()), payload(i)],
            "message {i}"
        );
        let reply = Message::from_frames(vec![got.frames()[0].clone(), payload(i + 1)]);
        first.get_or_insert(got);
        server.blocking_send(reply).expect("reply");
        assert_eq!(
            client.blocking_recv().expect("reply").frames(),
            &[payload(i + 1)]
        );
    }
    first.expect("n > 0")
}

#[test]
fn curve_round_trips_tcp() {
    let _turn = turn();
    let first = exchange("tcp", 200);
    assert!(
        first.properties().is_none(),
        "no handler: nobody authenticated"
    );
}

#[test]
fn curve_round_trips_ipc() {
    let _turn = turn();
    exchange("ipc", 200);
}

#[test]
fn the_authenticator_knows_the_client_by_its_key() {
    let _turn = turn();
    let (skeys, ckeys, stranger) = (curve_keypair(), curve_keypair(), curve_keypair());
    let auth = Authenticator::start().expect("authenticator");
    auth.configure_curve("*", [ckeys.public]);
    let server = Router::with_options(server_opts(&skeys));
    let ep = server.bind(&support::tcp_ep()).expect("bind");
    let client = Dealer::with_options(client_opts(&ckeys, &skeys));
    client.connect(&ep).expect("connect");
    client.blocking_send("hi").expect("send");
    let got = server.blocking_recv().expect("recv");
    let user = got.property("User-Id").expect("authenticated");
    assert_eq!(user.as_ref(), ckeys.public.to_z85().as_bytes());

    let refused = Dealer::with_options(client_opts(&stranger, &skeys));
    let mon = refused.monitor();
    refused.connect(&ep).expect("connect");
    assert_eq!(
        wait_event(&mon, "ConnectStopped", |e| matches!(
            e,
            SocketEvent::ConnectStopped { .. }
        )),
        SocketEvent::ConnectStopped {
            endpoint: ep.clone(),
            reason: DisconnectReason::Protocol(ProtocolError::PeerError("400".to_owned())),
        }
    );

    // "Any" lets the stranger in.
    auth.configure_curve_any("*");
    let any = Dealer::with_options(client_opts(&stranger, &skeys));
    any.connect(&ep).expect("connect");
    any.blocking_send("me too").expect("send");
    let got = server.blocking_recv().expect("recv");
    assert_eq!(
        got.property("User-Id").unwrap().as_ref(),
        stranger.public.to_z85().as_bytes()
    );
}

#[test]
fn a_wrong_server_key_fails_the_hello() {
    let _turn = turn();
    let (skeys, ckeys, other) = (curve_keypair(), curve_keypair(), curve_keypair());
    let server = Router::with_options(server_opts(&skeys));
    let mon = server.monitor();
    let ep = server.bind(&support::tcp_ep()).expect("bind");
    let client = Dealer::with_options(client_opts(&ckeys, &other));
    client.connect(&ep).expect("connect");
    assert_eq!(
        handshake(&mon),
        Err(DisconnectReason::Protocol(ProtocolError::CryptoFailure(
            CurveBox::Hello
        )))
    );
}

#[test]
fn options_that_make_no_curve_socket_are_refused() {
    let keys = curve_keypair();
    let other = curve_keypair();
    let cases = [
        (opts().curve_server(true), "curve_secretkey"),
        (opts().curve_serverkey(keys.public), "curve_secretkey"),
        (
            opts()
                .curve_serverkey(keys.public)
                .curve_secretkey(keys.secret.clone())
                .curve_publickey(other.public),
            "curve_publickey",
        ),
        (server_opts(&keys).plain_username("u"), "curve_server"),
        (
            server_opts(&keys).curve_serverkey(other.public),
            "curve_server",
        ),
    ];
    for (o, option) in cases {
        let s = Dealer::with_options(o);
        match s.connect("tcp://127.0.0.1:1") {
            Err(Error::InvalidOption { option: got, .. }) => assert_eq!(got, option),
            other => panic!("{option}: {other:?}"),
        }
    }
}

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_wire_never_carries_the_plaintext() {
    let _turn = turn();
    let (skeys, ckeys) = (curve_keypair(), curve_keypair());
    let publisher = Pub::with_options(server_opts(&skeys));
    let ep = publisher.bind(&support::tcp_ep()).expect("bind");
    let proxy = FaultProxy::in_front_of(&ep);
    proxy.record();
    // PINGs every 10 ms; a generous timeout, so that only a PING or PONG
    // that fails to open (not a busy machine) could end the connection.
    let sub = Sub::with_options(
        client_opts(&ckeys, &skeys)
            .heartbeat_ivl(Some(Duration::from_millis(10)))
            .heartbeat_timeout(Some(Duration::from_secs(5))),
    );
    let mon = sub.monitor();
    sub.connect(&proxy.endpoint()).expect("connect");
    let topic = b"secret-topic-7f3a";
    sub.subscribe(&topic[..]).expect("subscribe");
    handshake(&mon).expect("handshake");
    let body = b"the plaintext that must never be seen on the wire";
    // Subscriptions travel asynchronously: publish until one arrives.
    let deadline = Instant::now() + TIMEOUT;
    let got = loop {
        assert!(Instant::now() < deadline, "no message within {TIMEOUT:?}");
        publisher
            .blocking_send(Message::from_frames(vec![
                Bytes::from_static(topic),
                Bytes::from_static(body),
            ]))
            .expect("publish");
        if let Ok(m) = sub.try_recv() {
            break m;
        }
        std::thread::yield_now();
    };
    assert_eq!(got.frames()[1], &body[..]);
    // Heartbeats: the idle connection keeps carrying (encrypted) PINGs
    // and PONGs, and stays up.
    let before = proxy.stats();
    let deadline = Instant::now() + TIMEOUT;
    while proxy.stats().bytes_s2c < before.bytes_s2c + 10 * 40 {
        assert!(Instant::now() < deadline, "no heartbeat traffic");
        std::thread::yield_now();
    }
    while let Some(e) = mon.try_next() {
        assert!(!matches!(e, SocketEvent::Disconnected { .. }), "{e:?}");
    }
    let (c2s, s2c) = proxy.recorded();
    assert!(!contains(&c2s, topic), "the subscription went in clear");
    assert!(!contains(&s2c, topic), "the topic went in clear");
    assert!(!contains(&s2c, body), "the message went in clear");
    assert!(
        !contains(&c2s, b"SUBSCRIBE") && !contains(&c2s, b"PING"),
        "commands in clear"
    );
    assert!(contains(&s2c, b"\x07MESSAGE"), "MESSAGE boxes");
}

#[test]
fn a_flipped_byte_closes_that_connection_only() {
    let _turn = turn();
    let (skeys, akeys, bkeys) = (curve_keypair(), curve_keypair(), curve_keypair());
    let server = Router::with_options(server_opts(&skeys));
    let server_mon = server.monitor();
    let ep = server.bind(&support::tcp_ep()).expect("bind");
    let proxy = FaultProxy::in_front_of(&ep);
    let a = Dealer::with_options(
        client_opts(&akeys, &skeys).routing_id(Some(Bytes::from_static(b"A"))),
    );
    let b = Dealer::with_options(
        client_opts(&bkeys, &skeys).routing_id(Some(Bytes::from_static(b"B"))),
    );
    let a_mon = a.monitor();
    a.connect(&proxy.endpoint()).expect("connect");
    b.connect(&ep).expect("connect");
    for s in [&a, &b] {
        s.blocking_send("warm up").expect("send");
        server.blocking_recv().expect("recv");
    }
    handshake(&a_mon).expect("a's handshake");
    // Every byte position of a MESSAGE frame: flags, size, the command
    // name, the nonce, the tag and the ciphertext.
    let message = Message::from(vec![0x5au8; 100]);
    for index in [0usize, 1, 2, 5, 9, 12, 20, 40, 60, 100] {
        proxy.flip_next_c2s_byte_at(index);
        a.blocking_send(message.clone()).expect("send");
        let reason = match wait_event(&server_mon, "Disconnected", |e| {
            matches!(e, SocketEvent::Disconnected { .. })
        }) {
            SocketEvent::Disconnected { reason, .. } => reason,
            _ => unreachable!(),
        };
        assert!(
            matches!(reason, DisconnectReason::Protocol(_)),
            "byte {index}: {reason:?}"
        );
        // b is undisturbed meanwhile.
        b.blocking_send("still here").expect("send");
        let got = server.blocking_recv().expect("b's message");
        assert_eq!(
            got.frames(),
            &[Bytes::from_static(b"B"), Bytes::from_static(b"still here")]
        );
        // a reconnects and is heard again; the flipped message is never
        // delivered.
        wait_event(&a_mon, "a's reconnection", |e| {
            matches!(e, SocketEvent::HandshakeSucceeded { .. })
        });
        a.blocking_send("after").expect("send");
        let got = server.blocking_recv().expect("a again");
        assert_eq!(got.frames()[0], "A");
        assert_eq!(
            got.frames()[1],
            "after",
            "byte {index}: the altered message was delivered"
        );
    }
}
