//! Resumable sessions under cuts (issue 12, SPEC §3.7): between two oxmq
//! peers, a connection cut every 50 ms loses nothing and duplicates
//! nothing, and order is kept.

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

#[test]
fn client_to_server_through_cuts_every_50ms_loses_and_duplicates_nothing() {
    let _s = serial();
    let server = Server::with_options(opts());
    let ep = server.bind("tcp://127.0.0.1:0").unwrap();
    let proxy = Arc::new(FaultProxy::in_front_of(&ep));
    let client = Client::with_options(opts());
    let mon = client.monitor();
    client.connect(&proxy.endpoint()).unwrap();
    wait_event(&mon, "handshake", |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    });
    let stop = Arc::new(AtomicBool::new(false));
    let cuts = cutter(proxy.clone(), stop.clone());
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            client.blocking_send(numbered(i)).unwrap();
        }
        client
    });
    let mut got = Vec::with_capacity(N as usize);
    let mut ids = std::collections::HashSet::new();
    while (got.len() as u64) < N {
        let (id, m) = server.blocking_recv().unwrap();
        ids.insert(id);
        got.push(seq_of(&m));
    }
    stop.store(true, Ordering::Relaxed);
    let cuts = cuts.join().unwrap();
    let client = sender.join().unwrap();
    let stats = client.stats();
    println!(
        "{cuts} cuts, {} connections; client resent {} in {} resumed sessions; {} routing ids at the server",
        proxy.stats().accepted,
        stats.resent,
        stats.sessions_resumed,
        ids.len()
    );
    assert!(cuts >= 3, "the stream outlasted several cuts ({cuts})");
    exactly_in_order(&got, N, "CLIENT → SERVER");
    assert_eq!(ids.len(), 1, "one peer for the SERVER throughout");
    assert!(matches!(server.try_recv(), Err(Error::WouldBlock)));
}
