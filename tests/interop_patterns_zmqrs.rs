//! Interoperability of the messaging-pattern sockets (SPEC §5.5-§5.7) with
//! zmq.rs (the `zeromq` crate, 0.7, on tokio). zmq.rs 0.7 has PUB, SUB,
//! XPUB, XSUB, REQ, REP, DEALER and ROUTER, but no PAIR, so PAIR is tested
//! against libzmq only (tests/interop_patterns_libzmq.rs).
//!
//! Every case runs four ways: oxmq binds and zmq.rs connects, or the
//! reverse, over tcp and over ipc. Every frame is compared byte for byte.
//! zmq.rs greets as ZMTP 3.0, so oxmq subscribers send it subscriptions as
//! messages rather than SUBSCRIBE / CANCEL commands.
//!
//! - PUB/SUB with several topics, a topic never subscribed, and a topic
//!   cancelled mid-stream: oxmq PUB → zmq.rs SUB (which does not filter
//!   what it receives, so it sees whether the oxmq PUB honours the cancel)
//!   and zmq.rs PUB → oxmq SUB.
//! - XPUB/XSUB subscription messages: oxmq XPUB sees `\x01topic` and
//!   `\x00topic` from a zmq.rs SUB and XSUB; a zmq.rs XPUB sees what an
//!   oxmq SUB and XSUB send, including that a twice-subscribed topic is
//!   cancelled only by the second unsubscribe.
//! - REQ/REP both ways with multipart bodies.
//! - DEALER/ROUTER both ways with two dealers that set explicit identities:
//!   the ROUTER sees `[identity, ...]` and its replies are routed back.
//!
//! Subscriptions travel asynchronously: where the test cannot observe their
//! arrival, it publishes in a bounded loop until the subscriber sees a
//! marker (at most `SYNC`). Every wait is bounded (30 s hang guard).

mod support;

use bytes::Bytes;
use oxmq::{Dealer, Message, Pub, Rep, Req, Router, SocketOptions, Sub, XPub, XSub};
use std::future::Future;
use std::time::{Duration, Instant};
use support::payloads::{check_frames, frames_bytes as frames_for, payload, SIZES};
use zeromq::{
    DealerSocket, PubSocket, RepSocket, ReqSocket, RouterSocket, Socket, SocketEvent, SocketRecv,
    SocketSend, SubSocket, XPubSocket, XSubSocket, ZmqMessage,
};

/// Hang guard for every wait.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Deadline for a subscription to reach a publisher.
const SYNC: Duration = Duration::from_secs(10);
/// How long a subscriber waits per round of a publish loop.
const POLL: Duration = Duration::from_millis(100);
/// Messages per direction in REQ/REP and DEALER/ROUTER cases: 6 × 7 covers
/// every first-frame size with 1 and 3 frames.
const ROUNDS: usize = 42;
/// Messages published per PUB/SUB stream phase.
const STREAM: usize = 100;

/// Stream tags: the same index gives different content per direction.
const REQUEST: u8 = 1;
const REPLY: u8 = 2;

#[derive(Clone, Copy, Debug)]
enum Transport {
    Tcp,
    Ipc,
}

// ---------------------------------------------------------------------------
// Helpers

fn zmsg(frames: &[Bytes]) -> ZmqMessage {
    ZmqMessage::try_from(frames.to_vec()).expect("non-empty message")
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

/// An endpoint to bind (port 0 for tcp, a fresh path for ipc).
fn bind_endpoint(t: Transport) -> (String, IpcCleanup) {
    match t {
        Transport::Tcp => ("tcp://127.0.0.1:0".to_owned(), IpcCleanup(None)),
        Transport::Ipc => {
            let ep = support::ipc_ep();
            let path = ep.trim_start_matches("ipc://").to_owned();
            (ep, IpcCleanup(Some(path)))
        }
    }
}

fn opts() -> SocketOptions {
    SocketOptions::default().linger(Some(Duration::ZERO))
}

/// Awaits `fut` under the hang guard.
async fn guard<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {TIMEOUT:?}"))
}

