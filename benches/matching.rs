//! Subscription matching cost (SPEC §5.5): nanoseconds per PUB publish
//! with 10, 100, 1 000 and 10 000 distinct subscriptions held by one SUB
//! over inproc, every message matching exactly one of them. The cost
//! should not grow with the number of subscriptions (target: the 10 000
//! case at most 2x the 10 case).
//!
//! Run: `cargo bench --bench matching`. Prints a Markdown table of medians
//! over 5 rounds. Queues are unbounded and nobody reads during a round, so
//! a publish is: match, clone (a reference count), push.

use bytes::Bytes;
use oxmq::{Pub, SocketOptions, Sub};
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;
const PER_ROUND: usize = 200_000;

fn topic(i: usize) -> String {
    format!("topic-{i:05}")
}

fn ns_per_publish(subscriptions: usize) -> Vec<f64> {
    let opts = SocketOptions::default()
        .sndhwm(0)
        .rcvhwm(0)
        .linger(Some(Duration::ZERO));
    let publisher = Pub::with_options(opts.clone());
    let ep = format!("inproc://bench-matching-{subscriptions}");
    publisher.bind(&ep).unwrap();
    let sub = Sub::with_options(opts);
    sub.connect(&ep).unwrap();
    for i in 0..subscriptions {
        sub.subscribe(topic(i)).unwrap();
    }
    // Subscriptions arrive in order: once the last works, all do.
    let last = Bytes::from(topic(subscriptions - 1));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        publisher.blocking_send(last.clone()).unwrap();
        if sub.try_recv().is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "subscriptions never arrived");
        std::thread::yield_now();
    }
    // Messages spread over all the subscriptions, each with a payload
    // after the topic.
    let msgs: Vec<Bytes> = (0..1024)
        .map(|k| Bytes::from(format!("{}:payload", topic((k * 7919) % subscriptions))))
        .collect();
    let mut results = Vec::new();
    for _ in 0..ROUNDS {
        while sub.try_recv().is_ok() {}
        let start = Instant::now();
        for k in 0..PER_ROUND {
            publisher.try_send(msgs[k % msgs.len()].clone()).unwrap();
        }
        results.push(start.elapsed().as_nanos() as f64 / PER_ROUND as f64);
        let mut n = 0;
        while sub.try_recv().is_ok() {
            n += 1;
        }
        assert_eq!(n, PER_ROUND, "every publish matched one subscription");
    }
    results
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    println!("| subscriptions | ns per publish (median of {ROUNDS}) |");
    println!("|---:|---:|");
    let mut medians = Vec::new();
    for n in [10, 100, 1_000, 10_000] {
        let m = median(ns_per_publish(n));
        println!("| {n} | {m:.0} |");
        medians.push(m);
    }
    println!();
    println!(
        "ratio 10 000 / 10: {:.2} (target <= 2)",
        medians[3] / medians[0]
    );
}
