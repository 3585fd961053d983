//! The proxy (SPEC §5.9): forwarding, capture, steering.

mod support;

use bytes::Bytes;
use oxmq::{blocking_proxy_steerable, Error, Message, ProxyControl, Pull, Push, SocketOptions};
use std::sync::Arc;
use std::time::Duration;
use support::{Transport, GUARD};

fn msg(i: u32) -> Message {
    Message::from_frames(vec![
        Bytes::from(format!("part-a-{i}")),
        Bytes::from(format!("part-b-{i}")),
    ])
}

fn pull() -> Pull {
    Pull::with_options(SocketOptions::default().rcvtimeo(Some(GUARD)))
}

/// A PULL → PUSH streamer with a capture socket: every message reaches the
/// consumer whole and in order, and the capture gets a copy of each.
fn streamer_forwards_everything_and_captures_copies(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let front = Arc::new(Pull::new());
    let back = Arc::new(Push::new());
    let cap = Arc::new(Push::new());
    let front_ep = front.bind(&ep()).unwrap();
    let back_ep = back.bind(&ep()).unwrap();
    let cap_ep = cap.bind(&ep()).unwrap();
    let control = Arc::new(ProxyControl::new());
    let runner = {
        let (front, back, cap, control) =
            (front.clone(), back.clone(), cap.clone(), control.clone());
        std::thread::spawn(move || blocking_proxy_steerable(&*front, &*back, Some(&*cap), &control))
    };
    let producer = Push::new();
    producer.connect(&front_ep).unwrap();
    let consumer = pull();
    consumer.connect(&back_ep).unwrap();
    let capture = pull();
    capture.connect(&cap_ep).unwrap();
    const N: u32 = 2000;
    for i in 0..N {
        producer.blocking_send(msg(i)).unwrap();
    }
    for i in 0..N {
        assert_eq!(
            consumer.blocking_recv().unwrap(),
            msg(i),
            "{name}: message {i}"
        );
        assert_eq!(capture.blocking_recv().unwrap(), msg(i), "{name}: copy {i}");
    }
    control.terminate();
    assert!(
        runner.join().unwrap().is_ok(),
        "{name}: terminate ends the proxy"
    );
}

/// Paused, the proxy moves at most the message it already held; resumed,
/// it delivers the rest in order.
#[test]
fn pause_holds_messages_until_resume() {
    let front = Arc::new(Pull::new());
    let back = Arc::new(Push::new());
    let front_ep = front.bind("tcp://127.0.0.1:0").unwrap();
    let back_ep = back.bind("tcp://127.0.0.1:0").unwrap();
    let control = Arc::new(ProxyControl::new());
    let runner = {
        let (front, back, control) = (front.clone(), back.clone(), control.clone());
        std::thread::spawn(move || blocking_proxy_steerable(&*front, &*back, None, &control))
    };
    let producer = Push::new();
    producer.connect(&front_ep).unwrap();
    let consumer =
        Pull::with_options(SocketOptions::default().rcvtimeo(Some(Duration::from_millis(300))));
    consumer.connect(&back_ep).unwrap();
    // Running: the first message goes through.
    producer.blocking_send(msg(0)).unwrap();
    let deadline = std::time::Instant::now() + GUARD;
    let first = loop {
        match consumer.blocking_recv() {
            Ok(m) => break m,
            Err(Error::Timeout { .. }) if std::time::Instant::now() < deadline => {}
            Err(e) => panic!("first message not forwarded while running: {e}"),
        }
    };
    let mut got = vec![first];
    control.pause();
    for i in 1..=10 {
        producer.blocking_send(msg(i)).unwrap();
    }
    // Whatever arrives while paused: at most the one message the proxy
    // had taken before it saw the pause.
    let mut while_paused = 0;
    loop {
        match consumer.blocking_recv() {
            Ok(m) => {
                got.push(m);
                while_paused += 1;
            }
            Err(Error::Timeout { .. }) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        while_paused <= 1,
        "{while_paused} messages moved while paused"
    );
    control.resume();
    let deadline = std::time::Instant::now() + GUARD;
    while got.len() < 11 {
        match consumer.blocking_recv() {
            Ok(m) => got.push(m),
            Err(Error::Timeout { .. }) if std::time::Instant::now() < deadline => {}
            Err(e) => panic!("{e}"),
        }
    }
    let want: Vec<Message> = (0..=10).map(msg).collect();
    assert_eq!(got, want);
    control.terminate();
    assert!(runner.join().unwrap().is_ok());
}

/// A side that cannot send (PULL as the backend) fails the proxy with a
/// state error when a message must go its way; nothing hangs.
#[test]
fn one_way_socket_in_the_wrong_place_is_an_error() {
    let front = Pull::new();
    let back = Pull::new();
    let front_ep = front.bind("inproc://proxy-wrong-way").unwrap();
    let feeder = Push::new();
    feeder.connect(&front_ep).unwrap();
    feeder.blocking_send("x").unwrap();
    let r = oxmq::blocking_proxy(&front, &back, None);
    assert!(matches!(r, Err(Error::State(_))), "{r:?}");
}

/// A ROUTER/DEALER request broker: requests from several REQs reach two
/// REP workers through the proxy, and every reply comes back to the REQ
/// that asked (the identity frames travel in the messages both ways).
fn router_dealer_broker_routes_replies_back(t: Transport) {
    use oxmq::{Dealer, Rep, Req, Router};
    let (name, ep) = (t.name, t.ep);
    let front = Arc::new(Router::new());
    let back = Arc::new(Dealer::new());
    let front_ep = front.bind(&ep()).unwrap();
    let back_ep = back.bind(&ep()).unwrap();
    let control = Arc::new(ProxyControl::new());
    let runner = {
        let (front, back, control) = (front.clone(), back.clone(), control.clone());
        std::thread::spawn(move || blocking_proxy_steerable(&*front, &*back, None, &control))
    };
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (back_ep, done) = (back_ep.clone(), done.clone());
            std::thread::spawn(move || {
                let rep = Rep::with_options(
                    SocketOptions::default().rcvtimeo(Some(Duration::from_millis(50))),
                );
                rep.connect(&back_ep).unwrap();
                // Serve until the clients are done.
                while !done.load(std::sync::atomic::Ordering::Acquire) {
                    match rep.blocking_recv() {
                        Ok(req) => {
                            let mut reply = req.into_frames();
                            reply.push(Bytes::from(format!("by worker {w}")));
                            rep.blocking_send(Message::from_frames(reply)).unwrap();
                        }
                        Err(Error::Timeout { .. }) => {}
                        Err(e) => panic!("worker: {e}"),
                    }
                }
            })
        })
        .collect();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let front_ep = front_ep.clone();
            std::thread::spawn(move || {
                let req = Req::with_options(SocketOptions::default().rcvtimeo(Some(GUARD)));
                req.connect(&front_ep).unwrap();
                for i in 0..50 {
                    let body = format!("client {c} request {i}");
                    req.blocking_send(body.clone()).unwrap();
                    let reply = req.blocking_recv().unwrap();
                    assert_eq!(reply.frames()[0], body.as_bytes());
                    assert!(reply.frames()[1].starts_with(b"by worker "));
                }
            })
        })
        .collect();
    for c in clients {
        c.join()
            .unwrap_or_else(|_| panic!("{name}: a client failed"));
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    control.terminate();
    assert!(runner.join().unwrap().is_ok(), "{name}");
    for w in workers {
        w.join().unwrap();
    }
}

