//! Socket semantics: high-water marks and back-pressure, non-blocking and
//! timed calls, SERVER routing errors, reconnection to a re-bound server,
//! many threads on one socket, async use and cancellation, zero-copy
//! inproc, and what dropping a socket releases.

mod support;

use bytes::Bytes;
use oxmq::{Client, Error, Pull, Push, RoutingId, Server, SocketEvent, SocketOptions};
use std::collections::HashSet;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use support::{inproc_ep, ipc_ep, tcp_ep, wait_event, Transport, GUARD};

/// Options with `GUARD` (generous, never reached when the library works)
/// as the hang guard of every blocking call.
fn opts() -> SocketOptions {
    SocketOptions::default()
        .sndtimeo(Some(GUARD))
        .rcvtimeo(Some(GUARD))
        .reconnect_ivl(Duration::from_millis(10))
}

fn num(i: u32) -> Vec<u8> {
    i.to_le_bytes().to_vec()
}

fn num_of(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().unwrap())
}

// ----- high-water marks: back-pressure without loss -------------------------

const HWM_N: u32 = 100_000;

fn hwm_push_pull(t: Transport) {
    let ep = t.ep;
    let pull = Pull::with_options(opts().rcvhwm(10));
    let ep = pull.bind(&ep()).unwrap();
    let push = Push::with_options(opts().sndhwm(10));
    push.connect(&ep).unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..HWM_N {
                push.blocking_send(num(i)).unwrap();
            }
        });
        for i in 0..HWM_N {
            let m = pull.blocking_recv().unwrap();
            assert_eq!(num_of(m.first()), i, "lost or reordered at {i}");
        }
    });
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

fn hwm_client_server(t: Transport) {
    let ep = t.ep;
    let hwm = opts().sndhwm(10).rcvhwm(10);
    let server = Server::with_options(hwm.clone());
    let ep = server.bind(&ep()).unwrap();
    let client = Client::with_options(hwm);
    client.connect(&ep).unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..HWM_N {
                client.blocking_send(num(i)).unwrap();
            }
        });
        for i in 0..HWM_N {
            let (_, m) = server.blocking_recv().unwrap();
            assert_eq!(num_of(&m), i, "lost or reordered at {i}");
        }
    });
    assert!(matches!(server.try_recv(), Err(Error::WouldBlock)));
}

// ----- try_send / try_recv ---------------------------------------------------

/// With no peer at all, nothing can take a message.
#[test]
fn try_send_without_peer_would_block() {
    let push = Push::with_options(opts());
    assert!(matches!(
        push.try_send("x").map_err(Error::from),
        Err(Error::WouldBlock)
    ));
    let client = Client::with_options(opts());
    assert!(matches!(
        client.try_send("x").map_err(Error::from),
        Err(Error::WouldBlock)
    ));
}

/// Connected to an endpoint nobody binds yet, the peer's pipe holds exactly
/// `sndhwm` messages; then `try_send` would block. After a bind, exactly
/// those messages arrive.
fn try_send_fills_pipe_of_unbound_endpoint(t: Transport) {
    let (name, ep) = (t.name, t.fixed_ep);
    let ep = ep();
    let push = Push::with_options(opts().sndhwm(5));
    push.connect(&ep).unwrap();
    for i in 0..5 {
        push.try_send(num(i))
            .unwrap_or_else(|e| panic!("{name}: message {i}: {e}"));
    }
    for _ in 0..3 {
        assert!(
            matches!(
                push.try_send(num(99)).map_err(Error::from),
                Err(Error::WouldBlock)
            ),
            "{name}: a full pipe must refuse"
        );
    }
    let pull = Pull::with_options(opts());
    pull.bind(&ep).unwrap();
    for i in 0..5 {
        assert_eq!(num_of(pull.blocking_recv().unwrap().first()), i, "{name}");
    }
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)), "{name}");
}

