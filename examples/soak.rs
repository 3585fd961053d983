//! Soak (issue 5 item 7): runs several churning workloads at once for
//! `--seconds S` (default 60), checking message integrity where it is
//! defined, and watches that the process's RSS, open descriptors and
//! threads stay flat.
//!
//! Workloads:
//! - **PUSH/PULL churn**: workers repeatedly create a PUSH, connect it to a
//!   PULL (tcp, ipc, inproc in turn), send a numbered run of messages, then
//!   close it or drop it; the PULL checks every run arrives complete and in
//!   order before the worker starts the next.
//! - **CLIENT/SERVER churn**: workers repeatedly create a CLIENT, connect it
//!   to an echoing SERVER (tcp, ipc, inproc in turn), check a few echoed
//!   round trips, then close, drop, or disconnect and drop it.
//! - **Reconnect storm**: a SERVER unbinds and rebinds the same tcp
//!   endpoint over and over while persistent CLIENTs (short reconnect
//!   interval) keep doing round trips, resending after a timeout; a reply
//!   must be one of the client's own requests.
//! - **Pub/sub churn**: a PUB (tcp and inproc) publishes numbered messages
//!   on a few topics; SUBs come and go, subscribe to a topic, switch to
//!   another (after `unsubscribe` no message of the old topic may arrive),
//!   and check that per topic the numbers only increase (drops at HWM are
//!   allowed, reordering and duplicates are not).
//!
//! Every second it prints RSS (`VmRSS`), open descriptors (`/proc/self/fd`)
//! and threads (`/proc/self/status`). At the end the median of the last
//! third of the samples is compared with the median of the second third
//! (the first third is warm-up): flat means RSS within +20 % or +8 MiB,
//! descriptors within +16, threads equal. Prints `flat: yes/no` and exits
//! non-zero if not flat or if an integrity check failed.
//!
//! Run: `cargo run --release --example soak -- --seconds 60`

use bytes::Bytes;
use oxmq::{Client, Error, Pub, Pull, Push, Server, SocketOptions, Sub};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const PUSH_WORKERS: usize = 2;
const PUSH_RUN: u32 = 200;
const CS_WORKERS: usize = 2;
const CS_ROUND_TRIPS: u32 = 20;
const STORM_CLIENTS: usize = 12;
const STORM_PERIOD: Duration = Duration::from_millis(250);
const SUB_WORKERS: usize = 4;
const TOPICS: [&[u8]; 4] = [b"alpha", b"beta", b"gamma", b"delta"];
/// How many messages of a topic a SUB takes before switching.
const SUB_TAKE: u32 = 20;
/// Bound on any wait for progress; exceeding it is an integrity failure.
const STUCK: Duration = Duration::from_secs(10);

/// Shared counters and the failure log.
#[derive(Default)]
struct Stats {
    stop: AtomicBool,
    failures: AtomicU64,
    push_runs: AtomicU64,
    cs_round_trips: AtomicU64,
    cs_sockets: AtomicU64,
    storm_rebinds: AtomicU64,
    storm_round_trips: AtomicU64,
    storm_resends: AtomicU64,
    sub_sockets: AtomicU64,
    sub_messages: AtomicU64,
    pub_messages: AtomicU64,
}

impl Stats {
    fn fail(&self, what: String) {
        let n = self.failures.fetch_add(1, Ordering::Relaxed);
        if n < 20 {
            eprintln!("INTEGRITY FAILURE: {what}");
        }
    }
    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }
    fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

fn status_field(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(':'))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64)
}

fn ipc_ep(name: &str) -> String {
    format!(
        "ipc://{}/oxmq-soak-{}-{name}.sock",
        std::env::temp_dir().display(),
        std::process::id()
    )
}

