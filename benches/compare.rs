//! Side-by-side comparison: oxmq, libzmq 4.3.5, zmq.rs 0.7, omq.rs
//! (omq-tokio 0.33) and the raw floors on the same workloads, each
//! library's sides as two processes of the `perf` binary (crate
//! `oxmq-perf`; inproc as one process), libraries interleaved A B C D E
//! A B C D E ... for `--rounds` rounds per workload. Prints Markdown tables
//! of medians to stdout, each sample to stderr.
//!
//! ```text
//! cargo build --release -p oxmq-perf
//! cargo bench --bench compare -- [--rounds 5] [--filter thr-tcp,lat] [--libs oxmq,libzmq]
//!                                [--scale 1.0] [--list] [--baseline PATH] [--busy] [--help]
//! ```
//!
//! `--baseline PATH` adds oxmq as built elsewhere (another commit's
//! `target/release/perf`) as one more side, interleaved with this one in
//! every round, and prints a before/after table (this oxmq ÷ baseline).
//!
//! The `curve-*` workloads run oxmq and libzmq with CURVE security
//! (`perf ... --curve`: fixed test keys, no ZAP handler) and get a table
//! of their own; `curve-handshakes-tcp` counts CURVE handshakes per
//! second (`perf remote_hs`: a new REQ connection per round trip).
//!
//! The `noresume-*` workloads (`noresume-thr-tcp-32`,
//! `noresume-cs-tcp-32`, `noresume-lat-cs-tcp-64`, see [`RESUME`]) run
//! oxmq alone with resumable sessions off (`perf ... --no-resume`, SPEC
//! §3.7), each right after its original, and get a table of their own:
//! oxmq with resumption on (the default, from the original workload)
//! against off and against libzmq. `--filter resume` runs the three twins
//! and their originals (those with oxmq and libzmq only); the
//! `--baseline` side does not run the twins.
//!
//! `--busy` adds the busy-machine workloads (`busy-<id>`, see [`BUSY`]):
//! the same runs while a `perf spin` process keeps one core busy, started
//! before each sample and stopped after it, and prints their own table
//! (msg/s, busy ÷ idle, CPU per million messages).
//!
//! `--charts DIR` (default `target/charts`) is where the SVG charts go:
//! throughput.svg and roundtrip.svg (bars of each library's median, with
//! oxmq's ratio to it) and sizes.svg (tcp PUSH/PULL msg/s against message
//! size, from every `thr-tcp-*` workload run). `--sweep` adds the sizes
//! between the usual four (256 B, 4 KiB, 16 KiB, 256 KiB) to that line.
//!
//! The bench builds nothing itself: it runs `perf` from the target
//! directory it was built in (`target/release/perf`), or `$OXMQ_PERF_BIN`.
//! See benches/README.md for the columns.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

#[path = "compare/charts.rs"]
mod charts;

/// Longest a single run (both processes) may take before it is killed.
const RUN_DEADLINE: Duration = Duration::from_secs(120);
/// How long the other process of a pair may keep running once one has
/// exited successfully (e.g. a receiver still waiting for messages that the
/// sender's library lost: libzmq over ipc, issue zeromq/libzmq#4660).
const GRACE: Duration = Duration::from_secs(20);

/// `--help`.
const HELP: &str = "\
cargo bench --bench compare -- [options]   (after `cargo build --release -p oxmq-perf`)
  --rounds N        rounds per workload, libraries interleaved (default 5)
  --filter ID[,ID]  keep workloads whose id contains one of these (see --list);
                    curve-* ones only with a filter that says curve;
                    `resume` alone: the noresume-* twins and their originals
                    (thr-tcp-32, cs-tcp-32, lat-cs-tcp-64) with oxmq and
                    libzmq only
  --libs L[,L]      oxmq,libzmq,zmqrs,omqrs,raw (default: all)
  --scale F         multiply every message count (default 1.0)
  --list            print the workloads (id, title, count x size) and exit
  --baseline PATH   another build's perf binary: run as one more oxmq side
                    after this one in every round, and print this ÷ baseline
  --busy            also run the busy-machine workloads (busy-<id>) with one
                    core kept busy by `perf spin`
  --sweep           also run tcp PUSH/PULL at 256 B, 4 KiB, 16 KiB and 256 KiB,
                    for the size chart
  --charts DIR      where the SVG charts go (default target/charts)
Workloads: thr-*, cs-*, fanin-*, pubsub-*, match-*, lat-*, and curve-*
(oxmq and libzmq with CURVE: curve-thr-tcp-{32,1k,64k}, curve-lat-tcp-64,
curve-handshakes-tcp) and noresume-* (oxmq alone with resumable sessions
off, SPEC §3.7: noresume-thr-tcp-32, noresume-cs-tcp-32,
noresume-lat-cs-tcp-64; a table against oxmq on and libzmq), all in the
default run. Tables of medians go to stdout, each sample to stderr. Runs
`perf` from this target directory, or $OXMQ_PERF_BIN. See
benches/README.md.";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Lib {
    Oxmq,
    Libzmq,
    Zmqrs,
    /// omq.rs (the `omq-tokio` crate).
    Omqrs,
    Raw,
    /// oxmq from the `--baseline` perf binary.
    Baseline,
}

impl Lib {
    const ALL: [Lib; 5] = [Lib::Oxmq, Lib::Libzmq, Lib::Zmqrs, Lib::Omqrs, Lib::Raw];

