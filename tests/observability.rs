//! Monitor events and counters (SPEC §6.6, §6.7).

mod support;

use bytes::Bytes;
use oxmq::{Error, Message, Pull, Push, SocketEvent, SocketOptions};
use std::time::Duration;
use support::{wait_event, Transport, GUARD};

#[test]
fn failed_bind_is_an_error_and_an_event() {
    let first = Pull::new();
    let ep = first.bind("tcp://127.0.0.1:0").unwrap();
    let second = Pull::new();
    let mon = second.monitor();
    assert!(matches!(second.bind(&ep), Err(Error::Bind { .. })));
    let ev = wait_event(&mon, "BindFailed", |e| {
        matches!(e, SocketEvent::BindFailed { .. })
    });
    match ev {
        SocketEvent::BindFailed { endpoint, error } => {
            assert_eq!(endpoint, ep);
            assert!(!error.is_empty());
        }
        _ => unreachable!(),
    }
}

#[test]
fn connect_attempts_are_reported_delayed_then_retried_then_connected() {
    // A port nobody listens on: take one, then free it.
    let ep = {
        let p = Pull::new();
        let ep = p.bind("tcp://127.0.0.1:0").unwrap();
        p.unbind(&ep).unwrap();
        ep
    };
    let push = Push::with_options(
        SocketOptions::default()
            .reconnect_ivl(Duration::from_millis(20))
            .linger(Some(Duration::ZERO)),
    );
    let mon = push.monitor();
    push.connect(&ep).unwrap();
    wait_event(
        &mon,
        "ConnectDelayed",
        |e| matches!(e, SocketEvent::ConnectDelayed { endpoint } if *endpoint == ep),
    );
    wait_event(
        &mon,
        "ConnectRetried",
        |e| matches!(e, SocketEvent::ConnectRetried { endpoint, .. } if *endpoint == ep),
    );
    // Someone binds it: the next attempt connects.
    let pull = Pull::new();
    pull.bind(&ep).unwrap();
    wait_event(
        &mon,
        "Connected",
        |e| matches!(e, SocketEvent::Connected { endpoint, .. } if *endpoint == ep),
    );
}

fn payload(i: usize) -> Message {
    Message::from_frames(vec![
        Bytes::from(vec![b'h'; 3]),
        Bytes::from(vec![b'b'; i % 50]),
    ])
}

/// Messages and bytes in and out, and queue depths per peer, over every
/// transport.
fn counters_count_messages_bytes_and_queued(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let pull = Pull::with_options(SocketOptions::default().rcvtimeo(Some(GUARD)));
    let bound = pull.bind(&ep()).unwrap();
    let push = Push::with_options(SocketOptions::default().sndtimeo(Some(GUARD)));
    push.connect(&bound).unwrap();
    const N: usize = 100;
    let mut bytes = 0u64;
    for i in 0..N {
        let m = payload(i);
        bytes += m.byte_len() as u64;
        push.blocking_send(m).unwrap();
    }
    let out = push.stats();
    assert_eq!(out.messages_out, N as u64, "{name}");
    assert_eq!(out.bytes_out, bytes, "{name}");
    assert_eq!(out.peers.len(), 1, "{name}");
    // Nothing taken yet: the first receive waits for the first
    // message; then the rest are all queued at the PULL side or on
    // their way.
    assert_eq!(pull.blocking_recv().unwrap(), payload(0), "{name}");
    for i in 1..N {
        assert_eq!(pull.blocking_recv().unwrap(), payload(i), "{name}");
    }
    let inn = pull.stats();
    assert_eq!(inn.messages_in, N as u64, "{name}");
    assert_eq!(inn.bytes_in, bytes, "{name}");
    assert_eq!(inn.peers.len(), 1, "{name}");
    assert_eq!(inn.peers[0].queued_in, 0, "{name}");
}

/// Messages a receiver has not taken show as its peer's queue depth.
#[test]
fn queue_depth_per_peer() {
    let pull = Pull::new();
    let mon = pull.monitor();
    let ep = pull.bind("inproc://observability-depth").unwrap();
    let a = Push::new();
    let b = Push::new();
    a.connect(&ep).unwrap();
    b.connect(&ep).unwrap();
    // Both joined (inproc joins in the background).
    for _ in 0..2 {
        wait_event(&mon, "join", |e| {
            matches!(e, SocketEvent::HandshakeSucceeded { .. })
        });
    }
    for _ in 0..7 {
        a.blocking_send("a").unwrap();
    }
    for _ in 0..3 {
        b.blocking_send("b").unwrap();
    }
    let mut depths: Vec<usize> = pull.stats().peers.iter().map(|p| p.queued_in).collect();
    depths.sort();
    assert_eq!(depths, vec![3, 7]);
    assert_eq!(a.stats().peers[0].queued_out, 7);
}

/// `rcvhwm_bytes`: a receiver that does not read holds at most that many
/// bytes (plus one message) per peer; the rest waits in the sender and
/// the kernel, and nothing is lost once it reads.
#[test]
fn queued_bytes_per_peer_are_bounded() {
    let pull = Pull::with_options(
        SocketOptions::default()
            .rcvhwm_bytes(10_000)
            .rcvtimeo(Some(GUARD)),
    );
    let ep = pull.bind("tcp://127.0.0.1:0").unwrap();
    let push = Push::with_options(SocketOptions::default().sndtimeo(Some(GUARD)));
    push.connect(&ep).unwrap();
    const N: usize = 500;
    for i in 0..N {
        push.blocking_send(vec![(i % 251) as u8; 1000]).unwrap();
    }
    // The queue fills up to the byte limit and never beyond it.
    let deadline = std::time::Instant::now() + GUARD;
    loop {
        let q = pull.stats().peers.first().map_or(0, |p| p.queued_in);
        assert!(q <= 11, "{q} messages of 1000 B queued, limit 10 000 B");
        if q >= 10 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "queue never filled");
        std::thread::yield_now();
    }
    for i in 0..N {
        let m = pull.blocking_recv().unwrap();
        assert_eq!(
            m.first().as_ref(),
            &vec![(i % 251) as u8; 1000][..],
            "message {i}"
        );
        let q = pull.stats().peers.first().map_or(0, |p| p.queued_in);
        assert!(q <= 11, "{q} messages queued");
    }
}

// ----- instantiation: one test per case and transport ---------------------------

support::transport_cases! {
    fn counters_count_messages_bytes_and_queued: tcp, ipc, inproc;
}
