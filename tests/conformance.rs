//! One conformance suite, written once and run on every transport (tcp,
//! ipc, inproc), each case a test of its own (`conformance::tcp::...`):
//! what each socket family must do (`families`: CLIENT/SERVER, PUSH/PULL,
//! PUB/SUB, XPUB/XSUB, REQ/REP, REQ/ROUTER, DEALER/ROUTER, DEALER/DEALER,
//! DEALER/REP, PAIR, with the hub socket binding and with it connecting),
//! and message sizes, multipart order, many peers, closing while busy,
//! connect before bind, and sockets that bind and connect at once.

#[path = "conformance/families.rs"]
mod families;
mod support;

use bytes::Bytes;
use families::Binds;
use oxmq::{Client, Error, Pull, Push, Server, SocketEvent, SocketOptions};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use support::{wait_event, Transport, GUARD, INPROC, IPC, TCP};

/// Options with `GUARD` (generous, never reached when the library works)
/// as the hang guard of every blocking call.
fn opts() -> SocketOptions {
    SocketOptions::default()
        .sndtimeo(Some(GUARD))
        .rcvtimeo(Some(GUARD))
        .reconnect_ivl(Duration::from_millis(10))
}

/// Deterministic pseudo-random bytes (xorshift), different for each seed.
fn pattern(len: usize, seed: u64) -> Bytes {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let take = (len - v.len()).min(8);
        v.extend_from_slice(&x.to_le_bytes()[..take]);
    }
    Bytes::from(v)
}

/// Compares two payloads without dumping megabytes on failure.
#[track_caller]
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length differs");
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!(
            "{what}: first difference at byte {i} of {}: got {:#04x}, want {:#04x}",
            want.len(),
            got[i],
            want[i]
        );
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

// ----- message sizes ------------------------------------------------------

const SIZES: [usize; 6] = [0, 1, 255, 256, 64 * 1024, 4 * 1024 * 1024];

fn sized_payloads() -> Vec<Bytes> {
    SIZES
        .iter()
        .enumerate()
        .map(|(i, &n)| pattern(n, i as u64 + 1))
        .collect()
}

fn sizes_push_pull(t: Transport) {
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&(t.ep)()).unwrap();
    let push = Push::with_options(opts());
    push.connect(&ep).unwrap();
    let sent = sized_payloads();
    for b in &sent {
        push.blocking_send(b.clone()).unwrap();
    }
    // The same sizes again as the frames of one multipart message.
    push.blocking_send(sent.clone()).unwrap();
    for (b, n) in sent.iter().zip(SIZES) {
        let m = pull.blocking_recv().unwrap();
        assert_eq!(m.len(), 1, "{n} B message: frame count");
        assert_same(&m.frames()[0], b, &format!("{n} B message"));
    }
    let m = pull.blocking_recv().unwrap();
    assert_eq!(m.len(), SIZES.len(), "multipart of all sizes: frame count");
    for ((got, want), n) in m.frames().iter().zip(&sent).zip(SIZES) {
        assert_same(got, want, &format!("{n} B frame of the multipart message"));
    }
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

fn sizes_client_server(t: Transport) {
    let server = Server::with_options(opts());
    let ep = server.bind(&(t.ep)()).unwrap();
    let client = Client::with_options(opts());
    client.connect(&ep).unwrap();
    for (b, n) in sized_payloads().iter().zip(SIZES) {
        client.blocking_send(b.clone()).unwrap();
        let (id, got) = server.blocking_recv().unwrap();
        assert_same(&got, b, &format!("{n} B request"));
        // Echo a different payload of the same size, so a reply cannot be
        // mistaken for a loop-back of the request.
        let reply = pattern(n, 1000 + n as u64);
        server.blocking_send(id, reply.clone()).unwrap();
        let back = client.blocking_recv().unwrap();
        assert_same(&back, &reply, &format!("{n} B reply"));
    }
}

// ----- multipart order ----------------------------------------------------

fn multipart_message(i: usize) -> Vec<Bytes> {
    let frames = 1 + i % 5;
    (0..frames)
        .map(|j| {
            let len = match (i + j) % 97 {
                0 => 20_000, // larger than the engine's inline-copy limit
                1 => 0,      // empty frames are frames too
                k => k * 3,
            };
            let mut v = format!("{i}/{j}:").into_bytes();
            v.extend_from_slice(&pattern(len, (i * 8 + j) as u64));
            Bytes::from(v)
        })
        .collect()
}

fn multipart_order(t: Transport) {
    const N: usize = 3000;
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&(t.ep)()).unwrap();
    let push = Push::with_options(opts());
    push.connect(&ep).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..N {
                push.blocking_send(multipart_message(i)).unwrap();
            }
        });
        for i in 0..N {
            let got = pull.blocking_recv().unwrap();
            let want = multipart_message(i);
            assert_eq!(got.len(), want.len(), "message {i}: frame count");
            for (j, (g, w)) in got.frames().iter().zip(&want).enumerate() {
                assert_same(g, w, &format!("message {i} frame {j}"));
            }
        }
    });
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