/// Connected to a peer that does not read: `try_send` eventually would
/// block; everything it accepted, and nothing else, arrives in order once
/// the peer reads. Over inproc the limit is exactly sndhwm + rcvhwm.
fn try_send_would_block_when_peer_does_not_read(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let pull = Pull::with_options(opts().rcvhwm(4));
    let ep = pull.bind(&ep()).unwrap();
    let push = Push::with_options(opts().sndhwm(4));
    let events = push.monitor();
    push.connect(&ep).unwrap();
    // Joined (over inproc, the joint limit applies from then on).
    wait_event(&events, "HandshakeSucceeded", |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    });
    // 64 KiB messages, so the kernel's socket buffers fill quickly.
    let payload = Bytes::from(vec![0xA5u8; 64 * 1024]);
    let mut accepted = 0u32;
    loop {
        assert!(accepted < 2000, "{name}: try_send never would block");
        let msg = vec![Bytes::from(num(accepted)), payload.clone()];
        match push.try_send(msg).map_err(Error::from) {
            Ok(()) => accepted += 1,
            Err(Error::WouldBlock) => break,
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(accepted >= 4, "{name}: only {accepted} accepted");
    if name == "inproc" {
        assert_eq!(accepted, 8, "inproc: sndhwm + rcvhwm");
    }
    for i in 0..accepted {
        let m = pull.blocking_recv().unwrap();
        assert_eq!(num_of(m.first()), i, "{name}");
        assert_eq!(m.frames()[1], payload, "{name}");
    }
    assert!(
        matches!(pull.try_recv(), Err(Error::WouldBlock)),
        "{name}: a refused message must not be delivered"
    );
}

fn try_recv_would_block_when_empty(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let pull = Pull::with_options(opts());
    let pep = pull.bind(&ep()).unwrap();
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)), "{name}");
    let push = Push::with_options(opts());
    push.connect(&pep).unwrap();
    push.blocking_send("one").unwrap();
    assert_eq!(pull.blocking_recv().unwrap().first(), "one");
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)), "{name}");

    let server = Server::with_options(opts());
    let sep = server.bind(&ep()).unwrap();
    assert!(
        matches!(server.try_recv(), Err(Error::WouldBlock)),
        "{name}"
    );
    let client = Client::with_options(opts());
    client.connect(&sep).unwrap();
    assert!(
        matches!(client.try_recv(), Err(Error::WouldBlock)),
        "{name}"
    );
    client.blocking_send("ping").unwrap();
    let (id, m) = server.blocking_recv().unwrap();
    assert_eq!(m, "ping");
    assert!(
        matches!(server.try_recv(), Err(Error::WouldBlock)),
        "{name}"
    );
    server.blocking_send(id, "pong").unwrap();
    assert_eq!(client.blocking_recv().unwrap(), "pong");
    assert!(
        matches!(client.try_recv(), Err(Error::WouldBlock)),
        "{name}"
    );
}

// ----- timeouts ----------------------------------------------------------------

const SHORT: Duration = Duration::from_millis(50);

#[track_caller]
fn assert_timeout<T: std::fmt::Debug>(r: oxmq::Result<T>, started: Instant, what: &str) {
    match r {
        Err(Error::Timeout { after }) => assert_eq!(after, SHORT, "{what}"),
        other => panic!("{what}: expected Timeout, got {other:?}"),
    }
    assert!(
        started.elapsed() >= SHORT,
        "{what}: returned before the timeout"
    );
}