    fn arg(self) -> &'static str {
        match self {
            Lib::Oxmq => "oxmq",
            Lib::Libzmq => "libzmq",
            Lib::Zmqrs => "zmqrs",
            Lib::Omqrs => "omqrs",
            Lib::Raw => "raw",
            Lib::Baseline => "oxmq",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Lib::Oxmq => "oxmq",
            Lib::Libzmq => "libzmq",
            Lib::Zmqrs => "zmq.rs",
            Lib::Omqrs => "omq.rs",
            Lib::Raw => "floor",
            Lib::Baseline => "oxmq (baseline)",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// PUSH/PULL throughput.
    Thr,
    /// CLIENT/SERVER throughput (the floor: the plain stream).
    CsThr,
    /// Round trips: REQ/REP (oxmq, libzmq, zmq.rs, omq.rs), raw ping-pong.
    Lat,
    /// Round trips over CLIENT/SERVER (oxmq, libzmq, omq.rs), raw ping-pong.
    CsLat,
    /// One XPUB (omq.rs: PUB) to N SUBs (`pubsub_thr`, one process):
    /// aggregate msg/s received.
    PubSub(usize),
    /// One XPUB to one SUB subscribed to K topics, messages spread over
    /// them (`pubsub_thr --subscriptions K`): the matching benchmark.
    Matching(usize),
    /// 10 PUSH peers into one PULL.
    FanIn,
    /// New REQ connections one after another, each with one round trip to
    /// a REP, then closed (`remote_hs` against `local_lat`): handshakes/s.
    Handshakes,
}

impl Kind {
    fn is_lat(self) -> bool {
        matches!(self, Kind::Lat | Kind::CsLat)
    }
}

#[derive(Clone, Debug)]
struct Workload {
    id: String,
    title: String,
    kind: Kind,
    transport: &'static str,
    size: usize,
    count: u64,
    libs: Vec<Lib>,
    /// Run while a `perf spin` process keeps one core busy.
    busy: bool,
    /// With CURVE security (`perf ... --curve`).
    curve: bool,
    /// oxmq with resumable sessions off (`perf ... --no-resume`, SPEC
    /// §3.7): a `noresume-` twin of one of [`RESUME`].
    resume_off: bool,
}

const FAN_IN_PEERS: usize = 10;

/// The workloads `--busy` runs again on a busy machine (as `busy-<id>`).
const BUSY: [&str; 8] = [
    "thr-tcp-32",
    "thr-inproc-32",
    "cs-tcp-32",
    "fanin-tcp-32",
    "pubsub-tcp-8",
    "lat-tcp-64",
    "lat-inproc-64",
    "lat-cs-tcp-64",
];

/// The workloads that get a `noresume-<id>` twin: oxmq alone with
/// resumable sessions off, for the resumable-sessions table.
const RESUME: [&str; 3] = ["thr-tcp-32", "cs-tcp-32", "lat-cs-tcp-64"];

/// What a `noresume-` twin's title adds to its original's.
const RESUME_OFF: &str = ", resumption off";

fn size_name(size: usize) -> String {
    match size {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{}m", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{}k", s >> 10),
        s => s.to_string(),
    }
}

