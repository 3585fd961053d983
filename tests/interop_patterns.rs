//! Interoperability of the messaging-pattern sockets (SPEC §5.5-§5.8) with
//! libzmq 4.3.5 (through the dev-only `oxmq_interop` wrapper) and zmq.rs
//! (the `zeromq` crate, 0.7, on tokio).
//!
//! Every scenario is written once against [`Peer`], the interface both
//! sides of a connection offer (`foreign.rs`: oxmq sockets, and sockets of
//! another library made by a [`Library`]), and instantiated as a test per
//! library, transport and direction:
//! `libzmq::tcp::oxmq_binds::oxmq_req_to_rep`,
//! `zmqrs::ipc::oxmq_connects::pub_to_oxmq_sub`, ... Every frame is
//! compared byte for byte. Against libzmq oxmq is driven in its blocking
//! form, against zmq.rs in its async form.
//!
//! - PUB/SUB with several topics, a topic never subscribed, and a topic
//!   cancelled mid-stream: oxmq PUB → foreign SUB, oxmq PUB → foreign XSUB
//!   (libzmq's does not filter what it receives, nor does zmq.rs's SUB, so
//!   they see whether the oxmq PUB honours the cancel), foreign PUB → oxmq
//!   SUB.
//! - XPUB/XSUB subscription messages: oxmq XPUB sees `\x01topic` and
//!   `\x00topic` from a foreign SUB and XSUB (from libzmq as ZMTP 3.1
//!   SUBSCRIBE / CANCEL commands or as messages, from zmq.rs, which greets
//!   as ZMTP 3.0, as messages), and a foreign XPUB sees what an oxmq SUB
//!   and XSUB send (to libzmq as commands, so the command path is checked
//!   against libzmq only; to zmq.rs as messages), including that a
//!   twice-subscribed topic is cancelled only by the second unsubscribe.
//! - REQ/REP both ways with multipart bodies (1 and 3 frames, first frames
//!   of 0 bytes to 1 MiB).
//! - DEALER/ROUTER both ways with two dealers that set explicit identities:
//!   the ROUTER sees `[identity, ...]` and its replies are routed back.
//! - PAIR both ways, against libzmq only (zmq.rs 0.7 has no PAIR).
//!
//! Subscriptions travel asynchronously: where the test cannot observe their
//! arrival, it publishes in a bounded loop until the subscriber sees a
//! marker (at most `SYNC`). Every wait is bounded (30 s hang guard).

#[path = "interop_patterns/foreign.rs"]
mod foreign;
mod support;

use bytes::Bytes;
use foreign::{Foreign, Kind, Library, Libzmq, Ox, Peer, ZmqRs, POLL, TIMEOUT};
use std::time::{Duration, Instant};
use support::payloads::{check_frames, frames_bytes as frames_for, payload, SIZES};

/// Deadline for a subscription to reach a publisher.
const SYNC: Duration = Duration::from_secs(10);
/// Messages per direction in REQ/REP, DEALER/ROUTER and PAIR scenarios:
/// 6 × 7 covers every first-frame size with 1 and 3 frames.
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

/// One scenario run: the library, the transport, and whether oxmq binds.
struct Run<'a> {
    lib: &'a dyn Library,
    t: Transport,
    we_bind: bool,
}

impl Run<'_> {
    fn ctx(&self, what: &str) -> String {
        format!(
            "{what} ({}, oxmq-binds={}, {:?})",
            self.lib.name(),
            self.we_bind,
            self.t
        )
    }

    fn ox(&self, kind: Kind) -> Ox {
        Ox::new(kind, &self.lib.form())
    }

    fn theirs(&self, kind: Kind) -> Box<dyn Foreign> {
        self.lib.socket(kind, None)
    }

    /// Connects `ours` and `theirs`: oxmq binds if `we_bind`, else the
    /// other library does.
    fn link(&self, ours: &Ox, theirs: &dyn Foreign) -> IpcCleanup {
        let (ep, cleanup) = bind_endpoint(self.t);
        if self.we_bind {
            theirs.connect(&ours.bind(&ep));
        } else {
            ours.connect(&theirs.bind(&ep));
            theirs.accepted();
        }
        cleanup
    }
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

