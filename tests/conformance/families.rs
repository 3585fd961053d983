//! What each socket family must do (SPEC §5), written once for every
//! transport: messages arrive whole and in order per peer, with the hub
//! of each case binding or connecting, multipart where the family allows
//! it, subscriptions filtering, REQ/REP alternation, ROUTER identity
//! frames, and PAIR exclusivity.
//!
//! Most cases join one hub socket with two spokes ([`star`]): either the
//! hub binds one endpoint and the spokes connect to it, or every spoke
//! binds and the hub connects to each.

use super::support::payloads::{check_frames, frames_bytes, payload, SIZES};
use super::support::{wait_event, Transport, GUARD};
use super::{opts, u32_at};
use bytes::Bytes;
use oxmq::{
    Client, Dealer, DisconnectReason, Error, Message, Pair, Pub, Pull, Push, RecvSocket, Rep, Req,
    Router, SendSocket, Server, Socket, SocketEvent, StateError, Sub, XPub, XSub,
};
use std::collections::{HashMap, HashSet};
use std::thread;
use std::time::{Duration, Instant};

/// Messages per peer and direction: 6 × 7 covers every first-frame size
/// of `payloads::SIZES` (up to 1 MiB) with one and with three frames.
const ROUNDS: usize = 42;

/// Who binds in a case: the hub (one endpoint, the spokes connect) or the
/// spokes (one endpoint each, the hub connects to all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binds {
    Hub,
    Spokes,
}

/// Joins `hub` with every spoke (as `binds` says) and returns once the hub
/// has each of them as a peer: `HandshakeSucceeded` on its monitor, which
/// every transport reports once the peer is in the socket's routing
/// (SPEC §6.6), so the hub's counters already list every spoke.
fn star<H: Socket, S: Socket>(t: Transport, binds: Binds, hub: &H, spokes: &[S]) {
    let events = hub.monitor();
    match binds {
        Binds::Hub => {
            let ep = hub.bind(&(t.ep)()).unwrap();
            for s in spokes {
                s.connect(&ep).unwrap();
            }
        }
        Binds::Spokes => {
            for s in spokes {
                let ep = s.bind(&(t.ep)()).unwrap();
                hub.connect(&ep).unwrap();
            }
        }
    }
    for k in 0..spokes.len() {
        wait_event(&events, &format!("spoke {k} joined the hub"), |e| {
            matches!(e, SocketEvent::HandshakeSucceeded { .. })
        });
    }
    assert_eq!(
        hub.stats().peers.len(),
        spokes.len(),
        "a peer reported joined is routable"
    );
}

#[track_caller]
fn send<S: SendSocket<Item = Message>>(s: &S, m: Message, ctx: &str) {
    s.blocking_send(m)
        .unwrap_or_else(|e| panic!("{ctx}: send: {e}"));
}

#[track_caller]
fn recv<R: RecvSocket<Item = Message>>(r: &R, ctx: &str) -> Message {
    r.blocking_recv()
        .unwrap_or_else(|e| panic!("{ctx}: recv: {e}"))
}

/// Nothing more is queued.
#[track_caller]
fn drained<R: RecvSocket>(r: &R, ctx: &str) {
    assert!(
        matches!(r.try_recv(), Err(Error::WouldBlock)),
        "{ctx}: more than expected arrived"
    );
}

#[track_caller]
fn assert_state<T: std::fmt::Debug>(r: Result<T, Error>, want: StateError, what: &str) {
    match r {
        Err(Error::State(got)) => assert_eq!(got, want, "{what}"),
        other => panic!("{what}: expected State({want:?}), got {other:?}"),
    }
}

/// Message `i` of stream `tag` (`payloads::frames_for`: 1 or 3 frames).
fn stream_msg(i: usize, tag: u8) -> Message {
    Message::from_frames(frames_bytes(i, tag))
}

/// A frame naming peer `k` and message `i`, put in front of bodies that
/// must say where they come from.
fn tag_frame(k: usize, i: usize) -> Bytes {
    let mut v = vec![k as u8];
    v.extend_from_slice(&(i as u32).to_le_bytes());
    Bytes::from(v)
}