fn size_title(size: usize) -> String {
    match size {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// The sizes `--sweep` adds to tcp PUSH/PULL, with their counts.
const SWEEP: [(usize, u64); 4] = [
    (256, 2_000_000),
    (4 * 1024, 300_000),
    (16 * 1024, 150_000),
    (256 * 1024, 15_000),
];

fn workloads(scale: f64, busy: bool, sweep: bool) -> Vec<Workload> {
    let n = |c: u64| ((c as f64 * scale) as u64).max(10);
    let mut v = Vec::new();
    let sizes = [
        (32usize, 5_000_000u64),
        (1024, 500_000),
        (64 * 1024, 50_000),
        (1024 * 1024, 5_000),
    ];
    for transport in ["tcp", "ipc", "inproc"] {
        let mut sizes = sizes.to_vec();
        if sweep && transport == "tcp" {
            sizes.extend(SWEEP);
            sizes.sort();
        }
        for &(size, count) in &sizes {
            let libs = if transport == "inproc" {
                vec![Lib::Oxmq, Lib::Libzmq, Lib::Omqrs, Lib::Raw]
            } else {
                Lib::ALL.to_vec()
            };
            v.push(Workload {
                id: format!("thr-{transport}-{}", size_name(size)),
                title: format!("PUSH/PULL {transport} {}", size_title(size)),
                kind: Kind::Thr,
                transport,
                size,
                count: n(count),
                libs,
                busy: false,
                curve: false,
                resume_off: false,
            });
        }
    }
    v.push(Workload {
        id: "cs-tcp-32".into(),
        title: "CLIENT/SERVER tcp 32 B".into(),
        kind: Kind::CsThr,
        transport: "tcp",
        size: 32,
        count: n(5_000_000),
        libs: vec![Lib::Oxmq, Lib::Libzmq, Lib::Omqrs, Lib::Raw],
        busy: false,
        curve: false,
        resume_off: false,
    });
    v.push(Workload {
        id: "fanin-tcp-32".into(),
        title: format!("fan-in {FAN_IN_PEERS} PUSH → PULL tcp 32 B"),
        kind: Kind::FanIn,
        transport: "tcp",
        size: 32,
        count: n(5_000_000),
        libs: Lib::ALL.to_vec(),
        busy: false,
        curve: false,
        resume_off: false,
    });
    for transport in ["tcp", "inproc"] {
        for (peers, count) in [(1usize, 2_000_000u64), (8, 1_000_000)] {
            v.push(Workload {
                id: format!("pubsub-{transport}-{peers}"),
                title: format!("PUB → {peers} SUB {transport} 32 B (aggregate)"),
                kind: Kind::PubSub(peers),
                transport,
                size: 32,
                count: n(count),
                libs: vec![Lib::Oxmq, Lib::Libzmq, Lib::Omqrs],
                busy: false,
                curve: false,
                resume_off: false,
            });
        }
    }
    for k in [10usize, 10_000] {
        v.push(Workload {
            id: format!("match-tcp-{k}"),
            title: format!("PUB → 1 SUB tcp 32 B, {k} subscriptions"),
            kind: Kind::Matching(k),
            transport: "tcp",
            size: 32,
            count: n(1_000_000),
            libs: vec![Lib::Oxmq, Lib::Libzmq, Lib::Omqrs],
            busy: false,
            curve: false,
            resume_off: false,
        });
    }
    for transport in ["tcp", "ipc", "inproc"] {
        let libs = if transport == "inproc" {
            vec![Lib::Oxmq, Lib::Libzmq, Lib::Omqrs, Lib::Raw]
        } else {
            Lib::ALL.to_vec()
        };
        v.push(Workload {
            id: format!("lat-{transport}-64"),
            title: format!("round trip REQ/REP {transport} 64 B"),
            kind: Kind::Lat,
            transport,
            size: 64,
            count: n(20_000),
            libs,
            busy: false,
            curve: false,
            resume_off: false,
        });
    }
    v.push(Workload {
        id: "lat-cs-tcp-64".into(),
        title: "round trip CLIENT/SERVER tcp 64 B".into(),
        kind: Kind::CsLat,
        transport: "tcp",
        size: 64,
        count: n(20_000),
        libs: vec![Lib::Oxmq, Lib::Libzmq, Lib::Omqrs, Lib::Raw],
        busy: false,
        curve: false,
        resume_off: false,
    });
    // CURVE (oxmq and libzmq only): smaller counts than NULL's, since
    // every byte is encrypted and authenticated.
    let curve = |id: &str, title: String, kind: Kind, size: usize, count: u64| Workload {
        id: id.into(),
        title,
        kind,
        transport: "tcp",
        size,
        count: n(count),
        libs: vec![Lib::Oxmq, Lib::Libzmq],
        busy: false,
        curve: true,
        resume_off: false,
    };
    for (size, count) in [
        (32usize, 2_000_000u64),
        (1024, 500_000),
        (64 * 1024, 20_000),
    ] {
        v.push(curve(
            &format!("curve-thr-tcp-{}", size_name(size)),
            format!("CURVE PUSH/PULL tcp {} (msg/s)", size_title(size)),
            Kind::Thr,
            size,
            count,
        ));
    }
    v.push(curve(
        "curve-lat-tcp-64",
        "CURVE round trip REQ/REP tcp 64 B (p50 µs)".into(),
        Kind::Lat,
        64,
        20_000,
    ));
    v.push(curve(
        "curve-handshakes-tcp",
        "CURVE handshakes tcp, one 64 B round trip each (handshakes/s)".into(),
        Kind::Handshakes,
        64,
        2_000,
    ));
    // Each twin right after its original, so that the two run close in
    // time.
    let mut v: Vec<Workload> = v
        .into_iter()
        .flat_map(|w| {
            let twin = RESUME.contains(&w.id.as_str()).then(|| Workload {
                id: format!("noresume-{}", w.id),
                title: format!("{}{RESUME_OFF}", w.title),
                libs: vec![Lib::Oxmq],
                resume_off: true,
                ..w.clone()
            });
            std::iter::once(w).chain(twin)
        })
        .collect();
    if busy {
        let again: Vec<Workload> = BUSY
            .iter()
            .map(|id| {
                let w = v
                    .iter()
                    .find(|w| w.id == *id)
                    .expect("BUSY names a workload");
                Workload {
                    id: format!("busy-{}", w.id),
                    title: format!("{}, one core busy", w.title),
                    busy: true,
                    ..w.clone()
                }
            })
            .collect();
        v.extend(again);
    }
    v
}

/// One run's numbers.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// msg/s (throughput) or p50 round trip µs (latency).
    value: f64,
    /// msg/s (throughput) or round trips/s (latency: from the average,
    /// count / elapsed).
    rate: f64,
    /// p99 round trip µs (latency only).
    p99: f64,
    /// CPU seconds (user + sys, both processes) per million messages
    /// (throughput) or round trips (latency).
    cpu_per_m: f64,
}

/// A child's stdout, line by line, from a reader thread.
struct Lines {
    rx: Receiver<String>,
    got: Vec<String>,
}

impl Lines {
    fn of(child: &mut Child) -> Lines {
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            got: Vec::new(),
        }
    }

    /// Waits (until `deadline`) for a line starting with `prefix`.
    fn wait_for(&mut self, prefix: &str, deadline: Instant) -> Option<String> {
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.rx.recv_timeout(left).ok()?;
            self.got.push(line.clone());
            if let Some(rest) = line.strip_prefix(prefix) {
                return Some(rest.trim().to_owned());
            }
        }
    }

    /// Everything the child printed (call after it exited).
    fn rest(mut self) -> Vec<String> {
        while let Ok(line) = self.rx.recv_timeout(Duration::from_secs(5)) {
            self.got.push(line);
        }
        self.got
    }
}

