//! Perf tools for oxmq and its peers, in the manner of libzmq's
//! `local_thr` / `remote_thr` / `local_lat` / `remote_lat` /
//! `inproc_thr` / `inproc_lat`.
//!
//! One module per "side", each offering the same functions with the same
//! workload, message sizes and measurement points:
//!
//! - [`oxmq_side`]: oxmq sockets (blocking API);
//! - [`libzmq_side`]: libzmq 4.3.5 (drafts on) through `oxmq-interop`;
//! - [`zmqrs_side`]: zmq.rs (the `zeromq` crate) on a tokio runtime;
//! - [`omqrs_side`]: omq.rs (the `omq-tokio` crate) on a tokio
//!   current-thread runtime;
//! - [`raw_side`]: the floors: a plain framed stream and a plain ping-pong.
//!
//! Measurement points (as libzmq's tools):
//!
//! - `local_thr` binds, receives `count` messages, starts its clock when the
//!   first message arrives and stops it at the last one;
//! - `remote_thr` connects, sends `count` messages and returns once every
//!   message has left (linger);
//! - `local_lat` binds and echoes `count` messages;
//! - `remote_lat` connects and times `count` round trips; the average
//!   latency is elapsed / 2 / round trips (one way), p50 and p99 are of the
//!   per-round-trip times.
//!
//! Every function returns structured results ([`ThrResult`], [`LatResult`])
//! and prints nothing; [`report`] prints libzmq's format and [`cli`] is the
//! command line shared by the `perf` binary and the root examples.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chart;
pub mod cli;
pub mod curve_keys;
pub mod libzmq_side;
pub mod omqrs_side;
pub mod oxmq_side;
pub mod pubsub;
pub mod raw_side;
pub mod report;
pub mod zmqrs_side;

use std::fmt;
use std::time::Duration;

/// The error type of every perf function.
pub type PerfError = Box<dyn std::error::Error + Send + Sync>;
/// Result alias with [`PerfError`].
pub type PerfResult<T> = Result<T, PerfError>;

/// The messaging pattern a tool uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// PUSH → PULL (throughput).
    PushPull,
    /// CLIENT → SERVER (throughput), CLIENT ⇄ SERVER (latency).
    ClientServer,
    /// REQ ⇄ REP (latency; the default, as in libzmq's tools).
    ReqRep,
}

impl Pattern {
    /// Parses `push-pull`, `client-server` or `req-rep`.
    pub fn parse(s: &str) -> Option<Pattern> {
        match s {
            "push-pull" => Some(Pattern::PushPull),
            "client-server" => Some(Pattern::ClientServer),
            "req-rep" => Some(Pattern::ReqRep),
            _ => None,
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pattern::PushPull => "push-pull",
            Pattern::ClientServer => "client-server",
            Pattern::ReqRep => "req-rep",
        })
    }
}

/// What one tool run does.
#[derive(Clone, Debug)]
pub struct Config {
    /// Endpoint to bind (local sides) or connect to (remote sides).
    pub endpoint: String,
    /// Message size in bytes.
    pub size: usize,
    /// Messages (throughput) or round trips (latency).
    pub count: u64,
    /// Pattern; `None` picks the default: push-pull for throughput,
    /// req-rep for latency.
    pub pattern: Option<Pattern>,
    /// Throughput: number of sending sockets on the remote side (fan-in),
    /// which share `count` between them; the raw floor's local side also
    /// needs it (one stream per peer). 1 by default.
    pub peers: usize,
    /// `pubsub_thr`: distinct topics each subscriber subscribes to (1: the
    /// empty prefix, everything).
    pub subscriptions: usize,
    /// Hang guard for tests: bounds every wait (receive, send, linger).
    /// `None` (the tools' default, as libzmq's) waits for ever.
    pub timeout: Option<Duration>,
    /// CURVE security (oxmq and libzmq, tcp and ipc): the binding side is
    /// the CURVE server, the connecting side the client, with the fixed
    /// keys of [`curve_keys`] and no ZAP handler. Off: NULL.
    pub curve: bool,
    /// oxmq only: offer resumable sessions (SPEC §3.7), the `resume`
    /// socket option of both the binding and the connecting side. On by
    /// default, as oxmq's; `--no-resume` turns it off. No effect where
    /// oxmq never offers resumption (inproc, PUB/SUB, CURVE).
    pub resume: bool,
}

impl Config {
    /// A config with one peer, the default pattern and no timeout.
    pub fn new(endpoint: impl Into<String>, size: usize, count: u64) -> Config {
        Config {
            endpoint: endpoint.into(),
            size,
            count,
            pattern: None,
            peers: 1,
            subscriptions: 1,
            timeout: None,
            curve: false,
            resume: true,
        }
    }

    /// Turns CURVE on ([`Config::curve`]).
    pub fn curve(mut self, on: bool) -> Config {
        self.curve = on;
        self
    }

    /// Turns oxmq's resumable sessions on or off ([`Config::resume`]).
    pub fn resume(mut self, on: bool) -> Config {
        self.resume = on;
        self
    }

    /// Sets the pattern.
    pub fn pattern(mut self, p: Pattern) -> Config {
        self.pattern = Some(p);
        self
    }

    /// Sets the number of remote peers (fan-in).
    pub fn peers(mut self, n: usize) -> Config {
        self.peers = n.max(1);
        self
    }

    /// Sets the hang guard.
    pub fn timeout(mut self, t: Duration) -> Config {
        self.timeout = Some(t);
        self
    }

    /// The number of messages peer `i` of `peers` sends (the first one
    /// takes the remainder).
    pub fn share_of(&self, i: usize) -> u64 {
        let peers = self.peers.max(1) as u64;
        let base = self.count / peers;
        if i == 0 {
            base + self.count % peers
        } else {
            base
        }
    }
}