#[test]
fn blocking_calls_time_out() {
    let timed = opts().sndtimeo(Some(SHORT)).rcvtimeo(Some(SHORT));
    let ep = inproc_ep();

    // Receives with nothing to receive.
    let pull = Pull::with_options(timed.clone().rcvhwm(1));
    pull.bind(&ep).unwrap();
    let t = Instant::now();
    assert_timeout(pull.blocking_recv(), t, "PULL recv");
    let server = Server::with_options(timed.clone().sndhwm(1));
    let sep = server.bind(&inproc_ep()).unwrap();
    let t = Instant::now();
    assert_timeout(server.blocking_recv(), t, "SERVER recv");
    let client = Client::with_options(timed.clone().rcvhwm(1));
    let t = Instant::now();
    assert_timeout(client.blocking_recv(), t, "CLIENT recv (no peer)");

    // Sends with no peer.
    let lonely = Push::with_options(timed.clone());
    let t = Instant::now();
    assert_timeout(
        lonely.blocking_send("x").map_err(Error::from),
        t,
        "PUSH send (no peer)",
    );
    let t = Instant::now();
    assert_timeout(
        client.blocking_send("x").map_err(Error::from),
        t,
        "CLIENT send (no peer)",
    );

    // Sends to a peer that does not read, once its pipe is full.
    let push = Push::with_options(timed.clone().sndhwm(1));
    let events = push.monitor();
    push.connect(&ep).unwrap();
    // Joined, so the pipe's limit (sndhwm + rcvhwm) no longer changes.
    wait_event(&events, "HandshakeSucceeded", |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    });
    let mut sent = 0u32;
    while push.try_send(num(sent)).is_ok() {
        sent += 1;
        assert!(sent < 100, "PUSH: the pipe never filled");
    }
    let t = Instant::now();
    assert_timeout(
        push.blocking_send(num(sent)).map_err(Error::from),
        t,
        "PUSH send (peer full)",
    );
    for i in 0..sent {
        assert_eq!(num_of(pull.blocking_recv().unwrap().first()), i);
    }
    let t = Instant::now();
    assert_timeout(
        pull.blocking_recv(),
        t,
        "PULL recv after the timed-out send",
    );

    client.connect(&sep).unwrap();
    client.blocking_send("hi").unwrap();
    let (id, _) = server.blocking_recv().unwrap();
    let mut n = 0;
    while server.try_send(id, "r").is_ok() {
        n += 1;
        assert!(n < 100, "SERVER: the pipe never filled");
    }
    let t = Instant::now();
    assert_timeout(
        server.blocking_send(id, "r").map_err(Error::from),
        t,
        "SERVER send (peer full)",
    );
}

// ----- SERVER routing errors -------------------------------------------------

#[track_caller]
fn assert_unreachable(r: oxmq::Result<()>, id: RoutingId, what: &str) {
    match r {
        Err(Error::HostUnreachable { routing_id }) => assert_eq!(routing_id, id, "{what}"),
        other => panic!("{what}: expected HostUnreachable, got {other:?}"),
    }
}

fn server_send_to_unknown_id_is_unreachable(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let server = Server::with_options(opts());
    let sep = server.bind(&ep()).unwrap();
    let nobody = RoutingId::new(42).unwrap();
    assert_unreachable(
        server.try_send(nobody, "x").map_err(Error::from),
        nobody,
        name,
    );
    assert_unreachable(
        server.blocking_send(nobody, "x").map_err(Error::from),
        nobody,
        name,
    );

    let client = Client::with_options(opts());
    client.connect(&sep).unwrap();
    client.blocking_send("hi").unwrap();
    let (id, _) = server.blocking_recv().unwrap();
    let other = RoutingId::new(id.get().wrapping_add(1))
        .or(RoutingId::new(id.get().wrapping_add(2)))
        .unwrap();
    assert_unreachable(
        server.try_send(other, "x").map_err(Error::from),
        other,
        name,
    );
    assert_unreachable(
        server.blocking_send(other, "x").map_err(Error::from),
        other,
        name,
    );
    server.blocking_send(id, "ok").unwrap();
    assert_eq!(client.blocking_recv().unwrap(), "ok");
}

/// After a client is dropped and the server has seen the connection end,
/// its routing id is unreachable. Repeated to catch a window between the
/// event and the peer's removal.
fn server_send_to_departed_client_is_unreachable(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    for round in 0..10 {
        let server = Server::with_options(opts());
        let events = server.monitor();
        let sep = server.bind(&ep()).unwrap();
        let client = Client::with_options(opts().linger(Some(Duration::ZERO)));
        client.connect(&sep).unwrap();
        client.blocking_send("hi").unwrap();
        let (id, _) = server.blocking_recv().unwrap();
        server.blocking_send(id, "hello").unwrap();
        assert_eq!(client.blocking_recv().unwrap(), "hello");
        let what = format!("{name} round {round}");
        if name == "inproc" {
            // Inproc has no connection to watch end: a closed client's
            // pipes are closed by the time close returns.
            client.blocking_close();
        } else {
            drop(client);
            wait_event(&events, "Disconnected", |e| {
                matches!(e, SocketEvent::Disconnected { .. })
            });
        }
        assert_unreachable(server.try_send(id, "gone?").map_err(Error::from), id, &what);
        assert_unreachable(
            server.blocking_send(id, "gone?").map_err(Error::from),
            id,
            &what,
        );
    }
}