fn field(lines: &[String], prefix: &str) -> Option<f64> {
    lines.iter().find_map(|l| {
        l.strip_prefix(prefix)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

fn cpu_of(lines: &[String]) -> Option<f64> {
    lines.iter().find_map(|l| {
        let mut it = l.strip_prefix("cpu: ")?.split_whitespace();
        let user: f64 = it.next()?.parse().ok()?;
        let sys: f64 = it.next()?.parse().ok()?;
        Some(user + sys)
    })
}

struct Runner {
    perf: PathBuf,
    baseline: Option<PathBuf>,
    seq: u32,
}

impl Runner {
    fn command(&self, lib: Lib, tool: &str) -> Command {
        let bin = match (lib, &self.baseline) {
            (Lib::Baseline, Some(b)) => b,
            _ => &self.perf,
        };
        let mut c = Command::new(bin);
        c.arg(lib.arg())
            .arg(tool)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .stdin(Stdio::null());
        c
    }

    fn extra_args(lib: Lib, w: &Workload) -> Vec<String> {
        let lib = if lib == Lib::Baseline { Lib::Oxmq } else { lib };
        let mut a = Vec::new();
        match (w.kind, lib) {
            (Kind::CsThr | Kind::CsLat, Lib::Oxmq | Lib::Libzmq | Lib::Omqrs) => {
                a.extend(["--pattern", "client-server"])
            }
            (Kind::Lat | Kind::Handshakes, Lib::Oxmq | Lib::Libzmq | Lib::Zmqrs | Lib::Omqrs) => {
                a.extend(["--pattern", "req-rep"])
            }
            _ => {}
        }
        if w.curve {
            a.push("--curve");
        }
        if w.resume_off && lib == Lib::Oxmq {
            a.push("--no-resume");
        }
        let mut a: Vec<String> = a.into_iter().map(String::from).collect();
        if w.kind == Kind::FanIn {
            a.push("--peers".into());
            a.push(FAN_IN_PEERS.to_string());
        }
        if let Kind::PubSub(peers) = w.kind {
            a.push("--peers".into());
            a.push(peers.to_string());
        }
        if let Kind::Matching(k) = w.kind {
            a.push("--subscriptions".into());
            a.push(k.to_string());
        }
        a
    }

    fn endpoint(&mut self, transport: &str) -> (String, Option<PathBuf>) {
        self.seq += 1;
        match transport {
            "tcp" => ("tcp://127.0.0.1:0".into(), None),
            _ => {
                let path = std::env::temp_dir().join(format!(
                    "oxmq-compare-{}-{}.sock",
                    std::process::id(),
                    self.seq
                ));
                (format!("ipc://{}", path.display()), Some(path))
            }
        }
    }

    /// One sample; on a busy workload, with a spinner running from before
    /// the first process starts until the last has exited.
    fn run(&mut self, lib: Lib, w: &Workload) -> Result<Sample, String> {
        let _spinner = if w.busy {
            Some(Spinner::start(&self.perf)?)
        } else {
            None
        };
        self.run_sample(lib, w)
    }

    fn run_sample(&mut self, lib: Lib, w: &Workload) -> Result<Sample, String> {
        let deadline = Instant::now() + RUN_DEADLINE;
        let lat = w.kind.is_lat();
        let extra = Self::extra_args(lib, w);
        let size = w.size.to_string();
        let count = w.count.to_string();
        if let Kind::PubSub(_) | Kind::Matching(_) = w.kind {
            let ep = if w.transport == "inproc" {
                "inproc".to_string()
            } else {
                "tcp://127.0.0.1:0".to_string()
            };
            let mut cmd = self.command(lib, "pubsub_thr");
            cmd.args([&ep, &size, &count]).args(&extra);
            let mut child = cmd.spawn().map_err(|e| format!("spawn pubsub_thr: {e}"))?;
            let lines = Lines::of(&mut child);
            wait_all(&mut [("pubsub_thr", &mut child)], deadline)?;
            let out = lines.rest();
            return sample(&out, &[], false, w.count);
        }
        if w.transport == "inproc" {
            let tool = if lat { "inproc_lat" } else { "inproc_thr" };
            let mut cmd = self.command(lib, tool);
            cmd.args([&size, &count]).args(&extra);
            let mut child = cmd.spawn().map_err(|e| format!("spawn {tool}: {e}"))?;
            let lines = Lines::of(&mut child);
            wait_all(&mut [(tool, &mut child)], deadline)?;
            let out = lines.rest();
            return sample(&out, &[], lat, w.count);
        }
        let hs = w.kind == Kind::Handshakes;
        let (local_tool, remote_tool) = if hs {
            ("local_lat", "remote_hs")
        } else if lat {
            ("local_lat", "remote_lat")
        } else {
            ("local_thr", "remote_thr")
        };
        let (ep, ipc_path) = self.endpoint(w.transport);
        let mut lcmd = self.command(lib, local_tool);
        lcmd.args([&ep, &size, &count])
            .args(&extra)
            .arg("--announce");
        let mut local = lcmd
            .spawn()
            .map_err(|e| format!("spawn {local_tool}: {e}"))?;
        let mut llines = Lines::of(&mut local);
        let Some(bound) = llines.wait_for("endpoint: ", deadline) else {
            let _ = local.kill();
            let _ = local.wait();
            return Err(format!("{local_tool} did not announce its endpoint"));
        };
        let mut rcmd = self.command(lib, remote_tool);
        rcmd.args([&bound, &size, &count]).args(&extra);
        let mut remote = match rcmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = local.kill();
                let _ = local.wait();
                return Err(format!("spawn {remote_tool}: {e}"));
            }
        };
        let rlines = Lines::of(&mut remote);
        let res = wait_all(
            &mut [(local_tool, &mut local), (remote_tool, &mut remote)],
            deadline,
        );
        if let Some(p) = ipc_path {
            let _ = std::fs::remove_file(p);
        }
        res?;
        let (lout, rout) = (llines.rest(), rlines.rest());
        if hs {
            handshake_sample(&rout, &lout, w.count)
        } else if lat {
            sample(&rout, &lout, true, w.count)
        } else {
            sample(&lout, &rout, false, w.count)
        }
    }
}

/// A `perf spin` process keeping one core busy while it lives.
struct Spinner(Child);

impl Spinner {
    /// Starts the spinner and waits until its loop runs.
    fn start(perf: &std::path::Path) -> Result<Spinner, String> {
        let mut child = Command::new(perf)
            .arg("spin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn perf spin: {e}"))?;
        let mut lines = Lines::of(&mut child);
        let spinning = lines.wait_for("spinning", Instant::now() + Duration::from_secs(10));
        let spinner = Spinner(child);
        if spinning.is_none() {
            return Err("perf spin did not start".into());
        }
        Ok(spinner)
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for every child to exit successfully, killing all at the deadline
/// or when one fails.
fn wait_all(children: &mut [(&str, &mut Child)], mut deadline: Instant) -> Result<(), String> {
    let mut done = vec![false; children.len()];
    let mut graced = false;
    let mut failure = None;
    while done.iter().any(|d| !d) {
        for (i, (name, c)) in children.iter_mut().enumerate() {
            if done[i] {
                continue;
            }
            match c.try_wait() {
                Ok(Some(status)) => {
                    done[i] = true;
                    if !status.success() && failure.is_none() {
                        failure = Some(format!("{name} failed: {status}"));
                    }
                    if status.success() && !graced {
                        graced = true;
                        deadline = deadline.min(Instant::now() + GRACE);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    done[i] = true;
                    failure.get_or_insert(format!("wait: {e}"));
                }
            }
        }
        if failure.is_some() || Instant::now() >= deadline {
            let mut killed = Vec::new();
            for (i, (name, c)) in children.iter_mut().enumerate() {
                if !done[i] {
                    let _ = c.kill();
                    let _ = c.wait();
                    killed.push(name.to_string());
                }
            }
            let why = failure.unwrap_or_else(|| {
                if graced {
                    format!("still running {GRACE:?} after its peer exited")
                } else {
                    format!("still running after {RUN_DEADLINE:?}")
                }
            });
            return Err(format!("{why}; killed: {}", killed.join(", ")));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Reads a sample from the measuring process's output (`main`) and the
/// other process's (`other`, for its CPU time).
fn sample(main: &[String], other: &[String], lat: bool, count: u64) -> Result<Sample, String> {
    let value = if lat {
        field(main, "p50 latency: ")
    } else {
        field(main, "mean throughput: ")
    }
    .ok_or_else(|| format!("no result in output: {main:?}"))?;
    let p99 = if lat {
        field(main, "p99 latency: ").unwrap_or(f64::NAN)
    } else {
        f64::NAN
    };
    // Round trips/s: the one-way average latency is elapsed / 2 / count.
    let rate = if lat {
        field(main, "average latency: ").map_or(f64::NAN, |us| 1e6 / (2.0 * us))
    } else {
        value
    };
    let cpu = cpu_of(main).unwrap_or(0.0) + cpu_of(other).unwrap_or(0.0);
    Ok(Sample {
        value,
        rate,
        p99,
        cpu_per_m: cpu / count as f64 * 1e6,
    })
}

/// A `remote_hs` run: handshakes/s (its `value` and `rate`) and the p99
/// of one connection's time.
fn handshake_sample(main: &[String], other: &[String], count: u64) -> Result<Sample, String> {
    let value = field(main, "mean handshake rate: ")
        .ok_or_else(|| format!("no result in output: {main:?}"))?;
    let cpu = cpu_of(main).unwrap_or(0.0) + cpu_of(other).unwrap_or(0.0);
    Ok(Sample {
        value,
        rate: value,
        p99: field(main, "p99 handshake: ").unwrap_or(f64::NAN),
        cpu_per_m: cpu / count as f64 * 1e6,
    })
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn fmt_rate(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(x) if x >= 1e6 => format!("{:.2} M", x / 1e6),
        Some(x) if x >= 1e3 => format!("{:.1} k", x / 1e3),
        Some(x) => format!("{x:.0}"),
    }
}

fn fmt_us(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.1}"),
    }
}

fn fmt_ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "–".into(),
    }
}

fn fmt_cpu(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(x) if x >= 10.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
    }
}

type Results = BTreeMap<(usize, Lib), Vec<Sample>>;

/// The median of `f` over the samples of workload `i` for `lib`.
fn median_of(results: &Results, i: usize, lib: Lib, f: fn(&Sample) -> f64) -> Option<f64> {
    results
        .get(&(i, lib))
        .and_then(|v| median(v.iter().map(f).collect()))
}

/// "oxmq / libzmq / zmq.rs / omq.rs / floor".
fn all_titles() -> String {
    Lib::ALL.map(Lib::title).join(" / ")
}

fn table(ws: &[Workload], results: &Results, lat: bool) -> String {
    let peers = [Lib::Libzmq, Lib::Zmqrs, Lib::Omqrs, Lib::Raw];
    let mut s = String::new();
    let (unit, per) = if lat {
        ("p50 µs", "round trips")
    } else {
        ("msg/s", "msgs")
    };
    s.push_str(&format!("| workload | oxmq {unit}"));
    for p in peers {
        s.push_str(&format!(" | {}", p.title()));
    }
    for p in peers {
        s.push_str(&format!(" | oxmq÷{}", p.title()));
    }
    if lat {
        s.push_str(&format!(" | p99 µs {}", all_titles()));
    }
    s.push_str(&format!(" | CPU s per M {per} {} |\n|---", all_titles()));
    let cols = 1 + 2 * peers.len() + usize::from(lat) + 1;
    s.push_str(&"|--:".repeat(cols));
    s.push_str("|\n");
    for (i, w) in ws.iter().enumerate() {
        if w.kind.is_lat() != lat || w.busy || w.curve || w.resume_off {
            continue;
        }
        let med = |lib: Lib, f: fn(&Sample) -> f64| median_of(results, i, lib, f);
        let val = |lib| med(lib, |x| x.value);
        let ox = val(Lib::Oxmq);
        let fmt = if lat { fmt_us } else { fmt_rate };
        let mut row = format!("| {} | {}", w.title, fmt(ox));
        for p in peers {
            row.push_str(&format!(" | {}", fmt(val(p))));
        }
        for p in peers {
            row.push_str(&format!(" | {}", fmt_ratio(ox, val(p))));
        }
        if lat {
            let p99: Vec<String> = Lib::ALL
                .iter()
                .map(|&l| fmt_us(med(l, |x| x.p99)))
                .collect();
            row.push_str(&format!(" | {}", p99.join(" / ")));
        }
        let cpu: Vec<String> = Lib::ALL
            .iter()
            .map(|&l| fmt_cpu(med(l, |x| x.cpu_per_m)))
            .collect();
        row.push_str(&format!(" | {} |\n", cpu.join(" / ")));
        s.push_str(&row);
    }
    s
}

/// The CURVE workloads, oxmq against libzmq: each row's unit is in its
/// title (msg/s, p50 µs, handshakes/s).
fn curve_table(ws: &[Workload], results: &Results) -> String {
    let mut s = String::from(
        "| workload | oxmq | libzmq | oxmq÷libzmq | p99 µs oxmq / libzmq | CPU s per M oxmq / libzmq |\n|---|--:|--:|--:|--:|--:|\n",
    );
    for (i, w) in ws.iter().enumerate() {
        if !w.curve {
            continue;
        }
        let med = |lib: Lib, f: fn(&Sample) -> f64| median_of(results, i, lib, f);
        let fmt = if w.kind.is_lat() { fmt_us } else { fmt_rate };
        let (ox, lz) = (med(Lib::Oxmq, |x| x.value), med(Lib::Libzmq, |x| x.value));
        let p99 = if w.kind.is_lat() || w.kind == Kind::Handshakes {
            format!(
                "{} / {}",
                fmt_us(med(Lib::Oxmq, |x| x.p99)),
                fmt_us(med(Lib::Libzmq, |x| x.p99))
            )
        } else {
            "–".into()
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {p99} | {} / {} |\n",
            w.title,
            fmt(ox),
            fmt(lz),
            fmt_ratio(ox, lz),
            fmt_cpu(med(Lib::Oxmq, |x| x.cpu_per_m)),
            fmt_cpu(med(Lib::Libzmq, |x| x.cpu_per_m)),
        ));
    }
    s
}