// ----- many peers ---------------------------------------------------------

const PEERS: usize = 8;

fn many_push_one_pull(t: Transport) {
    const N: u32 = 1000;
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&(t.ep)()).unwrap();
    let pushes: Vec<Push> = (0..PEERS)
        .map(|_| {
            let p = Push::with_options(opts());
            p.connect(&ep).unwrap();
            p
        })
        .collect();
    std::thread::scope(|s| {
        for (k, push) in pushes.iter().enumerate() {
            s.spawn(move || {
                for seq in 0..N {
                    let mut v = vec![k as u8];
                    v.extend_from_slice(&seq.to_le_bytes());
                    push.blocking_send(v).unwrap();
                }
            });
        }
        let mut next = [0u32; PEERS];
        for _ in 0..PEERS as u32 * N {
            let m = pull.blocking_recv().unwrap();
            let b = m.first();
            assert_eq!(b.len(), 5);
            let (k, seq) = (b[0] as usize, u32_at(b, 1));
            assert_eq!(seq, next[k], "peer {k}: out of order");
            next[k] += 1;
        }
        assert_eq!(next, [N; PEERS]);
    });
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

fn many_clients_one_server(t: Transport) {
    const N: usize = 200;
    let server = Server::with_options(opts());
    let ep = server.bind(&(t.ep)()).unwrap();
    let clients: Vec<Client> = (0..PEERS)
        .map(|_| {
            let c = Client::with_options(opts());
            c.connect(&ep).unwrap();
            c
        })
        .collect();
    std::thread::scope(|s| {
        let server = &server;
        s.spawn(move || {
            // Echo, checking each client keeps one routing id and no two
            // clients share one.
            let mut ids = HashMap::new();
            for _ in 0..PEERS * N {
                let (id, msg) = server.blocking_recv().unwrap();
                let k = msg[0];
                assert_eq!(*ids.entry(k).or_insert(id), id, "client {k} changed id");
                server.blocking_send(id, msg).unwrap();
            }
            let distinct: HashSet<_> = ids.values().collect();
            assert_eq!(distinct.len(), PEERS, "routing ids must be distinct");
        });
        for (k, client) in clients.iter().enumerate() {
            s.spawn(move || {
                for i in 0..N {
                    let mut v = vec![k as u8];
                    v.extend_from_slice(&(i as u32).to_le_bytes());
                    client.blocking_send(v).unwrap();
                }
                for i in 0..N {
                    let r = client.blocking_recv().unwrap();
                    assert_eq!(r[0] as usize, k, "client {k} got another client's reply");
                    assert_eq!(u32_at(&r, 1) as usize, i, "client {k}: reply order");
                }
                assert!(matches!(client.try_recv(), Err(Error::WouldBlock)));
            });
        }
    });
}

// ----- close while busy ---------------------------------------------------

fn busy_message(seq: u32) -> Vec<Bytes> {
    let len = 64 + (seq as usize * 37) % 2000;
    vec![
        Bytes::copy_from_slice(&seq.to_le_bytes()),
        pattern(len, seq as u64 + 7),
    ]
}

/// PUSH sends N messages while PULL reads, then the PUSH is dropped with
/// many messages still queued. With `linger` zero the PULL must get an
/// in-order prefix of what was sent, uncorrupted; with the default (wait
/// for ever) linger it must get everything.
fn close_while_busy(t: Transport, linger: Option<Duration>) {
    const N: u32 = 20_000;
    let discard = linger == Some(Duration::ZERO);
    // With linger 0 the reader cannot know how much will come: once the
    // sender is gone, a pause of `quiet` ends the read.
    let quiet = Duration::from_millis(300);
    let pull =
        Pull::with_options(
            opts()
                .rcvhwm(100)
                .rcvtimeo(Some(if discard { quiet } else { GUARD })),
        );
    let ep = pull.bind(&(t.ep)()).unwrap();
    let push = Push::with_options(opts().sndhwm(100).linger(linger));
    push.connect(&ep).unwrap();
    let dropped = AtomicBool::new(false);
    let received = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut next = 0u32;
            while next < N {
                match pull.blocking_recv() {
                    Ok(m) => {
                        let want = busy_message(next);
                        assert_eq!(m.len(), 2, "message {next}: frame count");
                        assert_eq!(u32_at(m.first(), 0), next, "not an in-order prefix");
                        assert_same(&m.frames()[1], &want[1], &format!("message {next}"));
                        next += 1;
                    }
                    Err(Error::Timeout { .. }) if discard && dropped.load(Ordering::SeqCst) => {
                        break
                    }
                    Err(Error::Timeout { .. }) if discard => {}
                    Err(e) => panic!("recv after {next} messages: {e}"),
                }
            }
            next
        });
        for seq in 0..N {
            push.blocking_send(busy_message(seq)).unwrap();
        }
        drop(push);
        dropped.store(true, Ordering::SeqCst);
        reader.join().unwrap()
    });
    if !discard {
        assert_eq!(received, N, "default linger: everything sent must arrive");
    }
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