// ----- server closed and re-bound ----------------------------------------------

/// The client keeps its connect; each time the server is closed and a new
/// one binds the same endpoint, the client joins it and messages flow.
fn server_rebind(t: Transport) {
    let ep = t.ep;
    let server = Server::with_options(opts());
    let ep = server.bind(&ep()).unwrap();
    let client = Client::with_options(opts());
    let events = client.monitor();
    client.connect(&ep).unwrap();
    let mut server = Some(server);
    for round in 0..4u32 {
        let s = server.take().unwrap();
        client.blocking_send(num(round)).unwrap();
        let (id, m) = s.blocking_recv().unwrap();
        assert_eq!(num_of(&m), round, "round {round}: request");
        s.blocking_send(id, num(round + 100)).unwrap();
        assert_eq!(num_of(&client.blocking_recv().unwrap()), round + 100);

        s.blocking_close();
        wait_event(&events, "Disconnected on the client", |e| {
            matches!(e, SocketEvent::Disconnected { .. })
        });
        let next = Server::with_options(opts());
        assert_eq!(next.bind(&ep).unwrap(), ep, "round {round}: re-bind");
        server = Some(next);
    }
}

// ----- connections ended by unbind / disconnect are reported ----------------------

/// `DisconnectReason::SocketClosed` covers "the endpoint was unbound or
/// disconnected": a socket that ends its own tcp/ipc connections that way
/// reports them as `Disconnected` on its monitor.
fn unbind_and_disconnect_report_disconnected(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let pull = Pull::with_options(opts());
    let events = pull.monitor();
    let bound = pull.bind(&ep()).unwrap();
    let push = Push::with_options(opts());
    push.connect(&bound).unwrap();
    let far = Push::with_options(opts());
    let far_ep = far.bind(&ep()).unwrap();
    pull.connect(&far_ep).unwrap();
    push.blocking_send("a").unwrap();
    far.blocking_send("b").unwrap();
    let mut got: Vec<Bytes> = (0..2)
        .map(|_| pull.blocking_recv().unwrap().first().clone())
        .collect();
    got.sort();
    assert_eq!(got, ["a", "b"], "{name}");

    pull.unbind(&bound).unwrap();
    wait_event(
        &events,
        &format!("{name}: Disconnected after unbind"),
        |e| matches!(e, SocketEvent::Disconnected { endpoint, .. } if *endpoint == bound),
    );
    pull.disconnect(&far_ep).unwrap();
    wait_event(
        &events,
        &format!("{name}: Disconnected after disconnect"),
        |e| matches!(e, SocketEvent::Disconnected { endpoint, .. } if *endpoint == far_ep),
    );
}

// ----- many threads on one socket ------------------------------------------------

const THREADS: u32 = 4;
const PER_THREAD: u32 = 500;

fn tag(t: u32, i: u32) -> Vec<u8> {
    let mut v = num(t);
    v.extend_from_slice(&num(i));
    v
}

fn check_exactly_once(name: &str, got: Vec<Vec<Vec<u8>>>) {
    let mut seen = HashSet::new();
    for m in got.into_iter().flatten() {
        let key = (num_of(&m), num_of(&m[4..]));
        assert!(seen.insert(key), "{name}: {key:?} received twice");
    }
    let want: HashSet<_> = (0..THREADS)
        .flat_map(|t| (0..PER_THREAD).map(move |i| (t, i)))
        .collect();
    assert_eq!(seen, want, "{name}: not every message arrived");
}

/// 4 threads send and 4 threads receive on one shared CLIENT; a SERVER
/// echoes. Each receiver takes an equal share: a lost message leaves one
/// receiver waiting (until the guard timeout), a duplicate is caught.
fn client_shared_by_eight_threads(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let server = Server::with_options(opts());
    let ep = server.bind(&ep()).unwrap();
    let client = Arc::new(Client::with_options(opts()));
    client.connect(&ep).unwrap();
    let echo = thread::spawn(move || {
        for _ in 0..THREADS * PER_THREAD {
            let (id, m) = server.blocking_recv().unwrap();
            server.blocking_send(id, m).unwrap();
        }
        server
    });
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let c = client.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    c.blocking_send(tag(t, i)).unwrap();
                }
            })
        })
        .collect();
    let receivers: Vec<_> = (0..THREADS)
        .map(|_| {
            let c = client.clone();
            thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|_| c.blocking_recv().unwrap().to_vec())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    let got = receivers.into_iter().map(|r| r.join().unwrap()).collect();
    check_exactly_once(name, got);
    let server = echo.join().unwrap();
    assert!(
        matches!(client.try_recv(), Err(Error::WouldBlock)),
        "{name}"
    );
    assert!(
        matches!(server.try_recv(), Err(Error::WouldBlock)),
        "{name}"
    );
}

