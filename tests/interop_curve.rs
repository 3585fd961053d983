//! CURVE (SPEC §9.5) against libzmq 4.3.5 built with libsodium, over tcp
//! and ipc, with oxmq as the CURVE server (binding) and as the client
//! (connecting), for PUSH/PULL (both ways), DEALER/ROUTER, REQ/REP,
//! PUB/SUB (the subscriptions travel encrypted) and CLIENT/SERVER:
//!
//! - PUSH/PULL carries 1000 messages of 0 B to 1 MiB, byte for byte; the
//!   other patterns 60 each way;
//! - bad credentials are refused on both sides with the right events: a
//!   wrong server key fails the HELLO, and a ZAP handler's 400 (libzmq's
//!   or oxmq's authenticator) refuses a client key;
//! - heartbeats run under CURVE (through the fault proxy, idle traffic
//!   flows and the connection stays up).
//!
//! Without libsodium (CURVE compiled out of libzmq) the cases say so and
//! skip, unless `OXMQ_REQUIRE_CURVE=1`.

mod support;

use bytes::Bytes;
use oxmq::auth::Authenticator;
use oxmq::curve::{curve_keypair, CurveKeypair, CurvePublicKey};
use oxmq::{
    Client, CurveBox, Dealer, DisconnectReason, Message, Monitor, ProtocolError, Pub, Pull, Push,
    Rep, Req, Router, Server, SocketEvent, SocketOptions, Sub,
};
use oxmq_interop::{curve_available, opt, Context, Socket as ZSocket, SocketKind};
use std::time::{Duration, Instant};
use support::fault_proxy::FaultProxy;
use support::wait_event;
use support::zap_handler::turn;

const TIMEOUT: Duration = Duration::from_secs(30);
const TIMEOUT_MS: i32 = 30_000;
const FEW: usize = 60;

/// The key pairs of one case.
struct Keys {
    server: CurveKeypair,
    client: CurveKeypair,
}

fn keys() -> Keys {
    Keys {
        server: curve_keypair(),
        client: curve_keypair(),
    }
}

/// A key as libzmq's setsockopt takes it in text: 40 Z85 characters and
/// the NUL.
fn z85(text: String) -> Vec<u8> {
    let mut v = text.into_bytes();
    v.push(0);
    v
}

fn zsocket(ctx: &Context, kind: SocketKind) -> ZSocket {
    let s = ctx.socket(kind).expect("libzmq socket");
    s.set_linger_ms(0).expect("linger");
    s.set_rcvtimeo_ms(TIMEOUT_MS).expect("rcvtimeo");
    s.set_sndtimeo_ms(TIMEOUT_MS).expect("sndtimeo");
    s
}

fn lz_server(ctx: &Context, kind: SocketKind, k: &Keys) -> ZSocket {
    let s = zsocket(ctx, kind);
    s.set_int(opt::CURVE_SERVER, 1).expect("curve server");
    s.set_bytes(opt::CURVE_SECRETKEY, &z85(k.server.secret.to_z85()))
        .expect("secret key");
    s
}

fn lz_client(ctx: &Context, kind: SocketKind, k: &Keys, server: CurvePublicKey) -> ZSocket {
    let s = zsocket(ctx, kind);
    s.set_bytes(opt::CURVE_SERVERKEY, &z85(server.to_z85()))
        .expect("server key");
    s.set_bytes(opt::CURVE_PUBLICKEY, &z85(k.client.public.to_z85()))
        .expect("public key");
    s.set_bytes(opt::CURVE_SECRETKEY, &z85(k.client.secret.to_z85()))
        .expect("secret key");
    s
}

fn base() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .sndtimeo(Some(TIMEOUT))
        .rcvtimeo(Some(TIMEOUT))
        .reconnect_ivl(Duration::from_millis(20))
}

fn ox_server(k: &Keys) -> SocketOptions {
    base()
        .curve_server(true)
        .curve_secretkey(k.server.secret.clone())
}

fn ox_client(k: &Keys) -> SocketOptions {
    base()
        .curve_secretkey(k.client.secret.clone())
        .curve_serverkey(k.server.public)
}