// ---------------------------------------------------------------------------
// PUB / SUB

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
///
/// It first checks for one poll round that nothing arrives (nothing is
/// published), which also lets the subscription changes just made reach
/// an idle publisher: zmq.rs 0.7's PUB can deadlock when a subscription
/// message arrives while it fans a message out (its receive task blocks
/// on a map entry its fan-out task holds across an await).
fn publish_until_marker(
    ctx: &str,
    p: &dyn Peer,
    s: &dyn Peer,
    topic: &str,
    before: Option<&dyn Fn(usize) -> Vec<Bytes>>,
) {
    if let Some(m) = s.recv_within(ctx, POLL) {
        panic!("{ctx}: received {} with nothing published", show(&m));
    }
    let deadline = Instant::now() + SYNC;
    let mut k = 0;
    loop {
        if let Some(before) = before {
            p.send(ctx, &before(k));
        }
        p.send(ctx, &marker(topic, k));
        k += 1;
        while let Some(m) = s.recv_within(ctx, POLL) {
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
/// order, frame by frame, after any `skip` markers still in flight; then
/// publishes an end marker on `subscribed[0]` and checks that it comes
/// next (so nothing unsubscribed from the stream's tail came through, and
/// the publisher has handled the whole stream when this returns).
fn check_stream(ctx: &str, p: &dyn Peer, s: &dyn Peer, phase: u8, subscribed: &[&str], skip: &str) {
    let mut expected = Vec::new();
    for i in 0..STREAM {
        let topic = TOPICS[i % TOPICS.len()];
        let m = stream_msg(topic, phase, i);
        p.send(ctx, &m);
        if subscribed.contains(&topic) {
            expected.push((topic, i, m));
        }
    }
    let mut started = false;
    let mut n = 0;
    while n < expected.len() {
        let (topic, i, want) = &expected[n];
        let got = s.recv_within(ctx, TIMEOUT).unwrap_or_else(|| {
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
    let end = vec![Bytes::from(format!("{}-end:{phase}", subscribed[0]))];
    p.send(ctx, &end);
    let got = s.recv_within(ctx, TIMEOUT).unwrap_or_else(|| {
        panic!("{ctx}: phase {phase}: end marker not received within {TIMEOUT:?}")
    });
    assert!(
        got == end,
        "{ctx}: phase {phase}: {} where the end marker should come",
        show(&got)
    );
}

/// The PUB/SUB flow: subscribe alpha, beta, gamma; wait until they reach
/// the publisher; stream (zeta never subscribed); cancel beta and
/// subscribe delta; publish beta messages and delta markers until a marker
/// arrives (beta messages may come before it, when published before the
/// cancel reached the publisher, but never after); stream again.
fn pub_sub_flow(ctx: &str, p: &dyn Peer, s: &dyn Peer) {
    for t in ["alpha", "beta", "gamma"] {
        s.subscribe(t);
    }
    // gamma, subscribed last, is in: so are the others (one connection).
    publish_until_marker(ctx, p, s, "gamma", None);
    check_stream(ctx, p, s, 1, &["alpha", "beta", "gamma"], "gamma");

    s.unsubscribe("beta");
    s.subscribe("delta");
    let beta = |k: usize| vec![Bytes::from(format!("beta-after-cancel:{k}"))];
    publish_until_marker(ctx, p, s, "delta", Some(&beta));
    check_stream(ctx, p, s, 2, &["alpha", "gamma", "delta"], "delta");
}

/// oxmq PUB → foreign SUB or XSUB.
fn oxmq_pub_to(r: &Run, kind: Kind) {
    let ctx = r.ctx(&format!("oxmq PUB → {kind:?}"));
    let publisher = r.ox(Kind::Pub);
    let sub = r.theirs(kind);
    let _c = r.link(&publisher, &*sub);
    pub_sub_flow(&ctx, &publisher, &*sub);
}

fn oxmq_pub_to_sub(r: &Run) {
    oxmq_pub_to(r, Kind::Sub)
}

fn oxmq_pub_to_xsub(r: &Run) {
    oxmq_pub_to(r, Kind::XSub)
}

/// Foreign PUB → oxmq SUB.
fn pub_to_oxmq_sub(r: &Run) {
    let ctx = r.ctx("PUB → oxmq SUB");
    let publisher = r.theirs(Kind::Pub);
    let sub = r.ox(Kind::Sub);
    let _c = r.link(&sub, &*publisher);
    pub_sub_flow(&ctx, &*publisher, &sub);
}

// ---------------------------------------------------------------------------
// XPUB / XSUB subscription messages

fn data(topic: &str, i: usize) -> Vec<Bytes> {
    stream_msg(topic, 9, i)
}

use foreign::sub_msg;

/// oxmq XPUB with a foreign SUB or XSUB: the XPUB receives `\x01topic` for
/// each new subscription and `\x00topic` for the cancel, and publishes by
/// them (libzmq's XSUB and zmq.rs's subscribers do not filter, so this
/// checks the XPUB).
fn oxmq_xpub_with(r: &Run, kind: Kind) {
    let ctx = r.ctx(&format!("oxmq XPUB / {kind:?}"));
    let ctx = ctx.as_str();
    let xpub = r.ox(Kind::XPub);
    let sub = r.theirs(kind);
    let _c = r.link(&xpub, &*sub);
    // A bound libzmq SUB attaches an accepted connection, and only then
    // sends it its subscriptions, when the application next calls it
    // (SPEC §5.5). So while the XPUB waits, the subscriber is called
    // between polls.
    let xrecv = || {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            sub.poke();
            if let Some(m) = xpub.recv_within(ctx, POLL) {
                return m;
            }
            assert!(Instant::now() < deadline, "{ctx}: XPUB got nothing");
        }
    };

    sub.subscribe("alpha");
    sub.subscribe("beta");
    check_frames(ctx, 0, &xrecv(), &sub_msg(1, "alpha"));
    check_frames(ctx, 1, &xrecv(), &sub_msg(1, "beta"));
    // Both subscriptions are in the XPUB now: no loop needed.
    xpub.send(ctx, &data("alpha", 3));
    check_frames(ctx, 3, &sub.recv(ctx), &data("alpha", 3));
    xpub.send(ctx, &data("beta", 4));
    check_frames(ctx, 4, &sub.recv(ctx), &data("beta", 4));

    sub.unsubscribe("alpha");
    check_frames(ctx, 5, &xrecv(), &sub_msg(0, "alpha"));
    // alpha is cancelled in the XPUB: only beta reaches the subscriber.
    xpub.send(ctx, &data("alpha", 6));
    xpub.send(ctx, &data("beta", 7));
    check_frames(ctx, 7, &sub.recv(ctx), &data("beta", 7));
}

fn oxmq_xpub_with_sub(r: &Run) {
    oxmq_xpub_with(r, Kind::Sub)
}

fn oxmq_xpub_with_xsub(r: &Run) {
    oxmq_xpub_with(r, Kind::XSub)
}

/// Foreign XPUB with an oxmq SUB or XSUB: the XPUB receives the oxmq
/// subscriptions and publishes by them; a topic subscribed twice is
/// cancelled only by the second unsubscribe (the counting happens in the
/// oxmq subscriber, which sends no cancel for the first).
///
/// libzmq's XPUB does not pass on a repeated subscription. zmq.rs's XPUB
/// passes on every one and counts repeats, so it keeps sending a
/// twice-subscribed topic after one cancel: the oxmq SUB/XSUB filter drops
/// those. zmq.rs's XPUB takes a subscription into account when the
/// application receives it: each is received before publishing by it.
fn xpub_with_oxmq(r: &Run, kind: Kind) {
    let ctx = r.ctx(&format!("XPUB / oxmq {kind:?}"));
    let ctx = ctx.as_str();
    let xpub = r.theirs(Kind::XPub);
    let sub = r.ox(kind);
    let _c = r.link(&sub, &*xpub);

    sub.subscribe("alpha");
    sub.subscribe("beta");
    check_frames(ctx, 0, &xpub.recv(ctx), &sub_msg(1, "alpha"));
    check_frames(ctx, 1, &xpub.recv(ctx), &sub_msg(1, "beta"));
    xpub.send(ctx, &data("alpha", 2));
    check_frames(ctx, 2, &sub.recv(ctx), &data("alpha", 2));

    // alpha twice, then one cancel: the oxmq subscriber sends no cancel,
    // so the XPUB hears (the repeated alpha, if it passes repeats, then)
    // the gamma subscription.
    sub.subscribe("alpha");
    sub.unsubscribe("alpha");
    sub.subscribe("gamma");
    if r.lib.xpub_passes_repeats() {
        check_frames(ctx, 3, &xpub.recv(ctx), &sub_msg(1, "alpha"));
    }
    check_frames(ctx, 3, &xpub.recv(ctx), &sub_msg(1, "gamma"));
    xpub.send(ctx, &data("alpha", 4));
    check_frames(ctx, 4, &sub.recv(ctx), &data("alpha", 4));

    sub.unsubscribe("alpha");
    check_frames(ctx, 5, &xpub.recv(ctx), &sub_msg(0, "alpha"));
    // The oxmq subscriber no longer takes alpha.
    xpub.send(ctx, &data("alpha", 6));
    xpub.send(ctx, &data("gamma", 7));
    check_frames(ctx, 7, &sub.recv(ctx), &data("gamma", 7));
}

fn xpub_with_oxmq_sub(r: &Run) {
    xpub_with_oxmq(r, Kind::Sub)
}

fn xpub_with_oxmq_xsub(r: &Run) {
    xpub_with_oxmq(r, Kind::XSub)
}

// ---------------------------------------------------------------------------
// REQ / REP

/// `ROUNDS` multipart requests and replies in lockstep.
fn req_rep_flow(ctx: &str, req: &dyn Peer, rep: &dyn Peer) {
    for i in 0..ROUNDS {
        req.send(ctx, &frames_for(i, REQUEST));
        check_frames(ctx, i, &rep.recv(ctx), &frames_for(i, REQUEST));
        rep.send(ctx, &frames_for(i, REPLY));
        check_frames(ctx, i, &req.recv(ctx), &frames_for(i, REPLY));
    }
}

/// oxmq REQ → foreign REP.
fn oxmq_req_to_rep(r: &Run) {
    let ctx = r.ctx("oxmq REQ → REP");
    let req = r.ox(Kind::Req);
    let rep = r.theirs(Kind::Rep);
    let _c = r.link(&req, &*rep);
    req_rep_flow(&ctx, &req, &*rep);
}

/// Foreign REQ → oxmq REP.
fn req_to_oxmq_rep(r: &Run) {
    let ctx = r.ctx("REQ → oxmq REP");
    let rep = r.ox(Kind::Rep);
    let req = r.theirs(Kind::Req);
    let _c = r.link(&rep, &*req);
    req_rep_flow(&ctx, &*req, &rep);
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

/// Each dealer sends `ROUNDS` requests; the ROUTER receives them
/// (fair-queued, so interleaved in any order but in order per dealer),
/// checks the identity frame and the body, and replies to each through
/// its identity; each dealer then gets its replies, in order.
fn dealers_router_flow(ctx: &str, router: &dyn Peer, dealers: &[&dyn Peer]) {
    for i in 0..ROUNDS {
        for (k, d) in dealers.iter().enumerate() {
            d.send(ctx, &frames_for(i, request_tag(k)));
        }
    }
    let mut next = [0usize; 2];
    for _ in 0..ROUNDS * IDS.len() {
        let got = router.recv(ctx);
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
        let mut reply = vec![Bytes::from_static(IDS[k])];
        reply.extend(frames_for(i, reply_tag(k)));
        router.send(ctx, &reply);
        next[k] += 1;
    }
    for (k, d) in dealers.iter().enumerate() {
        let c = format!("{ctx} reply to {k}");
        for i in 0..ROUNDS {
            check_frames(&c, i, &d.recv(&c), &frames_for(i, reply_tag(k)));
        }
    }
}

/// Two foreign DEALERs with identities → oxmq ROUTER.
fn dealers_to_oxmq_router(r: &Run) {
    let ctx = r.ctx("DEALERs → oxmq ROUTER");
    let router = r.ox(Kind::Router);
    let dealers: Vec<Box<dyn Foreign>> = IDS
        .iter()
        .map(|id| r.lib.socket(Kind::Dealer, Some(id)))
        .collect();
    let _c: Vec<IpcCleanup> = dealers.iter().map(|d| r.link(&router, &**d)).collect();
    let peers: Vec<&dyn Peer> = dealers.iter().map(|d| &**d as &dyn Peer).collect();
    dealers_router_flow(&ctx, &router, &peers);
}

/// Two oxmq DEALERs with `routing_id` → foreign ROUTER (libzmq's with
/// `ROUTER_MANDATORY`).
fn oxmq_dealers_to_router(r: &Run) {
    let ctx = r.ctx("oxmq DEALERs → ROUTER");
    let router = r.theirs(Kind::Router);
    let dealers: Vec<Ox> = IDS
        .iter()
        .map(|id| {
            let o = foreign::ox_opts().routing_id(Some(Bytes::from_static(id)));
            Ox::with_options(Kind::Dealer, &r.lib.form(), o)
        })
        .collect();
    let _c: Vec<IpcCleanup> = dealers.iter().map(|d| r.link(d, &*router)).collect();
    let peers: Vec<&dyn Peer> = dealers.iter().map(|d| d as &dyn Peer).collect();
    dealers_router_flow(&ctx, &*router, &peers);
}

// ---------------------------------------------------------------------------
// PAIR

/// oxmq PAIR ↔ foreign PAIR: `ROUNDS` messages each way.
fn pair(r: &Run) {
    let ctx = r.ctx("PAIR");
    let ctx = ctx.as_str();
    let ours = r.ox(Kind::Pair);
    let theirs = r.theirs(Kind::Pair);
    let _c = r.link(&ours, &*theirs);
    for i in 0..ROUNDS {
        ours.send(ctx, &frames_for(i, TO_PEER));
        theirs.send(ctx, &frames_for(i, FROM_PEER));
    }
    for i in 0..ROUNDS {
        check_frames(ctx, i, &theirs.recv(ctx), &frames_for(i, TO_PEER));
        check_frames(ctx, i, &ours.recv(ctx), &frames_for(i, FROM_PEER));
    }
}

// ---------------------------------------------------------------------------
// Instantiation: per library, transport and direction

/// Runs `scenario` against a new instance of the library.
fn run(lib: &dyn Library, t: Transport, we_bind: bool, scenario: fn(&Run)) {
    scenario(&Run { lib, t, we_bind });
}

macro_rules! direction {
    ($dir:ident, $we_bind:expr, $t:expr, $lib:expr, [$($case:ident),*]) => {
        mod $dir {
            $(
                #[test]
                fn $case() {
                    crate::run(&$lib, $t, $we_bind, crate::$case)
                }
            )*
        }
    };
}

macro_rules! transport {
    ($name:ident, $t:expr, $lib:expr, $cases:tt) => {
        mod $name {
            direction!(oxmq_binds, true, $t, $lib, $cases);
            direction!(oxmq_connects, false, $t, $lib, $cases);
        }
    };
}

macro_rules! library {
    ($name:ident = $lib:expr, $cases:tt) => {
        mod $name {
            transport!(tcp, crate::Transport::Tcp, $lib, $cases);
            transport!(ipc, crate::Transport::Ipc, $lib, $cases);
        }
    };
}

library!(
    libzmq = crate::Libzmq::new(),
    [
        oxmq_pub_to_sub,
        oxmq_pub_to_xsub,
        pub_to_oxmq_sub,
        oxmq_xpub_with_sub,
        oxmq_xpub_with_xsub,
        xpub_with_oxmq_sub,
        xpub_with_oxmq_xsub,
        oxmq_req_to_rep,
        req_to_oxmq_rep,
        dealers_to_oxmq_router,
        oxmq_dealers_to_router,
        pair
    ]
);

// zmq.rs 0.7 has no PAIR.
library!(
    zmqrs = crate::ZmqRs::new(),
    [
        oxmq_pub_to_sub,
        oxmq_pub_to_xsub,
        pub_to_oxmq_sub,
        oxmq_xpub_with_sub,
        oxmq_xpub_with_xsub,
        xpub_with_oxmq_sub,
        xpub_with_oxmq_xsub,
        oxmq_req_to_rep,
        req_to_oxmq_rep,
        dealers_to_oxmq_router,
        oxmq_dealers_to_router
    ]
);