/// 4 threads send on one PUSH while 4 threads read one PULL.
fn push_and_pull_shared_by_four_threads_each(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let pull = Arc::new(Pull::with_options(opts()));
    let ep = pull.bind(&ep()).unwrap();
    let push = Arc::new(Push::with_options(opts()));
    push.connect(&ep).unwrap();
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let p = push.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    p.blocking_send(tag(t, i)).unwrap();
                }
            })
        })
        .collect();
    let receivers: Vec<_> = (0..THREADS)
        .map(|_| {
            let p = pull.clone();
            thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|_| p.blocking_recv().unwrap().first().to_vec())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    let got = receivers.into_iter().map(|r| r.join().unwrap()).collect();
    check_exactly_once(name, got);
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)), "{name}");
}

// ----- async API on a current-thread tokio runtime -----------------------------

async fn async_send_recv_on_current_thread_runtime(t: Transport) {
    let all = async {
        let (name, ep) = (t.name, t.ep);
        let pull = Pull::with_options(opts());
        let pep = pull.bind(&ep()).unwrap();
        let push = Push::with_options(opts());
        push.connect(&pep).unwrap();
        for i in 0..100 {
            push.send(vec![Bytes::from(num(i)), Bytes::from_static(b"x")])
                .await
                .unwrap();
        }
        for i in 0..100 {
            let m = pull.recv().await.unwrap();
            assert_eq!(num_of(m.first()), i, "{name}");
            assert_eq!(m.frames()[1], "x", "{name}");
        }

        let server = Server::with_options(opts());
        let sep = server.bind(&ep()).unwrap();
        let client = Client::with_options(opts());
        client.connect(&sep).unwrap();
        for i in 0..50 {
            client.send(num(i)).await.unwrap();
            let (id, m) = server.recv().await.unwrap();
            assert_eq!(num_of(&m), i, "{name}");
            server.send(id, num(i + 1000)).await.unwrap();
            assert_eq!(num_of(&client.recv().await.unwrap()), i + 1000, "{name}");
        }
        client.close().await;
        server.close().await;
        push.close().await;
        pull.close().await;
    };
    tokio::time::timeout(GUARD, all)
        .await
        .expect("async calls did not complete");
}

/// Blocking calls made on the thread of a current-thread runtime need the
/// I/O to progress elsewhere (oxmq's own runtime): they must not deadlock.
async fn blocking_calls_inside_current_thread_runtime(t: Transport) {
    let (name, ep) = (t.name, t.ep);
    let server = Server::with_options(opts());
    let sep = server.bind(&ep()).unwrap();
    let client = Client::with_options(opts());
    client.connect(&sep).unwrap();
    for i in 0..20 {
        client.blocking_send(num(i)).unwrap();
        let (id, m) = server.blocking_recv().unwrap();
        assert_eq!(num_of(&m), i, "{name}");
        server.blocking_send(id, m).unwrap();
        assert_eq!(num_of(&client.blocking_recv().unwrap()), i, "{name}");
    }
    // Mixed: an async send, then a blocking receive, and back.
    let pull = Pull::with_options(opts());
    let pep = pull.bind(&ep()).unwrap();
    let push = Push::with_options(opts());
    push.connect(&pep).unwrap();
    push.send("async").await.unwrap();
    assert_eq!(pull.blocking_recv().unwrap().first(), "async", "{name}");
    push.blocking_send("blocking").unwrap();
    assert_eq!(pull.recv().await.unwrap().first(), "blocking", "{name}");
    client.blocking_close();
    server.blocking_close();
    push.blocking_close();
    pull.blocking_close();
}