/// Where to bind: an ephemeral tcp port or a fresh ipc path.
fn bind_ep(transport: &str, libzmq: bool) -> String {
    match (transport, libzmq) {
        ("tcp", true) => "tcp://127.0.0.1:*".to_owned(),
        ("tcp", false) => "tcp://127.0.0.1:0".to_owned(),
        _ => support::ipc_ep(),
    }
}

fn lz_bind(s: &ZSocket, transport: &str) -> String {
    s.bind(&bind_ep(transport, true)).expect("libzmq bind");
    s.last_endpoint().expect("last endpoint")
}

/// Message `i` of a 1000-message stream: 0 B to 1 MiB, most small.
fn payload(i: usize) -> Vec<u8> {
    let size = match i % 100 {
        99 => 1 << 20,
        9 | 29 | 49 | 69 | 89 => 64 * 1024 + i,
        0 => 0,
        _ => (i * 37) % 2048,
    };
    (0..size).map(|k| (k * 13 + i) as u8).collect()
}

/// Which side is the CURVE server (and binds).
#[derive(Clone, Copy, Debug, PartialEq)]
enum OxIs {
    Server,
    Client,
}

/// PUSH/PULL: 1000 messages from `pusher` (oxmq or libzmq) to the other.
fn push_pull(transport: &str, ox: OxIs, ox_pushes: bool) {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let k = keys();
    let ctx = Context::new();
    let lz_kind = if ox_pushes {
        SocketKind::Pull
    } else {
        SocketKind::Push
    };
    let (lz, ep) = match ox {
        OxIs::Server => {
            let ep = bind_ep(transport, false);
            let o = ox_server(&k);
            let (push, pull) = if ox_pushes {
                (Some(Push::with_options(o)), None)
            } else {
                (None, Some(Pull::with_options(o)))
            };
            let ep = match (&push, &pull) {
                (Some(p), _) => p.bind(&ep),
                (_, Some(p)) => p.bind(&ep),
                _ => unreachable!(),
            }
            .expect("oxmq bind");
            let lz = lz_client(&ctx, lz_kind, &k, k.server.public);
            lz.connect(&ep).expect("libzmq connect");
            run_push_pull(push.as_ref(), pull.as_ref(), &lz);
            return;
        }
        OxIs::Client => {
            let lz = lz_server(&ctx, lz_kind, &k);
            let ep = lz_bind(&lz, transport);
            (lz, ep)
        }
    };
    let o = ox_client(&k);
    if ox_pushes {
        let push = Push::with_options(o);
        push.connect(&ep).expect("connect");
        run_push_pull(Some(&push), None, &lz);
    } else {
        let pull = Pull::with_options(o);
        pull.connect(&ep).expect("connect");
        run_push_pull(None, Some(&pull), &lz);
    }
}

fn run_push_pull(push: Option<&Push>, pull: Option<&Pull>, lz: &ZSocket) {
    const N: usize = 1000;
    match (push, pull) {
        (Some(push), None) => std::thread::scope(|scope| {
            scope.spawn(|| {
                for i in 0..N {
                    push.blocking_send(Message::from(payload(i)))
                        .expect("oxmq send");
                }
            });
            for i in 0..N {
                let (got, more) = lz.recv().expect("libzmq recv");
                assert!(!more);
                assert!(got == payload(i), "message {i}: {} bytes", got.len());
            }
        }),
        (None, Some(pull)) => {
            for i in 0..N {
                lz.send(&payload(i), false).expect("libzmq send");
                let got = pull.blocking_recv().expect("oxmq recv");
                assert!(got.frames() == [Bytes::from(payload(i))], "message {i}");
            }
        }
        _ => unreachable!(),
    }
}

