//! Interoperability of the messaging-pattern sockets (SPEC §5.5-§5.8) with
//! libzmq 4.3.5 (through the dev-only `oxmq_interop` wrapper).
//!
//! Every case runs four ways: oxmq binds and libzmq connects, or the
//! reverse, over tcp and over ipc. Every frame is compared byte for byte.
//!
//! - PUB/SUB with several topics, a topic never subscribed, and a topic
//!   cancelled mid-stream: oxmq PUB → libzmq SUB, oxmq PUB → libzmq XSUB
//!   (which does not filter what it receives, so it sees whether the oxmq
//!   PUB honours the cancel), libzmq PUB → oxmq SUB.
//! - XPUB/XSUB subscription messages: oxmq XPUB sees `\x01topic` and
//!   `\x00topic` from a libzmq SUB and XSUB (sent as ZMTP 3.1 SUBSCRIBE /
//!   CANCEL commands or as messages), and a libzmq XPUB sees what an oxmq
//!   SUB and XSUB send (commands, since libzmq speaks ZMTP 3.1), including
//!   that a twice-subscribed topic is cancelled only by the second
//!   unsubscribe.
//! - REQ/REP both ways with multipart bodies (1 and 3 frames, first frames
//!   of 0 bytes to 1 MiB).
//! - DEALER/ROUTER both ways with two dealers that set explicit identities:
//!   the ROUTER sees `[identity, ...]` and its replies are routed back.
//! - PAIR both ways.
//!
//! Subscriptions travel asynchronously: where the test cannot observe their
//! arrival, it publishes in a bounded loop until the subscriber sees a
//! marker (at most `SYNC`). Every receive has a timeout on both sides
//! (`rcvtimeo` / `sndtimeo`, 30 s hang guard).

mod support;

use bytes::Bytes;
use oxmq::{Dealer, Error, Message, Pair, Pub, Rep, Req, Router, SocketOptions, Sub, XPub, XSub};
use oxmq_interop::{opt, Context, Socket as ZSocket, SocketKind};
use std::time::{Duration, Instant};
use support::payloads::{check_frames, frames_for, payload, SIZES};

/// Hang guard for every blocking wait.
const TIMEOUT: Duration = Duration::from_secs(30);
const TIMEOUT_MS: i32 = 30_000;
/// Deadline for a subscription to reach a publisher.
const SYNC: Duration = Duration::from_secs(10);
/// Receive timeout of subscribers, so that publish loops can go on.
const POLL: Duration = Duration::from_millis(100);
const POLL_MS: i32 = 100;
/// libzmq's `ZMQ_EVENTS` option: reading it makes the socket process the
/// commands its I/O thread sent it.
const ZMQ_EVENTS: i32 = 15;
/// Messages per direction in REQ/REP, DEALER/ROUTER and PAIR cases: 6 × 7
/// covers every first-frame size with 1 and 3 frames.
const ROUNDS: usize = 42;
/// Messages published per PUB/SUB stream phase.
const STREAM: usize = 100;

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
// Helpers

fn to_msg(frames: &[Vec<u8>]) -> Message {
    Message::from_frames(frames.iter().map(|f| Bytes::copy_from_slice(f)).collect())
}

