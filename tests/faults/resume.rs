//! Resumable sessions under cuts (issue 12, SPEC §3.7): between two oxmq
//! peers, a connection cut every 50 ms loses nothing and duplicates
//! nothing, and order is kept: 1 000 000 messages each way for CLIENT
//! and SERVER, and three-frame ones over PUSH/PULL and DEALER/ROUTER;
//! 1 000 000 over PAIR, and 20 000 REQ/REP round trips in lockstep.

use super::*;

/// A message numbered `i`: its number, then padding to 16 bytes.
fn numbered(i: u64) -> Vec<u8> {
    let mut v = vec![0u8; 16];
    v[..8].copy_from_slice(&i.to_be_bytes());
    v
}

/// Checks that `got` is exactly 0..n in order.
fn exactly_in_order(got: &[u64], n: u64, what: &str) {
    let mut dup = 0u64;
    let mut out_of_order = 0u64;
    for w in got.windows(2) {
        if w[1] == w[0] {
            dup += 1;
        } else if w[1] < w[0] {
            out_of_order += 1;
        }
    }
    let mut seen = vec![false; n as usize];
    for &s in got {
        if let Some(b) = seen.get_mut(s as usize) {
            *b = true;
        }
    }
    let lost = seen.iter().filter(|b| !**b).count();
    assert!(
        lost == 0 && dup == 0 && out_of_order == 0 && got.len() as u64 == n,
        "{what}: received {} of {n}: {lost} lost, {dup} duplicated, {out_of_order} out of order",
        got.len()
    );
}

const N: u64 = 1_000_000;

/// A message numbered `i` in three frames: the number, then two more.
fn three_frames(i: u64) -> Message {
    Message::from_frames(vec![
        Bytes::copy_from_slice(&i.to_be_bytes()),
        Bytes::from_static(b"second"),
        Bytes::from_static(b"third"),
    ])
}

/// The number of a three-frame message, checking the other frames.
fn number_of_three(m: &Message) -> u64 {
    let f = m.frames();
    assert_eq!(f.len(), 3, "three frames");
    assert!(&f[1][..] == b"second" && &f[2][..] == b"third");
    seq_of(&f[0])
}

/// Streams `N` messages with `send(i)` on one thread while `recv()`
/// takes them on this one, through `proxy` cut every 50 ms; checks that
/// exactly 0..N arrived, in order, with several cuts on the way.
fn through_cuts(
    what: &str,
    proxy: &Arc<FaultProxy>,
    send: impl FnMut(u64) + Send + 'static,
    mut recv: impl FnMut() -> u64,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let cuts = cutter(proxy.clone(), stop.clone());
    let mut send = send;
    // The sender hands its socket back: dropped at once, with linger 0 it
    // would discard what is still unacknowledged.
    let sender = std::thread::spawn(move || {
        (0..N).for_each(&mut send);
        send
    });
    let got: Vec<u64> = (0..N).map(|_| recv()).collect();
    stop.store(true, Ordering::Relaxed);
    let cuts = cuts.join().unwrap();
    let _sockets = sender.join().unwrap();
    println!(
        "{what}: {cuts} cuts, {} connections",
        proxy.stats().accepted
    );
    assert!(
        cuts >= 3,
        "{what}: the stream outlasted several cuts ({cuts})"
    );
    exactly_in_order(&got, N, what);
}

/// A SERVER bound on `transport`, the proxy in front of it, and a
/// CLIENT connected through the proxy whose first message has arrived:
/// the CLIENT's routing id at the SERVER.
fn client_server(transport: &str) -> (Server, Arc<FaultProxy>, Arc<Client>, oxmq::RoutingId) {
    let server = Server::with_options(opts());
    let ep = server.bind(&bind_ep(transport)).unwrap();
    let proxy = Arc::new(FaultProxy::in_front_of(&ep));
    let client = Arc::new(Client::with_options(opts()));
    client.connect(&proxy.endpoint()).unwrap();
    client.blocking_send(b"hello".to_vec()).unwrap();
    let (id, m) = server.blocking_recv().unwrap();
    assert_eq!(&m[..], b"hello");
    (server, proxy, client, id)
}

fn bind_ep(transport: &str) -> String {
    match transport {
        "tcp" => "tcp://127.0.0.1:0".to_owned(),
        _ => support::ipc_ep(),
    }
}