fn untag(f: &[u8]) -> (usize, usize) {
    assert_eq!(f.len(), 5, "tag frame");
    (f[0] as usize, u32_at(f, 1) as usize)
}

/// `[tag(k, i)]` followed by message `i` of stream `tag`.
fn tagged_msg(k: usize, i: usize, tag: u8) -> Message {
    let mut frames = vec![tag_frame(k, i)];
    frames.extend(frames_bytes(i, tag));
    Message::from_frames(frames)
}

/// Checks a received [`tagged_msg`] of stream `tag(k)` against what `next`
/// expects from its peer, and returns that peer.
fn check_tagged(ctx: &str, m: &Message, next: &mut [usize], tag: impl Fn(usize) -> u8) -> usize {
    let (k, i) = untag(&m.frames()[0]);
    assert!(k < next.len(), "{ctx}: tag of an unknown peer {k}");
    assert_eq!(i, next[k], "{ctx}: peer {k}: lost or reordered");
    check_frames(
        &format!("{ctx} from {k}"),
        i,
        &m.frames()[1..],
        &frames_bytes(i, tag(k)),
    );
    next[k] += 1;
    k
}

// ----- CLIENT / SERVER (§5.3) -------------------------------------------------

/// Client `k`'s single-frame message `i`: `[k][i (4 bytes)]` and a payload
/// of `SIZES[i % 6]` bytes.
fn single(k: usize, i: usize, tag: u8) -> Bytes {
    let mut v = tag_frame(k, i).to_vec();
    v.extend(payload(i, tag + k as u8, 0, SIZES[i % SIZES.len()]));
    Bytes::from(v)
}

/// Three clients and a server: each client's requests arrive in order
/// under one routing id of its own, and each reply addressed with that id
/// reaches that client, in order.
pub fn client_server(t: Transport, binds: Binds) {
    let ctx = format!("CLIENT/SERVER over {}, {binds:?} bind", t.name);
    let server = Server::with_options(opts());
    let clients: Vec<Client> = (0..3).map(|_| Client::with_options(opts())).collect();
    star(t, binds, &server, &clients);
    for i in 0..ROUNDS {
        for (k, c) in clients.iter().enumerate() {
            c.blocking_send(single(k, i, 10))
                .unwrap_or_else(|e| panic!("{ctx}: client {k} send {i}: {e}"));
        }
    }
    let mut ids = HashMap::new();
    let mut next = [0usize; 3];
    for _ in 0..3 * ROUNDS {
        let (id, body) = server.blocking_recv().unwrap();
        let (k, i) = untag(&body[..5]);
        assert_eq!(i, next[k], "{ctx}: client {k}: lost or reordered");
        check_frames(&ctx, i, &[body], &[single(k, i, 10)]);
        assert_eq!(
            *ids.entry(k).or_insert(id),
            id,
            "{ctx}: client {k} changed routing id"
        );
        next[k] += 1;
        server.blocking_send(id, single(k, i, 20)).unwrap();
    }
    let distinct: HashSet<_> = ids.values().collect();
    assert_eq!(distinct.len(), 3, "{ctx}: one routing id per client");
    drained(&server, &ctx);
    for (k, c) in clients.iter().enumerate() {
        for i in 0..ROUNDS {
            let got = c.blocking_recv().unwrap();
            check_frames(
                &format!("{ctx} reply to {k}"),
                i,
                &[got],
                &[single(k, i, 20)],
            );
        }
        drained(c, &ctx);
    }
}

// ----- PUSH / PULL (§5.2, §5.4) -------------------------------------------------