fn inproc_ep(name: &str) -> String {
    format!("inproc://oxmq-soak-{}-{name}", std::process::id())
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Ends of a socket's life, taken in turn by the churn workers.
fn finish<S>(i: u64, sock: S, close: impl FnOnce(S)) {
    if i % 2 == 0 {
        close(sock);
    } else {
        drop(sock); // closes in the background (SPEC §6.5)
    }
}

// ---------------------------------------------------------------- PUSH/PULL

/// What the PULL has seen of each worker: the run it is in and the next
/// sequence number expected; `done` = runs complete.
#[derive(Default, Clone, Copy)]
struct RunState {
    run: u32,
    next: u32,
    done: u32,
}

fn push_pull(stats: &Arc<Stats>, threads: &mut Vec<JoinHandle<()>>) {
    let opts = SocketOptions::default()
        .linger(Some(Duration::from_secs(5)))
        .rcvtimeo(Some(Duration::from_millis(100)));
    let pull = Pull::with_options(opts.clone());
    let eps = [
        pull.bind("tcp://127.0.0.1:0").expect("bind tcp"),
        pull.bind(&ipc_ep("pull")).expect("bind ipc"),
        pull.bind(&inproc_ep("pull")).expect("bind inproc"),
    ];
    let state = Arc::new((
        Mutex::new(vec![RunState::default(); PUSH_WORKERS]),
        Condvar::new(),
    ));
    let active = Arc::new(AtomicUsize::new(PUSH_WORKERS));
    {
        let (stats, state, active) = (stats.clone(), state.clone(), active.clone());
        threads.push(std::thread::spawn(move || {
            // Runs until the last worker has finished its last run.
            while active.load(Ordering::SeqCst) > 0 {
                let msg = match pull.blocking_recv() {
                    Ok(m) => m,
                    Err(Error::Timeout { .. }) => continue,
                    Err(e) => return stats.fail(format!("pull recv: {e}")),
                };
                let body = msg.first().clone();
                let (Some(w), Some(run), Some(seq)) =
                    (be_u32(&body, 0), be_u32(&body, 4), be_u32(&body, 8))
                else {
                    stats.fail(format!("pull: malformed message {body:?}"));
                    continue;
                };
                let (lock, cv) = &*state;
                let mut s = lock.lock().unwrap();
                let Some(st) = s.get_mut(w as usize) else {
                    stats.fail(format!("pull: unknown worker {w}"));
                    continue;
                };
                if run != st.run || seq != st.next {
                    stats.fail(format!(
                        "pull: worker {w} got run {run} seq {seq}, expected run {} seq {}",
                        st.run, st.next
                    ));
                    continue;
                }
                st.next += 1;
                if st.next == PUSH_RUN {
                    st.run += 1;
                    st.next = 0;
                    st.done += 1;
                    cv.notify_all();
                }
            }
            pull.blocking_close();
        }));
    }
    for w in 0..PUSH_WORKERS {
        let (stats, state, eps, opts) = (stats.clone(), state.clone(), eps.clone(), opts.clone());
        let active = ActiveGuard(active.clone());
        threads.push(std::thread::spawn(move || {
            let _active = active;
            let mut run = 0u32;
            while stats.running() {
                let push = Push::with_options(opts.clone());
                let ep = &eps[(run as usize + w) % eps.len()];
                push.connect(ep).expect("connect");
                for seq in 0..PUSH_RUN {
                    let mut m = Vec::with_capacity(12);
                    m.extend_from_slice(&(w as u32).to_be_bytes());
                    m.extend_from_slice(&run.to_be_bytes());
                    m.extend_from_slice(&seq.to_be_bytes());
                    if let Err(e) = push.blocking_send(Bytes::from(m)) {
                        stats.fail(format!("push send: {e}"));
                    }
                }
                finish(u64::from(run), push, Push::blocking_close);
                // The run must arrive whole, whether closed or dropped.
                let (lock, cv) = &*state;
                let s = lock.lock().unwrap();
                let (s, t) = cv
                    .wait_timeout_while(s, STUCK, |s| s[w].done <= run)
                    .unwrap();
                if t.timed_out() {
                    let st = s[w];
                    drop(s);
                    stats.fail(format!(
                        "push worker {w}: run {run} over {ep} incomplete after {STUCK:?} (at seq {})",
                        st.next
                    ));
                    return;
                }
                drop(s);
                run += 1;
                stats.push_runs.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
}

// ------------------------------------------------------------ CLIENT/SERVER

/// Counts a worker as active until dropped (when its thread ends, even by
/// panicking), so the peer serving it stays up until then.
struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A SERVER that echoes every message until its last client has finished.
fn echo_server(
    stats: &Arc<Stats>,
    server: Arc<Server>,
    active: Arc<AtomicUsize>,
    what: &'static str,
) -> JoinHandle<()> {
    let stats = stats.clone();
    std::thread::spawn(move || {
        while active.load(Ordering::SeqCst) > 0 {
            match server.blocking_recv() {
                Ok((id, msg)) => match server.blocking_send(id, msg).map_err(Error::from) {
                    // The client may be gone (dropped, disconnected, or its
                    // connection cut by a rebind): its reply is lost.
                    Ok(()) | Err(Error::HostUnreachable { .. }) => {}
                    Err(Error::Timeout { .. }) => stats.fail(format!("{what}: reply timed out")),
                    Err(e) => return stats.fail(format!("{what}: send: {e}")),
                },
                Err(Error::Timeout { .. }) => {}
                Err(e) => return stats.fail(format!("{what}: recv: {e}")),
            }
        }
    })
}

fn client_server(stats: &Arc<Stats>, threads: &mut Vec<JoinHandle<()>>) {
    let opts = SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(Duration::from_millis(100)))
        .sndtimeo(Some(Duration::from_secs(5)));
    let server = Arc::new(Server::with_options(opts.clone()));
    let eps = [
        server.bind("tcp://127.0.0.1:0").expect("bind tcp"),
        server.bind(&ipc_ep("server")).expect("bind ipc"),
        server.bind(&inproc_ep("server")).expect("bind inproc"),
    ];
    let active = Arc::new(AtomicUsize::new(CS_WORKERS));
    threads.push(echo_server(stats, server, active.clone(), "churn server"));
    let copts = opts.rcvtimeo(Some(STUCK));
    for w in 0..CS_WORKERS {
        let (stats, eps, opts) = (stats.clone(), eps.clone(), copts.clone());
        let active = ActiveGuard(active.clone());
        threads.push(std::thread::spawn(move || {
            let _active = active;
            let mut i = 0u64;
            while stats.running() {
                let client = Client::with_options(opts.clone());
                let ep = &eps[(i as usize + w) % eps.len()];
                client.connect(ep).expect("connect");
                let token = ((w as u64) << 48) | i;
                for seq in 0..CS_ROUND_TRIPS {
                    let mut m = token.to_be_bytes().to_vec();
                    m.extend_from_slice(&seq.to_be_bytes());
                    let sent = Bytes::from(m);
                    if let Err(e) = client.blocking_send(sent.clone()).map_err(Error::from) {
                        stats.fail(format!("client send over {ep}: {e}"));
                        break;
                    }
                    match client.blocking_recv() {
                        Ok(r) if r == sent => {
                            stats.cs_round_trips.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => stats.fail(format!("client over {ep}: sent {sent:?}, got {r:?}")),
                        Err(e) => {
                            stats.fail(format!("client recv over {ep}: {e}"));
                            break;
                        }
                    }
                }
                if i % 3 == 2 {
                    if let Err(e) = client.disconnect(ep) {
                        stats.fail(format!("disconnect {ep}: {e}"));
                    }
                    drop(client);
                } else {
                    finish(i, client, Client::blocking_close);
                }
                stats.cs_sockets.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
}

// ------------------------------------------------------------ reconnect storm

fn storm(stats: &Arc<Stats>, threads: &mut Vec<JoinHandle<()>>) {
    let opts = SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(Duration::from_millis(100)))
        .sndtimeo(Some(Duration::from_secs(1)));
    let server = Arc::new(Server::with_options(opts.clone()));
    let ep = server.bind("tcp://127.0.0.1:0").expect("bind");
    let active = Arc::new(AtomicUsize::new(STORM_CLIENTS));
    threads.push(echo_server(
        stats,
        server.clone(),
        active.clone(),
        "storm server",
    ));
    {
        let (stats, ep) = (stats.clone(), ep.clone());
        threads.push(std::thread::spawn(move || {
            while stats.running() {
                std::thread::sleep(STORM_PERIOD);
                if let Err(e) = server.unbind(&ep) {
                    return stats.fail(format!("storm unbind {ep}: {e}"));
                }
                // unbind returns once the port is released (SPEC §6.6).
                let deadline = Instant::now() + STUCK;
                loop {
                    match server.bind(&ep) {
                        Ok(_) => break,
                        Err(e) if Instant::now() > deadline => {
                            return stats.fail(format!("storm rebind {ep}: {e}"));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
                stats.storm_rebinds.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let copts = opts
        .reconnect_ivl(Duration::from_millis(10))
        .rcvtimeo(Some(Duration::from_millis(500)));
    for c in 0..STORM_CLIENTS {
        let (stats, ep, opts) = (stats.clone(), ep.clone(), copts.clone());
        let active = ActiveGuard(active.clone());
        threads.push(std::thread::spawn(move || {
            let _active = active;
            let client = Client::with_options(opts);
            client.connect(&ep).expect("connect");
            let mut seq = 0u64;
            'outer: while stats.running() {
                let mut m = (c as u32).to_be_bytes().to_vec();
                m.extend_from_slice(&seq.to_be_bytes());
                let sent = Bytes::from(m);
                let since = Instant::now();
                // A request (or its reply) can be lost with a connection
                // the rebind cut; resend after a timeout. Replies to older
                // requests (resent or duplicated) are stale, not wrong.
                'resend: loop {
                    if let Err(e) = client.blocking_send(sent.clone()).map_err(Error::from) {
                        if !matches!(e, Error::Timeout { .. }) {
                            stats.fail(format!("storm client {c}: send: {e}"));
                            break 'outer;
                        }
                    }
                    loop {
                        match client.blocking_recv() {
                            Ok(r) if r == sent => break 'resend,
                            Ok(r)
                                if be_u32(&r, 0) == Some(c as u32)
                                    && be_u64(&r, 4).is_some_and(|s| s < seq)
                                    && r.len() == 12 => {}
                            Ok(r) => {
                                stats.fail(format!(
                                    "storm client {c}: waiting for seq {seq}, got {r:?}"
                                ));
                            }
                            Err(Error::Timeout { .. }) => {
                                if !stats.running() {
                                    break 'outer;
                                }
                                if since.elapsed() > STUCK {
                                    stats.fail(format!(
                                        "storm client {c}: no reply to seq {seq} in {STUCK:?}"
                                    ));
                                    break 'outer;
                                }
                                stats.storm_resends.fetch_add(1, Ordering::Relaxed);
                                continue 'resend;
                            }
                            Err(e) => {
                                stats.fail(format!("storm client {c}: recv: {e}"));
                                break 'outer;
                            }
                        }
                    }
                }
                stats.storm_round_trips.fetch_add(1, Ordering::Relaxed);
                seq += 1;
            }
            client.blocking_close();
        }));
    }
}

// ------------------------------------------------------------ pub/sub churn

fn pub_sub(stats: &Arc<Stats>, threads: &mut Vec<JoinHandle<()>>) {
    let opts = SocketOptions::default().linger(Some(Duration::ZERO));
    let publisher = Pub::with_options(opts.clone());
    let eps = [
        publisher.bind("tcp://127.0.0.1:0").expect("bind tcp"),
        publisher.bind(&inproc_ep("pub")).expect("bind inproc"),
    ];
    {
        let stats = stats.clone();
        threads.push(std::thread::spawn(move || {
            let mut seq = [0u64; TOPICS.len()];
            while stats.running() {
                for (t, topic) in TOPICS.iter().enumerate() {
                    let mut m = topic.to_vec();
                    m.push(b'|');
                    m.extend_from_slice(&seq[t].to_be_bytes());
                    seq[t] += 1;
                    if let Err(e) = publisher.blocking_send(Bytes::from(m)) {
                        return stats.fail(format!("pub send: {e}"));
                    }
                    stats.pub_messages.fetch_add(1, Ordering::Relaxed);
                }
                // About 4000 messages a second in all; PUB never waits.
                std::thread::sleep(Duration::from_millis(1));
            }
            publisher.blocking_close();
        }));
    }
    let sopts = opts.rcvtimeo(Some(Duration::from_millis(100)));
    for w in 0..SUB_WORKERS {
        let (stats, eps, opts) = (stats.clone(), eps.clone(), sopts.clone());
        threads.push(std::thread::spawn(move || {
            let mut i = 0u64;
            while stats.running() {
                let sub = Sub::with_options(opts.clone());
                let ep = &eps[w % eps.len()];
                sub.connect(ep).expect("connect");
                // Highest number seen per topic on this SUB.
                let mut last: HashMap<Vec<u8>, u64> = HashMap::new();
                let first = (i as usize + w) % TOPICS.len();
                let mut old: Option<&[u8]> = None;
                for k in 0..2 {
                    let topic = TOPICS[(first + k) % TOPICS.len()];
                    sub.subscribe(topic).expect("subscribe");
                    if let Some(o) = old {
                        sub.unsubscribe(o).expect("unsubscribe");
                    }
                    let mut got = 0;
                    let since = Instant::now();
                    while got < SUB_TAKE && stats.running() {
                        let m = match sub.blocking_recv() {
                            Ok(m) => m,
                            Err(Error::Timeout { .. }) => {
                                if since.elapsed() > STUCK {
                                    stats.fail(format!(
                                        "sub over {ep}: nothing on {:?} in {STUCK:?}",
                                        String::from_utf8_lossy(topic)
                                    ));
                                    break;
                                }
                                continue;
                            }
                            Err(e) => {
                                stats.fail(format!("sub recv: {e}"));
                                break;
                            }
                        };
                        let body = m.first().clone();
                        let Some(bar) = body.iter().position(|&b| b == b'|') else {
                            stats.fail(format!("sub: malformed {body:?}"));
                            continue;
                        };
                        let (t, n) = (&body[..bar], be_u64(&body, bar + 1));
                        if t != topic {
                            // The SUB filters by its current subscriptions
                            // (SPEC §5.5): an old topic must not appear.
                            stats.fail(format!(
                                "sub over {ep}: subscribed to {:?}, got {:?}",
                                String::from_utf8_lossy(topic),
                                String::from_utf8_lossy(t)
                            ));
                            continue;
                        }
                        let Some(n) = n else {
                            stats.fail(format!("sub: malformed {body:?}"));
                            continue;
                        };
                        if let Some(&prev) = last.get(t) {
                            if n <= prev {
                                stats.fail(format!(
                                    "sub over {ep}: topic {:?} went from {prev} to {n}",
                                    String::from_utf8_lossy(t)
                                ));
                            }
                        }
                        last.insert(t.to_vec(), n);
                        got += 1;
                        stats.sub_messages.fetch_add(1, Ordering::Relaxed);
                    }
                    old = Some(topic);
                }
                finish(i, sub, Sub::blocking_close);
                stats.sub_sockets.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
}

// ------------------------------------------------------------------- main

/// Starts a workload's threads.
type Workload = fn(&Arc<Stats>, &mut Vec<JoinHandle<()>>);

#[derive(Clone, Copy)]
struct Sample {
    rss_kib: u64,
    fds: u64,
    threads: u64,
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    if v.is_empty() {
        0
    } else {
        v[v.len() / 2]
    }
}

/// Command line: `--seconds S`, and `--only a,b` to run some workloads
/// only (`push`, `client`, `storm`, `pubsub`; for finding a leak).
fn parse_args() -> Result<(u64, Vec<String>), String> {
    let mut seconds = 60;
    let all = ["push", "client", "storm", "pubsub"];
    let mut only: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--only" => {
                only = it
                    .next()
                    .ok_or("--only needs a value")?
                    .split(',')
                    .map(str::to_string)
                    .collect();
                if let Some(w) = only.iter().find(|w| !all.contains(&w.as_str())) {
                    return Err(format!("unknown workload {w}"));
                }
            }
            "--seconds" => {
                seconds = it
                    .next()
                    .ok_or("--seconds needs a value")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if seconds < 3 {
        return Err("--seconds must be at least 3".into());
    }
    Ok((seconds, only))
}

fn main() -> ExitCode {
    let (seconds, only) = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\nusage: soak [--seconds S] [--only push,client,storm,pubsub]");
            return ExitCode::from(2);
        }
    };
    let stats = Arc::new(Stats::default());
    let mut threads = Vec::new();
    let workloads: [(&str, Workload); 4] = [
        ("push", push_pull),
        ("client", client_server),
        ("storm", storm),
        ("pubsub", pub_sub),
    ];
    for (name, start) in workloads {
        if only.iter().any(|w| w == name) {
            start(&stats, &mut threads);
        }
    }

    println!(
        "soak: {seconds} s, workloads {}; {PUSH_WORKERS} PUSH churners, {CS_WORKERS} CLIENT churners, \
         {STORM_CLIENTS} storm clients (rebind every {STORM_PERIOD:?}), {SUB_WORKERS} SUB churners",
        only.join(",")
    );
    let start = Instant::now();
    let mut samples = Vec::new();
    for s in 1..=seconds {
        let next = start + Duration::from_secs(s);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let sample = Sample {
            rss_kib: status_field("VmRSS"),
            fds: open_fds(),
            threads: status_field("Threads"),
        };
        samples.push(sample);
        println!(
            "t={s:>4}s rss={:>7} KiB fds={:>4} threads={:>3} | push runs {} | client rt {} sockets {} \
             | storm rebinds {} rt {} resends {} | sub sockets {} msgs {} (pub {}) | failures {}",
            sample.rss_kib,
            sample.fds,
            sample.threads,
            Stats::get(&stats.push_runs),
            Stats::get(&stats.cs_round_trips),
            Stats::get(&stats.cs_sockets),
            Stats::get(&stats.storm_rebinds),
            Stats::get(&stats.storm_round_trips),
            Stats::get(&stats.storm_resends),
            Stats::get(&stats.sub_sockets),
            Stats::get(&stats.sub_messages),
            Stats::get(&stats.pub_messages),
            Stats::get(&stats.failures),
        );
    }
    stats.stop.store(true, Ordering::Relaxed);
    for t in threads {
        if t.join().is_err() {
            stats.fail("a worker thread panicked".into());
        }
    }

    let third = samples.len() / 3;
    let mid = &samples[third..2 * third];
    let late = &samples[samples.len() - third..];
    let med = |s: &[Sample], f: fn(&Sample) -> u64| median(s.iter().map(f).collect());
    let (rss_mid, rss_late) = (med(mid, |s| s.rss_kib), med(late, |s| s.rss_kib));
    let (fds_mid, fds_late) = (med(mid, |s| s.fds), med(late, |s| s.fds));
    let (thr_mid, thr_late) = (med(mid, |s| s.threads), med(late, |s| s.threads));
    let rss_flat = rss_late <= rss_mid + rss_mid / 5 || rss_late <= rss_mid + 8 * 1024;
    let fds_flat = fds_late <= fds_mid + 16;
    let thr_flat = thr_late == thr_mid;
    let yn = |b: bool| if b { "yes" } else { "no" };
    println!(
        "medians (second third -> last third): rss {rss_mid} -> {rss_late} KiB (flat: {}), \
         fds {fds_mid} -> {fds_late} (flat: {}), threads {thr_mid} -> {thr_late} (flat: {})",
        yn(rss_flat),
        yn(fds_flat),
        yn(thr_flat)
    );
    println!(
        "totals: push runs {} ({} msgs) | client sockets {} rt {} | storm rebinds {} rt {} resends {} \
         | sub sockets {} msgs {} | pub msgs {}",
        Stats::get(&stats.push_runs),
        Stats::get(&stats.push_runs) * u64::from(PUSH_RUN),
        Stats::get(&stats.cs_sockets),
        Stats::get(&stats.cs_round_trips),
        Stats::get(&stats.storm_rebinds),
        Stats::get(&stats.storm_round_trips),
        Stats::get(&stats.storm_resends),
        Stats::get(&stats.sub_sockets),
        Stats::get(&stats.sub_messages),
        Stats::get(&stats.pub_messages),
    );
    let failures = Stats::get(&stats.failures);
    let flat = rss_flat && fds_flat && thr_flat;
    println!("integrity failures: {failures}");
    println!("flat: {}", yn(flat));
    if flat && failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
