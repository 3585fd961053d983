//! PLAIN (SPEC §9.3) against libzmq 4.3.5: an oxmq DEALER logs in as a
//! PLAIN client to a libzmq ROUTER that is a PLAIN server, whose ZAP
//! handler (RFC 27) is a libzmq REP socket bound at
//! `inproc://zeromq.zap.01` in the server's context, over tcp and ipc.
//!
//! - Good credentials: the handler sees version 1.0, mechanism PLAIN and
//!   the user name and password; messages then flow both ways.
//! - A wrong password: the handler answers 400, libzmq sends its (garbled)
//!   ERROR, and the oxmq connection fails its handshake with a protocol
//!   error event.
//! - Credentials of more than 255 bytes are refused by `connect`.
//! - The reverse: a libzmq PLAIN client logs in to an oxmq PLAIN server
//!   whose ZAP handler is an oxmq REP; a wrong password is refused (400).
//!
//! Every wait is bounded (30 s hang guards; the handler answers at most a
//! fixed number of requests and stops on a receive timeout).

mod support;

use bytes::Bytes;
use oxmq::__internal::zmtp::ProtocolError;
use oxmq::{Dealer, DisconnectReason, Error, Message, Router, SocketEvent, SocketOptions};
use oxmq_interop::{opt, Context, Socket as ZSocket, SocketKind};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use support::zap_handler::{turn, Handler};

const TIMEOUT: Duration = Duration::from_secs(30);
const TIMEOUT_MS: i32 = 30_000;

fn zsocket(ctx: &Context, kind: SocketKind) -> ZSocket {
    let s = ctx.socket(kind).expect("libzmq socket");
    s.set_linger_ms(0).expect("linger");
    s.set_rcvtimeo_ms(TIMEOUT_MS).expect("rcvtimeo");
    s.set_sndtimeo_ms(TIMEOUT_MS).expect("sndtimeo");
    s
}

/// A ZAP handler in `ctx` that answers up to `max` requests: 200 for
/// admin/secret, 400 otherwise. It stops after `max` or when none comes
/// for 2 s, and returns the requests it saw (without the envelope).
fn zap_handler(ctx: &Context, max: usize) -> JoinHandle<Vec<Vec<Vec<u8>>>> {
    let rep = zsocket(ctx, SocketKind::Rep);
    rep.set_rcvtimeo_ms(2_000).expect("rcvtimeo");
    rep.bind("inproc://zeromq.zap.01")
        .expect("bind the ZAP endpoint");
    thread::spawn(move || {
        let mut seen = Vec::new();
        while seen.len() < max {
            let Ok(req) = rep.recv_multipart() else { break };
            let ok = req.len() == 8 && req[6] == b"admin" && req[7] == b"secret";
            let status: &[u8] = if ok { b"200" } else { b"400" };
            let user: &[u8] = if ok { b"admin-user" } else { b"" };
            let id = req.get(1).cloned().unwrap_or_default();
            rep.send_multipart(&[b"1.0", &id, status, b"", user, b""])
                .expect("ZAP reply");
            seen.push(req);
        }
        seen
    })
}

/// A libzmq PLAIN server ROUTER bound at `ep`; returns it and its endpoint.
fn plain_server(ctx: &Context, ep: &str) -> (ZSocket, String) {
    let router = zsocket(ctx, SocketKind::Router);
    router.set_int(opt::PLAIN_SERVER, 1).expect("PLAIN server");
    router
        .set_bytes(opt::ZAP_DOMAIN, b"global")
        .expect("ZAP domain");
    router.bind(ep).expect("libzmq bind");
    let bound = router.last_endpoint().expect("last_endpoint");
    (router, bound)
}

fn client(user: &str, password: &str) -> Dealer {
    Dealer::with_options(
        SocketOptions::default()
            .linger(Some(Duration::ZERO))
            .sndtimeo(Some(TIMEOUT))
            .rcvtimeo(Some(TIMEOUT))
            .plain_username(user.to_owned())
            .plain_password(password.to_owned()),
    )
}

fn ipc_endpoint() -> String {
    support::ipc_ep()
}