fn client_to_server(transport: &str) {
    let _s = serial();
    let (server, proxy, client, first) = client_server(transport);
    let c = client.clone();
    let mut ids = std::collections::HashSet::new();
    through_cuts(
        &format!("CLIENT → SERVER over {transport}"),
        &proxy,
        move |i| c.blocking_send(numbered(i)).unwrap(),
        || {
            let (id, m) = server.blocking_recv().unwrap();
            ids.insert(id);
            seq_of(&m)
        },
    );
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        [first],
        "one peer throughout"
    );
    let stats = client.stats();
    assert!(stats.sessions_resumed >= 3 && stats.resent > 0, "{stats:?}");
    assert!(matches!(server.try_recv(), Err(Error::WouldBlock)));
}

fn server_to_client(transport: &str) {
    let _s = serial();
    let (server, proxy, client, id) = client_server(transport);
    let server = Arc::new(server);
    let s = server.clone();
    through_cuts(
        &format!("SERVER → CLIENT over {transport}"),
        &proxy,
        move |i| s.blocking_send(id, numbered(i)).unwrap(),
        || seq_of(&client.blocking_recv().unwrap()),
    );
    assert!(server.stats().sessions_resumed >= 3);
    assert!(matches!(client.try_recv(), Err(Error::WouldBlock)));
}

fn push_to_pull(transport: &str) {
    let _s = serial();
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&bind_ep(transport)).unwrap();
    let proxy = Arc::new(FaultProxy::in_front_of(&ep));
    let push = Push::with_options(opts());
    push.connect(&proxy.endpoint()).unwrap();
    through_cuts(
        &format!("3-frame PUSH → PULL over {transport}"),
        &proxy,
        move |i| push.blocking_send(three_frames(i)).unwrap(),
        || number_of_three(&pull.blocking_recv().unwrap()),
    );
}

fn dealer_to_router(transport: &str) {
    let _s = serial();
    let router = Router::with_options(opts());
    let ep = router.bind(&bind_ep(transport)).unwrap();
    let proxy = Arc::new(FaultProxy::in_front_of(&ep));
    let dealer = Dealer::with_options(opts().routing_id(Some(Bytes::from_static(b"d1"))));
    dealer.connect(&proxy.endpoint()).unwrap();
    through_cuts(
        &format!("3-frame DEALER → ROUTER over {transport}"),
        &proxy,
        move |i| dealer.blocking_send(three_frames(i)).unwrap(),
        || {
            let m = router.blocking_recv().unwrap();
            assert_eq!(&m.frames()[0][..], b"d1", "one identity throughout");
            number_of_three(&Message::from_frames(m.frames()[1..].to_vec()))
        },
    );
}

#[test]
fn client_to_server_through_cuts_tcp() {
    client_to_server("tcp");
}

#[test]
fn server_to_client_through_cuts_tcp() {
    server_to_client("tcp");
}

#[test]
fn push_to_pull_three_frames_through_cuts_tcp() {
    push_to_pull("tcp");
}

#[test]
fn dealer_to_router_three_frames_through_cuts_tcp() {
    dealer_to_router("tcp");
}

#[test]
fn client_to_server_through_cuts_ipc() {
    client_to_server("ipc");
}

#[test]
fn server_to_client_through_cuts_ipc() {
    server_to_client("ipc");
}

#[test]
fn push_to_pull_three_frames_through_cuts_ipc() {
    push_to_pull("ipc");
}

#[test]
fn dealer_to_router_three_frames_through_cuts_ipc() {
    dealer_to_router("ipc");
}

/// Waits (bounded) until the CLIENT's peer has acknowledged everything.
fn acknowledged(client: &Client) {
    let deadline = Instant::now() + DEADLINE;
    while client.stats().peers.iter().any(|p| p.unacknowledged > 0) {
        assert!(Instant::now() < deadline, "{:?}", client.stats().peers);
        std::thread::yield_now();
    }
}

/// The bytes each way of the one connection through `proxy` so far (the
/// handshake's, when it is idle after it).
fn connection_bytes(proxy: &FaultProxy) -> (u64, u64) {
    match proxy.connection_bytes()[..] {
        [one] => one,
        ref other => panic!("one connection expected: {other:?}"),
    }
}