/// The resumable-sessions workloads: oxmq with resumption on (the
/// original workload's run) and off (its `noresume-` twin), and libzmq
/// (the original's); each row's unit is in its title (msg/s, p50 µs).
fn resume_table(ws: &[Workload], results: &Results) -> String {
    let med = |i: Option<usize>, lib: Lib, f: fn(&Sample) -> f64| {
        i.and_then(|i| median_of(results, i, lib, f))
    };
    let mut s = String::from(
        "| workload | oxmq on | oxmq off | libzmq | on÷off | on÷libzmq | p99 µs on / off / libzmq | CPU s per M on / off / libzmq |\n|---|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for (j, w) in ws.iter().enumerate() {
        if !w.resume_off {
            continue;
        }
        let on = ws.iter().position(|x| {
            !x.busy && !x.resume_off && Some(x.id.as_str()) == w.id.strip_prefix("noresume-")
        });
        let off = Some(j);
        let lat = w.kind.is_lat();
        let (fmt, unit): (fn(Option<f64>) -> String, _) = if lat {
            (fmt_us, "p50 µs")
        } else {
            (fmt_rate, "msg/s")
        };
        let title = w.title.strip_suffix(RESUME_OFF).unwrap_or(&w.title);
        let val = |i, lib| med(i, lib, |x| x.value);
        let (ox_on, ox_off, lz) = (
            val(on, Lib::Oxmq),
            val(off, Lib::Oxmq),
            val(on, Lib::Libzmq),
        );
        let p99 = if lat {
            format!(
                "{} / {} / {}",
                fmt_us(med(on, Lib::Oxmq, |x| x.p99)),
                fmt_us(med(off, Lib::Oxmq, |x| x.p99)),
                fmt_us(med(on, Lib::Libzmq, |x| x.p99))
            )
        } else {
            "–".into()
        };
        s.push_str(&format!(
            "| {title} ({unit}) | {} | {} | {} | {} | {} | {p99} | {} / {} / {} |\n",
            fmt(ox_on),
            fmt(ox_off),
            fmt(lz),
            fmt_ratio(ox_on, ox_off),
            fmt_ratio(ox_on, lz),
            fmt_cpu(med(on, Lib::Oxmq, |x| x.cpu_per_m)),
            fmt_cpu(med(off, Lib::Oxmq, |x| x.cpu_per_m)),
            fmt_cpu(med(on, Lib::Libzmq, |x| x.cpu_per_m)),
        ));
    }
    s
}