macro_rules! push_pull_cases {
    ($($name:ident: $transport:literal, $ox:expr, $ox_pushes:literal;)*) => {
        $(#[test] fn $name() { push_pull($transport, $ox, $ox_pushes); })*
    };
}

push_pull_cases! {
    push_pull_tcp_oxmq_server_pushes: "tcp", OxIs::Server, true;
    push_pull_tcp_oxmq_server_pulls: "tcp", OxIs::Server, false;
    push_pull_tcp_oxmq_client_pushes: "tcp", OxIs::Client, true;
    push_pull_tcp_oxmq_client_pulls: "tcp", OxIs::Client, false;
    push_pull_ipc_oxmq_server_pushes: "ipc", OxIs::Server, true;
    push_pull_ipc_oxmq_client_pulls: "ipc", OxIs::Client, false;
}

/// A request of `FEW`: two frames, the index and a payload.
fn request(i: usize) -> Vec<Vec<u8>> {
    vec![i.to_string().into_bytes(), payload(i * 17 % 1000)]
}

fn dealer_router(transport: &str, ox: OxIs) {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let k = keys();
    let ctx = Context::new();
    match ox {
        // oxmq ROUTER server, libzmq DEALER client.
        OxIs::Server => {
            let router = Router::with_options(ox_server(&k));
            let ep = router.bind(&bind_ep(transport, false)).expect("bind");
            let dealer = lz_client(&ctx, SocketKind::Dealer, &k, k.server.public);
            dealer.set_bytes(opt::ROUTING_ID, b"lz").expect("identity");
            dealer.connect(&ep).expect("connect");
            for i in 0..FEW {
                let req = request(i);
                dealer
                    .send_multipart(&req.iter().map(Vec::as_slice).collect::<Vec<_>>())
                    .expect("send");
                let got = router.blocking_recv().expect("recv");
                assert_eq!(got.frames()[0], "lz");
                assert!(
                    got.frames()[1..] == [Bytes::from(req[0].clone()), Bytes::from(req[1].clone())]
                );
                router.blocking_send(got).expect("echo");
                assert!(dealer.recv_multipart().expect("echo") == req, "message {i}");
            }
        }
        // libzmq ROUTER server, oxmq DEALER client.
        OxIs::Client => {
            let router = lz_server(&ctx, SocketKind::Router, &k);
            let ep = lz_bind(&router, transport);
            let dealer =
                Dealer::with_options(ox_client(&k).routing_id(Some(Bytes::from_static(b"ox"))));
            dealer.connect(&ep).expect("connect");
            for i in 0..FEW {
                let req = request(i);
                dealer
                    .blocking_send(Message::from_frames(
                        req.iter().cloned().map(Bytes::from).collect(),
                    ))
                    .expect("send");
                let got = router.recv_multipart().expect("recv");
                assert_eq!(got[0], b"ox");
                assert!(got[1..] == req[..], "message {i}");
                router
                    .send_multipart(&got.iter().map(Vec::as_slice).collect::<Vec<_>>())
                    .expect("echo");
                let back = dealer.blocking_recv().expect("echo");
                assert!(back.frames().iter().map(|f| f.to_vec()).collect::<Vec<_>>() == req);
            }
        }
    }
}

fn req_rep(transport: &str, ox: OxIs) {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let k = keys();
    let ctx = Context::new();
    match ox {
        OxIs::Server => {
            let rep = Rep::with_options(ox_server(&k));
            let ep = rep.bind(&bind_ep(transport, false)).expect("bind");
            let req = lz_client(&ctx, SocketKind::Req, &k, k.server.public);
            req.connect(&ep).expect("connect");
            for i in 0..FEW {
                let r = request(i);
                req.send_multipart(&r.iter().map(Vec::as_slice).collect::<Vec<_>>())
                    .expect("send");
                let got = rep.blocking_recv().expect("recv");
                assert!(got.frames().iter().map(|f| f.to_vec()).collect::<Vec<_>>() == r);
                rep.blocking_send(Message::from(payload(i))).expect("reply");
                assert!(
                    req.recv_multipart().expect("reply") == vec![payload(i)],
                    "reply {i}"
                );
            }
        }
        OxIs::Client => {
            let rep = lz_server(&ctx, SocketKind::Rep, &k);
            let ep = lz_bind(&rep, transport);
            let req = Req::with_options(ox_client(&k));
            req.connect(&ep).expect("connect");
            for i in 0..FEW {
                let r = request(i);
                req.blocking_send(Message::from_frames(
                    r.iter().cloned().map(Bytes::from).collect(),
                ))
                .expect("send");
                assert!(rep.recv_multipart().expect("recv") == r, "request {i}");
                rep.send(&payload(i), false).expect("reply");
                assert!(req.blocking_recv().expect("reply").frames() == [Bytes::from(payload(i))]);
            }
        }
    }
}

fn client_server(transport: &str, ox: OxIs) {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let k = keys();
    let ctx = Context::new();
    match ox {
        OxIs::Server => {
            let server = Server::with_options(ox_server(&k));
            let ep = server.bind(&bind_ep(transport, false)).expect("bind");
            let client = lz_client(&ctx, SocketKind::Client, &k, k.server.public);
            client.connect(&ep).expect("connect");
            for i in 0..FEW {
                client.send(&payload(i), false).expect("send");
                let (id, got) = server.blocking_recv().expect("recv");
                assert!(got == payload(i), "message {i}");
                server
                    .blocking_send(id, Bytes::from(payload(i + 1)))
                    .expect("reply");
                assert!(client.recv().expect("reply").0 == payload(i + 1));
            }
        }
        OxIs::Client => {
            let server = lz_server(&ctx, SocketKind::Server, &k);
            let ep = lz_bind(&server, transport);
            let client = Client::with_options(ox_client(&k));
            client.connect(&ep).expect("connect");
            for i in 0..FEW {
                client.blocking_send(Bytes::from(payload(i))).expect("send");
                let (id, got) = server.recv_from().expect("recv");
                assert!(got == payload(i), "message {i}");
                server.send_to(id, &payload(i + 1)).expect("reply");
                assert!(client.blocking_recv().expect("reply") == payload(i + 1));
            }
        }
    }
}

/// PUB/SUB: the publisher publishes until the subscriber has a message
/// (subscriptions travel asynchronously, and encrypted), then `FEW`
/// more, each after one the subscriber did not ask for.
fn pub_sub(transport: &str, ox: OxIs) {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let k = keys();
    let ctx = Context::new();
    let deadline = Instant::now() + TIMEOUT;
    match ox {
        // oxmq PUB server; libzmq SUB client subscribes (encrypted).
        OxIs::Server => {
            let publisher = Pub::with_options(ox_server(&k));
            let ep = publisher.bind(&bind_ep(transport, false)).expect("bind");
            let sub = lz_client(&ctx, SocketKind::Sub, &k, k.server.public);
            sub.set_bytes(opt::SUBSCRIBE, b"wanted").expect("subscribe");
            sub.set_rcvtimeo_ms(10).expect("rcvtimeo");
            sub.connect(&ep).expect("connect");
            loop {
                assert!(Instant::now() < deadline, "the subscription never arrived");
                publisher
                    .blocking_send(Message::from("unwanted"))
                    .expect("publish");
                publisher
                    .blocking_send(Message::from("wanted-sync"))
                    .expect("publish");
                if let Ok((m, _)) = sub.recv() {
                    assert!(
                        m.starts_with(b"wanted"),
                        "{m:?}: the filter is the publisher's"
                    );
                    break;
                }
            }
            sub.set_rcvtimeo_ms(TIMEOUT_MS).expect("rcvtimeo");
            for i in 0..FEW {
                publisher
                    .blocking_send(Message::from("unwanted"))
                    .expect("publish");
                let mut body = b"wanted".to_vec();
                body.extend_from_slice(&payload(i));
                publisher
                    .blocking_send(Message::from(body.clone()))
                    .expect("publish");
                let got = loop {
                    let (m, _) = sub.recv().expect("recv");
                    if m != b"wanted-sync" {
                        break m;
                    }
                };
                assert!(got == body, "message {i}");
            }
        }
        // libzmq PUB server; oxmq SUB client.
        OxIs::Client => {
            let publisher = lz_server(&ctx, SocketKind::Pub, &k);
            let ep = lz_bind(&publisher, transport);
            let sub = Sub::with_options(ox_client(&k));
            sub.subscribe("wanted").expect("subscribe");
            sub.connect(&ep).expect("connect");
            loop {
                assert!(Instant::now() < deadline, "the subscription never arrived");
                publisher.send(b"unwanted", false).expect("publish");
                publisher.send(b"wanted-sync", false).expect("publish");
                // Wait a little for each one, so that no more than a few
                // wait behind the first: a PUB at its high-water mark drops
                // what comes next, and the messages below must not be.
                let pause = Instant::now() + Duration::from_millis(10);
                let got = loop {
                    match sub.try_recv() {
                        Ok(m) => break Some(m),
                        Err(_) if Instant::now() < pause => std::thread::yield_now(),
                        Err(_) => break None,
                    }
                };
                if let Some(m) = got {
                    assert!(m.first().starts_with(b"wanted"));
                    break;
                }
            }
            for i in 0..FEW {
                let mut body = b"wanted".to_vec();
                body.extend_from_slice(&payload(i));
                publisher.send(b"unwanted", false).expect("publish");
                publisher.send(&body, false).expect("publish");
                let got = loop {
                    let m = sub.blocking_recv().expect("recv");
                    if m.first() != "wanted-sync" {
                        break m;
                    }
                };
                assert!(got.frames() == [Bytes::from(body)], "message {i}");
            }
        }
    }
}

macro_rules! pattern_cases {
    ($($name:ident: $f:ident, $transport:literal, $ox:expr;)*) => {
        $(#[test] fn $name() { $f($transport, $ox); })*
    };
}

pattern_cases! {
    dealer_router_tcp_oxmq_server: dealer_router, "tcp", OxIs::Server;
    dealer_router_tcp_oxmq_client: dealer_router, "tcp", OxIs::Client;
    dealer_router_ipc_oxmq_server: dealer_router, "ipc", OxIs::Server;
    dealer_router_ipc_oxmq_client: dealer_router, "ipc", OxIs::Client;
    req_rep_tcp_oxmq_server: req_rep, "tcp", OxIs::Server;
    req_rep_tcp_oxmq_client: req_rep, "tcp", OxIs::Client;
    req_rep_ipc_oxmq_server: req_rep, "ipc", OxIs::Server;
    req_rep_ipc_oxmq_client: req_rep, "ipc", OxIs::Client;
    pub_sub_tcp_oxmq_server: pub_sub, "tcp", OxIs::Server;
    pub_sub_tcp_oxmq_client: pub_sub, "tcp", OxIs::Client;
    pub_sub_ipc_oxmq_server: pub_sub, "ipc", OxIs::Server;
    pub_sub_ipc_oxmq_client: pub_sub, "ipc", OxIs::Client;
    client_server_tcp_oxmq_server: client_server, "tcp", OxIs::Server;
    client_server_tcp_oxmq_client: client_server, "tcp", OxIs::Client;
    client_server_ipc_oxmq_server: client_server, "ipc", OxIs::Server;
    client_server_ipc_oxmq_client: client_server, "ipc", OxIs::Client;
}

fn first_handshake(mon: &Monitor) -> Result<(), DisconnectReason> {
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

#[test]
fn a_libzmq_client_with_the_wrong_server_key_fails_the_hello() {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let (k, other) = (keys(), curve_keypair());
    let ctx = Context::new();
    let pull = Pull::with_options(ox_server(&k));
    let mon = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:0").expect("bind");
    let push = lz_client(&ctx, SocketKind::Push, &k, other.public);
    push.connect(&ep).expect("connect");
    assert_eq!(
        first_handshake(&mon),
        Err(DisconnectReason::Protocol(ProtocolError::CryptoFailure(
            CurveBox::Hello
        )))
    );
}

#[test]
fn an_oxmq_client_with_the_wrong_server_key_gets_nowhere() {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let (k, other) = (keys(), curve_keypair());
    let ctx = Context::new();
    let pull = lz_server(&ctx, SocketKind::Pull, &k);
    let ep = lz_bind(&pull, "tcp");
    let push = Push::with_options(
        base()
            .curve_secretkey(k.client.secret.clone())
            .curve_serverkey(other.public),
    );
    let mon = push.monitor();
    push.connect(&ep).expect("connect");
    // libzmq closes the connection on a HELLO it cannot open, without ERROR.
    assert_eq!(first_handshake(&mon), Err(DisconnectReason::PeerClosed));
}

#[test]
fn libzmqs_zap_handler_refuses_an_oxmq_client_key() {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let k = keys();
    let ctx = Context::new();
    let handler = zsocket(&ctx, SocketKind::Rep);
    handler
        .bind("inproc://zeromq.zap.01")
        .expect("bind the ZAP endpoint");
    let server = lz_server(&ctx, SocketKind::Pull, &k);
    server
        .set_bytes(opt::ZAP_DOMAIN, b"global")
        .expect("domain");
    let ep = lz_bind(&server, "tcp");
    let refuser = std::thread::spawn(move || {
        let req = handler.recv_multipart().expect("ZAP request");
        handler
            .send_multipart(&[b"1.0", &req[1], b"400", b"no", b"", b""])
            .expect("ZAP reply");
        req
    });
    let push = Push::with_options(ox_client(&k));
    let mon = push.monitor();
    push.connect(&ep).expect("connect");
    let req = refuser.join().expect("handler");
    assert_eq!(req[5], b"CURVE");
    assert_eq!(
        req[6],
        k.client.public.as_bytes(),
        "the client's long-term key"
    );
    assert_eq!(
        wait_event(&mon, "ConnectStopped", |e| matches!(
            e,
            SocketEvent::ConnectStopped { .. }
        )),
        SocketEvent::ConnectStopped {
            endpoint: ep,
            reason: DisconnectReason::Protocol(ProtocolError::PeerError("400".to_owned())),
        }
    );
}

#[test]
fn oxmqs_authenticator_refuses_a_libzmq_client_key() {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let (k, allowed) = (keys(), curve_keypair());
    let auth = Authenticator::start().expect("authenticator");
    auth.configure_curve("*", [allowed.public]);
    let ctx = Context::new();
    let pull = Pull::with_options(ox_server(&k));
    let mon = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:0").expect("bind");
    let push = lz_client(&ctx, SocketKind::Push, &k, k.server.public);
    push.connect(&ep).expect("connect");
    assert_eq!(
        first_handshake(&mon),
        Err(DisconnectReason::Protocol(
            ProtocolError::AuthenticationFailed { status: 400 }
        ))
    );
    // libzmq does not reconnect after a protocol error; a client whose
    // key is allowed gets in.
    auth.configure_curve("*", [k.client.public]);
    let push = lz_client(&ctx, SocketKind::Push, &k, k.server.public);
    push.connect(&ep).expect("connect");
    push.send(b"in", false).expect("send");
    let got = pull.blocking_recv().expect("recv");
    assert_eq!(
        got.property("User-Id").map(|v| v.to_vec()),
        Some(k.client.public.to_z85().into_bytes())
    );
}

#[test]
fn heartbeats_under_curve() {
    if !curve_available() {
        return;
    }
    let _turn = turn();
    let k = keys();
    let ctx = Context::new();
    let pull = lz_server(&ctx, SocketKind::Pull, &k);
    pull.set_int(opt::HEARTBEAT_IVL, 10).expect("heartbeat");
    // Generous timeouts: only a PING or PONG that fails to open (not a
    // busy machine) may end the connection.
    pull.set_int(opt::HEARTBEAT_TIMEOUT, 5_000)
        .expect("heartbeat timeout");
    let ep = lz_bind(&pull, "tcp");
    let proxy = FaultProxy::in_front_of(&ep);
    let push = Push::with_options(
        ox_client(&k)
            .heartbeat_ivl(Some(Duration::from_millis(10)))
            .heartbeat_timeout(Some(Duration::from_secs(5))),
    );
    let mon = push.monitor();
    push.connect(&proxy.endpoint()).expect("connect");
    push.blocking_send(Message::from("first")).expect("send");
    assert_eq!(pull.recv().expect("recv").0, b"first");
    // Each side's PINGs and the other's PONGs: idle traffic both ways.
    let before = proxy.stats();
    let deadline = Instant::now() + TIMEOUT;
    while proxy.stats().bytes_c2s < before.bytes_c2s + 20 * 40
        || proxy.stats().bytes_s2c < before.bytes_s2c + 20 * 40
    {
        assert!(
            Instant::now() < deadline,
            "no heartbeat traffic: {:?}",
            proxy.stats()
        );
        std::thread::yield_now();
    }
    while let Some(e) = mon.try_next() {
        assert!(!matches!(e, SocketEvent::Disconnected { .. }), "{e:?}");
    }
    push.blocking_send(Message::from("still up")).expect("send");
    assert_eq!(pull.recv().expect("recv").0, b"still up");
    assert_eq!(proxy.stats().accepted, 1, "one connection throughout");
}