/// Receives the `n` messages of stream `tag` that were sent round-robin
/// to `receivers`: each gets every `receivers.len()`-th message, whole and
/// in order, starting at a different one of the first messages (which
/// peer took message 0 is not specified).
fn round_robin_received<R: RecvSocket<Item = Message>>(
    ctx: &str,
    receivers: &[R],
    n: usize,
    tag: u8,
) {
    let peers = receivers.len();
    let mut starts = Vec::new();
    for (k, r) in receivers.iter().enumerate() {
        let ctx = format!("{ctx} at receiver {k}");
        let first = recv(r, &ctx);
        let start = (0..peers)
            .find(|&c| frames_bytes(c, tag) == first.frames())
            .unwrap_or_else(|| panic!("{ctx}: the first message is none of the first {peers}"));
        assert!(!starts.contains(&start), "{ctx}: message {start} twice");
        starts.push(start);
        for j in 1..n / peers {
            let i = start + j * peers;
            check_frames(&ctx, i, recv(r, &ctx).frames(), &frames_bytes(i, tag));
        }
        drained(r, &ctx);
    }
}

/// A PUSH and two PULLs: the messages go round-robin, one to each in turn,
/// whole (multipart) and in order.
pub fn push_pull(t: Transport, binds: Binds) {
    let ctx = format!("PUSH/PULL over {}, {binds:?} bind", t.name);
    let push = Push::with_options(opts());
    let pulls: Vec<Pull> = (0..2).map(|_| Pull::with_options(opts())).collect();
    star(t, binds, &push, &pulls);
    for i in 0..2 * ROUNDS {
        send(&push, stream_msg(i, 1), &ctx);
    }
    round_robin_received(&ctx, &pulls, 2 * ROUNDS, 1);
}

// ----- PUB / SUB (§5.5) -------------------------------------------------------

const TOPICS: [&str; 4] = ["alpha", "alps", "beta", "gamma"];

/// Message `i` of phase `phase`, on `TOPICS[i % 4]`: the first frame
/// starts with the topic; every 7th message has 3 frames.
fn topic_msg(phase: u8, i: usize) -> (&'static str, Message) {
    let topic = TOPICS[i % TOPICS.len()];
    let mut first = format!("{topic}:{phase}:{i}:").into_bytes();
    first.extend(payload(i, phase, 0, SIZES[i % 5]));
    let mut frames = vec![Bytes::from(first)];
    if i % 7 == 3 {
        frames.push(Bytes::new());
        frames.push(Bytes::from(payload(i, phase, 2, 255)));
    }
    (topic, Message::from_frames(frames))
}

