//! REQ, REP, DEALER and ROUTER (SPEC §5.6, §5.7): envelopes, strict
//! alternation and its relaxed and correlated forms, round-robin and
//! reply routing, identities (explicit, generated, duplicate), unroutable
//! and full peers, ROUTER to ROUTER.

mod support;

use bytes::Bytes;
use oxmq::{Dealer, Error, Message, Rep, Req, Router, SocketEvent, SocketOptions};
use std::thread;
use std::time::{Duration, Instant};
use support::{inproc_ep, wait_event, Transport, GUARD};

/// Options with `GUARD` as the hang guard of every blocking call.
fn opts() -> SocketOptions {
    SocketOptions::default()
        .sndtimeo(Some(GUARD))
        .rcvtimeo(Some(GUARD))
        .reconnect_ivl(Duration::from_millis(10))
}

fn id_opts(id: &'static str) -> SocketOptions {
    opts().routing_id(Some(Bytes::from_static(id.as_bytes())))
}

fn msg(frames: &[&[u8]]) -> Message {
    Message::from_frames(frames.iter().map(|f| Bytes::copy_from_slice(f)).collect())
}

fn frames(m: &Message) -> Vec<Vec<u8>> {
    m.frames().iter().map(|f| f.to_vec()).collect()
}

// ----- REQ / REP ------------------------------------------------------------

fn req_rep_echo_keeps_multipart_bodies(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let rep = Rep::with_options(opts());
    let ep = rep.bind(&ep()).unwrap();
    let req = Req::with_options(opts());
    req.connect(&ep).unwrap();
    for i in 0..5u8 {
        // Bodies of 1..3 frames, some empty, to check frame boundaries.
        let body = match i % 3 {
            0 => msg(&[&[i]]),
            1 => msg(&[b"head", b"", &[i]]),
            _ => msg(&[b"", &[i], b"tail"]),
        };
        req.blocking_send(body.clone()).unwrap();
        let got = rep.blocking_recv().unwrap();
        assert_eq!(got, body, "{name}: request {i}");
        let mut reply = got.clone();
        reply.push_back(Bytes::from_static(b"reply"));
        rep.blocking_send(reply.clone()).unwrap();
        assert_eq!(req.blocking_recv().unwrap(), reply, "{name}: reply {i}");
    }
    assert!(matches!(rep.try_recv(), Err(Error::WouldBlock)), "{name}");
}

async fn req_rep_async_and_cancelled_recv_loses_nothing(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let rep = Rep::with_options(opts());
    let ep = rep.bind(&ep()).unwrap();
    let req = Req::with_options(opts());
    req.connect(&ep).unwrap();
    req.send("q").await.unwrap();
    // A recv polled once with nothing to take, then dropped.
    {
        let f = req.recv();
        tokio::pin!(f);
        assert!(futures_poll_once(f.as_mut()).await.is_none(), "{name}");
    }
    assert_eq!(rep.recv().await.unwrap(), Message::from("q"), "{name}");
    rep.send("a").await.unwrap();
    // The request is still pending: this recv gets its reply.
    let r = tokio::time::timeout(GUARD, req.recv()).await.unwrap();
    assert_eq!(r.unwrap(), Message::from("a"), "{name}");
}

