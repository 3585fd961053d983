//! Direct reads (SPEC §6.1): a thread blocked in a receive on a socket with
//! tcp or ipc connections reads those connections itself. These tests
//! check that nothing the engine would have done is lost while a thread
//! waits that way: PINGs are answered, the end of a connection is noticed,
//! closing and timeouts end the wait, messages from other peers (inproc,
//! a second connection) wake it, and order is kept when the thread and the
//! engine take turns reading.

mod raw_peer;
mod support;

use bytes::Bytes;
use oxmq::__internal::zmtp::{Command, SocketType};
use oxmq::{Pull, Push, Server, SocketEvent, SocketOptions};
use raw_peer::{command, message, RawPeer};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{ipc_ep, tcp_ep, wait_event, Transport, GUARD};

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(GUARD))
        .sndtimeo(Some(GUARD))
}

/// Starts `recv` on another thread and waits until it is blocked (its
/// socket has nothing queued, so it must be waiting when we go on: the
/// thread signals just before the call, and nothing can arrive before the
/// test sends it).
fn blocked_recv<T: Send + 'static>(
    recv: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        tx.send(()).unwrap();
        recv()
    });
    rx.recv().unwrap();
    h
}

#[test]
fn ping_is_answered_while_a_thread_waits_directly() {
    // (The scripted peer speaks tcp; ipc shares the code path.)
    let ep = tcp_ep();
    let server = Arc::new(Server::with_options(opts()));
    let bound = server.bind(&ep).unwrap();
    let mut raw = RawPeer::connect(&bound);
    raw.handshake(SocketType::Client);
    let s = server.clone();
    let waiter = blocked_recv(move || s.blocking_recv());
    raw.send(&command(&Command::Ping {
        ttl_deciseconds: 0,
        context: Bytes::from_static(b"ctx"),
    }));
    match raw.read_command() {
        Command::Pong { context } => assert_eq!(context, "ctx", "{ep}"),
        other => panic!("{ep}: expected PONG, got {other:?}"),
    }
    // The waiting thread still gets the next message.
    raw.send(&message(&[b"after ping"]));
    let (_, msg) = waiter.join().unwrap().unwrap();
    assert_eq!(msg, "after ping", "{ep}");
}

#[test]
fn peer_leaving_during_a_direct_wait_is_reported() {
    let ep = tcp_ep();
    let server = Arc::new(Server::with_options(
        opts().rcvtimeo(Some(Duration::from_millis(1500))),
    ));
    let bound = server.bind(&ep).unwrap();
    let monitor = server.monitor();
    let mut raw = RawPeer::connect(&bound);
    raw.handshake(SocketType::Client);
    raw.send(&message(&[b"one"]));
    let (id, msg) = server.blocking_recv().unwrap();
    assert_eq!(msg, "one");
    let s = server.clone();
    let waiter = blocked_recv(move || s.blocking_recv());
    drop(raw);
    // The wait ends by its timeout (nothing more comes), but the
    // departure was seen meanwhile: the peer is gone from routing.
    wait_event(&monitor, "Disconnected", |e| {
        matches!(e, SocketEvent::Disconnected { .. })
    });
    assert!(matches!(
        server.try_send(id, "late").map_err(oxmq::Error::from),
        Err(oxmq::Error::HostUnreachable { .. })
    ));
    assert!(matches!(
        waiter.join().unwrap(),
        Err(oxmq::Error::Timeout { .. })
    ));
}

#[test]
fn connections_leaving_and_arriving_during_a_wait() {
    // The thread waits directly on the one connection; unbinding closes
    // it. The wait goes on (now the usual way) and still gets a message
    // that arrives over a new endpoint.
    let pull = Arc::new(Pull::with_options(opts()));
    let first = pull.bind(&tcp_ep()).unwrap();
    let monitor = pull.monitor();
    let push = Push::with_options(opts());
    push.connect(&first).unwrap();
    push.blocking_send("hello").unwrap();
    assert_eq!(pull.blocking_recv().unwrap().first(), "hello");
    let p = pull.clone();
    let waiter = blocked_recv(move || p.blocking_recv());
    pull.unbind(&first).unwrap();
    wait_event(&monitor, "Disconnected", |e| {
        matches!(e, SocketEvent::Disconnected { .. })
    });
    let second = pull.bind(&ipc_ep()).unwrap();
    let push2 = Push::with_options(opts());
    push2.connect(&second).unwrap();
    push2.blocking_send("over ipc").unwrap();
    assert_eq!(waiter.join().unwrap().unwrap().first(), "over ipc");
}

