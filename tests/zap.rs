//! ZAP (RFC 27, SPEC §9.2) between oxmq sockets: an oxmq REP socket bound
//! at `inproc://zeromq.zap.01` is the handler, and oxmq PLAIN and NULL
//! servers ask it about their clients over tcp and ipc.
//!
//! - The request's frames: version, request id, domain, the client's IP
//!   address (empty for ipc), the server's routing id, mechanism and
//!   credentials.
//! - 200 lets the client in; 400 and 500 refuse it with an ERROR carrying
//!   the status (the client's `PeerError`); 300 closes without one.
//! - No handler: PLAIN fails, NULL with a domain goes on, unless
//!   `zap_enforce_domain`. A handler that leaves or never answers fails
//!   the handshake (the latter by `handshake_ivl`).
//!
//! The handler endpoint is one per process, so the cases take turns.

mod support;

use bytes::Bytes;
use oxmq::__internal::zmtp::ProtocolError;
use oxmq::{Dealer, DisconnectReason, Message, Rep, Router, SocketEvent, SocketOptions};
use std::time::Duration;
use support::wait_event;
use support::zap_handler::{turn, Handler, Policy, ZAP};
const TIMEOUT: Duration = Duration::from_secs(10);

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .sndtimeo(Some(TIMEOUT))
        .rcvtimeo(Some(TIMEOUT))
        .reconnect_ivl(Duration::from_millis(20))
}

fn admin_only(req: &[Bytes]) -> (&'static str, &'static str, Bytes) {
    if req.len() == 8 && req[6] == "admin" && req[7] == "secret" {
        ("200", "admin-user", Bytes::new())
    } else {
        ("400", "", Bytes::new())
    }
}

fn plain_server(ep: &str) -> (Router, String) {
    let server = Router::with_options(
        opts()
            .plain_server(true)
            .zap_domain("global")
            .routing_id(Some(Bytes::from_static(b"srv"))),
    );
    let bound = server.bind(ep).expect("bind");
    (server, bound)
}

fn plain_client(user: &str, password: &str) -> Dealer {
    Dealer::with_options(
        opts()
            .plain_username(user.to_owned())
            .plain_password(password.to_owned()),
    )
}

/// Sends `hello` from the client and a reply back; both must arrive.
fn exchange(client: &Dealer, server: &Router) {
    client.blocking_send(Message::from("hello")).expect("send");
    let got = server.blocking_recv().expect("the server receives");
    assert_eq!(got.frames()[1], "hello");
    server
        .blocking_send(Message::from_frames(vec![
            got.frames()[0].clone(),
            "world".into(),
        ]))
        .expect("reply");
    assert_eq!(client.blocking_recv().expect("reply").frames(), &["world"]);
}

fn handshake_failure(mon: &oxmq::Monitor) -> DisconnectReason {
    match wait_event(mon, "HandshakeFailed", |e| {
        matches!(
            e,
            SocketEvent::HandshakeFailed { .. } | SocketEvent::HandshakeSucceeded { .. }
        )
    }) {
        SocketEvent::HandshakeFailed { reason, .. } => reason,
        other => panic!("the handshake succeeded: {other:?}"),
    }
}

fn plain_logs_in(ep: &str) {
    let _turn = turn();
    let handler = Handler::start(admin_only);
    let (server, ep) = plain_server(ep);
    let client = plain_client("admin", "secret");
    client.connect(&ep).expect("connect");
    exchange(&client, &server);
    let seen = handler.join();
    assert_eq!(seen.len(), 1, "one request per handshake: {seen:?}");
    let req = &seen[0];
    assert_eq!(req.len(), 8, "{req:?}");
    assert_eq!(req[0], "1.0");
    assert!(!req[1].is_empty(), "a request id");
    assert_eq!(req[2], "global", "domain");
    let address = if ep.starts_with("tcp://") {
        "127.0.0.1"
    } else {
        ""
    };
    assert_eq!(req[3], address, "address");
    assert_eq!(req[4], "srv", "the server's routing id");
    assert_eq!(req[5], "PLAIN");
    assert_eq!((&req[6][..], &req[7][..]), (&b"admin"[..], &b"secret"[..]));
}

#[test]
fn plain_client_logs_in_to_plain_server_tcp() {
    plain_logs_in(&support::tcp_ep());
}

#[test]
fn plain_client_logs_in_to_plain_server_ipc() {
    plain_logs_in(&support::ipc_ep());
}

