//! PUB, SUB, XPUB and XSUB (SPEC §5.5) over tcp, ipc and inproc: topics
//! and prefix matching, cancellation, late joiners, subscription counting,
//! drops at the high-water mark, re-subscription after a reconnection,
//! XPUB's subscription messages and XSUB's upstream messages.

mod support;

use bytes::Bytes;
use oxmq::{Error, Message, Pub, SocketOptions, Sub, XPub, XSub};
use std::collections::HashSet;
use std::thread;
use std::time::{Duration, Instant};
use support::{inproc_ep, Transport, GUARD};

/// `GUARD` (never reached when the library works) as the hang guard of
/// every blocking call; quick reconnects.
fn opts() -> SocketOptions {
    SocketOptions::default()
        .sndtimeo(Some(GUARD))
        .rcvtimeo(Some(GUARD))
        .reconnect_ivl(Duration::from_millis(10))
}

fn text(m: &Message) -> String {
    String::from_utf8_lossy(m.first()).into_owned()
}

/// Runs `publish` until `take` yields a message (the subscriptions the
/// test depends on have reached the publisher), at most `GUARD`; returns
/// that message. The short pause only paces the publisher.
fn until_received(
    what: &str,
    mut publish: impl FnMut(),
    take: impl Fn() -> Result<Message, Error>,
) -> Message {
    let deadline = Instant::now() + GUARD;
    loop {
        publish();
        match take() {
            Ok(m) => return m,
            Err(Error::WouldBlock) => {}
            Err(e) => panic!("{what}: {e}"),
        }
        assert!(
            Instant::now() < deadline,
            "{what}: nothing within {GUARD:?}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Publishes "sync" until `sub` receives a "sync" message.
fn sync(publisher: &Pub, sub: &Sub) {
    until_received(
        "sync",
        || publisher.blocking_send("sync").unwrap(),
        || sub.try_recv(),
    );
}

/// The next message that is not a "sync" marker.
fn next_data(sub: &Sub) -> String {
    loop {
        let m = sub.blocking_recv().unwrap();
        if m.first() != "sync" {
            return text(&m);
        }
    }
}

/// Subscribed to "a." and "b": matching is by prefix of the first frame,
/// other topics are not delivered, order is kept.
fn topics_and_prefix_matching(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let publisher = Pub::with_options(opts());
    let ep = publisher.bind(&ep()).unwrap();
    let sub = Sub::with_options(opts());
    sub.connect(&ep).unwrap();
    sub.subscribe("a.").unwrap();
    sub.subscribe(b"b").unwrap();
    sub.subscribe("sync").unwrap(); // last: once it works, all do
    sync(&publisher, &sub);
    for t in ["a.1", "c.x", "b", "a", "bx", "ab", "sy", "a.2"] {
        publisher.blocking_send(t).unwrap();
    }
    // multipart: matched on the first frame only
    publisher
        .blocking_send(vec![Bytes::from("x"), Bytes::from("a.no")])
        .unwrap();
    publisher
        .blocking_send(vec![Bytes::from("a.3"), Bytes::from("tail")])
        .unwrap();
    let got: Vec<String> = (0..5).map(|_| next_data(&sub)).collect();
    assert_eq!(got, ["a.1", "b", "bx", "a.2", "a.3"], "{name}");
    assert!(matches!(sub.try_recv(), Err(Error::WouldBlock)), "{name}");
}

/// The empty subscription matches everything, and a message matching two
/// of a subscriber's prefixes arrives once.
fn empty_topic_matches_all_once(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let publisher = Pub::with_options(opts());
    let ep = publisher.bind(&ep()).unwrap();
    let sub = Sub::with_options(opts());
    sub.connect(&ep).unwrap();
    sub.subscribe("a").unwrap();
    sub.subscribe("").unwrap();
    sync(&publisher, &sub);
    publisher.blocking_send("abc").unwrap();
    publisher.blocking_send("zzz").unwrap();
    publisher.blocking_send("end").unwrap();
    let mut got = Vec::new();
    loop {
        let t = next_data(&sub);
        if t == "end" {
            break;
        }
        got.push(t);
    }
    assert_eq!(got, ["abc", "zzz"], "{name}");
}

/// After a cancel, messages of that topic stop; other subscriptions go on.
fn cancel_mid_stream(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let publisher = Pub::with_options(opts());
    let ep = publisher.bind(&ep()).unwrap();
    let sub = Sub::with_options(opts());
    sub.connect(&ep).unwrap();
    sub.subscribe("x").unwrap();
    sub.subscribe("sync").unwrap();
    sync(&publisher, &sub);
    publisher.blocking_send("x1").unwrap();
    assert_eq!(next_data(&sub), "x1", "{name}");
    sub.unsubscribe("x").unwrap();
    // Publish x messages and markers; once a marker sent after an x
    // arrives, the stream goes on with markers only.
    let deadline = Instant::now() + GUARD;
    let mut i = 0u32;
    'outer: loop {
        assert!(Instant::now() < deadline, "{name}: markers never arrived");
        publisher.blocking_send(format!("x-after-{i}")).unwrap();
        publisher.blocking_send(format!("sync-{i}")).unwrap();
        i += 1;
        while let Ok(m) = sub.try_recv() {
            let t = text(&m);
            assert!(t.starts_with("sync"), "{name}: got {t} after cancel");
            if t.starts_with("sync-") {
                break 'outer;
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
    for j in 0..100 {
        publisher.blocking_send(format!("x-late-{j}")).unwrap();
    }
    publisher.blocking_send("sync-end").unwrap();
    loop {
        let t = text(&sub.blocking_recv().unwrap());
        assert!(t.starts_with("sync"), "{name}: got {t} after cancel");
        if t == "sync-end" {
            break;
        }
    }
}

/// A subscriber that joins a running stream gets every message from the
/// first one it sees on, with no gap.
fn late_subscriber_gets_the_rest_of_the_stream(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let publisher = Pub::with_options(opts());
    let ep = publisher.bind(&ep()).unwrap();
    let early = Sub::with_options(opts());
    early.connect(&ep).unwrap();
    early.subscribe("n").unwrap();
    sync_n(&publisher, &early);
    let late = Sub::with_options(opts());
    late.connect(&ep).unwrap();
    late.subscribe("n").unwrap();
    let mut i = 0u32;
    let first = until_received(
        name,
        || {
            publisher.blocking_send(format!("n{i}")).unwrap();
            i += 1;
        },
        || late.try_recv(),
    );
    let first: u32 = text(&first)[1..].parse().unwrap();
    let last = i + 100;
    for j in i..last {
        publisher.blocking_send(format!("n{j}")).unwrap();
    }
    for j in first + 1..last {
        assert_eq!(
            text(&late.blocking_recv().unwrap()),
            format!("n{j}"),
            "{name}"
        );
    }
}

/// Publishes "n-sync" until `sub` (subscribed to "n") gets one.
fn sync_n(publisher: &Pub, sub: &Sub) {
    until_received(
        "sync",
        || publisher.blocking_send("n-sync").unwrap(),
        || sub.try_recv(),
    );
}

/// Two subscribes need two unsubscribes; unsubscribing an unknown topic is
/// a no-op.
fn subscriptions_are_counted(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let publisher = Pub::with_options(opts());
    let ep = publisher.bind(&ep()).unwrap();
    let sub = Sub::with_options(opts());
    sub.connect(&ep).unwrap();
    sub.subscribe("a").unwrap();
    sub.subscribe("a").unwrap();
    sub.subscribe("sync").unwrap();
    sync(&publisher, &sub);
    sub.unsubscribe("a").unwrap();
    sub.unsubscribe("never-subscribed").unwrap();
    publisher.blocking_send("a1").unwrap();
    assert_eq!(next_data(&sub), "a1", "{name}: one subscribe is left");
    sub.unsubscribe("a").unwrap();
    publisher.blocking_send("a2").unwrap();
    publisher.blocking_send("end").unwrap();
    // "end" matches nothing: sync markers tell the stream has passed.
    let m = until_received(
        name,
        || publisher.blocking_send("sync-after").unwrap(),
        || sub.try_recv(),
    );
    let t = text(&m);
    assert!(t.starts_with("sync"), "{name}: got {t}, expected no a2");
}

/// A subscriber that never reads does not hold back another one: PUB
/// drops what the slow one's queue cannot take, counts it, and never
/// blocks; the fast one gets every message.
fn drops_at_hwm_isolate_slow_subscriber(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let publisher = Pub::with_options(opts().sndhwm(10));
    let ep = publisher.bind(&ep()).unwrap();
    let fast = Sub::with_options(opts());
    fast.connect(&ep).unwrap();
    fast.subscribe("").unwrap();
    let slow = Sub::with_options(opts().rcvhwm(10));
    slow.connect(&ep).unwrap();
    slow.subscribe("").unwrap();
    sync(&publisher, &slow);
    sync(&publisher, &fast);
    // Empty the fast one's queue: read up to a last marker.
    publisher.blocking_send("sync-last").unwrap();
    while fast.blocking_recv().unwrap().first() != "sync-last" {}
    let payload = Bytes::from(vec![7u8; 16 * 1024]);
    const N: u32 = 2000;
    const CHUNK: u32 = 4; // below sndhwm: the fast one never drops
    for c in 0..N / CHUNK {
        for k in 0..CHUNK {
            let i = c * CHUNK + k;
            let msg = vec![Bytes::from(i.to_le_bytes().to_vec()), payload.clone()];
            // "never blocks": every send returns Ok at once
            publisher.try_send(msg).unwrap();
        }
        for k in 0..CHUNK {
            let i = c * CHUNK + k;
            let m = loop {
                let m = fast.blocking_recv().unwrap();
                if m.first() != "sync" {
                    break m;
                }
            };
            assert_eq!(m.first()[..], i.to_le_bytes(), "{name}: lost or reordered");
            assert_eq!(m.frames()[1].len(), payload.len());
        }
    }
    assert!(
        publisher.stats().dropped_hwm > 0,
        "{name}: the slow subscriber's queue never filled"
    );
}

/// A SUB connected to a PUB that goes away re-sends its subscriptions to
/// the PUB bound next at the same endpoint, without a new subscribe.
fn sub_resubscribes_after_reconnect(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let first = Pub::with_options(opts());
    let ep = first.bind(&ep()).unwrap();
    let sub = Sub::with_options(opts());
    sub.connect(&ep).unwrap();
    sub.subscribe("t").unwrap();
    until_received(
        name,
        || first.blocking_send("t-first").unwrap(),
        || sub.try_recv(),
    );
    first.blocking_close();
    let second = Pub::with_options(opts());
    assert_eq!(second.bind(&ep).unwrap(), ep, "{name}");
    let m = until_received(
        name,
        || second.blocking_send("t-second").unwrap(),
        || loop {
            // skip what the first PUB had queued
            let m = sub.try_recv()?;
            if m.first() == "t-second" {
                return Ok(m);
            }
        },
    );
    assert_eq!(text(&m), "t-second");
}

/// A PUB that connects (to a bound SUB) forgets the old subscriptions of a
/// peer when it reconnects, and learns them again from the new connection.
fn connecting_pub_relearns_after_sub_rebinds(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let sub1 = Sub::with_options(opts());
    let ep = sub1.bind(&ep()).unwrap();
    sub1.subscribe("old").unwrap();
    let publisher = Pub::with_options(opts());
    publisher.connect(&ep).unwrap();
    until_received(
        name,
        || publisher.blocking_send("old-1").unwrap(),
        || sub1.try_recv(),
    );
    sub1.blocking_close();
    let sub2 = Sub::with_options(opts());
    sub2.bind(&ep).unwrap();
    sub2.subscribe("new").unwrap();
    let m = until_received(
        name,
        || {
            publisher.blocking_send("old-2").unwrap();
            publisher.blocking_send("new-1").unwrap();
        },
        || sub2.try_recv(),
    );
    assert_eq!(text(&m), "new-1", "{name}");
}

fn recv_text(x: &XPub) -> Vec<u8> {
    x.blocking_recv().unwrap().first().to_vec()
}

/// XPUB hands over a subscription once per topic, and a cancel when the
/// last subscriber cancels or leaves.
fn xpub_sees_new_subscriptions_and_last_cancels(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let xpub = XPub::with_options(opts());
    let ep = xpub.bind(&ep()).unwrap();
    let s1 = Sub::with_options(opts());
    s1.connect(&ep).unwrap();
    s1.subscribe("t").unwrap();
    assert_eq!(recv_text(&xpub), b"\x01t", "{name}");
    let s2 = Sub::with_options(opts());
    s2.connect(&ep).unwrap();
    s2.subscribe("t").unwrap();
    s2.subscribe("u").unwrap();
    // s2's "t" is not new: the next message is its "u"
    assert_eq!(recv_text(&xpub), b"\x01u", "{name}");
    s1.unsubscribe("t").unwrap();
    s1.subscribe("v").unwrap();
    // s2 still has "t": no cancel before s1's "v"
    assert_eq!(recv_text(&xpub), b"\x01v", "{name}");
    drop(s2); // leaves: "t" and "u" are gone
    let mut got = HashSet::new();
    got.insert(recv_text(&xpub));
    got.insert(recv_text(&xpub));
    let want: HashSet<Vec<u8>> = [b"\x00t".to_vec(), b"\x00u".to_vec()].into();
    assert_eq!(got, want, "{name}");
    s1.unsubscribe("v").unwrap();
    assert_eq!(recv_text(&xpub), b"\x00v", "{name}");
    assert!(matches!(xpub.try_recv(), Err(Error::WouldBlock)), "{name}");
}

/// With `xpub_verbose` every subscription is handed over; with
/// `xpub_verboser` every cancel too.
fn xpub_verbose_and_verboser(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    for verboser in [false, true] {
        let o = if verboser {
            opts().xpub_verboser(true)
        } else {
            opts().xpub_verbose(true)
        };
        let xpub = XPub::with_options(o);
        let ep = xpub.bind(&ep()).unwrap();
        let s1 = Sub::with_options(opts());
        s1.connect(&ep).unwrap();
        s1.subscribe("t").unwrap();
        assert_eq!(recv_text(&xpub), b"\x01t", "{name}");
        let s2 = Sub::with_options(opts());
        s2.connect(&ep).unwrap();
        s2.subscribe("t").unwrap();
        assert_eq!(recv_text(&xpub), b"\x01t", "{name}: verbose");
        s1.unsubscribe("t").unwrap();
        s1.subscribe("w").unwrap();
        if verboser {
            assert_eq!(recv_text(&xpub), b"\x00t", "{name}: verboser");
        }
        assert_eq!(recv_text(&xpub), b"\x01w", "{name}");
        s2.unsubscribe("t").unwrap();
        assert_eq!(recv_text(&xpub), b"\x00t", "{name}: last cancel");
    }
}

/// XSUB subscribes upstream by sending `\x01topic`, cancels with
/// `\x00topic`, and sends other messages to its publishers.
fn xsub_subscribes_upstream(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let publisher = Pub::with_options(opts());
    let pub_ep = publisher.bind(&ep()).unwrap();
    let xsub = XSub::with_options(opts());
    xsub.connect(&pub_ep).unwrap();
    xsub.blocking_send(&b"\x01t"[..]).unwrap();
    let m = until_received(
        name,
        || publisher.blocking_send("t1").unwrap(),
        || xsub.try_recv(),
    );
    assert_eq!(text(&m), "t1", "{name}");

    let xpub = XPub::with_options(opts());
    let xpub_ep = xpub.bind(&ep()).unwrap();
    let xsub2 = XSub::with_options(opts());
    xsub2.connect(&xpub_ep).unwrap();
    xsub2.blocking_send(&b"\x01topic"[..]).unwrap();
    assert_eq!(recv_text(&xpub), b"\x01topic", "{name}");
    xsub2.blocking_send("hello upstream").unwrap();
    assert_eq!(recv_text(&xpub), b"hello upstream", "{name}");
    xsub2.blocking_send(&b"\x00topic"[..]).unwrap();
    assert_eq!(recv_text(&xpub), b"\x00topic", "{name}");
    xpub.blocking_send("topic-x").unwrap();
    xpub.blocking_send("other").unwrap();
    // Not subscribed any more: nothing arrives; a new subscription
    // shows the stream has passed.
    xsub2.blocking_send(&b"\x01z"[..]).unwrap();
    assert_eq!(recv_text(&xpub), b"\x01z", "{name}");
    xpub.blocking_send("z1").unwrap();
    assert_eq!(text(&xsub2.blocking_recv().unwrap()), "z1", "{name}");
}

/// SUB's blocking receive honours `rcvtimeo`; PUB's send with no
/// subscriber succeeds (the message goes nowhere).
#[test]
fn sub_timeout_and_pub_without_subscribers() {
    let publisher = Pub::with_options(opts());
    publisher.blocking_send("nobody").unwrap();
    publisher.try_send("nobody").unwrap();
    let sub = Sub::with_options(opts().rcvtimeo(Some(Duration::from_millis(20))));
    sub.bind(&inproc_ep()).unwrap();
    sub.subscribe("").unwrap();
    assert!(matches!(sub.blocking_recv(), Err(Error::Timeout { .. })));
    assert!(matches!(sub.try_recv(), Err(Error::WouldBlock)));
}

/// The async forms.
#[tokio::test]
async fn async_forms() {
    let xpub = XPub::with_options(opts());
    let ep = xpub.bind(&inproc_ep()).unwrap();
    let sub = Sub::with_options(opts());
    sub.connect(&ep).unwrap();
    sub.subscribe("a").unwrap();
    let m = tokio::time::timeout(GUARD, xpub.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.first(), &b"\x01a"[..]);
    xpub.send("b").await.unwrap();
    xpub.send("a1").await.unwrap();
    let m = tokio::time::timeout(GUARD, sub.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.first(), "a1");
}

/// `xpub_nodrop`: a publisher facing a stalled subscriber gets
/// `WouldBlock` instead of dropping, and sends to nobody meanwhile; once
/// the subscriber drains, every message arrives, none lost.
#[test]
fn nodrop_waits_instead_of_dropping() {
    use oxmq::{Error, Pub, SocketOptions, Sub};
    let publisher = Pub::with_options(SocketOptions::default().sndhwm(10).xpub_nodrop(true));
    let ep = publisher.bind("inproc://pubsub-nodrop").unwrap();
    let sub = Sub::with_options(
        SocketOptions::default()
            .rcvhwm(10)
            .rcvtimeo(Some(std::time::Duration::from_secs(10))),
    );
    sub.connect(&ep).unwrap();
    sub.subscribe("").unwrap();
    // Until the subscription arrives, messages match nobody: publish a
    // probe until the subscriber has one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        publisher.try_send("probe").unwrap();
        if sub.try_recv().is_ok() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "subscription never arrived"
        );
        std::thread::yield_now();
    }
    // Drain the probes still queued.
    while sub.try_recv().is_ok() {}
    let mut sent = 0u32;
    loop {
        match publisher.try_send(format!("m{sent}")).map_err(Error::from) {
            Ok(()) => sent += 1,
            Err(Error::WouldBlock) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(sent >= 10, "inproc joint HWM is at least sndhwm: {sent}");
    assert_eq!(publisher.stats().dropped_hwm, 0);
    // A blocking sender waits for room; the subscriber drains everything.
    let p = std::sync::Arc::new(publisher);
    let sender = {
        let p = p.clone();
        std::thread::spawn(move || {
            for i in 0..100u32 {
                p.blocking_send(format!("m{}", sent + i)).unwrap();
            }
        })
    };
    for i in 0..sent + 100 {
        let m = sub.blocking_recv().unwrap();
        assert_eq!(m.first(), format!("m{i}").as_bytes());
    }
    sender.join().unwrap();
    assert_eq!(p.stats().dropped_hwm, 0);
}

// ----- instantiation: one test per case and transport ---------------------------

support::transport_cases! {
    fn topics_and_prefix_matching: tcp, ipc, inproc;
    fn empty_topic_matches_all_once: tcp, ipc, inproc;
    fn cancel_mid_stream: tcp, ipc, inproc;
    fn late_subscriber_gets_the_rest_of_the_stream: tcp, ipc, inproc;
    fn subscriptions_are_counted: tcp, ipc, inproc;
    fn drops_at_hwm_isolate_slow_subscriber: tcp, ipc, inproc;
    fn sub_resubscribes_after_reconnect: tcp, ipc, inproc;
    fn connecting_pub_relearns_after_sub_rebinds: tcp, ipc, inproc;
    fn xpub_sees_new_subscriptions_and_last_cancels: tcp, ipc, inproc;
    fn xpub_verbose_and_verboser: tcp, ipc, inproc;
    fn xsub_subscribes_upstream: tcp, ipc, inproc;
}