#[test]
fn receive_timeout_applies_to_a_direct_wait() {
    let pull = Pull::with_options(opts().rcvtimeo(Some(Duration::from_millis(200))));
    let ep = pull.bind(&tcp_ep()).unwrap();
    let push = Push::with_options(opts());
    let monitor = pull.monitor();
    push.connect(&ep).unwrap();
    wait_event(&monitor, "HandshakeSucceeded", |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    });
    let started = Instant::now();
    match pull.blocking_recv() {
        Err(oxmq::Error::Timeout { after }) => assert_eq!(after, Duration::from_millis(200)),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn other_peers_wake_a_direct_wait() {
    // One tcp connection (the thread waits on it directly) and one
    // inproc peer, which sends: the inproc message must wake the waiter.
    let pull = Arc::new(Pull::with_options(opts()));
    let tcp = pull.bind(&tcp_ep()).unwrap();
    let inproc = pull.bind(&support::inproc_ep()).unwrap();
    let monitor = pull.monitor();
    let tcp_push = Push::with_options(opts());
    tcp_push.connect(&tcp).unwrap();
    wait_event(
        &monitor,
        "HandshakeSucceeded",
        |e| matches!(e, SocketEvent::HandshakeSucceeded { endpoint, .. } if endpoint.starts_with("tcp")),
    );
    let inproc_push = Push::with_options(opts());
    inproc_push.connect(&inproc).unwrap();
    let p = pull.clone();
    let started = Instant::now();
    let waiter = blocked_recv(move || p.blocking_recv());
    inproc_push.blocking_send("via inproc").unwrap();
    assert_eq!(waiter.join().unwrap().unwrap().first(), "via inproc");
    assert!(started.elapsed() < GUARD);

    // A second tcp connection arriving while the thread waits on the
    // first is picked up too.
    let p = pull.clone();
    let waiter = blocked_recv(move || p.blocking_recv());
    let second = Push::with_options(opts());
    second.connect(&tcp).unwrap();
    second.blocking_send("via second").unwrap();
    assert_eq!(waiter.join().unwrap().unwrap().first(), "via second");
}

fn order_is_kept_when_thread_and_engine_take_turns(t: Transport) {
    // Receivers alternate between blocking receives (direct reads when
    // the queue is empty), non-blocking ones and async ones (engine
    // reads), over tcp and ipc, with multipart messages.
    let ep = (t.ep)();
    let pull = Pull::with_options(opts().rcvhwm(50));
    let bound = pull.bind(&ep).unwrap();
    let push = Push::with_options(opts());
    push.connect(&bound).unwrap();
    const N: u32 = 50_000;
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            let frames = vec![
                Bytes::from(i.to_be_bytes().to_vec()),
                Bytes::from(vec![(i % 251) as u8; (i % 300) as usize]),
            ];
            push.blocking_send(frames).unwrap();
        }
        push
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for i in 0..N {
        let msg = match i % 3 {
            0 => pull.blocking_recv().unwrap(),
            1 => loop {
                match pull.try_recv() {
                    Ok(m) => break m,
                    Err(oxmq::Error::WouldBlock) => std::thread::yield_now(),
                    Err(e) => panic!("{e}"),
                }
            },
            _ => rt.block_on(pull.recv()).unwrap(),
        };
        let frames = msg.frames();
        assert_eq!(frames.len(), 2, "{ep}: message {i}");
        assert_eq!(frames[0].as_ref(), i.to_be_bytes(), "{ep}: order");
        assert_eq!(frames[1].len(), (i % 300) as usize, "{ep}: message {i}");
        assert!(frames[1].iter().all(|&b| b == (i % 251) as u8));
    }
    drop(sender.join().unwrap());
}

/// A direct read that decodes more messages than the inbound queue has
/// room for leaves the rest with the engine, which hands them over as the
/// application makes room, also when no thread reads directly any more
/// (here: async receives only).
#[test]
fn messages_beyond_the_queue_left_by_a_direct_read_are_delivered() {
    let pull = Arc::new(Pull::with_options(opts().rcvhwm(10)));
    let bound = pull.bind(&tcp_ep()).unwrap();
    let mut raw = RawPeer::connect(&bound);
    raw.handshake(SocketType::Push);
    let p = pull.clone();
    let waiter = blocked_recv(move || p.blocking_recv());
    // 100 messages in one write: the waiting thread reads them all at once.
    let mut burst = Vec::new();
    for i in 0..100u32 {
        burst.extend_from_slice(&message(&[format!("m{i}").as_bytes()]));
    }
    raw.send(&burst);
    assert_eq!(waiter.join().unwrap().unwrap().first(), "m0");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 1..100u32 {
            let m = tokio::time::timeout(GUARD, pull.recv())
                .await
                .unwrap_or_else(|_| panic!("message {i} never delivered"))
                .unwrap();
            assert_eq!(m.first(), format!("m{i}").as_bytes());
        }
    });
}

// ----- instantiation: one test per case and transport ---------------------------

support::transport_cases! {
    fn order_is_kept_when_thread_and_engine_take_turns: tcp, ipc;
}