/// Connects an oxmq socket (given by its `bind` and `connect`) and a zmq.rs
/// socket: oxmq binds if `we_bind`, else zmq.rs does. zmq.rs's `connect`
/// returns after the handshake; when it binds, this waits until it reports
/// the accepted (and handshaken) peer, since some zmq.rs sockets fail
/// sends while they have no peer.
async fn link<Z: Socket>(
    t: Transport,
    we_bind: bool,
    bind: impl FnOnce(&str) -> oxmq::Result<String>,
    connect: impl FnOnce(&str) -> oxmq::Result<()>,
    z: &mut Z,
) -> IpcCleanup {
    let (ep, cleanup) = bind_endpoint(t);
    if we_bind {
        let ep = bind(&ep).unwrap_or_else(|e| panic!("oxmq bind {ep}: {e}"));
        guard("zmq.rs connect", z.connect(&ep))
            .await
            .unwrap_or_else(|e| panic!("zmq.rs connect {ep}: {e}"));
    } else {
        let mut mon = z.monitor();
        let ep = guard("zmq.rs bind", z.bind(&ep))
            .await
            .unwrap_or_else(|e| panic!("zmq.rs bind {ep}: {e}"))
            .to_string();
        connect(&ep).unwrap_or_else(|e| panic!("oxmq connect {ep}: {e}"));
        loop {
            match guard("zmq.rs Accepted event", mon.recv()).await {
                Ok(SocketEvent::Accepted(..)) => break,
                Ok(SocketEvent::AcceptFailed(e)) => panic!("zmq.rs accept failed: {e}"),
                Ok(_) => continue,
                Err(e) => panic!("zmq.rs monitor ended: {e}"),
            }
        }
    }
    cleanup
}