/// The busy-machine workloads: each library's msg/s (round trips/s for
/// round trips), that over the same workload's idle median, and CPU.
fn busy_table(ws: &[Workload], results: &Results) -> String {
    let med = |i: usize, lib: Lib, f: fn(&Sample) -> f64| median_of(results, i, lib, f);
    let mut s = String::from("| workload | oxmq msg/s");
    for l in &Lib::ALL[1..] {
        s.push_str(&format!(" | {}", l.title()));
    }
    s.push_str(&format!(
        " | busy÷idle {} | CPU s per M msgs {} |\n|---{}|\n",
        all_titles(),
        all_titles(),
        "|--:".repeat(Lib::ALL.len() + 2)
    ));
    for (i, w) in ws.iter().enumerate() {
        if !w.busy {
            continue;
        }
        let idle = ws
            .iter()
            .position(|x| !x.busy && Some(x.id.as_str()) == w.id.strip_prefix("busy-"));
        let title = if w.kind.is_lat() {
            format!("{} (round trips/s)", w.title)
        } else {
            w.title.clone()
        };
        let mut row = format!("| {title}");
        for l in Lib::ALL {
            row.push_str(&format!(" | {}", fmt_rate(med(i, l, |x| x.rate))));
        }
        let ratios: Vec<String> = Lib::ALL
            .iter()
            .map(|&l| {
                fmt_ratio(
                    med(i, l, |x| x.rate),
                    idle.and_then(|j| med(j, l, |x| x.rate)),
                )
            })
            .collect();
        let cpu: Vec<String> = Lib::ALL
            .iter()
            .map(|&l| fmt_cpu(med(i, l, |x| x.cpu_per_m)))
            .collect();
        row.push_str(&format!(
            " | {} | {} |\n",
            ratios.join(" / "),
            cpu.join(" / ")
        ));
        s.push_str(&row);
    }
    s
}

