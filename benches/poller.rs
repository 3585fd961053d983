//! The poller with 1000 sockets (SPEC §6.9): how long one `poll` takes
//! when 999 sockets are idle and one is ready, and how long a poller
//! asleep on 1000 sockets takes to see a message sent to one of them
//! (a ping-pong through an inproc PAIR, the poller's thread answering).
//!
//! `cargo bench --bench poller` (figures in benches/README.md).

use std::time::{Duration, Instant};

use oxmq::{Interest, Pair, Poller, Pull, Push};

const SOCKETS: usize = 1000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let idle: Vec<Pull> = (0..SOCKETS - 1)
        .map(|i| {
            let s = Pull::new();
            s.bind(&format!("inproc://bench-poller-{i}")).unwrap();
            s
        })
        .collect();
    let mut poller = Poller::new().unwrap();
    for s in &idle {
        poller.add(s, Interest::READABLE);
    }

    // 1. One socket stays ready (its message is never taken).
    let ready = Pull::new();
    ready.bind("inproc://bench-poller-ready").unwrap();
    let push = Push::new();
    push.connect("inproc://bench-poller-ready").unwrap();
    push.blocking_send("x").unwrap();
    let t = poller.add(&ready, Interest::READABLE);
    let mut rounds = Vec::new();
    for _ in 0..7 {
        let n = 20_000;
        let start = Instant::now();
        for _ in 0..n {
            let ev = poller.poll(Some(Duration::from_secs(1))).unwrap();
            assert_eq!(ev.len(), 1);
        }
        rounds.push(start.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    println!(
        "poll, {SOCKETS} sockets, one ready: median of 7 rounds {:.2} µs per call",
        median(rounds)
    );
    poller.remove(t);

    // 2. Asleep on 1000 sockets, woken by one message.
    let near = Pair::new();
    near.bind("inproc://bench-poller-pair").unwrap();
    let far = Pair::new();
    far.connect("inproc://bench-poller-pair").unwrap();
    poller.add(&near, Interest::READABLE);
    let n = 5_000;
    let answer = std::thread::spawn(move || {
        for _ in 0..n {
            loop {
                let ev = poller.poll(Some(Duration::from_secs(10))).unwrap();
                if !ev.is_empty() {
                    break;
                }
            }
            let m = near.try_recv().unwrap();
            near.blocking_send(m).unwrap();
        }
    });
    let mut rtt = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        far.blocking_send("ping").unwrap();
        far.blocking_recv().unwrap();
        rtt.push(start.elapsed().as_secs_f64() * 1e6);
    }
    answer.join().unwrap();
    println!(
        "round trip through a poller asleep on {} sockets: p50 {:.1} µs",
        SOCKETS,
        median(rtt)
    );
}