/// An XSUB/XPUB forwarder: subscriptions travel upstream through the
/// proxy (SUB → XPUB → proxy → XSUB → PUB) and messages downstream;
/// a subscriber gets only its topics.
fn xsub_xpub_forwarder_carries_subscriptions_up_and_messages_down(t: Transport) {
    use oxmq::{Pub, Sub, XPub, XSub};
    let (name, ep) = (t.name, t.ep);
    let publisher = Pub::new();
    let pub_ep = publisher.bind(&ep()).unwrap();
    let front = Arc::new(XSub::new());
    front.connect(&pub_ep).unwrap();
    let back = Arc::new(XPub::new());
    let back_ep = back.bind(&ep()).unwrap();
    let control = Arc::new(ProxyControl::new());
    let runner = {
        let (front, back, control) = (front.clone(), back.clone(), control.clone());
        std::thread::spawn(move || blocking_proxy_steerable(&*front, &*back, None, &control))
    };
    let sub = Sub::with_options(SocketOptions::default().rcvtimeo(Some(Duration::from_millis(50))));
    sub.connect(&back_ep).unwrap();
    sub.subscribe("weather.").unwrap();
    // Publish until the subscription has made it up to the publisher.
    let deadline = std::time::Instant::now() + GUARD;
    let first = loop {
        publisher.blocking_send("sports.goal").unwrap();
        publisher.blocking_send("weather.sun").unwrap();
        match sub.blocking_recv() {
            Ok(m) => break m,
            Err(Error::Timeout { .. }) if std::time::Instant::now() < deadline => {}
            Err(e) => panic!("{name}: subscription never forwarded: {e}"),
        }
    };
    assert_eq!(first.first(), "weather.sun", "{name}");
    // Skip the probes still on their way: up to a marker.
    publisher.blocking_send("weather.marker").unwrap();
    loop {
        match sub.blocking_recv() {
            Ok(m) if m.first() == "weather.marker" => break,
            Ok(_) => {}
            Err(Error::Timeout { .. }) if std::time::Instant::now() < deadline + GUARD => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
    // Only the subscribed topic arrives, in order.
    for i in 0..100 {
        publisher.blocking_send(format!("sports.{i}")).unwrap();
        publisher.blocking_send(format!("weather.{i}")).unwrap();
    }
    for i in 0..100 {
        let m = loop {
            match sub.blocking_recv() {
                Ok(m) => break m,
                Err(Error::Timeout { .. }) if std::time::Instant::now() < deadline + GUARD => {}
                Err(e) => panic!("{name}: {e}"),
            }
        };
        assert_eq!(m.first(), format!("weather.{i}").as_bytes(), "{name}");
    }
    control.terminate();
    assert!(runner.join().unwrap().is_ok(), "{name}");
}

// ----- instantiation: one test per case and transport ---------------------------

support::transport_cases! {
    fn streamer_forwards_everything_and_captures_copies: tcp, ipc, inproc;
    fn router_dealer_broker_routes_replies_back: tcp, ipc, inproc;
    fn xsub_xpub_forwarder_carries_subscriptions_up_and_messages_down: tcp, ipc, inproc;
}