/// This oxmq against the `--baseline` one, workload by workload.
fn baseline_table(ws: &[Workload], results: &Results) -> String {
    let mut s = String::from(
        "| workload | oxmq | baseline | oxmq ÷ baseline | CPU s per M oxmq / baseline |\n|---|--:|--:|--:|--:|\n",
    );
    for (i, w) in ws.iter().enumerate() {
        let med = |lib: Lib, f: fn(&Sample) -> f64| median_of(results, i, lib, f);
        let (ox, base) = (med(Lib::Oxmq, |x| x.value), med(Lib::Baseline, |x| x.value));
        if base.is_none() {
            continue;
        }
        let fmt = if w.kind.is_lat() { fmt_us } else { fmt_rate };
        let unit = if w.curve {
            ""
        } else if w.kind.is_lat() {
            " p50 µs"
        } else {
            " msg/s"
        };
        s.push_str(&format!(
            "| {}{unit} | {} | {} | {} | {} / {} |\n",
            w.title,
            fmt(ox),
            fmt(base),
            fmt_ratio(ox, base),
            fmt_cpu(med(Lib::Oxmq, |x| x.cpu_per_m)),
            fmt_cpu(med(Lib::Baseline, |x| x.cpu_per_m)),
        ));
    }
    s
}

/// Whether `--filter` string `f` keeps `w`: its id contains `f`, except
/// that a CURVE workload is kept only by a filter that says `curve` (so
/// `thr-tcp-32` keeps `thr-tcp-32`, `noresume-thr-tcp-32` and
/// `busy-thr-tcp-32`, not `curve-thr-tcp-32`; `resume` and `noresume`
/// keep the `noresume-` twins).
fn selects(f: &str, w: &Workload) -> bool {
    w.id.contains(f) && (!w.curve || f.contains("curve"))
}

/// Whether `--filter` string `f` keeps `w` as the original of a
/// `noresume-` twin: the filter `resume` (exactly) keeps them too, so that
/// one run fills the resumable-sessions table; they then run oxmq and
/// libzmq only.
fn selects_resume_original(f: &str, w: &Workload) -> bool {
    f == "resume" && !w.busy && RESUME.contains(&w.id.as_str())
}

fn perf_binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("OXMQ_PERF_BIN") {
        return Ok(PathBuf::from(p));
    }
    // The bench runs from <target>/release/deps/compare-<hash>.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .ok_or("cannot locate the target directory")?;
    let perf = dir.join("perf");
    if perf.exists() {
        Ok(perf)
    } else {
        Err(format!(
            "{} not found: run `cargo build --release -p oxmq-perf` first (same CARGO_TARGET_DIR), or set OXMQ_PERF_BIN",
            perf.display()
        ))
    }
}

