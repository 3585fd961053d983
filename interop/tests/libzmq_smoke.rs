//! Smoke tests of the libzmq wrapper: the linked library is 4.3.5 with DRAFT
//! on, and the wrapped calls behave over tcp, ipc and inproc.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxmq_interop::{has, opt, version, Context, Socket, SocketKind, ZmqError};

/// Generous bound on every blocking receive, so a failure cannot hang the run.
const TIMEOUT_MS: i32 = 10_000;

fn socket(ctx: &Context, kind: SocketKind) -> Socket {
    let s = ctx.socket(kind).expect("zmq_socket");
    s.set_int(opt::LINGER, 0).expect("linger");
    s.set_rcvtimeo_ms(TIMEOUT_MS).expect("rcvtimeo");
    s.set_sndtimeo_ms(TIMEOUT_MS).expect("sndtimeo");
    s
}

/// Binds `s` to an ephemeral port on 127.0.0.1 and returns the real endpoint.
fn bind_tcp(s: &Socket) -> String {
    s.bind("tcp://127.0.0.1:*").expect("bind");
    let ep = s.last_endpoint().expect("last_endpoint");
    assert!(ep.starts_with("tcp://127.0.0.1:"), "{ep}");
    assert!(!ep.ends_with(":*") && !ep.ends_with(":0"), "{ep}");
    ep
}

/// A socket path in the temp dir unique to this process and call; removed on drop.
struct IpcPath(PathBuf);

impl IpcPath {
    fn new(tag: &str) -> IpcPath {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "oxmq-interop-{tag}-{}-{n}.sock",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        IpcPath(path)
    }

    fn endpoint(&self) -> String {
        format!("ipc://{}", self.0.display())
    }
}

impl Drop for IpcPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn version_is_4_3_5() {
    assert_eq!(version(), (4, 3, 5));
}

#[test]
fn draft_api_is_built_in() {
    assert!(has("draft"));
    assert!(has("ipc"));
    assert_eq!(has("curve"), oxmq_interop::BUILT_WITH_LIBSODIUM);
    assert!(!has("no-such-capability"));
    assert!(!has("dra\0ft"));
}

#[test]
fn socket_kinds_map_to_zmq_constants() {
    let expected = [
        (SocketKind::Pair, 0),
        (SocketKind::Pub, 1),
        (SocketKind::Sub, 2),
        (SocketKind::Req, 3),
        (SocketKind::Rep, 4),
        (SocketKind::Dealer, 5),
        (SocketKind::Router, 6),
        (SocketKind::Pull, 7),
        (SocketKind::Push, 8),
        (SocketKind::XPub, 9),
        (SocketKind::XSub, 10),
        (SocketKind::Server, 12),
        (SocketKind::Client, 13),
    ];
    let ctx = Context::new();
    for (kind, raw) in expected {
        assert_eq!(kind.to_raw(), raw, "{kind:?}");
        // libzmq agrees: every kind, DRAFT ones included, can be created.
        let s = ctx.socket(kind).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(s.kind(), kind);
    }
}

#[test]
fn push_pull_tcp_multipart_round_trip() {
    let ctx = Context::new();
    let pull = socket(&ctx, SocketKind::Pull);
    let ep = bind_tcp(&pull);
    let push = socket(&ctx, SocketKind::Push);
    push.connect(&ep).expect("connect");

    let frames: [&[u8]; 4] = [b"header", b"", b"body \x00\xff bytes", &[7u8; 300]];
    push.send_multipart(&frames).expect("send_multipart");
    push.send(b"single", false).expect("send");

    let got = pull.recv_multipart().expect("recv_multipart");
    assert_eq!(got, frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>());
    assert_eq!(pull.recv().expect("recv"), (b"single".to_vec(), false));
}

#[test]
fn client_server_ipc_with_routing_ids() {
    let path = IpcPath::new("cs");
    let ctx = Context::new();
    let server = socket(&ctx, SocketKind::Server);
    server.bind(&path.endpoint()).expect("bind ipc");
    let client_a = socket(&ctx, SocketKind::Client);
    client_a.connect(&path.endpoint()).expect("connect a");
    let client_b = socket(&ctx, SocketKind::Client);
    client_b.connect(&path.endpoint()).expect("connect b");

    client_a.send(b"hello from a", false).expect("send a");
    let (id_a, body) = server.recv_from().expect("recv_from a");
    assert_eq!(body, b"hello from a");
    assert_ne!(id_a, 0, "SERVER assigns non-zero routing ids");

    client_b.send(b"hello from b", false).expect("send b");
    let (id_b, body) = server.recv_from().expect("recv_from b");
    assert_eq!(body, b"hello from b");
    assert_ne!(id_b, id_a);

    server.send_to(id_b, b"reply to b").expect("send_to b");
    server.send_to(id_a, b"reply to a").expect("send_to a");
    assert_eq!(
        client_a.recv().expect("recv a"),
        (b"reply to a".to_vec(), false)
    );
    assert_eq!(
        client_b.recv().expect("recv b"),
        (b"reply to b".to_vec(), false)
    );

    // An unknown peer is an error, not a silent drop.
    let unknown = id_a.wrapping_add(id_b).wrapping_add(1000);
    let err = server
        .send_to(unknown, b"nobody")
        .expect_err("unknown routing id");
    assert!(!err.is_again(), "{err}");
}