// ----- connect before bind ------------------------------------------------

fn connect_before_bind(t: Transport) {
    let ep = (t.fixed_ep)();
    let push = Push::with_options(opts());
    push.connect(&ep).unwrap();
    for i in 0..50u32 {
        push.blocking_send(i.to_le_bytes().to_vec()).unwrap();
    }
    let pull = Pull::with_options(opts());
    pull.bind(&ep).unwrap();
    for i in 0..50u32 {
        assert_eq!(u32_at(pull.blocking_recv().unwrap().first(), 0), i);
    }

    let ep = (t.fixed_ep)();
    let client = Client::with_options(opts());
    client.connect(&ep).unwrap();
    for i in 0..10u32 {
        client.blocking_send(i.to_le_bytes().to_vec()).unwrap();
    }
    let server = Server::with_options(opts());
    server.bind(&ep).unwrap();
    for i in 0..10u32 {
        let (id, m) = server.blocking_recv().unwrap();
        assert_eq!(u32_at(&m, 0), i);
        server.blocking_send(id, m).unwrap();
    }
    for i in 0..10u32 {
        assert_eq!(u32_at(&client.blocking_recv().unwrap(), 0), i);
    }
}

// ----- binding and connecting on one socket -------------------------------

fn tagged(tag: u8, i: u32) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend_from_slice(&i.to_le_bytes());
    v
}

/// Receives `n` messages; those whose tag is a key of `next` must come in
/// sequence from that value on. Returns every (tag, seq) received.
fn collect(pull: &Pull, n: usize, next: &mut HashMap<u8, u32>) -> HashSet<(u8, u32)> {
    let mut got = HashSet::new();
    for _ in 0..n {
        let m = pull.blocking_recv().unwrap_or_else(|e| {
            let mut got: Vec<_> = got.iter().collect();
            got.sort();
            panic!("{e} after {} of {n} messages; got {got:?}", got.len())
        });
        let b = m.first();
        let (tag, seq) = (b[0], u32_at(b, 1));
        if let Some(want) = next.get_mut(&tag) {
            assert_eq!(seq, *want, "source {} out of order", tag as char);
            *want += 1;
        }
        assert!(got.insert((tag, seq)), "duplicate {tag}/{seq}");
    }
    got
}

fn bind_and_connect_both_roles(t: Transport) {
    // P binds e1, e2 and connects to e3, e4; X and Y connect to P; Z binds
    // e3 and e4, so it reaches P over two connections.
    let p = Pull::with_options(opts());
    let e1 = p.bind(&(t.ep)()).unwrap();
    let e2 = p.bind(&(t.ep)()).unwrap();
    let x = Push::with_options(opts());
    let x_events = x.monitor();
    x.connect(&e1).unwrap();
    let y = Push::with_options(opts());
    y.connect(&e2).unwrap();
    let z = Push::with_options(opts());
    let z_events = z.monitor();
    let e3 = z.bind(&(t.ep)()).unwrap();
    let e4 = z.bind(&(t.ep)()).unwrap();
    p.connect(&e3).unwrap();
    p.connect(&e4).unwrap();

    let mut next = HashMap::from([(b'x', 0u32), (b'y', 0u32)]);
    for i in 0..100 {
        x.blocking_send(tagged(b'x', i)).unwrap();
        y.blocking_send(tagged(b'y', i)).unwrap();
        z.blocking_send(tagged(b'z', 2 * i)).unwrap();
        z.blocking_send(tagged(b'z', 2 * i + 1)).unwrap();
    }
    let got = collect(&p, 400, &mut next);
    let zs: HashSet<_> = (0..200).map(|i| (b'z', i)).collect();
    assert!(zs.is_subset(&got), "a message from Z is missing");

    // Unbind e1: X loses P (its connection is closed) until P binds e1
    // again; what X sends meanwhile waits in X and arrives after.
    p.unbind(&e1).unwrap();
    assert!(matches!(p.unbind(&e1), Err(Error::NotBound { .. })));
    if t.stream {
        wait_event(&x_events, "Disconnected on X after unbind", |e| {
            matches!(e, SocketEvent::Disconnected { .. })
        });
    }
    for i in 100..150 {
        x.blocking_send(tagged(b'x', i)).unwrap();
    }
    assert_eq!(p.bind(&e1).unwrap(), e1, "rebind of the same endpoint");
    collect(&p, 50, &mut next);

    // Disconnect e3: Z keeps reaching P over e4 only; then connect again.
    p.disconnect(&e3).unwrap();
    assert!(matches!(p.disconnect(&e3), Err(Error::NotConnected { .. })));
    if t.stream {
        // Z must notice before it sends, or messages routed to the dead
        // connection are lost (as in libzmq).
        wait_event(
            &z_events,
            "Disconnected of e3 on Z",
            |e| matches!(e, SocketEvent::Disconnected { endpoint, .. } if *endpoint == e3),
        );
    }
    for i in 200..260 {
        z.blocking_send(tagged(b'z', i)).unwrap();
    }
    let got = collect(&p, 60, &mut next);
    assert_eq!(got, (200..260).map(|i| (b'z', i)).collect());
    p.connect(&e3).unwrap();
    for i in 260..300 {
        z.blocking_send(tagged(b'z', i)).unwrap();
        y.blocking_send(tagged(b'y', i - 160)).unwrap();
    }
    let got = collect(&p, 80, &mut next);
    assert_eq!(got.iter().filter(|(t, _)| *t == b'z').count(), 40);
    assert_eq!(next[&b'y'], 140);
    assert_eq!(next[&b'x'], 150);
}