/// What a throughput receiver measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ThrResult {
    /// Message size in bytes.
    pub size: usize,
    /// Messages received (every one checked to be `size` bytes).
    pub count: u64,
    /// From the first message received to the last.
    pub elapsed: Duration,
}

impl ThrResult {
    /// Messages per second, as libzmq computes it: count / elapsed µs
    /// × 10⁶, truncated to an integer (elapsed at least 1 µs).
    pub fn msgs_per_sec(&self) -> u64 {
        let us = self.elapsed.as_micros().max(1) as f64;
        (self.count as f64 / us * 1_000_000.0) as u64
    }

    /// Megabits per second: msg/s × size × 8 / 10⁶.
    pub fn megabits_per_sec(&self) -> f64 {
        self.msgs_per_sec() as f64 * self.size as f64 * 8.0 / 1_000_000.0
    }
}

/// What a latency measurer (`remote_lat`, `inproc_lat`) measured.
#[derive(Clone, Debug, PartialEq)]
pub struct LatResult {
    /// Message size in bytes.
    pub size: usize,
    /// Round trips made.
    pub roundtrips: u64,
    /// Time for all round trips.
    pub elapsed: Duration,
    /// Every round trip's time, in order.
    pub rtts: Vec<Duration>,
}

impl LatResult {
    /// libzmq's "average latency": elapsed µs / (round trips × 2), i.e. one way.
    pub fn average_latency_us(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / (self.roundtrips.max(1) as f64 * 2.0)
    }

    /// The `p`-quantile (0..=1) of the round-trip times, in µs
    /// (nearest rank; 0 with no samples).
    pub fn rtt_percentile_us(&self, p: f64) -> f64 {
        if self.rtts.is_empty() {
            return 0.0;
        }
        let mut v: Vec<Duration> = self.rtts.clone();
        v.sort_unstable();
        let rank = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len());
        v[rank - 1].as_secs_f64() * 1e6
    }

    /// Median round trip, µs.
    pub fn p50_us(&self) -> f64 {
        self.rtt_percentile_us(0.50)
    }

    /// 99th percentile round trip, µs.
    pub fn p99_us(&self) -> f64 {
        self.rtt_percentile_us(0.99)
    }
}

/// User and system CPU seconds this process has used so far, from
/// `/proc/self/stat` (utime and stime, in clock ticks of 1/100 s).
/// `(0.0, 0.0)` where that file cannot be read.
pub fn cpu_times() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // The command name (field 2) is in parentheses and may hold spaces:
    // fields are counted after the last ')'. There, field 3 (state) is
    // index 0, so utime (14) is index 11 and stime (15) index 12.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0) as f64
            / 100.0
    };
    (ticks(11), ticks(12))
}

/// Checks that a received message has the expected size, as libzmq's
/// `local_thr` does.
pub(crate) fn check_size(got: usize, want: usize) -> PerfResult<()> {
    if got == want {
        Ok(())
    } else {
        Err(format!("message of incorrect size received: {got} B, expected {want} B").into())
    }
}

/// Records per-round-trip times and the total for a latency run.
pub(crate) struct LatTimer {
    start: std::time::Instant,
    last: std::time::Instant,
    rtts: Vec<Duration>,
}

impl LatTimer {
    pub(crate) fn start(roundtrips: u64) -> LatTimer {
        let now = std::time::Instant::now();
        LatTimer {
            start: now,
            last: now,
            rtts: Vec::with_capacity(roundtrips as usize),
        }
    }

    /// Marks the end of one round trip (and the start of the next).
    #[inline]
    pub(crate) fn lap(&mut self) {
        let now = std::time::Instant::now();
        self.rtts.push(now - self.last);
        self.last = now;
    }

    pub(crate) fn finish(self, size: usize) -> LatResult {
        LatResult {
            size,
            roundtrips: self.rtts.len() as u64,
            elapsed: self.last - self.start,
            rtts: self.rtts,
        }
    }
}

/// A unique in-process endpoint name for one inproc run.
/// Awaits `f` (a call into the library `lib`), bounded by `t` when set:
/// a `--timeout-ms` run fails instead of hanging.
pub(crate) async fn bounded<T, E: Into<PerfError>>(
    lib: &str,
    t: Option<Duration>,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> PerfResult<T> {
    match t {
        None => f.await.map_err(Into::into),
        Some(t) => match tokio::time::timeout(t, f).await {
            Ok(r) => r.map_err(Into::into),
            Err(_) => Err(format!("{lib}: timed out after {t:?}").into()),
        },
    }
}

pub(crate) fn inproc_name(tag: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    format!(
        "inproc://perf-{tag}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Joins a worker thread, turning a panic into an error.
pub(crate) fn join<T>(h: std::thread::JoinHandle<PerfResult<T>>) -> PerfResult<T> {
    h.join()
        .map_err(|_| PerfError::from("perf worker thread panicked"))?
}

/// The payload every Rust side sends: `size` zero bytes in a buffer that
/// lives for the rest of the process, sent by reference
/// (`Bytes::from_static`): no allocation, no copy and no shared reference
/// count per message, like libzmq's `zmq_msg_init_size` for a small
/// message. (Cloning one refcounted `Bytes` per message instead makes the
/// sender and the receiver fight over the count's cache line on every
/// message, a cost of the benchmark rather than of the library.)
pub fn static_payload(size: usize) -> bytes::Bytes {
    bytes::Bytes::from_static(Box::leak(vec![0u8; size].into_boxed_slice()))
}