fn logs_in(ep: &str) {
    let zctx = Context::new();
    let handler = zap_handler(&zctx, 1);
    let (router, ep) = plain_server(&zctx, ep);
    let dealer = client("admin", "secret");
    dealer.connect(&ep).expect("oxmq connect");
    dealer
        .blocking_send(Message::from_frames(vec![Bytes::from_static(b"hello")]))
        .expect("oxmq send");
    let got = router.recv_multipart().expect("libzmq ROUTER receives");
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1], b"hello");
    router
        .send_multipart(&[&got[0], b"world"])
        .expect("libzmq reply");
    let reply = dealer.blocking_recv().expect("oxmq receives the reply");
    assert_eq!(reply.frames(), &["world"]);

    let seen = handler.join().expect("handler");
    assert_eq!(seen.len(), 1, "one ZAP request");
    let req = &seen[0];
    assert_eq!(req[0], b"1.0");
    assert_eq!(req[2], b"global", "domain");
    assert_eq!(req[5], b"PLAIN", "mechanism");
    assert_eq!((&req[6][..], &req[7][..]), (&b"admin"[..], &b"secret"[..]));
    if ep.starts_with("tcp://") {
        assert_eq!(req[3], b"127.0.0.1", "address");
    } else if let Some(path) = ep.strip_prefix("ipc://") {
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn oxmq_plain_client_logs_in_to_libzmq_tcp() {
    logs_in("tcp://127.0.0.1:*");
}

#[test]
fn oxmq_plain_client_logs_in_to_libzmq_ipc() {
    logs_in(&ipc_endpoint());
}

#[test]
fn a_wrong_password_fails_the_handshake() {
    let zctx = Context::new();
    let handler = zap_handler(&zctx, 1);
    let (_router, ep) = plain_server(&zctx, "tcp://127.0.0.1:*");
    let dealer = client("admin", "wrong");
    let mon = dealer.monitor();
    dealer.connect(&ep).expect("oxmq connect");
    let reason = loop {
        match mon.blocking_next(Some(TIMEOUT)) {
            Some(SocketEvent::HandshakeFailed { reason, .. }) => break reason,
            Some(SocketEvent::HandshakeSucceeded { .. }) => {
                panic!("logged in with a wrong password")
            }
            Some(_) => continue,
            None => panic!("no HandshakeFailed within {TIMEOUT:?}"),
        }
    };
    // libzmq 4.3.5's PLAIN server garbles this ERROR on the wire: its
    // body is `5E 52 52 4F 52 03 34 30 30` ("^RROR", 3, "400"), where
    // the name's length byte should be 5 and the name "ERROR" (read off
    // the wire with a raw client). oxmq reads a command whose name runs
    // past its end, and fails the handshake with that (SPEC §9.3).
    assert!(
        matches!(
            &reason,
            DisconnectReason::Protocol(ProtocolError::MalformedCommand(m)) if m.contains("94 bytes")
        ),
        "{reason:?}"
    );
    let seen = handler.join().expect("handler");
    assert_eq!(seen[0][7], b"wrong");
    assert!(
        matches!(dealer.try_recv(), Err(Error::WouldBlock)),
        "nothing may arrive"
    );
}

#[test]
fn credentials_longer_than_255_bytes_are_refused_by_connect() {
    let long = "x".repeat(256);
    for dealer in [client(&long, "p"), client("u", &long)] {
        match dealer.connect("tcp://127.0.0.1:1") {
            Err(Error::InvalidOption { option, .. }) => {
                assert!(option.starts_with("plain_"), "{option}")
            }
            other => panic!("connect: {other:?}"),
        }
    }
}

/// An oxmq PLAIN server ROUTER with domain `global`, whose ZAP handler is
/// oxmq's (tests/support/zap_handler.rs), and a libzmq PLAIN client
/// DEALER logging in with `password`.
fn libzmq_client_logs_in(ep: &str, password: &str) -> (Router, ZSocket, Context, String) {
    let server = Router::with_options(
        SocketOptions::default()
            .linger(Some(Duration::ZERO))
            .rcvtimeo(Some(TIMEOUT))
            .sndtimeo(Some(TIMEOUT))
            .plain_server(true)
            .zap_domain("global"),
    );
    let ep = server.bind(ep).expect("oxmq bind");
    let zctx = Context::new();
    let dealer = zsocket(&zctx, SocketKind::Dealer);
    dealer
        .set_bytes(opt::PLAIN_USERNAME, b"admin")
        .expect("user");
    dealer
        .set_bytes(opt::PLAIN_PASSWORD, password.as_bytes())
        .expect("password");
    dealer.connect(&ep).expect("libzmq connect");
    (server, dealer, zctx, ep)
}

fn libzmq_client_to_oxmq_server(ep: &str) {
    let _turn = turn();
    let handler = Handler::start(|req| {
        if req.len() == 8 && req[6] == "admin" && req[7] == "secret" {
            ("200", "admin-user", Bytes::new())
        } else {
            ("400", "", Bytes::new())
        }
    });
    let (server, dealer, _zctx, ep) = libzmq_client_logs_in(ep, "secret");
    dealer.send(b"hello", false).expect("libzmq send");
    let got = server.blocking_recv().expect("oxmq ROUTER receives");
    assert_eq!(got.frames()[1], "hello");
    server
        .blocking_send(Message::from_frames(vec![
            got.frames()[0].clone(),
            Bytes::from_static(b"world"),
        ]))
        .expect("oxmq reply");
    assert_eq!(dealer.recv().expect("libzmq receives").0, b"world");
    let seen = handler.join();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0][2], "global");
    assert_eq!(seen[0][5], "PLAIN");
    if let Some(path) = ep.strip_prefix("ipc://") {
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn libzmq_plain_client_logs_in_to_oxmq_tcp() {
    libzmq_client_to_oxmq_server("tcp://127.0.0.1:0");
}

#[test]
fn libzmq_plain_client_logs_in_to_oxmq_ipc() {
    libzmq_client_to_oxmq_server(&ipc_endpoint());
}

#[test]
fn oxmq_plain_server_refuses_a_wrong_libzmq_password() {
    let _turn = turn();
    let handler = Handler::start(|req| {
        if req.len() == 8 && req[7] == "secret" {
            ("200", "", Bytes::new())
        } else {
            ("400", "", Bytes::new())
        }
    });
    let (server, _dealer, _zctx, _ep) = libzmq_client_logs_in("tcp://127.0.0.1:0", "wrong");
    let mon = server.monitor();
    let reason = loop {
        match mon.blocking_next(Some(TIMEOUT)) {
            Some(SocketEvent::HandshakeFailed { reason, .. }) => break reason,
            Some(SocketEvent::HandshakeSucceeded { .. }) => panic!("a wrong password got in"),
            Some(_) => continue,
            None => panic!("no HandshakeFailed within {TIMEOUT:?}"),
        }
    };
    assert_eq!(
        reason,
        DisconnectReason::Protocol(ProtocolError::AuthenticationFailed { status: 400 })
    );
    assert!(matches!(server.try_recv(), Err(Error::WouldBlock)));
    assert_eq!(handler.join()[0][7], "wrong");
}