#[test]
fn messages_carry_the_authenticated_peers_properties() {
    let _turn = turn();
    let handler = Handler::start(|req| {
        if req.len() == 8 && req[6] == "admin" {
            // "Hello" = "World" as a ZMTP property list.
            let meta = Bytes::from_static(b"\x05Hello\x00\x00\x00\x05World");
            ("200", "admin-user", meta)
        } else {
            ("400", "", Bytes::new())
        }
    });
    let server = Rep::with_options(opts().plain_server(true));
    let ep = server.bind(&support::tcp_ep()).expect("bind");
    let client = plain_client("admin", "secret");
    client.connect(&ep).expect("connect");
    client
        .blocking_send(Message::from_frames(vec![Bytes::new(), "ping".into()]))
        .expect("send");
    let got = server.blocking_recv().expect("REP receives");
    assert_eq!(got.frames(), &["ping"]);
    assert_eq!(
        got.property("User-Id").map(|v| &v[..]),
        Some(&b"admin-user"[..])
    );
    assert_eq!(got.property("hello").map(|v| &v[..]), Some(&b"World"[..]));
    assert_eq!(
        got.property("Peer-Address").map(|v| &v[..]),
        Some(&b"127.0.0.1"[..])
    );
    assert_eq!(
        got.property("Socket-Type").map(|v| &v[..]),
        Some(&b"DEALER"[..])
    );
    server.blocking_send(Message::from("pong")).expect("reply");
    let reply = client.blocking_recv().expect("reply");
    assert!(
        reply.properties().is_none(),
        "the client did not authenticate the server"
    );
    drop(handler);

    // A NULL peer nobody approved: no properties.
    let (server, ep) = null_server("", false);
    let client = Dealer::with_options(opts());
    client.connect(&ep).expect("connect");
    client.blocking_send(Message::from("x")).expect("send");
    assert!(server.blocking_recv().expect("recv").properties().is_none());
}

#[test]
fn refusals_send_the_status_and_300_closes_without_one() {
    let _turn = turn();
    for (status, client_sees) in [("400", Some("400")), ("500", Some("500")), ("300", None)] {
        let policy: Policy = match status {
            "400" => |_| ("400", "", Bytes::new()),
            "500" => |_| ("500", "", Bytes::new()),
            _ => |_| ("300", "", Bytes::new()),
        };
        let handler = Handler::start(policy);
        let (server, ep) = plain_server(&support::tcp_ep());
        let server_mon = server.monitor();
        let client = plain_client("admin", "secret");
        let client_mon = client.monitor();
        client.connect(&ep).expect("connect");
        let code: u16 = status.parse().unwrap();
        let reason = handshake_failure(&server_mon);
        assert_eq!(
            reason,
            DisconnectReason::Protocol(ProtocolError::AuthenticationFailed { status: code }),
            "{status}"
        );
        let reason = handshake_failure(&client_mon);
        match client_sees {
            Some(text) => assert_eq!(
                reason,
                DisconnectReason::Protocol(ProtocolError::PeerError(text.to_owned())),
                "{status}"
            ),
            None => assert_eq!(reason, DisconnectReason::PeerClosed, "{status}: no ERROR"),
        }
        drop(client);
        drop(server);
        assert!(
            !handler.join().is_empty(),
            "{status}: the handler was asked"
        );
    }
}

#[test]
fn plain_without_a_handler_fails_the_handshake() {
    let _turn = turn();
    let (_server, ep) = plain_server(&support::tcp_ep());
    let mon = _server.monitor();
    let client = plain_client("admin", "secret");
    client.connect(&ep).expect("connect");
    let reason = handshake_failure(&mon);
    assert!(
        matches!(
            reason,
            DisconnectReason::Protocol(ProtocolError::NoZapHandler(_))
        ),
        "{reason:?}"
    );
}

fn null_server(domain: &str, enforce: bool) -> (Router, String) {
    let server = Router::with_options(
        opts()
            .zap_domain(domain.to_owned())
            .zap_enforce_domain(enforce),
    );
    let bound = server.bind(&support::tcp_ep()).expect("bind");
    (server, bound)
}

#[test]
fn null_with_a_domain_asks_the_handler() {
    let _turn = turn();
    let handler = Handler::start(|req| {
        if req.len() == 6 && req[5] == "NULL" {
            ("200", "anonymous", Bytes::new())
        } else {
            ("400", "", Bytes::new())
        }
    });
    let (server, ep) = null_server("test", false);
    let client = Dealer::with_options(opts());
    client.connect(&ep).expect("connect");
    exchange(&client, &server);
    let seen = handler.join();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0][2], "test");
    assert_eq!(seen[0].len(), 6, "NULL has no credentials");
}