/// A `recv` future dropped by `tokio::select!` (losing a race against a
/// short timer, many times, while messages arrive at irregular moments)
/// takes no message: everything sent is received, in order.
async fn recv_cancelled_in_select_loses_nothing(t: Transport) {
    const N: u32 = 2000;
    let (name, ep) = (t.name, t.ep);
    let pull = Pull::with_options(opts());
    let pep = pull.bind(&ep()).unwrap();
    let push = Push::with_options(opts());
    push.connect(&pep).unwrap();
    let sender = thread::spawn(move || {
        let mut x: u32 = 0x2545_F491;
        for i in 0..N {
            push.blocking_send(num(i)).unwrap();
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Irregular arrival: now and then a pause longer than the
            // receiver's timer, so that recv futures get dropped.
            if x % 16 == 0 {
                thread::sleep(Duration::from_micros(u64::from(x % 3000)));
            }
        }
        push
    });
    let mut next = 0u32;
    let mut cancelled = 0u32;
    let mut timer: u32 = 7;
    let run = async {
        while next < N {
            timer = timer.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let wait = Duration::from_micros(u64::from(timer % 500));
            tokio::select! {
                r = pull.recv() => {
                    let m = r.unwrap();
                    assert_eq!(num_of(m.first()), next, "{name}: lost or reordered");
                    next += 1;
                }
                _ = tokio::time::sleep(wait) => cancelled += 1,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap_or_else(|_| panic!("{name}: only {next} of {N} received"));
    assert!(cancelled > 0, "{name}: no recv was ever cancelled");
    let _push = sender.join().unwrap();
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)), "{name}");
}

// ----- zero copy over inproc -------------------------------------------------------

#[test]
fn inproc_send_does_not_copy() {
    let ep = inproc_ep();
    let pull = Pull::with_options(opts());
    pull.bind(&ep).unwrap();
    let push = Push::with_options(opts());
    push.connect(&ep).unwrap();
    let a = Bytes::from(vec![1u8; 4096]);
    let b = Bytes::from(vec![2u8; 100]);
    push.blocking_send(a.clone()).unwrap();
    push.blocking_send(vec![a.clone(), b.clone()]).unwrap();
    let m = pull.blocking_recv().unwrap();
    assert_eq!(m.first().as_ptr(), a.as_ptr(), "single frame was copied");
    let m = pull.blocking_recv().unwrap();
    assert_eq!(m.frames()[0].as_ptr(), a.as_ptr(), "frame 0 was copied");
    assert_eq!(m.frames()[1].as_ptr(), b.as_ptr(), "frame 1 was copied");

    let server = Server::with_options(opts());
    let sep = server.bind(&inproc_ep()).unwrap();
    let client = Client::with_options(opts());
    client.connect(&sep).unwrap();
    client.blocking_send(a.clone()).unwrap();
    let (id, got) = server.blocking_recv().unwrap();
    assert_eq!(got.as_ptr(), a.as_ptr(), "CLIENT to SERVER copied");
    server.blocking_send(id, b.clone()).unwrap();
    assert_eq!(
        client.blocking_recv().unwrap().as_ptr(),
        b.as_ptr(),
        "SERVER to CLIENT copied"
    );
}

// ----- dropping sockets releases what they hold ------------------------------------

