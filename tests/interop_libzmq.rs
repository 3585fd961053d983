//! Interoperability with libzmq 4.3.5 (built with the DRAFT API, through the
//! dev-only `oxmq_interop` wrapper).
//!
//! Matrix:
//! - oxmq CLIENT and oxmq SERVER against libzmq SERVER and CLIENT, with oxmq
//!   binding and with oxmq connecting, over tcp and ipc: 1000 requests
//!   client → server and 1000 replies server → client (addressed with the
//!   routing id the server received), in lockstep.
//! - oxmq PUSH → libzmq PULL and libzmq PUSH → oxmq PULL (two socket pairs
//!   running at once), with oxmq binding and with oxmq connecting, over tcp
//!   and ipc: 1000 messages each way, some of them 3-frame messages.
//! - oxmq CLIENT connecting to a libzmq PUSH is refused at the handshake.
//!
//! Message `i` has a first frame of `SIZES[i % 6]` bytes whose content is
//! derived from `i` and the direction, so corruption, truncation, loss and
//! reordering are all detected; every frame is compared byte for byte.
//!
//! libzmq sockets are blocking and not `Sync`: each runs on its own thread,
//! with linger 0 and 30 s send/receive timeouts as hang guards.

mod support;

use oxmq::__internal::zmtp::ProtocolError;
use oxmq::{
    Client, DisconnectReason, Message, Pull, Push, Server, SocketEvent, SocketOptions, SocketType,
};
use oxmq_interop::{Context, Socket as ZSocket, SocketKind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use support::payloads::{check_bytes, check_frames, frames_for, payload, SIZES};

/// Messages each way in every case.
const COUNT: usize = 1000;
/// Hang guard for every blocking wait.
const TIMEOUT: Duration = Duration::from_secs(30);
const TIMEOUT_MS: i32 = 30_000;

/// Stream tags: the same index gives different content per direction.
const REQUEST: u8 = 1;
const REPLY: u8 = 2;
const TO_PEER: u8 = 3;
const FROM_PEER: u8 = 4;

#[derive(Clone, Copy, Debug)]
enum Transport {
    Tcp,
    Ipc,
}

// ---------------------------------------------------------------------------
// Payloads

/// The single frame of message `i` on a CLIENT/SERVER stream.
fn single_for(i: usize, stream: u8) -> Vec<u8> {
    payload(i, stream, 0, SIZES[i % SIZES.len()])
}

// ---------------------------------------------------------------------------
// Sockets and endpoints

fn ipc_path() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("oxmq-ilz-{}-{n}.sock", std::process::id()));
    p.to_str().expect("utf-8 temp dir").to_owned()
}

/// Removes an ipc socket file when dropped (tests pass or fail).
struct IpcCleanup(Option<String>);

impl Drop for IpcCleanup {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Endpoint to bind with oxmq or libzmq, and the cleanup guard.
fn bind_endpoint(t: Transport, libzmq: bool) -> (String, IpcCleanup) {
    match t {
        Transport::Tcp if libzmq => ("tcp://127.0.0.1:*".to_owned(), IpcCleanup(None)),
        Transport::Tcp => ("tcp://127.0.0.1:0".to_owned(), IpcCleanup(None)),
        Transport::Ipc => {
            let p = ipc_path();
            (format!("ipc://{p}"), IpcCleanup(Some(p)))
        }
    }
}

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .sndtimeo(Some(TIMEOUT))
        .rcvtimeo(Some(TIMEOUT))
}

fn zsocket(ctx: &Context, kind: SocketKind) -> ZSocket {
    let s = ctx.socket(kind).expect("libzmq socket");
    s.set_linger_ms(0).expect("linger");
    s.set_rcvtimeo_ms(TIMEOUT_MS).expect("rcvtimeo");
    s.set_sndtimeo_ms(TIMEOUT_MS).expect("sndtimeo");
    s
}

/// Binds a libzmq socket and returns the resolved endpoint.
fn zbind(s: &ZSocket, ep: &str) -> String {
    s.bind(ep)
        .unwrap_or_else(|e| panic!("libzmq bind {ep}: {e}"));
    s.last_endpoint().expect("last_endpoint")
}