fn shell(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut rounds = 5usize;
    let mut scale = 1.0f64;
    let mut filters: Vec<String> = Vec::new();
    let mut libs: Vec<Lib> = Lib::ALL.to_vec();
    let mut list = false;
    let mut baseline: Option<PathBuf> = None;
    let mut busy = false;
    let mut sweep = false;
    let mut chart_dir = PathBuf::from("target/charts");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next().cloned().unwrap_or_else(|| {
                eprintln!("{name} needs a value");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--rounds" => rounds = value("--rounds").parse().expect("--rounds N"),
            "--scale" => scale = value("--scale").parse().expect("--scale F"),
            "--filter" => filters = value("--filter").split(',').map(String::from).collect(),
            "--libs" => {
                libs = value("--libs")
                    .split(',')
                    .map(|l| {
                        *Lib::ALL
                            .iter()
                            .find(|x| x.arg() == l)
                            .unwrap_or_else(|| panic!("unknown lib {l}"))
                    })
                    .collect()
            }
            "--list" => list = true,
            "--baseline" => baseline = Some(PathBuf::from(value("--baseline"))),
            "--busy" => busy = true,
            "--sweep" => sweep = true,
            "--charts" => chart_dir = PathBuf::from(value("--charts")),
            "--bench" => {} // added by `cargo bench`
            "--help" | "-h" => {
                println!("{HELP}");
                return;
            }
            other => {
                eprintln!("unknown argument {other}; see benches/README.md");
                std::process::exit(2);
            }
        }
    }
    let ws: Vec<Workload> = workloads(scale, busy, sweep)
        .into_iter()
        .filter_map(|mut w| {
            if filters.is_empty() || filters.iter().any(|f| selects(f, &w)) {
                Some(w)
            } else if filters.iter().any(|f| selects_resume_original(f, &w)) {
                w.libs.retain(|l| matches!(l, Lib::Oxmq | Lib::Libzmq));
                Some(w)
            } else {
                None
            }
        })
        .collect();
    if list {
        for w in &ws {
            println!("{}\t{}\t{} x {} B", w.id, w.title, w.count, w.size);
        }
        return;
    }
    let perf = match perf_binary() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let started = Instant::now();
    let date = shell("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let commit = shell("git", &["rev-parse", "--short", "HEAD"]);
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let with_baseline = baseline.is_some();
    let mut runner = Runner {
        perf,
        baseline,
        seq: 0,
    };
    let mut results: Results = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        let mut wl: Vec<Lib> = w
            .libs
            .iter()
            .copied()
            .filter(|l| libs.contains(l))
            .collect();
        if with_baseline && !w.resume_off {
            if let Some(at) = wl.iter().position(|l| *l == Lib::Oxmq) {
                wl.insert(at + 1, Lib::Baseline);
            }
        }
        for round in 1..=rounds {
            for &lib in &wl {
                match runner.run(lib, w) {
                    Ok(s) => {
                        let v = if w.kind.is_lat() {
                            format!("p50 {:.1} µs p99 {:.1} µs", s.value, s.p99)
                        } else if w.kind == Kind::Handshakes {
                            format!("{:.0} handshakes/s p99 {:.0} µs", s.value, s.p99)
                        } else {
                            format!("{} msg/s", fmt_rate(Some(s.value)))
                        };
                        eprintln!(
                            "[{}] round {round} {}: {v}, {:.2} CPU s/M",
                            w.id,
                            lib.title(),
                            s.cpu_per_m
                        );
                        results.entry((i, lib)).or_default().push(s);
                    }
                    Err(e) => {
                        let f = format!("{} round {round} {}: {e}", w.id, lib.title());
                        eprintln!("[FAILED] {f}");
                        failures.push(f);
                    }
                }
            }
        }
    }
    let mins = started.elapsed().as_secs_f64() / 60.0;
    println!(
        "Comparison run {date}, commit {commit}, {cpus} CPUs, load before {}; {rounds} rounds, medians; {mins:.1} min.\n",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    if ws
        .iter()
        .any(|w| !w.kind.is_lat() && !w.busy && !w.curve && !w.resume_off)
    {
        println!("Throughput (msg/s; ratio > 1: oxmq faster):\n");
        println!("{}", table(&ws, &results, false));
    }
    if ws
        .iter()
        .any(|w| w.kind.is_lat() && !w.busy && !w.curve && !w.resume_off)
    {
        println!("Round trip (p50 µs; ratio < 1: oxmq faster):\n");
        println!("{}", table(&ws, &results, true));
    }
    if ws.iter().any(|w| w.curve) {
        println!(
            "CURVE (oxmq and libzmq, both with CURVE security, fixed test keys, no ZAP handler; \
             msg/s and handshakes/s: ratio > 1 oxmq faster; p50 µs: ratio < 1 oxmq faster):\n"
        );
        println!("{}", curve_table(&ws, &results));
    }
    if ws.iter().any(|w| w.resume_off) {
        println!(
            "Resumable sessions (SPEC §3.7): oxmq with resumption on (the default) and off, \
             and libzmq (on and libzmq from the original workload, off from its noresume- twin; \
             msg/s: ratio > 1 on faster; p50 µs: ratio < 1 on faster):\n"
        );
        println!("{}", resume_table(&ws, &results));
    }
    if ws.iter().any(|w| w.busy) {
        println!(
            "Busy machine: the same workloads while a `perf spin` process keeps one core busy \
             (msg/s; round trips/s for round trips; busy÷idle: over the idle run's median, \
             1 = no slowdown):\n"
        );
        println!("{}", busy_table(&ws, &results));
    }
    if with_baseline {
        println!("Before and after (ratio > 1: faster now for msg/s, slower for µs):\n");
        println!("{}", baseline_table(&ws, &results));
    }
    let counts: Vec<String> = ws.iter().map(|w| format!("{} {}", w.id, w.count)).collect();
    println!("Counts: {}.", counts.join(", "));
    let heading = format!("{date}, commit {commit}, {cpus} CPUs, {rounds} rounds");
    let written = charts::write(&chart_dir, &ws, &results, &heading);
    if !written.is_empty() {
        println!("\nCharts: {}.", written.join(", "));
    }
    if !failures.is_empty() {
        println!("\nFailed runs (not in the medians):\n");
        for f in &failures {
            println!("- {f}");
        }
    }
}