/// The cut lands in the middle of a 1 KiB message frame: that message and
/// the ones after it arrive once, in order, on the next connection.
#[test]
fn a_cut_in_the_middle_of_a_frame_loses_and_duplicates_nothing() {
    let _s = serial();
    let (server, proxy, client, _) = client_server("tcp");
    acknowledged(&client);
    let (c2s, _) = connection_bytes(&proxy);
    // Frames are 1 + 8 + 1024 bytes: cut 500 bytes into the fourth.
    proxy.cut_at(Some(c2s + 3 * 1033 + 500), None);
    for i in 0..20u64 {
        let mut v = vec![0u8; 1024];
        v[..8].copy_from_slice(&i.to_be_bytes());
        client.blocking_send(v).unwrap();
    }
    let got: Vec<u64> = (0..20)
        .map(|_| seq_of(&server.blocking_recv().unwrap().1))
        .collect();
    exactly_in_order(&got, 20, "cut mid-frame");
    assert!(proxy.stats().cut >= 1 && proxy.stats().accepted >= 2);
    assert_eq!(client.stats().sessions_resumed, 1);
    assert!(matches!(server.try_recv(), Err(Error::WouldBlock)));
}

/// The cut lands in the middle of an ACK on its way back: the message it
/// acknowledged is not sent again (the SERVER's READY on the next
/// connection counts it), and nothing is lost.
#[test]
fn a_cut_in_the_middle_of_an_ack_loses_and_duplicates_nothing() {
    let _s = serial();
    let (server, proxy, client, _) = client_server("tcp");
    acknowledged(&client);
    let (_, s2c) = connection_bytes(&proxy);
    // So far one ACK came back (for the hello); each is 14 bytes (flags,
    // size, name length, "ACK", 8-byte count): cut 7 bytes into the
    // fourth from now.
    proxy.cut_at(None, Some(s2c + 3 * 14 + 7));
    for i in 0..3u64 {
        client.blocking_send(numbered(i)).unwrap();
        assert_eq!(seq_of(&server.blocking_recv().unwrap().1), i);
        acknowledged(&client);
    }
    let resent = client.stats().resent;
    client.blocking_send(numbered(3)).unwrap();
    assert_eq!(seq_of(&server.blocking_recv().unwrap().1), 3);
    for i in 4..10u64 {
        client.blocking_send(numbered(i)).unwrap();
        assert_eq!(seq_of(&server.blocking_recv().unwrap().1), i);
    }
    acknowledged(&client);
    assert!(proxy.stats().cut >= 1, "the ACK was cut");
    let stats = client.stats();
    assert_eq!(stats.sessions_resumed, 1, "{stats:?}");
    assert_eq!(
        stats.resent, resent,
        "the half-acknowledged message was not sent again"
    );
    assert!(matches!(server.try_recv(), Err(Error::WouldBlock)));
}

#[test]
fn pair_to_pair_through_cuts_tcp() {
    let _s = serial();
    let near = oxmq::Pair::with_options(opts());
    let ep = near.bind(&bind_ep("tcp")).unwrap();
    let proxy = Arc::new(FaultProxy::in_front_of(&ep));
    let far = oxmq::Pair::with_options(opts());
    far.connect(&proxy.endpoint()).unwrap();
    through_cuts(
        "PAIR → PAIR over tcp",
        &proxy,
        move |i| far.blocking_send(numbered(i)).unwrap(),
        || seq_of(&near.blocking_recv().unwrap()[0]),
    );
}

/// REQ and REP in lockstep while the connection is cut every 50 ms:
/// without resumption a request or reply the kernel held is lost and the
/// REQ waits for ever; with it every request gets its own reply, and the
/// REP sees each request once, in order.
#[test]
fn req_to_rep_round_trips_through_cuts_tcp() {
    let _s = serial();
    const TRIPS: u64 = 20_000;
    let rep = oxmq::Rep::with_options(opts());
    let ep = rep.bind(&bind_ep("tcp")).unwrap();
    let proxy = Arc::new(FaultProxy::in_front_of(&ep));
    let req = oxmq::Req::with_options(opts());
    req.connect(&proxy.endpoint()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let cuts = cutter(proxy.clone(), stop.clone());
    let server = std::thread::spawn(move || {
        let mut seen = Vec::with_capacity(TRIPS as usize);
        for _ in 0..TRIPS {
            let m = rep.blocking_recv().unwrap();
            seen.push(seq_of(&m[0]));
            rep.blocking_send(m).unwrap();
        }
        (seen, rep)
    });
    for i in 0..TRIPS {
        req.blocking_send(numbered(i)).unwrap();
        assert_eq!(
            seq_of(&req.blocking_recv().unwrap()[0]),
            i,
            "the reply to request {i}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let cuts = cuts.join().unwrap();
    let (seen, _rep) = server.join().unwrap();
    println!(
        "REQ ⇄ REP over tcp: {cuts} cuts, {} connections",
        proxy.stats().accepted
    );
    assert!(cuts >= 3, "the round trips outlasted several cuts ({cuts})");
    exactly_in_order(&seen, TRIPS, "REQ → REP");
}
