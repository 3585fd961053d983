//! PAIR (SPEC §5.8): one peer both ways, refusal of a second peer, and a
//! new peer once the first has left.

mod support;

use bytes::Bytes;
use oxmq::{DisconnectReason, Error, Message, Pair, SocketEvent, SocketOptions};
use std::thread;
use std::time::{Duration, Instant};
use support::{wait_event, Transport, GUARD};

fn opts() -> SocketOptions {
    SocketOptions::default()
        .sndtimeo(Some(GUARD))
        .rcvtimeo(Some(GUARD))
        .reconnect_ivl(Duration::from_millis(10))
}

fn msg(frames: &[&[u8]]) -> Message {
    Message::from_frames(frames.iter().map(|f| Bytes::copy_from_slice(f)).collect())
}

fn pair_talks_both_ways(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let a = Pair::with_options(opts());
    let ep = a.bind(&ep()).unwrap();
    // No peer yet: a send cannot proceed.
    assert!(
        matches!(a.try_send("x").map_err(Error::from), Err(Error::WouldBlock)),
        "{name}"
    );
    let b = Pair::with_options(opts());
    b.connect(&ep).unwrap();
    for i in 0..100u8 {
        b.blocking_send(msg(&[b"b", &[i], b""])).unwrap();
        a.blocking_send(msg(&[&[i]])).unwrap();
    }
    for i in 0..100u8 {
        assert_eq!(
            a.blocking_recv().unwrap(),
            msg(&[b"b", &[i], b""]),
            "{name}"
        );
        assert_eq!(b.blocking_recv().unwrap(), msg(&[&[i]]), "{name}");
    }
    assert!(matches!(a.try_recv(), Err(Error::WouldBlock)), "{name}");
    assert!(matches!(b.try_recv(), Err(Error::WouldBlock)), "{name}");
}

fn second_pair_is_refused(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let a = Pair::with_options(opts());
    let ep = a.bind(&ep()).unwrap();
    let mon = a.monitor();
    let b = Pair::with_options(opts());
    b.connect(&ep).unwrap();
    b.blocking_send("from b").unwrap();
    assert_eq!(
        a.blocking_recv().unwrap(),
        Message::from("from b"),
        "{name}"
    );

    let c = Pair::with_options(opts().linger(Some(Duration::ZERO)));
    c.connect(&ep).unwrap();
    if name == "inproc" {
        // A refused inproc connector drops its peer: its sends then
        // find nobody (bounded wait for the refusal).
        let deadline = Instant::now() + GUARD;
        while c.try_send("from c").is_ok() {
            assert!(Instant::now() < deadline, "c never refused");
            thread::yield_now();
        }
    } else {
        c.blocking_send("from c").unwrap();
        wait_event(&mon, "refusal", |e| {
            matches!(
                e,
                SocketEvent::Disconnected {
                    reason: DisconnectReason::Refused,
                    ..
                }
            )
        });
    }
    // b keeps its link both ways; nothing of c's arrives.
    for i in 0..3u8 {
        b.blocking_send(vec![i]).unwrap();
        assert_eq!(a.blocking_recv().unwrap(), msg(&[&[i]]), "{name}");
        a.blocking_send(vec![i]).unwrap();
        assert_eq!(b.blocking_recv().unwrap(), msg(&[&[i]]), "{name}");
    }
    assert!(matches!(a.try_recv(), Err(Error::WouldBlock)), "{name}");
    assert!(matches!(c.try_recv(), Err(Error::WouldBlock)), "{name}");
}

fn new_peer_pairs_after_the_first_leaves(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let a = Pair::with_options(opts());
    let ep = a.bind(&ep()).unwrap();
    let b = Pair::with_options(opts().linger(Some(Duration::ZERO)));
    b.connect(&ep).unwrap();
    b.blocking_send("b").unwrap();
    assert_eq!(a.blocking_recv().unwrap(), Message::from("b"), "{name}");
    b.blocking_close();

    // Until a has noticed b left, a newcomer is refused (and an inproc
    // one gives up): try with fresh sockets, up to GUARD.
    let deadline = Instant::now() + GUARD;
    let mut attempt = 0u32;
    let d = loop {
        assert!(Instant::now() < deadline, "{name}: no new peer paired");
        attempt += 1;
        let d = Pair::with_options(
            opts()
                .linger(Some(Duration::ZERO))
                .sndtimeo(Some(Duration::from_millis(200))),
        );
        d.connect(&ep).unwrap();
        let tag = attempt.to_le_bytes().to_vec();
        if d.blocking_send(tag.clone()).is_err() {
            continue;
        }
        // Drain until this attempt's tag arrives, or give up on it.
        let until = Instant::now() + Duration::from_millis(200);
        let mut got = false;
        while Instant::now() < until {
            match a.try_recv() {
                Ok(m) if m == Message::from(tag.clone()) => {
                    got = true;
                    break;
                }
                Ok(_) | Err(Error::WouldBlock) => thread::yield_now(),
                Err(e) => panic!("{name}: {e}"),
            }
        }
        if got {
            break d;
        }
    };
    a.blocking_send("to d").unwrap();
    let d_recv = Pair::blocking_recv(&d);
    assert_eq!(d_recv.unwrap(), Message::from("to d"), "{name}");
}

// ----- instantiation: one test per case and transport ---------------------------

support::transport_cases! {
    fn pair_talks_both_ways: tcp, ipc, inproc;
    fn second_pair_is_refused: tcp, ipc, inproc;
    fn new_peer_pairs_after_the_first_leaves: tcp, ipc, inproc;
}