/// Four tests per case: oxmq binds / connects, over tcp / ipc.
macro_rules! matrix {
    ($($case:ident($($arg:expr),*) => [$bt:ident, $bi:ident, $ct:ident, $ci:ident];)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $bt() {
            $case($($arg,)* true, Transport::Tcp).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $bi() {
            $case($($arg,)* true, Transport::Ipc).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $ct() {
            $case($($arg,)* false, Transport::Tcp).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $ci() {
            $case($($arg,)* false, Transport::Ipc).await;
        }
    )*};
}

// ---------------------------------------------------------------------------
// PUB / SUB

enum Publisher {
    Ox(Pub),
    Z(PubSocket),
}

impl Publisher {
    async fn publish(&mut self, frames: &[Bytes]) {
        match self {
            Publisher::Ox(p) => p
                .send(Message::from_frames(frames.to_vec()))
                .await
                .expect("oxmq publish"),
            Publisher::Z(p) => guard("zmq.rs publish", p.send(zmsg(frames)))
                .await
                .expect("zmq.rs publish"),
        }
    }
}

enum Subscriber {
    Ox(Sub),
    Z(SubSocket),
}

impl Subscriber {
    async fn subscribe(&mut self, topic: &str) {
        match self {
            Subscriber::Ox(s) => s.subscribe(topic).expect("oxmq subscribe"),
            Subscriber::Z(s) => guard("zmq.rs subscribe", s.subscribe(topic))
                .await
                .expect("zmq.rs subscribe"),
        }
    }

    async fn unsubscribe(&mut self, topic: &str) {
        match self {
            Subscriber::Ox(s) => s.unsubscribe(topic).expect("oxmq unsubscribe"),
            Subscriber::Z(s) => guard("zmq.rs unsubscribe", s.unsubscribe(topic))
                .await
                .expect("zmq.rs unsubscribe"),
        }
    }

    /// The next message, or `None` if none came within `wait` (both
    /// receives are cancel-safe: a timed-out one loses nothing).
    async fn recv_within(&mut self, wait: Duration) -> Option<Vec<Bytes>> {
        match self {
            Subscriber::Ox(s) => tokio::time::timeout(wait, s.recv())
                .await
                .ok()
                .map(|r| r.expect("oxmq SUB recv").into_frames()),
            Subscriber::Z(s) => tokio::time::timeout(wait, s.recv())
                .await
                .ok()
                .map(|r| r.expect("zmq.rs SUB recv").into_vec()),
        }
    }
}

/// Topics published in every stream phase; `zeta` is never subscribed,
/// `beta` is cancelled between the phases and `delta` subscribed then.
const TOPICS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "zeta"];

/// Message `i` of stream phase `phase` on `topic`: the first frame starts
/// with the topic and carries up to 64 KiB; every 7th message has 3 frames.
fn stream_msg(topic: &str, phase: u8, i: usize) -> Vec<Bytes> {
    let mut first = format!("{topic}:{phase}:{i}:").into_bytes();
    first.extend(payload(i, phase, 0, SIZES[i % 5]));
    if i % 7 == 3 {
        vec![
            Bytes::from(first),
            Bytes::new(),
            Bytes::from(payload(i, phase, 2, 255)),
        ]
    } else {
        vec![Bytes::from(first)]
    }
}

fn marker(topic: &str, k: usize) -> Vec<Bytes> {
    vec![Bytes::from(format!("{topic}-marker:{k}"))]
}

fn is_marker(m: &[Bytes], topic: &str) -> bool {
    m.len() == 1 && m[0].starts_with(format!("{topic}-marker:").as_bytes())
}

fn show(m: &[Bytes]) -> String {
    let first = m.first().cloned().unwrap_or_default();
    format!(
        "{} frame(s), first starts {:?}",
        m.len(),
        String::from_utf8_lossy(&first[..first.len().min(24)])
    )
}

/// Publishes `marker(topic, k)` for k = 0, 1, ... (preceded each time by
/// `before(k)` if given) until the subscriber receives one of the markers;
/// messages equal to some `before(k)` may arrive first. Fails after `SYNC`.
async fn publish_until_marker(
    ctx: &str,
    p: &mut Publisher,
    s: &mut Subscriber,
    topic: &str,
    before: Option<&(dyn Fn(usize) -> Vec<Bytes> + Sync)>,
) {
    let deadline = Instant::now() + SYNC;
    let mut k = 0;
    loop {
        if let Some(before) = before {
            p.publish(&before(k)).await;
        }
        p.publish(&marker(topic, k)).await;
        k += 1;
        while let Some(m) = s.recv_within(POLL).await {
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
async fn check_stream(
    ctx: &str,
    p: &mut Publisher,
    s: &mut Subscriber,
    phase: u8,
    subscribed: &[&str],
    skip: &str,
) {
    let mut expected = Vec::new();
    for i in 0..STREAM {
        let topic = TOPICS[i % TOPICS.len()];
        let m = stream_msg(topic, phase, i);
        p.publish(&m).await;
        if subscribed.contains(&topic) {
            expected.push((topic, i, m));
        }
    }
    let mut started = false;
    let mut n = 0;
    while n < expected.len() {
        let (topic, i, want) = &expected[n];
        let got = s.recv_within(TIMEOUT).await.unwrap_or_else(|| {
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
async fn pub_sub_flow(ctx: &str, p: &mut Publisher, s: &mut Subscriber) {
    for t in ["alpha", "beta", "gamma"] {
        s.subscribe(t).await;
    }
    // gamma, subscribed last, is in: so are the others (one connection).
    publish_until_marker(ctx, p, s, "gamma", None).await;
    check_stream(ctx, p, s, 1, &["alpha", "beta", "gamma"], "gamma").await;

    s.unsubscribe("beta").await;
    s.subscribe("delta").await;
    let beta = |k: usize| vec![Bytes::from(format!("beta-after-cancel:{k}"))];
    publish_until_marker(ctx, p, s, "delta", Some(&beta)).await;
    check_stream(ctx, p, s, 2, &["alpha", "gamma", "delta"], "delta").await;
}

/// oxmq PUB → zmq.rs SUB.
async fn oxmq_pub_to_zmqrs(we_bind: bool, t: Transport) {
    let ctx = format!("oxmq PUB → zmq.rs SUB oxmq-binds={we_bind} {t:?}");
    let publisher = Pub::with_options(opts());
    let mut sub = SubSocket::new();
    let _c = link(
        t,
        we_bind,
        |e| publisher.bind(e),
        |e| publisher.connect(e),
        &mut sub,
    )
    .await;
    let mut p = Publisher::Ox(publisher);
    let mut s = Subscriber::Z(sub);
    pub_sub_flow(&ctx, &mut p, &mut s).await;
}

/// zmq.rs PUB → oxmq SUB.
async fn zmqrs_pub_to_oxmq(we_bind: bool, t: Transport) {
    let ctx = format!("zmq.rs PUB → oxmq SUB oxmq-binds={we_bind} {t:?}");
    let mut publisher = PubSocket::new();
    let sub = Sub::with_options(opts());
    let _c = link(
        t,
        we_bind,
        |e| sub.bind(e),
        |e| sub.connect(e),
        &mut publisher,
    )
    .await;
    let mut p = Publisher::Z(publisher);
    let mut s = Subscriber::Ox(sub);
    pub_sub_flow(&ctx, &mut p, &mut s).await;
}

matrix! {
    oxmq_pub_to_zmqrs() => [
        pub_sub_oxmq_pub_binds_zmqrs_sub_tcp,
        pub_sub_oxmq_pub_binds_zmqrs_sub_ipc,
        pub_sub_oxmq_pub_connects_zmqrs_sub_tcp,
        pub_sub_oxmq_pub_connects_zmqrs_sub_ipc
    ];
    zmqrs_pub_to_oxmq() => [
        pub_sub_zmqrs_pub_oxmq_sub_binds_tcp,
        pub_sub_zmqrs_pub_oxmq_sub_binds_ipc,
        pub_sub_zmqrs_pub_oxmq_sub_connects_tcp,
        pub_sub_zmqrs_pub_oxmq_sub_connects_ipc
    ];
}

// ---------------------------------------------------------------------------
// XPUB / XSUB subscription messages

fn data(topic: &str, i: usize) -> Vec<Bytes> {
    stream_msg(topic, 9, i)
}

fn sub_msg(flag: u8, topic: &str) -> Vec<Bytes> {
    vec![Bytes::from([&[flag], topic.as_bytes()].concat())]
}

/// A zmq.rs SUB or XSUB.
enum ZSub {
    Sub(SubSocket),
    XSub(XSubSocket),
}

impl ZSub {
    async fn subscribe(&mut self, on: bool, topic: &str) {
        let r = match (self, on) {
            (ZSub::Sub(s), true) => guard("zmq.rs subscribe", s.subscribe(topic)).await,
            (ZSub::Sub(s), false) => guard("zmq.rs unsubscribe", s.unsubscribe(topic)).await,
            (ZSub::XSub(s), on) => {
                let m = zmsg(&sub_msg(u8::from(on), topic));
                guard("zmq.rs XSUB send", s.send(m)).await
            }
        };
        r.expect("zmq.rs (un)subscribe");
    }

    async fn recv(&mut self, ctx: &str) -> Vec<Bytes> {
        match self {
            ZSub::Sub(s) => guard(ctx, s.recv()).await,
            ZSub::XSub(s) => guard(ctx, s.recv()).await,
        }
        .unwrap_or_else(|e| panic!("{ctx}: zmq.rs subscriber recv: {e}"))
        .into_vec()
    }
}

/// oxmq XPUB with a zmq.rs SUB or XSUB: the XPUB receives `\x01topic` for
/// each new subscription and `\x00topic` for the cancel, and publishes by
/// them (zmq.rs subscribers do not filter, so this checks the XPUB).
async fn oxmq_xpub_zmqrs_sub(xsub: bool, we_bind: bool, t: Transport) {
    let kind = if xsub { "XSUB" } else { "SUB" };
    let ctx = format!("oxmq XPUB / zmq.rs {kind} oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let xpub = XPub::with_options(opts());
    let mut sub = if xsub {
        let mut s = XSubSocket::new();
        let c = link(t, we_bind, |e| xpub.bind(e), |e| xpub.connect(e), &mut s).await;
        (ZSub::XSub(s), c)
    } else {
        let mut s = SubSocket::new();
        let c = link(t, we_bind, |e| xpub.bind(e), |e| xpub.connect(e), &mut s).await;
        (ZSub::Sub(s), c)
    };
    let sub = &mut sub.0;
    let xrecv = || async {
        guard(ctx, xpub.recv())
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq XPUB recv: {e}"))
            .into_frames()
    };

    sub.subscribe(true, "alpha").await;
    sub.subscribe(true, "beta").await;
    check_frames(ctx, 0, &xrecv().await, &sub_msg(1, "alpha"));
    check_frames(ctx, 1, &xrecv().await, &sub_msg(1, "beta"));
    // Both subscriptions are in the XPUB now: no loop needed.
    let send = |m: Vec<Bytes>| xpub.send(Message::from_frames(m));
    send(data("alpha", 3)).await.expect("send");
    check_frames(ctx, 3, &sub.recv(ctx).await, &data("alpha", 3));
    send(data("beta", 4)).await.expect("send");
    check_frames(ctx, 4, &sub.recv(ctx).await, &data("beta", 4));

    sub.subscribe(false, "alpha").await;
    check_frames(ctx, 5, &xrecv().await, &sub_msg(0, "alpha"));
    // alpha is cancelled in the XPUB: only beta reaches the subscriber.
    send(data("alpha", 6)).await.expect("send");
    send(data("beta", 7)).await.expect("send");
    check_frames(ctx, 7, &sub.recv(ctx).await, &data("beta", 7));
}

/// An oxmq SUB or XSUB.
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
    async fn subscribe(&self, on: bool, topic: &str) {
        match (self, on) {
            (OxSub::Sub(s), true) => s.subscribe(topic),
            (OxSub::Sub(s), false) => s.unsubscribe(topic),
            (OxSub::XSub(s), on) => s
                .send(Message::from_frames(sub_msg(u8::from(on), topic)))
                .await
                .map_err(oxmq::Error::from),
        }
        .expect("oxmq (un)subscribe");
    }
    async fn recv(&self, ctx: &str) -> Vec<Bytes> {
        match self {
            OxSub::Sub(s) => guard(ctx, s.recv()).await,
            OxSub::XSub(s) => guard(ctx, s.recv()).await,
        }
        .unwrap_or_else(|e| panic!("{ctx}: oxmq subscriber recv: {e}"))
        .into_frames()
    }
}

/// zmq.rs XPUB with an oxmq SUB or XSUB: the XPUB receives what the oxmq
/// subscriber sends (every subscribe; a cancel only when the count of a
/// topic reaches zero) and publishes by it. zmq.rs's XPUB passes on every
/// subscription message (repeats too) and counts repeats, so it keeps
/// sending a twice-subscribed topic after one cancel: the oxmq SUB/XSUB
/// filter drops those.
async fn zmqrs_xpub_oxmq_sub(xsub: bool, we_bind: bool, t: Transport) {
    let kind = if xsub { "XSUB" } else { "SUB" };
    let ctx = format!("zmq.rs XPUB / oxmq {kind} oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let mut xpub = XPubSocket::new();
    let sub = OxSub::new(xsub);
    let _c = link(t, we_bind, |e| sub.bind(e), |e| sub.connect(e), &mut xpub).await;

    sub.subscribe(true, "alpha").await;
    sub.subscribe(true, "beta").await;
    // zmq.rs's XPUB takes a subscription into account when the
    // application receives it: each is received before publishing by it.
    check_frames(ctx, 0, &zxrecv(ctx, &mut xpub).await, &sub_msg(1, "alpha"));
    check_frames(ctx, 1, &zxrecv(ctx, &mut xpub).await, &sub_msg(1, "beta"));
    guard(ctx, xpub.send(zmsg(&data("alpha", 2))))
        .await
        .expect("zmq.rs XPUB send");
    check_frames(ctx, 2, &sub.recv(ctx).await, &data("alpha", 2));

    // alpha twice, then one cancel: the oxmq subscriber sends the repeated
    // subscribe but no cancel, so the XPUB hears alpha, then gamma.
    sub.subscribe(true, "alpha").await;
    sub.subscribe(false, "alpha").await;
    sub.subscribe(true, "gamma").await;
    check_frames(ctx, 3, &zxrecv(ctx, &mut xpub).await, &sub_msg(1, "alpha"));
    check_frames(ctx, 4, &zxrecv(ctx, &mut xpub).await, &sub_msg(1, "gamma"));
    guard(ctx, xpub.send(zmsg(&data("alpha", 5))))
        .await
        .expect("zmq.rs XPUB send");
    check_frames(ctx, 5, &sub.recv(ctx).await, &data("alpha", 5));

    sub.subscribe(false, "alpha").await;
    check_frames(ctx, 6, &zxrecv(ctx, &mut xpub).await, &sub_msg(0, "alpha"));
    // The oxmq subscriber no longer takes alpha.
    for m in [data("alpha", 7), data("gamma", 8)] {
        guard(ctx, xpub.send(zmsg(&m)))
            .await
            .expect("zmq.rs XPUB send");
    }
    check_frames(ctx, 8, &sub.recv(ctx).await, &data("gamma", 8));
}

async fn zxrecv(ctx: &str, x: &mut XPubSocket) -> Vec<Bytes> {
    guard(ctx, x.recv())
        .await
        .unwrap_or_else(|e| panic!("{ctx}: zmq.rs XPUB recv: {e}"))
        .into_vec()
}

matrix! {
    oxmq_xpub_zmqrs_sub(false) => [
        xpub_oxmq_binds_zmqrs_sub_tcp,
        xpub_oxmq_binds_zmqrs_sub_ipc,
        xpub_oxmq_connects_zmqrs_sub_tcp,
        xpub_oxmq_connects_zmqrs_sub_ipc
    ];
    oxmq_xpub_zmqrs_sub(true) => [
        xpub_oxmq_binds_zmqrs_xsub_tcp,
        xpub_oxmq_binds_zmqrs_xsub_ipc,
        xpub_oxmq_connects_zmqrs_xsub_tcp,
        xpub_oxmq_connects_zmqrs_xsub_ipc
    ];
    zmqrs_xpub_oxmq_sub(false) => [
        xpub_zmqrs_oxmq_sub_binds_tcp,
        xpub_zmqrs_oxmq_sub_binds_ipc,
        xpub_zmqrs_oxmq_sub_connects_tcp,
        xpub_zmqrs_oxmq_sub_connects_ipc
    ];
    zmqrs_xpub_oxmq_sub(true) => [
        xpub_zmqrs_oxmq_xsub_binds_tcp,
        xpub_zmqrs_oxmq_xsub_binds_ipc,
        xpub_zmqrs_oxmq_xsub_connects_tcp,
        xpub_zmqrs_oxmq_xsub_connects_ipc
    ];
}

// ---------------------------------------------------------------------------
// REQ / REP

/// oxmq REQ → zmq.rs REP: `ROUNDS` multipart requests and replies.
async fn oxmq_req_zmqrs_rep(we_bind: bool, t: Transport) {
    let ctx = format!("oxmq REQ → zmq.rs REP oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let req = Req::with_options(opts());
    let mut rep = RepSocket::new();
    let _c = link(t, we_bind, |e| req.bind(e), |e| req.connect(e), &mut rep).await;
    for i in 0..ROUNDS {
        guard(ctx, req.send(Message::from_frames(frames_for(i, REQUEST))))
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq REQ send {i}: {e}"));
        let got = guard(ctx, rep.recv())
            .await
            .unwrap_or_else(|e| panic!("{ctx}: zmq.rs REP recv {i}: {e}"));
        check_frames(ctx, i, &got.into_vec(), &frames_for(i, REQUEST));
        guard(ctx, rep.send(zmsg(&frames_for(i, REPLY))))
            .await
            .unwrap_or_else(|e| panic!("{ctx}: zmq.rs REP send {i}: {e}"));
        let got = guard(ctx, req.recv())
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq REQ recv {i}: {e}"));
        check_frames(ctx, i, got.frames(), &frames_for(i, REPLY));
    }
}

/// zmq.rs REQ → oxmq REP: `ROUNDS` multipart requests and replies.
async fn zmqrs_req_oxmq_rep(we_bind: bool, t: Transport) {
    let ctx = format!("zmq.rs REQ → oxmq REP oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let rep = Rep::with_options(opts());
    let mut req = ReqSocket::new();
    let _c = link(t, we_bind, |e| rep.bind(e), |e| rep.connect(e), &mut req).await;
    for i in 0..ROUNDS {
        guard(ctx, req.send(zmsg(&frames_for(i, REQUEST))))
            .await
            .unwrap_or_else(|e| panic!("{ctx}: zmq.rs REQ send {i}: {e}"));
        let got = guard(ctx, rep.recv())
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq REP recv {i}: {e}"));
        check_frames(ctx, i, got.frames(), &frames_for(i, REQUEST));
        guard(ctx, rep.send(Message::from_frames(frames_for(i, REPLY))))
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq REP send {i}: {e}"));
        let got = guard(ctx, req.recv())
            .await
            .unwrap_or_else(|e| panic!("{ctx}: zmq.rs REQ recv {i}: {e}"));
        check_frames(ctx, i, &got.into_vec(), &frames_for(i, REPLY));
    }
}

matrix! {
    oxmq_req_zmqrs_rep() => [
        req_rep_oxmq_req_binds_tcp,
        req_rep_oxmq_req_binds_ipc,
        req_rep_oxmq_req_connects_tcp,
        req_rep_oxmq_req_connects_ipc
    ];
    zmqrs_req_oxmq_rep() => [
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

/// The ROUTER's side for one received message `[identity, frames...]`:
/// checks the identity and body (in order per dealer, `next` counting)
/// and returns the reply `[identity, reply frames...]`.
fn answer(ctx: &str, next: &mut [usize; 2], got: Vec<Bytes>) -> Vec<Bytes> {
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
    next[k] += 1;
    let mut reply = vec![Bytes::from_static(IDS[k])];
    reply.extend(frames_for(i, reply_tag(k)));
    reply
}

/// Two zmq.rs DEALERs with identities → oxmq ROUTER, replies routed back.
async fn oxmq_router_zmqrs_dealers(we_bind: bool, t: Transport) {
    let ctx = format!("zmq.rs DEALERs → oxmq ROUTER oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let router = Router::with_options(opts());
    let mut dealers = Vec::new();
    let mut cleanups = Vec::new();
    for id in IDS {
        let mut o = zeromq::SocketOptions::default();
        o.peer_identity(id.to_vec().try_into().expect("identity"));
        let mut d = DealerSocket::with_options(o);
        cleanups.push(
            link(
                t,
                we_bind,
                |e| router.bind(e),
                |e| router.connect(e),
                &mut d,
            )
            .await,
        );
        dealers.push(d);
    }
    for i in 0..ROUNDS {
        for (k, d) in dealers.iter_mut().enumerate() {
            guard(ctx, d.send(zmsg(&frames_for(i, request_tag(k)))))
                .await
                .unwrap_or_else(|e| panic!("{ctx}: zmq.rs DEALER {k} send {i}: {e}"));
        }
    }
    let mut next = [0; 2];
    for _ in 0..ROUNDS * IDS.len() {
        let got = guard(ctx, router.recv())
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq ROUTER recv: {e}"));
        let reply = answer(ctx, &mut next, got.into_frames());
        guard(ctx, router.send(Message::from_frames(reply)))
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq ROUTER send: {e}"));
    }
    for (k, d) in dealers.iter_mut().enumerate() {
        let c = format!("{ctx} reply to {k}");
        for i in 0..ROUNDS {
            let got = guard(&c, d.recv())
                .await
                .unwrap_or_else(|e| panic!("{c}: zmq.rs DEALER recv {i}: {e}"));
            check_frames(&c, i, &got.into_vec(), &frames_for(i, reply_tag(k)));
        }
    }
}

/// Two oxmq DEALERs with `routing_id` → zmq.rs ROUTER, replies routed back.
async fn zmqrs_router_oxmq_dealers(we_bind: bool, t: Transport) {
    let ctx = format!("oxmq DEALERs → zmq.rs ROUTER oxmq-binds={we_bind} {t:?}");
    let ctx = ctx.as_str();
    let mut router = RouterSocket::new();
    let dealers: Vec<Dealer> = IDS
        .iter()
        .map(|id| Dealer::with_options(opts().routing_id(Some(Bytes::from_static(id)))))
        .collect();
    let mut cleanups = Vec::new();
    for d in &dealers {
        cleanups.push(link(t, we_bind, |e| d.bind(e), |e| d.connect(e), &mut router).await);
    }
    for i in 0..ROUNDS {
        for (k, d) in dealers.iter().enumerate() {
            guard(
                ctx,
                d.send(Message::from_frames(frames_for(i, request_tag(k)))),
            )
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq DEALER {k} send {i}: {e}"));
        }
    }
    let mut next = [0; 2];
    for _ in 0..ROUNDS * IDS.len() {
        let got = guard(ctx, router.recv())
            .await
            .unwrap_or_else(|e| panic!("{ctx}: zmq.rs ROUTER recv: {e}"));
        let reply = answer(ctx, &mut next, got.into_vec());
        guard(ctx, router.send(zmsg(&reply)))
            .await
            .unwrap_or_else(|e| panic!("{ctx}: zmq.rs ROUTER send: {e}"));
    }
    for (k, d) in dealers.iter().enumerate() {
        let c = format!("{ctx} reply to {k}");
        for i in 0..ROUNDS {
            let got = guard(&c, d.recv())
                .await
                .unwrap_or_else(|e| panic!("{c}: oxmq DEALER recv {i}: {e}"));
            check_frames(&c, i, got.frames(), &frames_for(i, reply_tag(k)));
        }
    }
}

matrix! {
    oxmq_router_zmqrs_dealers() => [
        dealer_router_oxmq_router_binds_tcp,
        dealer_router_oxmq_router_binds_ipc,
        dealer_router_oxmq_router_connects_tcp,
        dealer_router_oxmq_router_connects_ipc
    ];
    zmqrs_router_oxmq_dealers() => [
        dealer_router_oxmq_dealers_bind_tcp,
        dealer_router_oxmq_dealers_bind_ipc,
        dealer_router_oxmq_dealers_connect_tcp,
        dealer_router_oxmq_dealers_connect_ipc
    ];
}