#[test]
fn one_mebibyte_message() {
    let ctx = Context::new();
    let pull = socket(&ctx, SocketKind::Pull);
    let ep = bind_tcp(&pull);
    let push = socket(&ctx, SocketKind::Push);
    push.connect(&ep).expect("connect");

    let big: Vec<u8> = (0..1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    push.send(&big, false).expect("send 1 MiB");
    push.send(&big, false).expect("send 1 MiB again");

    let (got, more) = pull.recv().expect("recv 1 MiB");
    assert!(!more);
    assert_eq!(got.len(), big.len());
    assert!(got == big, "1 MiB payload differs");

    // recv_into reports the full size, and truncates to the buffer.
    let mut small = [0u8; 16];
    assert_eq!(pull.recv_into(&mut small).expect("recv_into"), big.len());
    assert_eq!(&small[..], &big[..16]);
}

#[test]
fn rcvtimeo_gives_eagain() {
    let ctx = Context::new();
    let pull = socket(&ctx, SocketKind::Pull);
    pull.bind("inproc://rcvtimeo").expect("bind");
    pull.set_rcvtimeo_ms(20).expect("rcvtimeo");
    assert_eq!(pull.get_int(opt::RCVTIMEO).expect("get rcvtimeo"), 20);

    let err = pull.recv().expect_err("nothing to receive");
    assert!(err.is_again(), "{err:?}");
    assert!(!err.message.is_empty());
    let err = pull
        .recv_into(&mut [0u8; 8])
        .expect_err("nothing to receive");
    assert!(err.is_again(), "{err:?}");
}

#[test]
fn recv_into_over_inproc_pair() {
    let ctx = Context::new();
    let a = socket(&ctx, SocketKind::Pair);
    a.bind("inproc://pair").expect("bind");
    let b = socket(&ctx, SocketKind::Pair);
    b.connect("inproc://pair").expect("connect");

    let mut buf = [0u8; 64];
    for i in 0..100u32 {
        a.send(&i.to_le_bytes(), false).expect("send");
        assert_eq!(b.recv_into(&mut buf).expect("recv_into"), 4);
        assert_eq!(buf[..4], i.to_le_bytes());
    }
}

#[test]
fn xpub_sub_subscription_then_publish() {
    let ctx = Context::new();
    let xpub = socket(&ctx, SocketKind::XPub);
    let ep = bind_tcp(&xpub);
    let sub = socket(&ctx, SocketKind::Sub);
    sub.set_bytes(opt::SUBSCRIBE, b"topic").expect("subscribe");
    sub.connect(&ep).expect("connect");

    // Once XPUB has seen the subscription, a publish reaches the subscriber.
    assert_eq!(
        xpub.recv().expect("subscription"),
        (b"\x01topic".to_vec(), false)
    );
    xpub.send_multipart(&[b"other", b"dropped"])
        .expect("publish other");
    xpub.send_multipart(&[b"topic", b"kept"])
        .expect("publish topic");
    assert_eq!(
        sub.recv_multipart().expect("recv"),
        vec![b"topic".to_vec(), b"kept".to_vec()]
    );
}

#[test]
fn options_round_trip() {
    let ctx = Context::new();
    let s = socket(&ctx, SocketKind::Router);
    assert_eq!(s.get_int(opt::LINGER).expect("get linger"), 0);
    s.set_int(opt::SNDHWM, 123).expect("sndhwm");
    assert_eq!(s.get_int(opt::SNDHWM).expect("get sndhwm"), 123);
    s.set_int(opt::ROUTER_MANDATORY, 1)
        .expect("router mandatory");
    s.set_int(opt::HEARTBEAT_IVL, 250).expect("heartbeat ivl");
    assert_eq!(s.get_int(opt::HEARTBEAT_IVL).expect("get ivl"), 250);
    s.set_int(opt::HEARTBEAT_TTL, 3000).expect("heartbeat ttl");
    assert_eq!(s.get_int(opt::HEARTBEAT_TTL).expect("get ttl"), 3000);
    // MAXMSGSIZE is an int64 option in libzmq; set_int widens it.
    s.set_int(opt::MAXMSGSIZE, 4096).expect("maxmsgsize");
    assert_eq!(s.get_int(opt::MAXMSGSIZE).expect("get maxmsgsize"), 4096);
    assert_eq!(s.get_i64(opt::MAXMSGSIZE).expect("get_i64"), 4096);
    s.set_bytes(opt::ROUTING_ID, b"me").expect("routing id");
}

#[test]
fn errors_carry_errno_and_text() {
    let ctx = Context::new();
    let s = socket(&ctx, SocketKind::Req);
    let err: ZmqError = s.bind("not-an-endpoint").expect_err("bad endpoint");
    assert_ne!(err.errno, 0);
    assert!(!err.is_again());
    assert!(err.to_string().contains(&err.message));
    let err = s
        .connect("tcp://127.0.0.1:1\0")
        .expect_err("NUL in endpoint");
    assert_eq!(err.errno, 22);
    // REQ must send before it receives: EFSM, a libzmq-specific errno.
    s.set_rcvtimeo_ms(0).expect("rcvtimeo");
    let err = s.recv().expect_err("recv before send");
    assert!(err.errno > 156_384_712, "{err:?}");
}

#[test]
fn context_and_sockets_move_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<Context>();
    assert_send::<Socket>();

    let ctx = Context::new();
    let pull = socket(&ctx, SocketKind::Pull);
    pull.bind("inproc://threads").expect("bind");
    let ctx2 = ctx.clone();
    let sender = std::thread::spawn(move || {
        let push = socket(&ctx2, SocketKind::Push);
        push.connect("inproc://threads").expect("connect");
        push.send(b"from a thread", false).expect("send");
        push
    });
    assert_eq!(pull.recv().expect("recv").0, b"from a thread");
    // The socket made on the other thread is dropped here, then the context.
    drop(sender.join().expect("join"));
    drop(ctx);
    drop(pull);
}