/// Many sockets, each bound on tcp and ipc with a peer connected and
/// messages queued, are dropped with linger 0. Once each reports its
/// listeners `Closed`, the tcp ports can be bound again, the ipc files are
/// gone, and the peers see their connections end.
#[test]
fn dropped_sockets_release_listeners_and_connections() {
    const K: usize = 16;
    let mut held = Vec::new();
    for _ in 0..K {
        let pull = Pull::with_options(opts().linger(Some(Duration::ZERO)).rcvhwm(2));
        let events = pull.monitor();
        let tcp = pull.bind(&tcp_ep()).unwrap();
        let ipc = pull.bind(&ipc_ep()).unwrap();
        let push = Push::with_options(opts().linger(Some(Duration::ZERO)));
        let push_events = push.monitor();
        push.connect(&tcp).unwrap();
        push.connect(&ipc).unwrap();
        for i in 0..20 {
            push.blocking_send(num(i)).unwrap();
        }
        // Both connections are up (so their end can be seen).
        for _ in 0..2 {
            wait_event(&push_events, "HandshakeSucceeded", |e| {
                matches!(e, SocketEvent::HandshakeSucceeded { .. })
            });
        }
        held.push((pull, events, tcp, ipc, push, push_events));
    }
    let mut rebound = Vec::new();
    for (pull, events, tcp, ipc, push, push_events) in held {
        drop(pull);
        let mut closed = HashSet::new();
        while closed.len() < 2 {
            if let SocketEvent::Closed { endpoint } = wait_event(&events, "Closed", |e| {
                matches!(e, SocketEvent::Closed { .. })
            }) {
                closed.insert(endpoint);
            }
        }
        assert_eq!(closed, HashSet::from([tcp.clone(), ipc.clone()]));
        // The listeners are reported closed: their resources are released.
        let path = ipc.strip_prefix("ipc://").unwrap();
        assert!(
            !std::path::Path::new(path).exists(),
            "{path} still exists after its listener was reported Closed"
        );
        let again = Pull::with_options(opts().linger(Some(Duration::ZERO)));
        again
            .bind(&tcp)
            .unwrap_or_else(|e| panic!("re-bind of {tcp} after Closed: {e}"));
        rebound.push(again);
        // The dropped socket's connections end too.
        let mut ended = HashSet::new();
        while ended.len() < 2 {
            if let SocketEvent::Disconnected { endpoint, .. } =
                wait_event(&push_events, "Disconnected on the peer", |e| {
                    matches!(e, SocketEvent::Disconnected { .. })
                })
            {
                ended.insert(endpoint);
            }
        }
        assert_eq!(ended, HashSet::from([tcp, ipc]));
        drop(push);
    }
}

/// Closing a socket ends its connections on the wire: the peer sees them
/// go (a closing socket whose connection was idle must still hang up).
fn closing_a_socket_hangs_up_its_connections(t: Transport) {
    let ep = (t.ep)();
    for default_linger in [false, true] {
        let pull = if default_linger {
            Pull::new()
        } else {
            Pull::with_options(opts())
        };
        let bound = pull.bind(&ep).unwrap();
        let push = Push::with_options(opts());
        let mon = push.monitor();
        push.connect(&bound).unwrap();
        push.blocking_send(Bytes::from_static(b"one")).unwrap();
        assert_eq!(
            pull.blocking_recv().unwrap().frames(),
            &[Bytes::from_static(b"one")]
        );
        // Both directions idle now; closing the PULL (in the
        // background: dropped) must still end the connection, which
        // the PUSH observes.
        drop(pull);
        wait_event(&mon, "Disconnected after the peer closed", |e| {
            matches!(e, SocketEvent::Disconnected { .. })
        });
    }
}

// ----- instantiation: one test per case and transport ---------------------------

support::transport_cases! {
    fn hwm_push_pull: tcp, ipc, inproc;
    fn hwm_client_server: tcp, ipc, inproc;
    fn server_rebind: tcp, ipc, inproc;
    fn try_send_fills_pipe_of_unbound_endpoint: tcp, ipc, inproc;
    fn try_send_would_block_when_peer_does_not_read: tcp, ipc, inproc;
    fn try_recv_would_block_when_empty: tcp, ipc, inproc;
    fn server_send_to_unknown_id_is_unreachable: tcp, ipc, inproc;
    fn server_send_to_departed_client_is_unreachable: tcp, ipc, inproc;
    fn unbind_and_disconnect_report_disconnected: tcp, ipc;
    fn client_shared_by_eight_threads: tcp, ipc, inproc;
    fn push_and_pull_shared_by_four_threads_each: tcp, ipc, inproc;
    #[tokio::test(flavor = "current_thread")]
    async fn async_send_recv_on_current_thread_runtime: tcp, ipc, inproc;
    #[tokio::test(flavor = "current_thread")]
    async fn blocking_calls_inside_current_thread_runtime: tcp, ipc, inproc;
    #[tokio::test(flavor = "current_thread")]
    async fn recv_cancelled_in_select_loses_nothing: tcp, ipc, inproc;
    fn closing_a_socket_hangs_up_its_connections: tcp, ipc;
}