#[test]
fn null_refused_by_the_handler() {
    let _turn = turn();
    let handler = Handler::start(|_| ("400", "", Bytes::new()));
    let (server, ep) = null_server("test", false);
    let mon = server.monitor();
    let client = Dealer::with_options(opts());
    let client_mon = client.monitor();
    client.connect(&ep).expect("connect");
    assert_eq!(
        handshake_failure(&mon),
        DisconnectReason::Protocol(ProtocolError::AuthenticationFailed { status: 400 })
    );
    assert_eq!(
        handshake_failure(&client_mon),
        DisconnectReason::Protocol(ProtocolError::PeerError("400".to_owned()))
    );
    drop(handler);
}

#[test]
fn null_without_a_domain_never_asks() {
    let _turn = turn();
    let handler = Handler::start(|_| ("400", "", Bytes::new()));
    let (server, ep) = null_server("", false);
    let client = Dealer::with_options(opts());
    client.connect(&ep).expect("connect");
    exchange(&client, &server);
    assert!(handler.join().is_empty());
}

#[test]
fn null_with_a_domain_and_no_handler_goes_on_unless_enforced() {
    let _turn = turn();
    let (server, ep) = null_server("test", false);
    let client = Dealer::with_options(opts());
    client.connect(&ep).expect("connect");
    exchange(&client, &server);

    let (server, ep) = null_server("test", true);
    let mon = server.monitor();
    let client = Dealer::with_options(opts());
    client.connect(&ep).expect("connect");
    let reason = handshake_failure(&mon);
    assert!(
        matches!(
            reason,
            DisconnectReason::Protocol(ProtocolError::NoZapHandler(_))
        ),
        "{reason:?}"
    );
}

#[test]
fn a_handler_that_leaves_without_replying_fails_the_handshake() {
    let _turn = turn();
    let rep = Rep::with_options(opts());
    rep.bind(ZAP).expect("bind the ZAP endpoint");
    let (server, ep) = plain_server(&support::tcp_ep());
    let mon = server.monitor();
    let client = plain_client("admin", "secret");
    client.connect(&ep).expect("connect");
    let req = rep.blocking_recv().expect("the request arrives");
    assert_eq!(req.frames()[5], "PLAIN");
    drop(rep);
    let reason = handshake_failure(&mon);
    assert!(
        matches!(
            reason,
            DisconnectReason::Protocol(ProtocolError::NoZapHandler(_))
        ),
        "{reason:?}"
    );
}

#[test]
fn a_handler_that_never_replies_times_the_handshake_out() {
    let _turn = turn();
    let rep = Rep::with_options(opts());
    rep.bind(ZAP).expect("bind the ZAP endpoint");
    let server = Router::with_options(
        opts()
            .plain_server(true)
            .handshake_ivl(Some(Duration::from_millis(300))),
    );
    let ep = server.bind(&support::tcp_ep()).expect("bind");
    let mon = server.monitor();
    let client = plain_client("admin", "secret");
    client.connect(&ep).expect("connect");
    let _req = rep.blocking_recv().expect("the request arrives");
    assert_eq!(handshake_failure(&mon), DisconnectReason::HandshakeTimeout);
}

#[test]
fn a_long_zap_domain_is_refused_by_bind() {
    let server = Router::with_options(opts().zap_domain("d".repeat(256)));
    assert!(matches!(
        server.bind(&support::tcp_ep()),
        Err(oxmq::Error::InvalidOption {
            option: "zap_domain",
            ..
        })
    ));
}

#[test]
fn a_client_refused_with_error_stops_reconnecting_unless_told() {
    let _turn = turn();
    let handler = Handler::start(admin_only);
    let (_server, ep) = plain_server(&support::tcp_ep());
    let client = plain_client("admin", "wrong");
    let mon = client.monitor();
    client.connect(&ep).expect("connect");
    let stopped = wait_event(&mon, "ConnectStopped", |e| {
        matches!(e, SocketEvent::ConnectStopped { .. })
    });
    assert_eq!(
        stopped,
        SocketEvent::ConnectStopped {
            endpoint: ep.clone(),
            reason: DisconnectReason::Protocol(ProtocolError::PeerError("400".to_owned())),
        }
    );
    // The endpoint's peer is gone: nothing queues for it.
    assert!(matches!(
        client.try_send(Message::from("x")),
        Err(e) if matches!(e.error, oxmq::Error::WouldBlock)
    ));
    drop(client);
    assert_eq!(
        handler.join().len(),
        1,
        "asked once: the client did not come back"
    );

    // On request, it keeps trying.
    let handler = Handler::start(admin_only);
    let client = Dealer::with_options(
        opts()
            .plain_username("admin")
            .plain_password("wrong")
            .reconnect_after_error(true),
    );
    let mon = client.monitor();
    client.connect(&ep).expect("connect");
    for _ in 0..2 {
        handshake_failure(&mon);
    }
    drop(client);
    assert!(handler.join().len() >= 2);
}
