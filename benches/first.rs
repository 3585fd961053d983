//! First benchmark (issue 2): CLIENT→SERVER and PUSH→PULL throughput for
//! 32 B, 1 KiB and 64 KiB messages, and CLIENT/SERVER round-trip latency,
//! over tcp, ipc and inproc, both ends in this process.
//!
//! Run: `cargo bench --bench first` (add `-- quick` for fewer rounds).
//! Prints a Markdown table of medians over the rounds.

use bytes::Bytes;
use oxmq::{Client, Pull, Push, Server, SocketOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn endpoint(transport: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    match transport {
        "tcp" => "tcp://127.0.0.1:0".into(),
        "ipc" => format!(
            "ipc://{}/oxmq-bench-{}-{n}.sock",
            std::env::temp_dir().display(),
            std::process::id()
        ),
        _ => format!("inproc://bench-{n}"),
    }
}

fn opts() -> SocketOptions {
    SocketOptions::default().linger(Some(Duration::from_secs(5)))
}

/// Messages per second for `count` messages of `size` bytes, PUSH→PULL.
fn push_pull(transport: &str, size: usize, count: usize) -> f64 {
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&endpoint(transport)).unwrap();
    let push = Push::with_options(opts());
    push.connect(&ep).unwrap();
    let payload = Bytes::from(vec![b'x'; size]);
    let sender = std::thread::spawn(move || {
        for _ in 0..count {
            push.blocking_send(payload.clone()).unwrap();
        }
        push.blocking_close();
    });
    pull.blocking_recv().unwrap();
    let start = Instant::now();
    for _ in 1..count {
        pull.blocking_recv().unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    sender.join().unwrap();
    (count - 1) as f64 / secs
}

/// Messages per second for `count` messages of `size` bytes, CLIENT→SERVER.
fn client_server(transport: &str, size: usize, count: usize) -> f64 {
    let server = Server::with_options(opts());
    let ep = server.bind(&endpoint(transport)).unwrap();
    let client = Client::with_options(opts());
    client.connect(&ep).unwrap();
    let payload = Bytes::from(vec![b'x'; size]);
    let sender = std::thread::spawn(move || {
        for _ in 0..count {
            client.blocking_send(payload.clone()).unwrap();
        }
        client.blocking_close();
    });
    server.blocking_recv().unwrap();
    let start = Instant::now();
    for _ in 1..count {
        server.blocking_recv().unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    sender.join().unwrap();
    (count - 1) as f64 / secs
}

/// Round-trip times (µs) of `count` 64-byte CLIENT→SERVER→CLIENT exchanges.
fn round_trips(transport: &str, count: usize) -> Vec<f64> {
    let server = Server::with_options(opts());
    let ep = server.bind(&endpoint(transport)).unwrap();
    let client = Client::with_options(opts());
    client.connect(&ep).unwrap();
    let echo = std::thread::spawn(move || {
        for _ in 0..count + 1 {
            let (id, m) = server.blocking_recv().unwrap();
            server.blocking_send(id, m).unwrap();
        }
    });
    let payload = Bytes::from(vec![b'x'; 64]);
    client.blocking_send(payload.clone()).unwrap();
    client.blocking_recv().unwrap();
    let mut rtts = Vec::with_capacity(count);
    for _ in 0..count {
        let t = Instant::now();
        client.blocking_send(payload.clone()).unwrap();
        client.blocking_recv().unwrap();
        rtts.push(t.elapsed().as_secs_f64() * 1e6);
    }
    echo.join().unwrap();
    rtts
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p) as usize]
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let rounds = if quick { 1 } else { 5 };
    let sizes = [(32usize, 1_000_000usize), (1024, 200_000), (65536, 10_000)];
    println!("| pattern | transport | size | msg/s (median of {rounds}) | MB/s |");
    println!("|---|---|---|---|---|");
    for (name, f) in [
        ("PUSH/PULL", push_pull as fn(&str, usize, usize) -> f64),
        ("CLIENT/SERVER", client_server),
    ] {
        for transport in ["tcp", "ipc", "inproc"] {
            for &(size, count) in &sizes {
                let count = if quick { count / 10 } else { count };
                let mut runs: Vec<f64> = (0..rounds).map(|_| f(transport, size, count)).collect();
                let m = median(&mut runs);
                println!(
                    "| {name} | {transport} | {size} B | {:.0} | {:.1} |",
                    m,
                    m * size as f64 / 1e6
                );
            }
        }
    }
    println!();
    println!("| round trip 64 B | transport | p50 µs | p99 µs |");
    println!("|---|---|---|---|");
    for transport in ["tcp", "ipc", "inproc"] {
        let mut all = Vec::new();
        for _ in 0..rounds {
            all.extend(round_trips(transport, if quick { 2_000 } else { 20_000 }));
        }
        let p50 = percentile(&mut all, 0.5);
        let p99 = percentile(&mut all, 0.99);
        println!("| CLIENT/SERVER | {transport} | {p50:.1} | {p99:.1} |");
    }
}