fn frames_of(m: &Message) -> Vec<Vec<u8>> {
    m.frames().iter().map(|f| f.to_vec()).collect()
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

/// An endpoint for oxmq (`libzmq == false`) or libzmq to bind.
fn bind_endpoint(t: Transport, libzmq: bool) -> (String, IpcCleanup) {
    match t {
        Transport::Tcp if libzmq => ("tcp://127.0.0.1:*".to_owned(), IpcCleanup(None)),
        Transport::Tcp => ("tcp://127.0.0.1:0".to_owned(), IpcCleanup(None)),
        Transport::Ipc => {
            let ep = support::ipc_ep();
            let path = ep.trim_start_matches("ipc://").to_owned();
            (ep, IpcCleanup(Some(path)))
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

/// Connects an oxmq socket (given by its `bind` and `connect`) and a libzmq
/// socket: oxmq binds if `we_bind`, else libzmq does.
fn link(
    t: Transport,
    we_bind: bool,
    bind: impl FnOnce(&str) -> oxmq::Result<String>,
    connect: impl FnOnce(&str) -> oxmq::Result<()>,
    z: &ZSocket,
) -> IpcCleanup {
    let (ep, cleanup) = bind_endpoint(t, !we_bind);
    if we_bind {
        let ep = bind(&ep).unwrap_or_else(|e| panic!("oxmq bind {ep}: {e}"));
        z.connect(&ep)
            .unwrap_or_else(|e| panic!("libzmq connect {ep}: {e}"));
    } else {
        z.bind(&ep)
            .unwrap_or_else(|e| panic!("libzmq bind {ep}: {e}"));
        let ep = z.last_endpoint().expect("last_endpoint");
        connect(&ep).unwrap_or_else(|e| panic!("oxmq connect {ep}: {e}"));
    }
    cleanup
}

fn zsend(ctx: &str, z: &ZSocket, frames: &[Vec<u8>]) {
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    z.send_multipart(&refs)
        .unwrap_or_else(|e| panic!("{ctx}: libzmq send: {e}"));
}

fn zrecv(ctx: &str, z: &ZSocket) -> Vec<Vec<u8>> {
    z.recv_multipart()
        .unwrap_or_else(|e| panic!("{ctx}: libzmq recv: {e}"))
}

/// Four tests per case: oxmq binds / connects, over tcp / ipc.
macro_rules! matrix {
    ($($case:ident($($arg:expr),*) => [$bt:ident, $bi:ident, $ct:ident, $ci:ident];)*) => {$(
        #[test]
        fn $bt() {
            $case($($arg,)* true, Transport::Tcp);
        }
        #[test]
        fn $bi() {
            $case($($arg,)* true, Transport::Ipc);
        }
        #[test]
        fn $ct() {
            $case($($arg,)* false, Transport::Tcp);
        }
        #[test]
        fn $ci() {
            $case($($arg,)* false, Transport::Ipc);
        }
    )*};
}

// ---------------------------------------------------------------------------
// PUB / SUB

trait Publisher {
    fn publish(&self, frames: &[Vec<u8>]);
}

trait Subscriber {
    fn subscribe(&self, topic: &str);
    fn unsubscribe(&self, topic: &str);
    /// The next message, or `None` if none came before `deadline`.
    fn recv_before(&self, deadline: Instant) -> Option<Vec<Vec<u8>>>;
}

impl Publisher for Pub {
    fn publish(&self, frames: &[Vec<u8>]) {
        self.blocking_send(to_msg(frames)).expect("oxmq publish");
    }
}

impl Subscriber for Sub {
    fn subscribe(&self, topic: &str) {
        Sub::subscribe(self, topic).expect("oxmq subscribe");
    }
    fn unsubscribe(&self, topic: &str) {
        Sub::unsubscribe(self, topic).expect("oxmq unsubscribe");
    }
    fn recv_before(&self, deadline: Instant) -> Option<Vec<Vec<u8>>> {
        // rcvtimeo is POLL for subscribers.
        loop {
            match self.blocking_recv() {
                Ok(m) => return Some(frames_of(&m)),
                Err(Error::Timeout { .. }) if Instant::now() < deadline => continue,
                Err(Error::Timeout { .. }) => return None,
                Err(e) => panic!("oxmq SUB recv: {e}"),
            }
        }
    }
}

impl Publisher for ZSocket {
    fn publish(&self, frames: &[Vec<u8>]) {
        zsend("publish", self, frames);
    }
}

/// A libzmq SUB (subscribes with the option) or XSUB (with messages).
impl Subscriber for ZSocket {
    fn subscribe(&self, topic: &str) {
        match self.kind() {
            SocketKind::Sub => self.set_bytes(opt::SUBSCRIBE, topic.as_bytes()),
            _ => self.send(&[b"\x01", topic.as_bytes()].concat(), false),
        }
        .expect("libzmq subscribe");
    }
    fn unsubscribe(&self, topic: &str) {
        match self.kind() {
            SocketKind::Sub => self.set_bytes(opt::UNSUBSCRIBE, topic.as_bytes()),
            _ => self.send(&[b"\x00", topic.as_bytes()].concat(), false),
        }
        .expect("libzmq unsubscribe");
    }
    fn recv_before(&self, deadline: Instant) -> Option<Vec<Vec<u8>>> {
        // rcvtimeo is POLL_MS for subscribers.
        loop {
            match self.recv_multipart() {
                Ok(m) => return Some(m),
                Err(e) if e.is_again() && Instant::now() < deadline => continue,
                Err(e) if e.is_again() => return None,
                Err(e) => panic!("libzmq subscriber recv: {e}"),
            }
        }
    }
}

/// Topics published in every stream phase; `zeta` is never subscribed,
/// `beta` is cancelled between the phases and `delta` subscribed then.
const TOPICS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "zeta"];

/// Message `i` of stream phase `phase` on `topic`: the first frame starts
/// with the topic and carries up to 64 KiB; every 7th message has 3 frames.
fn stream_msg(topic: &str, phase: u8, i: usize) -> Vec<Vec<u8>> {
    let mut first = format!("{topic}:{phase}:{i}:").into_bytes();
    first.extend(payload(i, phase, 0, SIZES[i % 5]));
    if i % 7 == 3 {
        vec![first, Vec::new(), payload(i, phase, 2, 255)]
    } else {
        vec![first]
    }
}

fn marker(topic: &str, k: usize) -> Vec<Vec<u8>> {
    vec![format!("{topic}-marker:{k}").into_bytes()]
}

fn is_marker(m: &[Vec<u8>], topic: &str) -> bool {
    m.len() == 1 && m[0].starts_with(format!("{topic}-marker:").as_bytes())
}

fn show(m: &[Vec<u8>]) -> String {
    let first = m.first().map(Vec::as_slice).unwrap_or_default();
    format!(
        "{} frame(s), first starts {:?}",
        m.len(),
        String::from_utf8_lossy(&first[..first.len().min(24)])
    )
}

/// Publishes `marker(topic, k)` for k = 0, 1, ... (preceded each time by
/// `before(k)` if given) until the subscriber receives one of the markers;
/// messages equal to some `before(k)` may arrive first. Fails after `SYNC`.
fn publish_until_marker(
    ctx: &str,
    p: &dyn Publisher,
    s: &dyn Subscriber,
    topic: &str,
    before: Option<&dyn Fn(usize) -> Vec<Vec<u8>>>,
) {
    let deadline = Instant::now() + SYNC;
    let mut k = 0;
    loop {
        if let Some(before) = before {
            p.publish(&before(k));
        }
        p.publish(&marker(topic, k));
        k += 1;
        while let Some(m) = s.recv_before(Instant::now() + POLL) {
            if is_marker(&m, topic) {
                return;
            }
            let allowed = before.is_some_and(|b| (0..k).any(|j| b(j) == m));
            assert!(allowed, "{ctx}: unexpected message {}", show(&m));
        }
        assert!(
            Instant::now() < deadline,
            "{ctx}: no {topic} marker within {SYNC:?}: the subscription did not reach the \
             publisher"
        );
    }
}

/// Publishes stream phase `phase` (`STREAM` messages cycling over `TOPICS`)
/// and checks that the subscriber gets exactly those on `subscribed`, in
/// order, frame by frame, after any `skip` markers still in flight.
fn check_stream(
    ctx: &str,
    p: &dyn Publisher,
    s: &dyn Subscriber,
    phase: u8,
    subscribed: &[&str],
    skip: &str,
) {
    let mut expected = Vec::new();
    for i in 0..STREAM {
        let topic = TOPICS[i % TOPICS.len()];
        let m = stream_msg(topic, phase, i);
        p.publish(&m);
        if subscribed.contains(&topic) {
            expected.push((topic, i, m));
        }
    }
    let mut started = false;
    let mut n = 0;
    while n < expected.len() {
        let (topic, i, want) = &expected[n];
        let got = s.recv_before(Instant::now() + TIMEOUT).unwrap_or_else(|| {
            panic!("{ctx}: phase {phase}: {topic} message {i} not received within {TIMEOUT:?}")
        });
        if !started && is_marker(&got, skip) {
            continue;
        }
        started = true;
        for other in TOPICS.iter().filter(|t| !subscribed.contains(t)) {
            assert!(
                !got[0].starts_with(other.as_bytes()),
                "{ctx}: phase {phase}: received a message on {other}, which is not subscribed \
                 (any more): {}",
                show(&got)
            );
        }
        check_frames(&format!("{ctx} phase {phase}"), *i, &got, want);
        n += 1;
    }
}

/// The PUB/SUB flow: subscribe alpha, beta, gamma; wait until they reach
/// the publisher; stream (zeta never subscribed); cancel beta and
/// subscribe delta; publish beta messages and delta markers until a marker
/// arrives (beta messages may come before it, when published before the
/// cancel reached the publisher, but never after); stream again.
fn pub_sub_flow(ctx: &str, p: &dyn Publisher, s: &dyn Subscriber) {
    for t in ["alpha", "beta", "gamma"] {
        s.subscribe(t);
    }
    // gamma, subscribed last, is in: so are the others (one connection).
    publish_until_marker(ctx, p, s, "gamma", None);
    check_stream(ctx, p, s, 1, &["alpha", "beta", "gamma"], "gamma");

    s.unsubscribe("beta");
    s.subscribe("delta");
    let beta = |k: usize| vec![format!("beta-after-cancel:{k}").into_bytes()];
    publish_until_marker(ctx, p, s, "delta", Some(&beta));
    check_stream(ctx, p, s, 2, &["alpha", "gamma", "delta"], "delta");
}

fn sub_opts() -> SocketOptions {
    opts().rcvtimeo(Some(POLL))
}

/// oxmq PUB → libzmq SUB or XSUB.
fn oxmq_pub_to_libzmq(kind: SocketKind, we_bind: bool, t: Transport) {
    let ctx = format!("oxmq PUB → libzmq {kind:?} oxmq-binds={we_bind} {t:?}");
    let zctx = Context::new();
    let publisher = Pub::with_options(opts());
    let sub = zsocket(&zctx, kind);
    sub.set_rcvtimeo_ms(POLL_MS).expect("rcvtimeo");
    let _c = link(
        t,
        we_bind,
        |e| publisher.bind(e),
        |e| publisher.connect(e),
        &sub,
    );
    pub_sub_flow(&ctx, &publisher, &sub);
}

/// libzmq PUB → oxmq SUB.
fn libzmq_pub_to_oxmq(we_bind: bool, t: Transport) {
    let ctx = format!("libzmq PUB → oxmq SUB oxmq-binds={we_bind} {t:?}");
    let zctx = Context::new();
    let publisher = zsocket(&zctx, SocketKind::Pub);
    let sub = Sub::with_options(sub_opts());
    let _c = link(t, we_bind, |e| sub.bind(e), |e| sub.connect(e), &publisher);
    pub_sub_flow(&ctx, &publisher, &sub);
}

matrix! {
    oxmq_pub_to_libzmq(SocketKind::Sub) => [
        pub_sub_oxmq_pub_binds_libzmq_sub_tcp,
        pub_sub_oxmq_pub_binds_libzmq_sub_ipc,
        pub_sub_oxmq_pub_connects_libzmq_sub_tcp,
        pub_sub_oxmq_pub_connects_libzmq_sub_ipc
    ];
    oxmq_pub_to_libzmq(SocketKind::XSub) => [
        pub_sub_oxmq_pub_binds_libzmq_xsub_tcp,
        pub_sub_oxmq_pub_binds_libzmq_xsub_ipc,
        pub_sub_oxmq_pub_connects_libzmq_xsub_tcp,
        pub_sub_oxmq_pub_connects_libzmq_xsub_ipc
    ];
    libzmq_pub_to_oxmq() => [
        pub_sub_libzmq_pub_oxmq_sub_binds_tcp,
        pub_sub_libzmq_pub_oxmq_sub_binds_ipc,
        pub_sub_libzmq_pub_oxmq_sub_connects_tcp,
        pub_sub_libzmq_pub_oxmq_sub_connects_ipc
    ];
}

// ---------------------------------------------------------------------------
// XPUB / XSUB subscription messages

fn data(topic: &str, i: usize) -> Vec<Vec<u8>> {
    stream_msg(topic, 9, i)
}

/// oxmq XPUB with a libzmq SUB or XSUB: the XPUB receives `\x01topic` for
/// each new subscription and `\x00topic` for the cancel, and publishes by
/// them.
fn oxmq_xpub_libzmq_sub(kind: SocketKind, we_bind: bool, t: Transport) {
    let ctx = format!("oxmq XPUB / libzmq {kind:?} oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let zctx = Context::new();
    let xpub = XPub::with_options(opts().rcvtimeo(Some(POLL)));
    let sub = zsocket(&zctx, kind);
    let _c = link(t, we_bind, |e| xpub.bind(e), |e| xpub.connect(e), &sub);
    // A libzmq socket acts on its I/O thread's news only inside an API
    // call: a bound SUB attaches an accepted connection, and only then
    // sends it its subscriptions, when the application next calls it. So
    // while the XPUB waits, the SUB is called (ZMQ_EVENTS) between polls.
    let xrecv = || {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            sub.get_int(ZMQ_EVENTS).expect("ZMQ_EVENTS");
            match xpub.blocking_recv() {
                Ok(m) => return frames_of(&m),
                Err(Error::Timeout { .. }) if Instant::now() < deadline => continue,
                Err(e) => panic!("{ctx}: oxmq XPUB recv: {e}"),
            }
        }
    };

    Subscriber::subscribe(&sub, "alpha");
    Subscriber::subscribe(&sub, "beta");
    check_frames(ctx, 0, &xrecv(), &[b"\x01alpha".to_vec()]);
    check_frames(ctx, 1, &xrecv(), &[b"\x01beta".to_vec()]);
    // Both subscriptions are in the XPUB now: no loop needed.
    xpub.blocking_send(to_msg(&data("alpha", 3))).expect("send");
    check_frames(ctx, 3, &zrecv(ctx, &sub), &data("alpha", 3));
    xpub.blocking_send(to_msg(&data("beta", 4))).expect("send");
    check_frames(ctx, 4, &zrecv(ctx, &sub), &data("beta", 4));

    Subscriber::unsubscribe(&sub, "alpha");
    check_frames(ctx, 5, &xrecv(), &[b"\x00alpha".to_vec()]);
    // alpha is cancelled in the XPUB: only beta reaches the subscriber
    // (a libzmq XSUB does not filter, so this checks the XPUB).
    xpub.blocking_send(to_msg(&data("alpha", 6))).expect("send");
    xpub.blocking_send(to_msg(&data("beta", 7))).expect("send");
    check_frames(ctx, 7, &zrecv(ctx, &sub), &data("beta", 7));
}

/// What an oxmq SUB or XSUB is driven through here.
enum OxSub {
    Sub(Sub),
    XSub(XSub),
}

impl OxSub {
    fn new(xsub: bool) -> OxSub {
        if xsub {
            OxSub::XSub(XSub::with_options(opts()))
        } else {
            OxSub::Sub(Sub::with_options(opts()))
        }
    }
    fn bind(&self, ep: &str) -> oxmq::Result<String> {
        match self {
            OxSub::Sub(s) => s.bind(ep),
            OxSub::XSub(s) => s.bind(ep),
        }
    }
    fn connect(&self, ep: &str) -> oxmq::Result<()> {
        match self {
            OxSub::Sub(s) => s.connect(ep),
            OxSub::XSub(s) => s.connect(ep),
        }
    }
    fn subscribe(&self, topic: &str) {
        match self {
            OxSub::Sub(s) => s.subscribe(topic),
            OxSub::XSub(s) => s
                .blocking_send([b"\x01", topic.as_bytes()].concat())
                .map_err(Into::into),
        }
        .expect("oxmq subscribe");
    }
    fn unsubscribe(&self, topic: &str) {
        match self {
            OxSub::Sub(s) => s.unsubscribe(topic),
            OxSub::XSub(s) => s
                .blocking_send([b"\x00", topic.as_bytes()].concat())
                .map_err(Into::into),
        }
        .expect("oxmq unsubscribe");
    }
    fn recv(&self, ctx: &str) -> Vec<Vec<u8>> {
        match self {
            OxSub::Sub(s) => s.blocking_recv(),
            OxSub::XSub(s) => s.blocking_recv(),
        }
        .map(|m| frames_of(&m))
        .unwrap_or_else(|e| panic!("{ctx}: oxmq subscriber recv: {e}"))
    }
}

/// libzmq XPUB with an oxmq SUB or XSUB: the XPUB receives the oxmq
/// subscriptions (sent as ZMTP 3.1 SUBSCRIBE / CANCEL commands) and
/// publishes by them; a topic subscribed twice is cancelled only by the
/// second unsubscribe (the counting happens in the oxmq subscriber).
fn libzmq_xpub_oxmq_sub(xsub: bool, we_bind: bool, t: Transport) {
    let kind = if xsub { "XSUB" } else { "SUB" };
    let ctx = format!("libzmq XPUB / oxmq {kind} oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let zctx = Context::new();
    let xpub = zsocket(&zctx, SocketKind::XPub);
    let sub = OxSub::new(xsub);
    let _c = link(t, we_bind, |e| sub.bind(e), |e| sub.connect(e), &xpub);

    sub.subscribe("alpha");
    sub.subscribe("beta");
    check_frames(ctx, 0, &zrecv(ctx, &xpub), &[b"\x01alpha".to_vec()]);
    check_frames(ctx, 1, &zrecv(ctx, &xpub), &[b"\x01beta".to_vec()]);
    zsend(ctx, &xpub, &data("alpha", 2));
    check_frames(ctx, 2, &sub.recv(ctx), &data("alpha", 2));

    // alpha twice, then one cancel: the oxmq subscriber keeps it and sends
    // no cancel, so the next thing the XPUB hears is the gamma subscription
    // (libzmq's XPUB does not pass on a repeated subscription).
    sub.subscribe("alpha");
    sub.unsubscribe("alpha");
    sub.subscribe("gamma");
    check_frames(ctx, 3, &zrecv(ctx, &xpub), &[b"\x01gamma".to_vec()]);
    zsend(ctx, &xpub, &data("alpha", 4));
    check_frames(ctx, 4, &sub.recv(ctx), &data("alpha", 4));

    sub.unsubscribe("alpha");
    check_frames(ctx, 5, &zrecv(ctx, &xpub), &[b"\x00alpha".to_vec()]);
    // The XPUB no longer sends alpha.
    zsend(ctx, &xpub, &data("alpha", 6));
    zsend(ctx, &xpub, &data("gamma", 7));
    check_frames(ctx, 7, &sub.recv(ctx), &data("gamma", 7));
}

matrix! {
    oxmq_xpub_libzmq_sub(SocketKind::Sub) => [
        xpub_oxmq_binds_libzmq_sub_tcp,
        xpub_oxmq_binds_libzmq_sub_ipc,
        xpub_oxmq_connects_libzmq_sub_tcp,
        xpub_oxmq_connects_libzmq_sub_ipc
    ];
    oxmq_xpub_libzmq_sub(SocketKind::XSub) => [
        xpub_oxmq_binds_libzmq_xsub_tcp,
        xpub_oxmq_binds_libzmq_xsub_ipc,
        xpub_oxmq_connects_libzmq_xsub_tcp,
        xpub_oxmq_connects_libzmq_xsub_ipc
    ];
    libzmq_xpub_oxmq_sub(false) => [
        xpub_libzmq_oxmq_sub_binds_tcp,
        xpub_libzmq_oxmq_sub_binds_ipc,
        xpub_libzmq_oxmq_sub_connects_tcp,
        xpub_libzmq_oxmq_sub_connects_ipc
    ];
    libzmq_xpub_oxmq_sub(true) => [
        xpub_libzmq_oxmq_xsub_binds_tcp,
        xpub_libzmq_oxmq_xsub_binds_ipc,
        xpub_libzmq_oxmq_xsub_connects_tcp,
        xpub_libzmq_oxmq_xsub_connects_ipc
    ];
}

// ---------------------------------------------------------------------------
// REQ / REP

/// oxmq REQ → libzmq REP: `ROUNDS` multipart requests and replies.
fn oxmq_req_libzmq_rep(we_bind: bool, t: Transport) {
    let ctx = format!("oxmq REQ → libzmq REP oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let zctx = Context::new();
    let req = Req::with_options(opts());
    let rep = zsocket(&zctx, SocketKind::Rep);
    let _c = link(t, we_bind, |e| req.bind(e), |e| req.connect(e), &rep);
    for i in 0..ROUNDS {
        req.blocking_send(to_msg(&frames_for(i, REQUEST)))
            .unwrap_or_else(|e| panic!("{ctx}: oxmq REQ send {i}: {e}"));
        check_frames(ctx, i, &zrecv(ctx, &rep), &frames_for(i, REQUEST));
        zsend(ctx, &rep, &frames_for(i, REPLY));
        let got = req
            .blocking_recv()
            .unwrap_or_else(|e| panic!("{ctx}: oxmq REQ recv {i}: {e}"));
        check_frames(ctx, i, got.frames(), &frames_for(i, REPLY));
    }
}

/// libzmq REQ → oxmq REP: `ROUNDS` multipart requests and replies.
fn libzmq_req_oxmq_rep(we_bind: bool, t: Transport) {
    let ctx = format!("libzmq REQ → oxmq REP oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let zctx = Context::new();
    let rep = Rep::with_options(opts());
    let req = zsocket(&zctx, SocketKind::Req);
    let _c = link(t, we_bind, |e| rep.bind(e), |e| rep.connect(e), &req);
    for i in 0..ROUNDS {
        zsend(ctx, &req, &frames_for(i, REQUEST));
        let got = rep
            .blocking_recv()
            .unwrap_or_else(|e| panic!("{ctx}: oxmq REP recv {i}: {e}"));
        check_frames(ctx, i, got.frames(), &frames_for(i, REQUEST));
        rep.blocking_send(to_msg(&frames_for(i, REPLY)))
            .unwrap_or_else(|e| panic!("{ctx}: oxmq REP send {i}: {e}"));
        check_frames(ctx, i, &zrecv(ctx, &req), &frames_for(i, REPLY));
    }
}

matrix! {
    oxmq_req_libzmq_rep() => [
        req_rep_oxmq_req_binds_tcp,
        req_rep_oxmq_req_binds_ipc,
        req_rep_oxmq_req_connects_tcp,
        req_rep_oxmq_req_connects_ipc
    ];
    libzmq_req_oxmq_rep() => [
        req_rep_oxmq_rep_binds_tcp,
        req_rep_oxmq_rep_binds_ipc,
        req_rep_oxmq_rep_connects_tcp,
        req_rep_oxmq_rep_connects_ipc
    ];
}

// ---------------------------------------------------------------------------
// DEALER / ROUTER

/// The dealers' explicit identities.
const IDS: [&[u8]; 2] = [b"dealer-one", b"dealer-two"];

/// Stream tags of dealer `k`'s requests and the replies routed to it.
fn request_tag(k: usize) -> u8 {
    10 + k as u8
}
fn reply_tag(k: usize) -> u8 {
    20 + k as u8
}

/// The ROUTER's side: receives the `ROUNDS` requests of each dealer
/// (fair-queued, so interleaved in any order but in order per dealer),
/// checks the identity frame and the body, and replies to each through
/// its identity. `recv` and `send` work on `[identity, frames...]`.
fn serve_dealers(ctx: &str, recv: impl Fn() -> Vec<Vec<u8>>, send: impl Fn(Vec<Vec<u8>>)) {
    let mut next = [0usize; 2];
    for _ in 0..ROUNDS * IDS.len() {
        let got = recv();
        assert!(got.len() >= 2, "{ctx}: ROUTER got {} frame(s)", got.len());
        let k = IDS
            .iter()
            .position(|id| got[0] == *id)
            .unwrap_or_else(|| panic!("{ctx}: unknown identity {:02x?}", got[0]));
        let i = next[k];
        assert!(i < ROUNDS, "{ctx}: too many messages from {:?}", IDS[k]);
        check_frames(
            &format!("{ctx} from {k}"),
            i,
            &got[1..],
            &frames_for(i, request_tag(k)),
        );
        let mut reply = vec![IDS[k].to_vec()];
        reply.extend(frames_for(i, reply_tag(k)));
        send(reply);
        next[k] += 1;
    }
}

/// Two libzmq DEALERs with identities → oxmq ROUTER, replies routed back.
fn oxmq_router_libzmq_dealers(we_bind: bool, t: Transport) {
    let ctx = format!("libzmq DEALERs → oxmq ROUTER oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let zctx = Context::new();
    let router = Router::with_options(opts());
    let dealers: Vec<ZSocket> = IDS
        .iter()
        .map(|id| {
            let d = zsocket(&zctx, SocketKind::Dealer);
            d.set_bytes(opt::ROUTING_ID, id).expect("ROUTING_ID");
            d
        })
        .collect();
    let _c: Vec<IpcCleanup> = dealers
        .iter()
        .map(|d| link(t, we_bind, |e| router.bind(e), |e| router.connect(e), d))
        .collect();
    for i in 0..ROUNDS {
        for (k, d) in dealers.iter().enumerate() {
            zsend(ctx, d, &frames_for(i, request_tag(k)));
        }
    }
    serve_dealers(
        ctx,
        || {
            let m = router
                .blocking_recv()
                .unwrap_or_else(|e| panic!("{ctx}: oxmq ROUTER recv: {e}"));
            frames_of(&m)
        },
        |reply| {
            router
                .blocking_send(to_msg(&reply))
                .unwrap_or_else(|e| panic!("{ctx}: oxmq ROUTER send: {e}"))
        },
    );
    for (k, d) in dealers.iter().enumerate() {
        for i in 0..ROUNDS {
            let c = format!("{ctx} reply to {k}");
            check_frames(&c, i, &zrecv(&c, d), &frames_for(i, reply_tag(k)));
        }
    }
}

/// Two oxmq DEALERs with `routing_id` → libzmq ROUTER, replies routed back.
fn libzmq_router_oxmq_dealers(we_bind: bool, t: Transport) {
    let ctx = format!("oxmq DEALERs → libzmq ROUTER oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let zctx = Context::new();
    let router = zsocket(&zctx, SocketKind::Router);
    router
        .set_int(opt::ROUTER_MANDATORY, 1)
        .expect("ROUTER_MANDATORY");
    let dealers: Vec<Dealer> = IDS
        .iter()
        .map(|id| Dealer::with_options(opts().routing_id(Some(Bytes::from_static(id)))))
        .collect();
    let _c: Vec<IpcCleanup> = dealers
        .iter()
        .map(|d| link(t, we_bind, |e| d.bind(e), |e| d.connect(e), &router))
        .collect();
    for i in 0..ROUNDS {
        for (k, d) in dealers.iter().enumerate() {
            d.blocking_send(to_msg(&frames_for(i, request_tag(k))))
                .unwrap_or_else(|e| panic!("{ctx}: oxmq DEALER {k} send {i}: {e}"));
        }
    }
    serve_dealers(
        ctx,
        || zrecv(ctx, &router),
        |reply| zsend(ctx, &router, &reply),
    );
    for (k, d) in dealers.iter().enumerate() {
        for i in 0..ROUNDS {
            let got = d
                .blocking_recv()
                .unwrap_or_else(|e| panic!("{ctx}: oxmq DEALER {k} recv {i}: {e}"));
            check_frames(
                &format!("{ctx} reply to {k}"),
                i,
                got.frames(),
                &frames_for(i, reply_tag(k)),
            );
        }
    }
}

matrix! {
    oxmq_router_libzmq_dealers() => [
        dealer_router_oxmq_router_binds_tcp,
        dealer_router_oxmq_router_binds_ipc,
        dealer_router_oxmq_router_connects_tcp,
        dealer_router_oxmq_router_connects_ipc
    ];
    libzmq_router_oxmq_dealers() => [
        dealer_router_oxmq_dealers_bind_tcp,
        dealer_router_oxmq_dealers_bind_ipc,
        dealer_router_oxmq_dealers_connect_tcp,
        dealer_router_oxmq_dealers_connect_ipc
    ];
}

// ---------------------------------------------------------------------------
// PAIR

/// oxmq PAIR ↔ libzmq PAIR: `ROUNDS` messages each way.
fn pair(we_bind: bool, t: Transport) {
    let ctx = format!("PAIR oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let zctx = Context::new();
    let ours = Pair::with_options(opts());
    let theirs = zsocket(&zctx, SocketKind::Pair);
    let _c = link(t, we_bind, |e| ours.bind(e), |e| ours.connect(e), &theirs);
    for i in 0..ROUNDS {
        ours.blocking_send(to_msg(&frames_for(i, TO_PEER)))
            .unwrap_or_else(|e| panic!("{ctx}: oxmq PAIR send {i}: {e}"));
        zsend(ctx, &theirs, &frames_for(i, FROM_PEER));
    }
    for i in 0..ROUNDS {
        check_frames(ctx, i, &zrecv(ctx, &theirs), &frames_for(i, TO_PEER));
        let got = ours
            .blocking_recv()
            .unwrap_or_else(|e| panic!("{ctx}: oxmq PAIR recv {i}: {e}"));
        check_frames(ctx, i, got.frames(), &frames_for(i, FROM_PEER));
    }
}

matrix! {
    pair() => [
        pair_oxmq_binds_tcp,
        pair_oxmq_binds_ipc,
        pair_oxmq_connects_tcp,
        pair_oxmq_connects_ipc
    ];
}
