//! An inproc peer that closes or is dropped is removed from the socket it
//! joined (SPEC §4.4, §6.5), whatever the timing and whether or not that
//! socket ever receives: departed peers must not pile up (found by the
//! soak, examples/soak.rs).

mod support;

use oxmq::{Pub, Pull, Push, SocketOptions, Sub};
use std::time::{Duration, Instant};
use support::{inproc_ep, GUARD};

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::from_secs(5)))
        .rcvtimeo(Some(GUARD))
        .sndtimeo(Some(GUARD))
}

/// Polls (bounded) until `peers()` is `want`.
fn wait_peers(what: &str, want: usize, peers: impl Fn() -> usize) {
    let deadline = Instant::now() + GUARD;
    loop {
        let n = peers();
        if n == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {n} peers attached after {GUARD:?}, want {want}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A PUSH that sends and closes at once (possibly before its inproc
/// connection was even delivered to the PULL) is removed from the PULL
/// once its messages have been read.
#[test]
fn connector_closing_right_after_sending_is_removed_after_its_messages() {
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&inproc_ep()).unwrap();
    for i in 0..200u32 {
        let push = Push::with_options(opts());
        push.connect(&ep).unwrap();
        for k in 0..3u32 {
            push.blocking_send(vec![i as u8, k as u8]).unwrap();
        }
        if i % 2 == 0 {
            push.blocking_close();
        } else {
            drop(push);
        }
        for k in 0..3u32 {
            assert_eq!(
                &pull.blocking_recv().unwrap().first()[..],
                [i as u8, k as u8]
            );
        }
    }
    wait_peers("PULL after 200 PUSHes came and went", 0, || {
        pull.stats().peers.len()
    });
}

/// Connectors that close without sending anything are removed from a
/// binder that never receives.
#[test]
fn silent_connectors_are_removed_from_a_binder_that_never_receives() {
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&inproc_ep()).unwrap();
    for i in 0..200 {
        let push = Push::with_options(opts());
        push.connect(&ep).unwrap();
        if i % 2 == 0 {
            push.blocking_close();
        } else {
            drop(push);
        }
    }
    wait_peers("PULL (never receiving)", 0, || pull.stats().peers.len());
}

/// A PUSH bound on inproc never receives: PULLs joining and leaving it
/// must still be removed.
#[test]
fn departed_peers_are_removed_from_a_socket_that_cannot_receive() {
    let push = Push::with_options(opts().sndhwm(10));
    let ep = push.bind(&inproc_ep()).unwrap();
    for i in 0..200 {
        let pull = Pull::with_options(opts());
        pull.connect(&ep).unwrap();
        if i % 10 == 0 {
            push.blocking_send("x").unwrap();
            pull.blocking_recv().unwrap();
        }
        if i % 2 == 0 {
            pull.blocking_close();
        } else {
            drop(pull);
        }
    }
    wait_peers("PUSH", 0, || push.stats().peers.len());
    // PUB takes every inbound message itself (subscriptions): the same.
    let publisher = Pub::with_options(opts());
    let ep = publisher.bind(&inproc_ep()).unwrap();
    for _ in 0..100 {
        let sub = Sub::with_options(opts());
        sub.connect(&ep).unwrap();
        sub.subscribe("").unwrap();
        drop(sub);
    }
    wait_peers("PUB", 0, || publisher.stats().peers.len());
}