/// Publishes "sync" (pacing by a millisecond) until every subscriber has
/// received one: their subscriptions, all sent before "sync", have
/// reached the publisher. Bounded by `GUARD`.
fn sync_subscribers<P: SendSocket<Item = Message>, S: RecvSocket<Item = Message>>(
    ctx: &str,
    publisher: &P,
    subs: &[S],
) {
    let deadline = Instant::now() + GUARD;
    let mut synced = vec![false; subs.len()];
    while synced.contains(&false) {
        assert!(
            Instant::now() < deadline,
            "{ctx}: subscriptions did not reach the publisher within {GUARD:?}"
        );
        send(publisher, Message::from("sync"), ctx);
        for (s, done) in subs.iter().zip(&mut synced) {
            match s.try_recv() {
                Ok(m) => {
                    assert_eq!(m, Message::from("sync"), "{ctx}: before the sync marker");
                    *done = true;
                }
                Err(Error::WouldBlock) => {}
                Err(e) => panic!("{ctx}: {e}"),
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Publishes one phase and checks that each subscriber gets exactly the
/// messages whose topic one of its prefixes in `wants` matches, once, in
/// order, whole; leftover "sync" markers may come first.
fn publish_phase<P: SendSocket<Item = Message>, S: RecvSocket<Item = Message>>(
    ctx: &str,
    publisher: &P,
    subs: &[S],
    phase: u8,
    wants: &[&[&str]],
) {
    for i in 0..ROUNDS {
        send(publisher, topic_msg(phase, i).1, ctx);
    }
    for (k, (s, prefixes)) in subs.iter().zip(wants).enumerate() {
        let ctx = format!("{ctx} phase {phase} subscriber {k}");
        let mut started = false;
        for i in 0..ROUNDS {
            let (topic, want) = topic_msg(phase, i);
            if !prefixes.iter().any(|p| topic.starts_with(p)) {
                continue;
            }
            let got = loop {
                let m = recv(s, &ctx);
                if started || m != Message::from("sync") {
                    break m;
                }
            };
            started = true;
            check_frames(&ctx, i, got.frames(), want.frames());
        }
    }
    for s in subs {
        drained(s, ctx);
    }
}

/// A PUB and two SUBs: each gets what its subscriptions match (prefixes of
/// the first frame; twice matched, once delivered), in order, whole; after
/// unsubscribing a SUB gets nothing more of those topics.
pub fn pub_sub(t: Transport, binds: Binds) {
    let ctx = format!("PUB/SUB over {}, {binds:?} bind", t.name);
    let publisher = Pub::with_options(opts());
    let subs: Vec<Sub> = (0..2).map(|_| Sub::with_options(opts())).collect();
    star(t, binds, &publisher, &subs);
    subs[0].subscribe("alpha").unwrap();
    for topic in ["al", "alp", "beta"] {
        subs[1].subscribe(topic).unwrap();
    }
    for s in &subs {
        s.subscribe("sync").unwrap();
    }
    sync_subscribers(&ctx, &publisher, &subs);
    publish_phase(&ctx, &publisher, &subs, 1, &[&["alpha"], &["al", "beta"]]);
    // A SUB filters by its own current subscriptions too (SPEC §5.5):
    // from the unsubscribe on, nothing of those topics is delivered, even
    // before the cancel reaches the publisher.
    subs[1].unsubscribe("al").unwrap();
    subs[1].unsubscribe("alp").unwrap();
    publish_phase(&ctx, &publisher, &subs, 2, &[&["alpha"], &["beta"]]);
}

// ----- XPUB / XSUB (§5.5) -----------------------------------------------------

fn sub_msg(flag: u8, topic: &str) -> Message {
    Message::from([&[flag], topic.as_bytes()].concat())
}

/// An XPUB and two XSUBs: the XPUB hands over the first subscription of a
/// topic and the last cancel, in order with the XSUBs' other (upstream)
/// messages, which arrive whole; a multipart message starting with 1 is
/// data; each XSUB gets what it subscribed to.
pub fn xpub_xsub(t: Transport, binds: Binds) {
    let ctx = format!("XPUB/XSUB over {}, {binds:?} bind", t.name);
    let ctx = ctx.as_str();
    let xpub = XPub::with_options(opts());
    let xsubs: Vec<XSub> = (0..2).map(|_| XSub::with_options(opts())).collect();
    star(t, binds, &xpub, &xsubs);

    send(&xsubs[0], sub_msg(1, "alpha"), ctx);
    assert_eq!(recv(&xpub, ctx), sub_msg(1, "alpha"), "{ctx}");
    send(&xsubs[1], sub_msg(1, "beta"), ctx);
    assert_eq!(recv(&xpub, ctx), sub_msg(1, "beta"), "{ctx}");
    // A second subscription to alpha is not handed over; the upstream
    // message after it (a multipart one that looks like a subscription)
    // comes next, once the subscription is in.
    send(&xsubs[1], sub_msg(1, "alpha"), ctx);
    let upstream = Message::from_frames(vec![
        Bytes::from_static(b"\x01gamma"),
        Bytes::from_static(b"is data"),
    ]);
    send(&xsubs[1], upstream.clone(), ctx);
    assert_eq!(recv(&xpub, ctx), upstream, "{ctx}: upstream message");
    publish_phase(ctx, &xpub, &xsubs, 1, &[&["alpha"], &["alpha", "beta"]]);

    // xsubs[0] still has alpha: xsubs[1]'s cancel is not handed over.
    send(&xsubs[1], sub_msg(0, "alpha"), ctx);
    let marker = stream_msg(5, 7);
    send(&xsubs[1], marker.clone(), ctx);
    assert_eq!(recv(&xpub, ctx), marker, "{ctx}: upstream marker");
    send(&xsubs[0], sub_msg(0, "alpha"), ctx);
    assert_eq!(recv(&xpub, ctx), sub_msg(0, "alpha"), "{ctx}: last cancel");
    drained(&xpub, ctx);
    publish_phase(ctx, &xpub, &xsubs, 2, &[&[], &["beta"]]);
}

// ----- REQ / REP and REQ / ROUTER (§5.6) -------------------------------------------

/// A REP and two REQs in lockstep: out-of-turn calls fail with the state
/// they violate; the REP sees each request's body (multipart, no envelope)
/// and its reply reaches the REQ that asked.
pub fn req_rep(t: Transport, binds: Binds) {
    let ctx = format!("REQ/REP over {}, {binds:?} bind", t.name);
    let ctx = ctx.as_str();
    let rep = Rep::with_options(opts());
    let reqs: Vec<Req> = (0..2).map(|_| Req::with_options(opts())).collect();
    star(t, binds, &rep, &reqs);
    assert_state(reqs[0].try_recv(), StateError::NoRequest, "REQ recv first");
    assert_state(
        rep.try_send(Message::from("x")).map_err(Error::from),
        StateError::NothingToAnswer,
        "REP send first",
    );
    let mut next = [0usize; 2];
    for i in 0..ROUNDS {
        for (k, req) in reqs.iter().enumerate() {
            send(req, tagged_msg(k, i, 10 + k as u8), ctx);
            assert_state(
                req.try_send(Message::from("again")).map_err(Error::from),
                StateError::ReplyPending,
                "REQ send twice",
            );
        }
        for _ in 0..reqs.len() {
            let m = recv(&rep, ctx);
            assert_state(rep.try_recv(), StateError::Unanswered, "REP recv twice");
            let k = check_tagged(ctx, &m, &mut next, |k| 10 + k as u8);
            send(&rep, tagged_msg(k, i, 20 + k as u8), ctx);
            assert_state(
                rep.try_send(Message::from("again")).map_err(Error::from),
                StateError::NothingToAnswer,
                "REP reply twice",
            );
        }
        for (k, req) in reqs.iter().enumerate() {
            let got = recv(req, ctx);
            check_frames(
                &format!("{ctx} reply to {k}"),
                i,
                got.frames(),
                tagged_msg(k, i, 20 + k as u8).frames(),
            );
        }
    }
    drained(&rep, ctx);
}

/// A ROUTER serving two REQs: each request arrives as `[identity][empty]
/// [body...]`, and the reply sent back under the identity reaches the REQ
/// that asked, without the envelope.
pub fn req_router(t: Transport, binds: Binds) {
    let ctx = format!("REQ/ROUTER over {}, {binds:?} bind", t.name);
    let ctx = ctx.as_str();
    let router = Router::with_options(opts());
    let reqs: Vec<Req> = (0..2).map(|_| Req::with_options(opts())).collect();
    star(t, binds, &router, &reqs);
    let mut next = [0usize; 2];
    let mut identities: HashMap<usize, Bytes> = HashMap::new();
    for i in 0..ROUNDS {
        for (k, req) in reqs.iter().enumerate() {
            send(req, tagged_msg(k, i, 10 + k as u8), ctx);
        }
        for _ in 0..reqs.len() {
            let m = recv(&router, ctx);
            let f = m.frames();
            assert!(
                f.len() >= 3,
                "{ctx}: [identity][empty][body...]: {} frames",
                f.len()
            );
            assert!(f[1].is_empty(), "{ctx}: the delimiter");
            let body = Message::from_frames(f[2..].to_vec());
            let k = check_tagged(ctx, &body, &mut next, |k| 10 + k as u8);
            let id = identities.entry(k).or_insert_with(|| f[0].clone());
            assert_eq!(*id, f[0], "{ctx}: REQ {k} changed identity");
            let mut reply = vec![f[0].clone(), Bytes::new()];
            reply.extend(tagged_msg(k, i, 20 + k as u8).into_frames());
            send(&router, Message::from_frames(reply), ctx);
        }
        for (k, req) in reqs.iter().enumerate() {
            let got = recv(req, ctx);
            check_frames(
                &format!("{ctx} reply to {k}"),
                i,
                got.frames(),
                tagged_msg(k, i, 20 + k as u8).frames(),
            );
        }
    }
    assert_ne!(identities[&0], identities[&1], "{ctx}: identities unique");
    drained(&router, ctx);
}

// ----- DEALER / ROUTER, DEALER / DEALER, DEALER / REP (§5.7) --------------------------

/// A ROUTER and two DEALERs, one with a `routing_id`, one without: the
/// ROUTER receives `[identity][frames...]` (the announced identity, or a
/// generated 5-byte one starting with 0), per dealer in order, and what it
/// sends to an identity reaches that dealer without it; to an unknown
/// identity it is dropped and counted.
pub fn dealer_router(t: Transport, binds: Binds) {
    let ctx = format!("DEALER/ROUTER over {}, {binds:?} bind", t.name);
    let ctx = ctx.as_str();
    let router = Router::with_options(opts());
    let dealers = vec![
        Dealer::with_options(opts().routing_id(Some(Bytes::from_static(b"left")))),
        Dealer::with_options(opts()),
    ];
    star(t, binds, &router, &dealers);
    for i in 0..ROUNDS {
        for (k, d) in dealers.iter().enumerate() {
            send(d, tagged_msg(k, i, 10 + k as u8), ctx);
        }
    }
    let mut next = [0usize; 2];
    let mut generated = None;
    for _ in 0..2 * ROUNDS {
        let m = recv(&router, ctx);
        let f = m.frames();
        let body = Message::from_frames(f[1..].to_vec());
        let k = check_tagged(ctx, &body, &mut next, |k| 10 + k as u8);
        if k == 0 {
            assert_eq!(f[0], "left", "{ctx}: the announced identity");
        } else {
            assert_eq!(f[0].len(), 5, "{ctx}: generated identity {:02x?}", f[0]);
            assert_eq!(f[0][0], 0, "{ctx}: generated identity {:02x?}", f[0]);
            let id = generated.get_or_insert_with(|| f[0].clone());
            assert_eq!(*id, f[0], "{ctx}: generated identity changed");
        }
        let i = next[k] - 1;
        let mut reply = vec![f[0].clone()];
        reply.extend(stream_msg(i, 20 + k as u8).into_frames());
        send(&router, Message::from_frames(reply), ctx);
    }
    send(
        &router,
        Message::from_frames(vec![
            Bytes::from_static(b"nobody"),
            Bytes::from_static(b"x"),
        ]),
        ctx,
    );
    assert_eq!(
        router.stats().dropped_unroutable,
        1,
        "{ctx}: unknown identity"
    );
    for (k, d) in dealers.iter().enumerate() {
        for i in 0..ROUNDS {
            let got = recv(d, ctx);
            check_frames(
                &format!("{ctx} reply to {k}"),
                i,
                got.frames(),
                stream_msg(i, 20 + k as u8).frames(),
            );
        }
        drained(d, ctx);
    }
    drained(&router, ctx);
}

/// A DEALER and two DEALERs: the hub's messages go round-robin, the
/// spokes' are fair-queued to it, all whole and in order, with no envelope
/// handling (empty frames are frames like any other).
pub fn dealer_dealer(t: Transport, binds: Binds) {
    let ctx = format!("DEALER/DEALER over {}, {binds:?} bind", t.name);
    let ctx = ctx.as_str();
    let hub = Dealer::with_options(opts());
    let spokes: Vec<Dealer> = (0..2).map(|_| Dealer::with_options(opts())).collect();
    star(t, binds, &hub, &spokes);
    for i in 0..ROUNDS {
        for (k, s) in spokes.iter().enumerate() {
            send(s, tagged_msg(k, i, 10 + k as u8), ctx);
        }
    }
    for i in 0..2 * ROUNDS {
        send(&hub, stream_msg(i, 2), ctx);
    }
    let mut next = [0usize; 2];
    for _ in 0..2 * ROUNDS {
        check_tagged(ctx, &recv(&hub, ctx), &mut next, |k| 10 + k as u8);
    }
    drained(&hub, ctx);
    round_robin_received(ctx, &spokes, 2 * ROUNDS, 2);
}

/// A DEALER and two REPs: the DEALER writes the delimiter itself; its
/// requests go round-robin, each REP sees the body and its reply comes
/// back to the DEALER as `[empty][reply...]`.
pub fn dealer_rep(t: Transport, binds: Binds) {
    let ctx = format!("DEALER/REP over {}, {binds:?} bind", t.name);
    let ctx = ctx.as_str();
    let dealer = Dealer::with_options(opts());
    let reps: Vec<Rep> = (0..2).map(|_| Rep::with_options(opts())).collect();
    star(t, binds, &dealer, &reps);
    for i in 0..2 * ROUNDS {
        let mut m = tagged_msg(0, i, 3);
        m.push_front(Bytes::new());
        send(&dealer, m, ctx);
    }
    // Each REP answers what it got (in order: the round-robin check), and
    // the replies are fair-queued back.
    thread::scope(|s| {
        for (k, rep) in reps.iter().enumerate() {
            s.spawn(move || {
                for _ in 0..ROUNDS {
                    let m = recv(rep, ctx);
                    let mut reply = vec![tag_frame(k, 0)];
                    reply.extend(m.into_frames());
                    send(rep, Message::from_frames(reply), ctx);
                }
            });
        }
    });
    let mut taken: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..2 * ROUNDS {
        let m = recv(&dealer, ctx);
        let f = m.frames();
        assert!(f[0].is_empty(), "{ctx}: the delimiter comes back");
        let (k, _) = untag(&f[1]);
        // The request it answers, echoed whole.
        let (_, i) = untag(&f[2]);
        check_frames(
            &format!("{ctx} reply from {k}"),
            i,
            &f[3..],
            &frames_bytes(i, 3),
        );
        taken[k].push(i);
    }
    drained(&dealer, ctx);
    for (k, got) in taken.iter().enumerate() {
        assert_eq!(got.len(), ROUNDS, "{ctx}: REP {k} answered {got:?}");
        for w in got.windows(2) {
            assert_eq!(
                w[1],
                w[0] + 2,
                "{ctx}: REP {k}: not round-robin or out of order: {got:?}"
            );
        }
    }
}

// ----- PAIR (§5.8) ------------------------------------------------------------

/// A PAIR takes its first peer and refuses a second (whose messages never
/// arrive); the pair then talks both ways, whole and in order.
pub fn pair(t: Transport) {
    let ctx = format!("PAIR over {}", t.name);
    let ctx = ctx.as_str();
    let a = Pair::with_options(opts());
    let events = a.monitor();
    let ep = a.bind(&(t.ep)()).unwrap();
    let b = Pair::with_options(opts());
    b.connect(&ep).unwrap();
    wait_event(&events, "the first peer", |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    });
    let c = Pair::with_options(opts().linger(Some(Duration::ZERO)));
    c.connect(&ep).unwrap();
    if t.stream {
        c.blocking_send(Message::from("from c")).unwrap();
        wait_event(&events, "the refusal", |e| {
            matches!(
                e,
                SocketEvent::Disconnected {
                    reason: DisconnectReason::Refused,
                    ..
                }
            )
        });
    } else {
        // A refused inproc connector drops its peer: its sends then find
        // nobody (bounded wait for the refusal).
        let deadline = Instant::now() + GUARD;
        while c.try_send(Message::from("from c")).is_ok() {
            assert!(Instant::now() < deadline, "{ctx}: c never refused");
            thread::yield_now();
        }
    }
    for i in 0..ROUNDS {
        send(&a, stream_msg(i, 3), ctx);
        send(&b, stream_msg(i, 4), ctx);
    }
    for i in 0..ROUNDS {
        check_frames(ctx, i, recv(&b, ctx).frames(), stream_msg(i, 3).frames());
        check_frames(ctx, i, recv(&a, ctx).frames(), stream_msg(i, 4).frames());
    }
    drained(&a, ctx);
    drained(&b, ctx);
    drained(&c, ctx);
}