fn join<T>(h: JoinHandle<T>) -> T {
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

// ---------------------------------------------------------------------------
// CLIENT / SERVER

/// Which side of the CLIENT/SERVER pair is oxmq.
#[derive(Clone, Copy, Debug)]
enum OurRole {
    Client,
    Server,
}

fn oxmq_server_loop(server: &Server, ctx: &str) {
    let mut peer = None;
    for i in 0..COUNT {
        let (id, req) = server
            .blocking_recv()
            .unwrap_or_else(|e| panic!("{ctx}: oxmq server recv {i}: {e}"));
        check_bytes(ctx, i, 0, &req, &single_for(i, REQUEST));
        assert_eq!(*peer.get_or_insert(id), id, "{ctx}: routing id changed");
        server
            .blocking_send(id, single_for(i, REPLY))
            .unwrap_or_else(|e| panic!("{ctx}: oxmq server send {i}: {e}"));
    }
}

fn libzmq_server_loop(server: &ZSocket, ctx: &str) {
    let mut peer = None;
    for i in 0..COUNT {
        let (id, req) = server
            .recv_from()
            .unwrap_or_else(|e| panic!("{ctx}: libzmq server recv {i}: {e}"));
        check_bytes(ctx, i, 0, &req, &single_for(i, REQUEST));
        assert_ne!(id, 0, "{ctx}: libzmq gave no routing id");
        assert_eq!(*peer.get_or_insert(id), id, "{ctx}: routing id changed");
        server
            .send_to(id, &single_for(i, REPLY))
            .unwrap_or_else(|e| panic!("{ctx}: libzmq server send {i}: {e}"));
    }
}

fn oxmq_client_loop(client: &Client, ctx: &str) {
    for i in 0..COUNT {
        client
            .blocking_send(single_for(i, REQUEST))
            .unwrap_or_else(|e| panic!("{ctx}: oxmq client send {i}: {e}"));
        let rep = client
            .blocking_recv()
            .unwrap_or_else(|e| panic!("{ctx}: oxmq client recv {i}: {e}"));
        check_bytes(ctx, i, 0, &rep, &single_for(i, REPLY));
    }
}

fn libzmq_client_loop(client: &ZSocket, ctx: &str) {
    for i in 0..COUNT {
        client
            .send(&single_for(i, REQUEST), false)
            .unwrap_or_else(|e| panic!("{ctx}: libzmq client send {i}: {e}"));
        let (rep, more) = client
            .recv()
            .unwrap_or_else(|e| panic!("{ctx}: libzmq client recv {i}: {e}"));
        assert!(!more, "{ctx}: reply {i} has more frames");
        check_bytes(ctx, i, 0, &rep, &single_for(i, REPLY));
    }
}

/// 1000 requests and 1000 replies between an oxmq socket in `role` and the
/// opposite libzmq socket; `we_bind` says which side binds.
fn client_server(role: OurRole, we_bind: bool, t: Transport) {
    let ctx_name = format!("{role:?} oxmq-binds={we_bind} {t:?}");
    let ctx_name = ctx_name.as_str();
    let zctx = Context::new();
    let (ep, _cleanup) = bind_endpoint(t, !we_bind);
    match role {
        OurRole::Server => {
            let server = Server::with_options(opts());
            let zclient = zsocket(&zctx, SocketKind::Client);
            if we_bind {
                let ep = server.bind(&ep).expect("oxmq bind");
                zclient.connect(&ep).expect("libzmq connect");
            } else {
                let ep = zbind(&zclient, &ep);
                server.connect(&ep).expect("oxmq connect");
            }
            let name = ctx_name.to_owned();
            let client_thread = thread::spawn(move || {
                libzmq_client_loop(&zclient, &name);
                zclient
            });
            oxmq_server_loop(&server, ctx_name);
            let _zclient = join(client_thread);
        }
        OurRole::Client => {
            let client = Client::with_options(opts());
            let zserver = zsocket(&zctx, SocketKind::Server);
            if we_bind {
                let ep = client.bind(&ep).expect("oxmq bind");
                zserver.connect(&ep).expect("libzmq connect");
            } else {
                let ep = zbind(&zserver, &ep);
                client.connect(&ep).expect("oxmq connect");
            }
            let name = ctx_name.to_owned();
            let server_thread = thread::spawn(move || {
                libzmq_server_loop(&zserver, &name);
                zserver
            });
            oxmq_client_loop(&client, ctx_name);
            let _zserver = join(server_thread);
        }
    }
}

#[test]
fn oxmq_server_binds_libzmq_client_connects_tcp() {
    client_server(OurRole::Server, true, Transport::Tcp);
}

#[test]
fn oxmq_server_binds_libzmq_client_connects_ipc() {
    client_server(OurRole::Server, true, Transport::Ipc);
}

#[test]
fn oxmq_server_connects_libzmq_client_binds_tcp() {
    client_server(OurRole::Server, false, Transport::Tcp);
}

#[test]
fn oxmq_server_connects_libzmq_client_binds_ipc() {
    client_server(OurRole::Server, false, Transport::Ipc);
}

#[test]
fn oxmq_client_binds_libzmq_server_connects_tcp() {
    client_server(OurRole::Client, true, Transport::Tcp);
}

#[test]
fn oxmq_client_binds_libzmq_server_connects_ipc() {
    client_server(OurRole::Client, true, Transport::Ipc);
}

#[test]
fn oxmq_client_connects_libzmq_server_binds_tcp() {
    client_server(OurRole::Client, false, Transport::Tcp);
}

#[test]
fn oxmq_client_connects_libzmq_server_binds_ipc() {
    client_server(OurRole::Client, false, Transport::Ipc);
}

// ---------------------------------------------------------------------------
// PUSH / PULL

/// Two pairs at once: oxmq PUSH → libzmq PULL and libzmq PUSH → oxmq PULL,
/// 1000 messages each; `we_bind` says whether the oxmq sockets bind (and
/// libzmq connects) or the other way round.
fn push_pull(we_bind: bool, t: Transport) {
    let name = format!("PUSH/PULL oxmq-binds={we_bind} {t:?}");
    let zctx = Context::new();
    let opush = Push::with_options(opts());
    let opull = Pull::with_options(opts());
    let zpush = zsocket(&zctx, SocketKind::Push);
    let zpull = zsocket(&zctx, SocketKind::Pull);
    let (ep1, _c1) = bind_endpoint(t, !we_bind);
    let (ep2, _c2) = bind_endpoint(t, !we_bind);
    if we_bind {
        let ep1 = opush.bind(&ep1).expect("oxmq push bind");
        zpull.connect(&ep1).expect("libzmq pull connect");
        let ep2 = opull.bind(&ep2).expect("oxmq pull bind");
        zpush.connect(&ep2).expect("libzmq push connect");
    } else {
        let ep1 = zbind(&zpull, &ep1);
        opush.connect(&ep1).expect("oxmq push connect");
        let ep2 = zbind(&zpush, &ep2);
        opull.connect(&ep2).expect("oxmq pull connect");
    }

    // libzmq PULL: receives the oxmq → libzmq stream.
    let ctx = format!("{name} oxmq→libzmq");
    let zpull_thread = thread::spawn(move || {
        for i in 0..COUNT {
            let got = zpull
                .recv_multipart()
                .unwrap_or_else(|e| panic!("{ctx}: libzmq pull recv {i}: {e}"));
            check_frames(&ctx, i, &got, &frames_for(i, TO_PEER));
        }
        zpull
    });
    // libzmq PUSH: sends the libzmq → oxmq stream.
    let ctx = format!("{name} libzmq→oxmq");
    let zpush_thread = thread::spawn(move || {
        for i in 0..COUNT {
            let frames = frames_for(i, FROM_PEER);
            let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
            zpush
                .send_multipart(&refs)
                .unwrap_or_else(|e| panic!("{ctx}: libzmq push send {i}: {e}"));
        }
        zpush
    });
    // oxmq PUSH: sends the oxmq → libzmq stream.
    let ctx = format!("{name} oxmq→libzmq");
    let opush_thread = thread::spawn(move || {
        for i in 0..COUNT {
            let frames: Vec<bytes::Bytes> = frames_for(i, TO_PEER)
                .into_iter()
                .map(bytes::Bytes::from)
                .collect();
            opush
                .blocking_send(Message::from_frames(frames))
                .unwrap_or_else(|e| panic!("{ctx}: oxmq push send {i}: {e}"));
        }
        opush
    });
    // oxmq PULL, here: receives the libzmq → oxmq stream.
    let ctx = format!("{name} libzmq→oxmq");
    for i in 0..COUNT {
        let msg = opull
            .blocking_recv()
            .unwrap_or_else(|e| panic!("{ctx}: oxmq pull recv {i}: {e}"));
        check_frames(&ctx, i, msg.frames(), &frames_for(i, FROM_PEER));
    }
    // Senders stay open (they were returned by their threads) until both
    // receivers have everything: linger is 0.
    let _zpull = join(zpull_thread);
    let _zpush = join(zpush_thread);
    let _opush = join(opush_thread);
}

#[test]
fn push_pull_oxmq_binds_tcp() {
    push_pull(true, Transport::Tcp);
}

#[test]
fn push_pull_oxmq_binds_ipc() {
    push_pull(true, Transport::Ipc);
}

#[test]
fn push_pull_oxmq_connects_tcp() {
    push_pull(false, Transport::Tcp);
}

#[test]
fn push_pull_oxmq_connects_ipc() {
    push_pull(false, Transport::Ipc);
}

// ---------------------------------------------------------------------------
// Incompatible pair

/// Waits for the next `HandshakeFailed` on `mon`, failing on a successful
/// handshake or on the hang guard; returns its reason.
fn next_handshake_failure(mon: &oxmq::Monitor) -> DisconnectReason {
    loop {
        match mon.blocking_next(Some(TIMEOUT)) {
            Some(SocketEvent::HandshakeFailed { reason, .. }) => return reason,
            Some(SocketEvent::HandshakeSucceeded { endpoint, peer }) => {
                panic!("CLIENT completed a handshake with a PUSH ({endpoint}, {peer})")
            }
            Some(SocketEvent::Disconnected { reason, .. }) => {
                panic!("a connection was established and then ended: {reason}")
            }
            Some(_) => continue,
            None => panic!("no HandshakeFailed event within {TIMEOUT:?}"),
        }
    }
}

#[test]
fn oxmq_client_is_refused_by_libzmq_push() {
    let zctx = Context::new();
    let zpush = zsocket(&zctx, SocketKind::Push);
    let ep = zbind(&zpush, "tcp://127.0.0.1:*");

    let client = Client::with_options(opts());
    let mon = client.monitor();
    client.connect(&ep).expect("oxmq connect");

    let reason = next_handshake_failure(&mon);
    match &reason {
        DisconnectReason::Protocol(ProtocolError::IncompatibleSocketType { ours, theirs }) => {
            assert_eq!(*ours, SocketType::Client);
            assert_eq!(*theirs, SocketType::Push);
        }
        other => panic!("expected an incompatible-socket-type protocol error, got {other:?}"),
    }
    // The client keeps retrying and keeps being refused.
    let again = next_handshake_failure(&mon);
    assert!(
        matches!(again, DisconnectReason::Protocol(_)),
        "second attempt: {again:?}"
    );

    // No message flows: libzmq's bound PUSH never got a peer to send to
    // (a bound socket attaches a pipe only after a successful handshake),
    // so a non-waiting send fails with EAGAIN ...
    zpush.set_sndtimeo_ms(0).expect("sndtimeo");
    let err = zpush
        .send(b"must not flow", false)
        .expect_err("libzmq PUSH found a peer");
    assert!(err.is_again(), "libzmq send: {err}");
    // ... and nothing ever reached the oxmq CLIENT.
    assert!(
        matches!(client.try_recv(), Err(oxmq::Error::WouldBlock)),
        "oxmq CLIENT received something"
    );
}