// ----- instantiation ------------------------------------------------------

macro_rules! conformance {
    ($($name:ident => $transport:expr;)*) => {$(
        mod $name {
            use super::*;
            const T: Transport = $transport;

            #[test]
            fn client_server_server_binds() {
                families::client_server(T, Binds::Hub)
            }
            #[test]
            fn client_server_clients_bind() {
                families::client_server(T, Binds::Spokes)
            }
            #[test]
            fn push_pull_push_binds() {
                families::push_pull(T, Binds::Hub)
            }
            #[test]
            fn push_pull_pulls_bind() {
                families::push_pull(T, Binds::Spokes)
            }
            #[test]
            fn pub_sub_pub_binds() {
                families::pub_sub(T, Binds::Hub)
            }
            #[test]
            fn pub_sub_subs_bind() {
                families::pub_sub(T, Binds::Spokes)
            }
            #[test]
            fn xpub_xsub_xpub_binds() {
                families::xpub_xsub(T, Binds::Hub)
            }
            #[test]
            fn xpub_xsub_xsubs_bind() {
                families::xpub_xsub(T, Binds::Spokes)
            }
            #[test]
            fn req_rep_rep_binds() {
                families::req_rep(T, Binds::Hub)
            }
            #[test]
            fn req_rep_reqs_bind() {
                families::req_rep(T, Binds::Spokes)
            }
            #[test]
            fn req_router_router_binds() {
                families::req_router(T, Binds::Hub)
            }
            #[test]
            fn req_router_reqs_bind() {
                families::req_router(T, Binds::Spokes)
            }
            #[test]
            fn dealer_router_router_binds() {
                families::dealer_router(T, Binds::Hub)
            }
            #[test]
            fn dealer_router_dealers_bind() {
                families::dealer_router(T, Binds::Spokes)
            }
            #[test]
            fn dealer_dealer_hub_binds() {
                families::dealer_dealer(T, Binds::Hub)
            }
            #[test]
            fn dealer_dealer_spokes_bind() {
                families::dealer_dealer(T, Binds::Spokes)
            }
            #[test]
            fn dealer_rep_dealer_binds() {
                families::dealer_rep(T, Binds::Hub)
            }
            #[test]
            fn dealer_rep_reps_bind() {
                families::dealer_rep(T, Binds::Spokes)
            }
            #[test]
            fn pair_is_exclusive_and_talks_both_ways() {
                families::pair(T)
            }
            #[test]
            fn sizes_push_pull() {
                super::sizes_push_pull(T)
            }
            #[test]
            fn sizes_client_server() {
                super::sizes_client_server(T)
            }
            #[test]
            fn multipart_order() {
                super::multipart_order(T)
            }
            #[test]
            fn many_push_one_pull() {
                super::many_push_one_pull(T)
            }
            #[test]
            fn many_clients_one_server() {
                super::many_clients_one_server(T)
            }
            #[test]
            fn close_while_busy_linger_zero() {
                super::close_while_busy(T, Some(Duration::ZERO))
            }
            #[test]
            fn close_while_busy_default_linger() {
                super::close_while_busy(T, None)
            }
            #[test]
            fn connect_before_bind() {
                super::connect_before_bind(T)
            }
            #[test]
            fn bind_and_connect_both_roles() {
                super::bind_and_connect_both_roles(T)
            }
        }
    )*};
}

conformance! {
    tcp => TCP;
    ipc => IPC;
    inproc => INPROC;
}
