//! Memory under back-pressure (issue 3's memory target): PUSH sends
//! `count` 32-byte messages over tcp to a PULL that reads slower than the
//! sender can send, with the default HWM of 1000 on both sides. Samples
//! this process's RSS every 100 ms and prints the first, peak and last
//! samples: with working back-pressure the peak stays flat whatever the
//! count.
//!
//! Run: `cargo run --release --example memory_hwm -- 10000000`

use bytes::Bytes;
use oxmq::{Pull, Push, SocketOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let opts = SocketOptions::default().linger(Some(Duration::from_secs(10)));
    let pull = Pull::with_options(opts.clone());
    let ep = pull.bind("tcp://127.0.0.1:0").expect("bind");
    let push = Push::with_options(opts);
    push.connect(&ep).expect("connect");

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                samples.push(rss_kib());
                std::thread::sleep(Duration::from_millis(100));
            }
            samples
        })
    };
    let start = Instant::now();
    let sender = std::thread::spawn(move || {
        let payload = Bytes::from_static(&[7u8; 32]);
        for _ in 0..count {
            push.blocking_send(payload.clone()).expect("send");
        }
        push.blocking_close();
    });
    let mut spin = 0u64;
    for i in 0..count {
        pull.blocking_recv().expect("recv");
        // A slow consumer: a little work per message.
        for k in 0..150u64 {
            spin = spin.wrapping_add(std::hint::black_box(k ^ i));
        }
    }
    sender.join().expect("sender");
    done.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("sampler");
    let first = samples.first().copied().unwrap_or(0);
    let peak = samples.iter().copied().max().unwrap_or(0);
    let last = samples.last().copied().unwrap_or(0);
    println!("messages: {count} (checksum {spin})");
    println!("elapsed: {:.1} s", start.elapsed().as_secs_f64());
    println!(
        "rss first: {first} KiB, peak: {peak} KiB, last: {last} KiB, samples: {}",
        samples.len()
    );
    let quarter = samples.len() / 4;
    if quarter > 0 {
        let early = samples[..quarter].iter().copied().max().unwrap_or(0);
        println!(
            "peak in first quarter: {early} KiB; growth after it: {} KiB",
            peak.saturating_sub(early)
        );
    }
}