/// Polls a future once: its output if ready at once, else `None`.
async fn futures_poll_once<F: std::future::Future + Unpin>(mut f: F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

#[test]
fn out_of_turn_calls_fail_with_state() {
    let rep = Rep::with_options(opts());
    let ep = rep.bind(&inproc_ep()).unwrap();
    let req = Req::with_options(opts());
    req.connect(&ep).unwrap();

    assert!(matches!(req.try_recv(), Err(Error::State(_))));
    assert!(matches!(req.blocking_recv(), Err(Error::State(_))));
    assert!(matches!(
        rep.try_send("x").map_err(Error::from),
        Err(Error::State(_))
    ));
    assert!(matches!(
        rep.blocking_send("x").map_err(Error::from),
        Err(Error::State(_))
    ));

    req.blocking_send("one").unwrap();
    assert!(matches!(
        req.blocking_send("two").map_err(Error::from),
        Err(Error::State(_))
    ));
    assert!(matches!(
        req.try_send("two").map_err(Error::from),
        Err(Error::State(_))
    ));
    assert_eq!(rep.blocking_recv().unwrap(), Message::from("one"));
    // Twice without answering.
    assert!(matches!(rep.try_recv(), Err(Error::State(_))));
    assert!(matches!(rep.blocking_recv(), Err(Error::State(_))));
    rep.blocking_send("ans").unwrap();
    assert!(matches!(
        rep.try_send("again").map_err(Error::from),
        Err(Error::State(_))
    ));
    assert_eq!(req.blocking_recv().unwrap(), Message::from("ans"));
    assert!(matches!(req.try_recv(), Err(Error::State(_))));
    // And the cycle goes on.
    req.blocking_send("three").unwrap();
    assert_eq!(rep.blocking_recv().unwrap(), Message::from("three"));
}

fn rep_reply_to_departed_requester_is_dropped_and_counted(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let rep = Rep::with_options(opts());
    let ep = rep.bind(&ep()).unwrap();
    let mon = rep.monitor();
    let req = Req::with_options(opts().linger(Some(Duration::ZERO)));
    req.connect(&ep).unwrap();
    req.blocking_send("q").unwrap();
    assert_eq!(rep.blocking_recv().unwrap(), Message::from("q"));
    req.blocking_close();
    if name != "inproc" {
        wait_event(&mon, "disconnect", |e| {
            matches!(e, SocketEvent::Disconnected { .. })
        });
    }
    // inproc: closing the connector closed the pipes at once.
    rep.blocking_send("late").unwrap();
    assert_eq!(rep.stats().dropped_unroutable, 1, "{name}");
    // The turn moved on: REP can receive again.
    assert!(matches!(rep.try_recv(), Err(Error::WouldBlock)), "{name}");
}

fn relaxed_req_resends_and_ignores_the_stale_reply(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let rep1 = Rep::with_options(opts());
    let ep1 = rep1.bind(&ep()).unwrap();
    let rep2 = Rep::with_options(opts());
    let ep2 = rep2.bind(&ep()).unwrap();
    let req = Req::with_options(opts().req_relaxed(true));
    req.connect(&ep1).unwrap();
    req.connect(&ep2).unwrap();

    req.blocking_send("A").unwrap();
    // Find which REP got A; answer it before the new request goes out.
    let (first, second) = recv_either(&rep1, &rep2, "A");
    first.blocking_send("reply-A").unwrap();
    // Relaxed: a new request while the reply to A is pending (it went
    // round-robin to the other REP).
    req.blocking_send("B").unwrap();
    assert_eq!(
        second.blocking_recv().unwrap(),
        Message::from("B"),
        "{name}"
    );
    second.blocking_send("reply-B").unwrap();
    assert_eq!(
        req.blocking_recv().unwrap(),
        Message::from("reply-B"),
        "{name}"
    );
    // Strict (the default) refuses the second send.
    let rep = Rep::with_options(opts());
    let ep = rep.bind(&ep()).unwrap();
    let req = Req::with_options(opts());
    req.connect(&ep).unwrap();
    req.blocking_send("A").unwrap();
    assert!(matches!(
        req.blocking_send("B").map_err(Error::from),
        Err(Error::State(_))
    ));
}

/// Waits (bounded) until one of two REPs receives `want`; returns that
/// one first.
fn recv_either<'a>(a: &'a Rep, b: &'a Rep, want: &'static str) -> (&'a Rep, &'a Rep) {
    let deadline = Instant::now() + GUARD;
    loop {
        for (x, y) in [(a, b), (b, a)] {
            match x.try_recv() {
                Ok(m) => {
                    assert_eq!(m, Message::from(want));
                    return (x, y);
                }
                Err(Error::WouldBlock) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert!(Instant::now() < deadline, "no REP received {want}");
        thread::yield_now();
    }
}

/// Reads a correlated request at a ROUTER: (identity, request id, body).
fn router_take_request(router: &Router) -> (Bytes, Bytes, Bytes) {
    let m = router.blocking_recv().unwrap();
    let f = m.frames();
    assert_eq!(f.len(), 4, "[identity][request id][empty][body]: {m:?}");
    assert_eq!(f[1].len(), 4, "request id is 4 bytes");
    assert!(f[2].is_empty(), "delimiter");
    (f[0].clone(), f[1].clone(), f[3].clone())
}

fn correlate_accepts_only_the_current_request_id(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let router = Router::with_options(opts());
    let ep = router.bind(&ep()).unwrap();
    let req = Req::with_options(opts().req_correlate(true));
    req.connect(&ep).unwrap();

    req.blocking_send("A").unwrap();
    let (who, rid, body) = router_take_request(&router);
    assert_eq!(body, "A");
    // A forged reply with another id, then one without the id frame,
    // then the real one.
    let mut forged = rid.to_vec();
    forged[3] ^= 0xff;
    let forged = Bytes::from(forged);
    let e = Bytes::new();
    router
        .blocking_send(vec![who.clone(), forged, e.clone(), "forged".into()])
        .unwrap();
    router
        .blocking_send(vec![who.clone(), e.clone(), "no-id".into()])
        .unwrap();
    router
        .blocking_send(vec![who.clone(), rid.clone(), e.clone(), "real".into()])
        .unwrap();
    assert_eq!(
        req.blocking_recv().unwrap(),
        Message::from("real"),
        "{name}"
    );

    // Relaxed and correlated: the reply to a superseded request is
    // ignored even from the same peer.
    let req2 = Req::with_options(opts().req_correlate(true).req_relaxed(true));
    req2.connect(&ep).unwrap();
    req2.blocking_send("X").unwrap();
    let (who2, rid_x, _) = router_take_request(&router);
    req2.blocking_send("Y").unwrap();
    let (who2b, rid_y, body) = router_take_request(&router);
    assert_eq!(who2, who2b);
    assert_eq!(body, "Y");
    assert_ne!(rid_x, rid_y, "{name}: request ids differ");
    router
        .blocking_send(vec![who2.clone(), rid_x, e.clone(), "reply-X".into()])
        .unwrap();
    router
        .blocking_send(vec![who2, rid_y, e.clone(), "reply-Y".into()])
        .unwrap();
    assert_eq!(
        req2.blocking_recv().unwrap(),
        Message::from("reply-Y"),
        "{name}"
    );
    assert!(matches!(req2.try_recv(), Err(Error::State(_))), "{name}");
}

fn req_round_robins_over_two_reps(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let reps = [Rep::with_options(opts()), Rep::with_options(opts())];
    let eps: Vec<String> = reps.iter().map(|r| r.bind(&ep()).unwrap()).collect();
    let req = Req::with_options(opts());
    for e in &eps {
        req.connect(e).unwrap();
    }
    thread::scope(|s| {
        for (i, rep) in reps.iter().enumerate() {
            s.spawn(move || {
                for _ in 0..3 {
                    let m = rep.blocking_recv().unwrap();
                    let mut r = m.clone();
                    r.push_back(Bytes::from(vec![i as u8]));
                    rep.blocking_send(r).unwrap();
                }
            });
        }
        let mut served_by = Vec::new();
        for n in 0..6u8 {
            req.blocking_send(vec![n]).unwrap();
            let r = req.blocking_recv().unwrap();
            assert_eq!(r.frames()[0], vec![n], "{name}");
            served_by.push(r.frames()[1][0]);
        }
        // Strict alternation between the two.
        for w in served_by.windows(2) {
            assert_ne!(w[0], w[1], "{name}: not round-robin: {served_by:?}");
        }
    });
}

/// Several REQs share one server; each must get the replies to its own
/// requests. `serve` answers `total` requests.
fn many_reqs(name: &str, ep: &str, total: usize, serve: impl FnOnce() + Send) {
    const REQS: usize = 4;
    const ROUNDS: usize = 50;
    assert_eq!(total, REQS * ROUNDS);
    thread::scope(|s| {
        s.spawn(serve);
        for k in 0..REQS {
            s.spawn(move || {
                let req = Req::with_options(opts());
                req.connect(ep).unwrap();
                for i in 0..ROUNDS {
                    let body = format!("{k}-{i}");
                    req.blocking_send(body.clone()).unwrap();
                    let r = req.blocking_recv().unwrap();
                    assert_eq!(r, Message::from(format!("re:{body}")), "{name}");
                }
            });
        }
    });
}

fn replies_reach_the_right_req_through_rep_and_router(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let rep = Rep::with_options(opts());
    let rep_ep = rep.bind(&ep()).unwrap();
    many_reqs(name, &rep_ep, 200, || {
        for _ in 0..200 {
            let m = rep.blocking_recv().unwrap();
            let body = String::from_utf8(m.first().to_vec()).unwrap();
            rep.blocking_send(format!("re:{body}")).unwrap();
        }
    });

    let router = Router::with_options(opts());
    let router_ep = router.bind(&ep()).unwrap();
    many_reqs(name, &router_ep, 200, || {
        for _ in 0..200 {
            let m = router.blocking_recv().unwrap();
            let f = m.frames();
            assert_eq!(f.len(), 3, "{name}: [identity][empty][body]");
            assert!(f[1].is_empty());
            let body = String::from_utf8(f[2].to_vec()).unwrap();
            let reply = vec![f[0].clone(), Bytes::new(), format!("re:{body}").into()];
            router.blocking_send(reply).unwrap();
        }
    });
}

// ----- DEALER / ROUTER ------------------------------------------------------

fn router_routes_by_explicit_identity(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let router = Router::with_options(opts().router_mandatory(true));
    let ep = router.bind(&ep()).unwrap();
    let alice = Dealer::with_options(id_opts("alice"));
    let bob = Dealer::with_options(id_opts("bob"));
    alice.connect(&ep).unwrap();
    bob.connect(&ep).unwrap();
    alice.blocking_send(msg(&[b"from", b"alice"])).unwrap();
    bob.blocking_send("from bob").unwrap();
    let mut got = vec![
        frames(&router.blocking_recv().unwrap()),
        frames(&router.blocking_recv().unwrap()),
    ];
    got.sort();
    assert_eq!(
        got,
        vec![
            vec![b"alice".to_vec(), b"from".to_vec(), b"alice".to_vec()],
            vec![b"bob".to_vec(), b"from bob".to_vec()],
        ],
        "{name}"
    );
    for _ in 0..3 {
        router.blocking_send(msg(&[b"bob", b"to", b"bob"])).unwrap();
        router.blocking_send(msg(&[b"alice", b"to alice"])).unwrap();
    }
    for _ in 0..3 {
        assert_eq!(
            bob.blocking_recv().unwrap(),
            msg(&[b"to", b"bob"]),
            "{name}"
        );
        assert_eq!(
            alice.blocking_recv().unwrap(),
            msg(&[b"to alice"]),
            "{name}"
        );
    }
    assert!(matches!(alice.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(bob.try_recv(), Err(Error::WouldBlock)));
}

fn router_generates_five_byte_identities(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let router = Router::with_options(opts());
    let ep = router.bind(&ep()).unwrap();
    let d1 = Dealer::with_options(opts());
    let d2 = Dealer::with_options(opts());
    d1.connect(&ep).unwrap();
    d2.connect(&ep).unwrap();
    d1.blocking_send("one").unwrap();
    d2.blocking_send("two").unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let m = router.blocking_recv().unwrap();
        let id = m.frames()[0].clone();
        assert_eq!(id.len(), 5, "{name}: {id:?}");
        assert_eq!(id[0], 0, "{name}: {id:?}");
        ids.push((id, m.frames()[1].clone()));
    }
    assert_ne!(ids[0].0, ids[1].0, "{name}: identities unique");
    for (id, body) in &ids {
        let mut reply = vec![id.clone(), Bytes::from_static(b"re:")];
        reply.push(body.clone());
        router.blocking_send(reply).unwrap();
    }
    eprintln!("{name}: {:?} {:?}", ids, router.stats());
    assert_eq!(
        d1.blocking_recv().unwrap(),
        msg(&[b"re:", b"one"]),
        "{name}"
    );
    assert_eq!(
        d2.blocking_recv().unwrap(),
        msg(&[b"re:", b"two"]),
        "{name}"
    );
}

#[test]
fn router_unroutable_dropped_or_mandatory_error() {
    let router = Router::with_options(opts());
    router.bind(&inproc_ep()).unwrap();
    router.blocking_send(msg(&[b"nobody", b"x"])).unwrap();
    router.try_send(msg(&[b"nobody", b"y"])).unwrap();
    // Only an identity, nothing to send: dropped too.
    router.blocking_send("lonely").unwrap();
    assert_eq!(router.stats().dropped_unroutable, 3);

    let strict = Router::with_options(opts().router_mandatory(true));
    strict.bind(&inproc_ep()).unwrap();
    match strict
        .blocking_send(msg(&[b"nobody", b"x"]))
        .map_err(Error::from)
    {
        Err(Error::UnknownIdentity { identity }) => assert_eq!(identity, "nobody"),
        r => panic!("expected UnknownIdentity, got {r:?}"),
    }
    assert!(matches!(
        strict
            .try_send(msg(&[b"nobody", b"x"]))
            .map_err(Error::from),
        Err(Error::UnknownIdentity { .. })
    ));
    assert_eq!(strict.stats().dropped_unroutable, 0);
}

#[test]
fn router_at_hwm_drops_by_default_and_blocks_when_mandatory() {
    // inproc: the pipe holds exactly sndhwm + rcvhwm messages.
    for mandatory in [false, true] {
        let router = Router::with_options(opts().sndhwm(2).router_mandatory(mandatory));
        let ep = router.bind(&inproc_ep()).unwrap();
        let dealer = Dealer::with_options(id_opts("slow").rcvhwm(2));
        dealer.connect(&ep).unwrap();
        // The dealer says hello so that the router knows it.
        dealer.blocking_send("hi").unwrap();
        assert_eq!(frames(&router.blocking_recv().unwrap())[0], b"slow");
        let mut accepted = 0;
        for i in 0..20u8 {
            match router.try_send(msg(&[b"slow", &[i]])).map_err(Error::from) {
                Ok(()) => accepted += 1,
                Err(Error::WouldBlock) => {
                    assert!(mandatory, "default mode never blocks");
                }
                Err(e) => panic!("{e}"),
            }
        }
        if mandatory {
            assert_eq!(accepted, 4);
            assert_eq!(router.stats().dropped_hwm, 0);
        } else {
            assert_eq!(accepted, 20);
            assert_eq!(router.stats().dropped_hwm, 16);
        }
        // The first four arrive, in order, nothing else.
        for i in 0..4u8 {
            assert_eq!(dealer.blocking_recv().unwrap(), msg(&[&[i]]));
        }
        assert!(matches!(dealer.try_recv(), Err(Error::WouldBlock)));
        if mandatory {
            // A blocking send waits for room, which the reads made.
            router.blocking_send(msg(&[b"slow", b"more"])).unwrap();
            assert_eq!(dealer.blocking_recv().unwrap(), msg(&[b"more"]));
        }
    }
}

fn duplicate_identity_is_refused_and_first_keeps_working(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let router = Router::with_options(opts());
    let ep = router.bind(&ep()).unwrap();
    let mon = router.monitor();
    let first = Dealer::with_options(id_opts("twin"));
    first.connect(&ep).unwrap();
    first.blocking_send("first").unwrap();
    assert_eq!(
        frames(&router.blocking_recv().unwrap()),
        vec![b"twin".to_vec(), b"first".to_vec()]
    );

    let second = Dealer::with_options(id_opts("twin"));
    second.connect(&ep).unwrap();
    if name == "inproc" {
        // A refused inproc connector drops its peer: its sends then
        // find nobody (bounded wait for the refusal).
        let deadline = Instant::now() + GUARD;
        while second.try_send("second").is_ok() {
            assert!(Instant::now() < deadline, "second never refused");
            thread::yield_now();
        }
    } else {
        second.blocking_send("second").unwrap();
        wait_event(&mon, "refusal", |e| {
            matches!(
                e,
                SocketEvent::Disconnected {
                    reason: oxmq::DisconnectReason::Refused,
                    ..
                }
            )
        });
    }
    // The first still works both ways, and nothing of the second came.
    for i in 0..3u8 {
        first.blocking_send(vec![i]).unwrap();
        assert_eq!(
            frames(&router.blocking_recv().unwrap()),
            vec![b"twin".to_vec(), vec![i]],
            "{name}"
        );
        router.blocking_send(msg(&[b"twin", &[i]])).unwrap();
        assert_eq!(first.blocking_recv().unwrap(), msg(&[&[i]]), "{name}");
    }
    assert!(
        matches!(second.try_recv(), Err(Error::WouldBlock)),
        "{name}"
    );
    assert!(
        matches!(router.try_recv(), Err(Error::WouldBlock)),
        "{name}"
    );
}

fn router_to_router_with_identities(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let server = Router::with_options(id_opts("srv"));
    let ep = server.bind(&ep()).unwrap();
    let client = Router::with_options(id_opts("cli").router_mandatory(true));
    client.connect(&ep).unwrap();
    // The client knows "srv" once the handshake is done: retry until.
    let deadline = Instant::now() + GUARD;
    loop {
        match client
            .try_send(msg(&[b"srv", b"hello"]))
            .map_err(Error::from)
        {
            Ok(()) => break,
            Err(Error::UnknownIdentity { .. }) => {
                assert!(Instant::now() < deadline, "{name}: srv never known");
                thread::yield_now();
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert_eq!(
        server.blocking_recv().unwrap(),
        msg(&[b"cli", b"hello"]),
        "{name}"
    );
    server
        .blocking_send(msg(&[b"cli", b"back", b"at you"]))
        .unwrap();
    assert_eq!(
        client.blocking_recv().unwrap(),
        msg(&[b"srv", b"back", b"at you"]),
        "{name}"
    );
}

fn dealer_round_robins_and_talks_to_rep(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let rep = Rep::with_options(opts());
    let ep = rep.bind(&ep()).unwrap();
    let dealer = Dealer::with_options(opts());
    dealer.connect(&ep).unwrap();
    // A DEALER writes the delimiter itself.
    dealer.blocking_send(msg(&[b"", b"q1", b"q2"])).unwrap();
    assert_eq!(rep.blocking_recv().unwrap(), msg(&[b"q1", b"q2"]), "{name}");
    rep.blocking_send("r").unwrap();
    assert_eq!(dealer.blocking_recv().unwrap(), msg(&[b"", b"r"]), "{name}");
    // A request without a delimiter is dropped by REP.
    dealer.blocking_send("malformed").unwrap();
    dealer.blocking_send(msg(&[b"", b"ok"])).unwrap();
    assert_eq!(rep.blocking_recv().unwrap(), msg(&[b"ok"]), "{name}");
}

// ----- instantiation: one test per case and transport ---------------------------

support::transport_cases! {
    fn req_rep_echo_keeps_multipart_bodies: tcp, ipc, inproc;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn req_rep_async_and_cancelled_recv_loses_nothing: tcp, ipc, inproc;
    fn rep_reply_to_departed_requester_is_dropped_and_counted: tcp, ipc, inproc;
    fn relaxed_req_resends_and_ignores_the_stale_reply: tcp, ipc, inproc;
    fn correlate_accepts_only_the_current_request_id: tcp, ipc, inproc;
    fn req_round_robins_over_two_reps: tcp, ipc, inproc;
    fn replies_reach_the_right_req_through_rep_and_router: tcp, ipc, inproc;
    fn router_routes_by_explicit_identity: tcp, ipc, inproc;
    fn router_generates_five_byte_identities: tcp, ipc, inproc;
    fn duplicate_identity_is_refused_and_first_keeps_working: tcp, ipc, inproc;
    fn router_to_router_with_identities: tcp, ipc, inproc;
    fn dealer_round_robins_and_talks_to_rep: tcp, ipc, inproc;
}
