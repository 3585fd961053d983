//! The command line shared by the `perf` binary and the root examples.
//!
//! ```text
//! perf <oxmq|libzmq|zmqrs|omqrs|raw> <tool> <args as libzmq's tool> [options]
//!   local_thr  <bind-to> <message-size> <message-count>
//!   remote_thr <connect-to> <message-size> <message-count>
//!   local_lat  <bind-to> <message-size> <roundtrip-count>
//!   remote_lat <connect-to> <message-size> <roundtrip-count>
//!   remote_hs  <connect-to> <message-size> <handshake-count>
//!              (oxmq, libzmq) against a local_lat REP: a new REQ socket
//!              per round trip, connected, one round trip, closed; prints
//!              handshakes per second and the p50/p99 of one connection
//!   inproc_thr <message-size> <message-count>
//!   inproc_lat <message-size> <roundtrip-count>
//!   pubsub_thr <tcp://...|inproc> <message-size> <message-count>
//!              one process: XPUB to --peers N SUB threads (oxmq, libzmq;
//!              omq.rs: PUB to N SUB tasks), each subscribed to
//!              --subscriptions K topics (default 1: all)
//! perf spin [--seconds S]
//!              keeps one core busy (a plain loop) until its stdin closes,
//!              it is killed, or S seconds (default 3600) have passed;
//!              prints `spinning` once it runs (the comparison's --busy)
//! options:
//!   --pattern push-pull|client-server|req-rep
//!   --peers N        remote_thr: N sending sockets sharing the count (fan-in);
//!                    raw local_thr: accept N streams
//!   --announce       local sides print `endpoint: <bound endpoint>` first
//!   --timeout-ms MS  bound every wait (default: wait for ever)
//!   --curve          CURVE security (oxmq, libzmq; tcp and ipc): the
//!                    binding side is the CURVE server, the connecting side
//!                    the client, with the fixed test keys of
//!                    `oxmq_perf::curve_keys` and no ZAP handler
//!   --no-resume      oxmq only: both sides with resumable sessions
//!                    (SPEC §3.7) off (`SocketOptions::resume(false)`);
//!                    no effect where oxmq never offers them (inproc,
//!                    PUB/SUB, CURVE)
//! ```
//!
//! Every tool ends with a `cpu: <user> <sys> [s]` line.

use crate::{report, Config, Pattern, PerfResult};
use std::io::Write;
use std::time::Duration;

/// Which library's side to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lib {
    /// [`crate::oxmq_side`].
    Oxmq,
    /// [`crate::libzmq_side`].
    Libzmq,
    /// [`crate::zmqrs_side`].
    Zmqrs,
    /// [`crate::omqrs_side`].
    Omqrs,
    /// [`crate::raw_side`].
    Raw,
}

impl Lib {
    /// Parses `oxmq`, `libzmq`, `zmqrs`, `omqrs` or `raw`.
    pub fn parse(s: &str) -> Option<Lib> {
        match s {
            "oxmq" => Some(Lib::Oxmq),
            "libzmq" => Some(Lib::Libzmq),
            "zmqrs" => Some(Lib::Zmqrs),
            "omqrs" => Some(Lib::Omqrs),
            "raw" => Some(Lib::Raw),
            _ => None,
        }
    }
}

const TOOLS: [&str; 8] = [
    "local_thr",
    "remote_thr",
    "local_lat",
    "remote_lat",
    "remote_hs",
    "inproc_thr",
    "inproc_lat",
    "pubsub_thr",
];

const OPTIONS: &str = "options: --pattern push-pull|client-server|req-rep  --peers N  --subscriptions K  --announce  --timeout-ms MS\n\
     \x20        --curve  CURVE security (oxmq, libzmq; tcp, ipc): the binding side is the CURVE server,\n\
     \x20                 the connecting side the client, fixed test keys (zmq_curve(7)'s), no ZAP handler\n\
     \x20        --no-resume  oxmq only: resumable sessions (SPEC §3.7) off on both sides";

fn usage(prog: &str) -> String {
    format!(
        "usage: {prog} <local_thr|remote_thr|local_lat|remote_lat|remote_hs> <endpoint> <message-size> <count> [options]\n\
         \x20      {prog} <inproc_thr|inproc_lat> <message-size> <count> [options]\n{OPTIONS}"
    )
}

fn tool_usage(tool: &str) -> String {
    let args = match tool {
        "local_thr" => "<bind-to> <message-size> <message-count>",
        "remote_thr" => "<connect-to> <message-size> <message-count>",
        "local_lat" => "<bind-to> <message-size> <roundtrip-count>",
        "remote_lat" => "<connect-to> <message-size> <roundtrip-count>",
        "remote_hs" => "<connect-to> <message-size> <handshake-count>",
        "inproc_thr" => "<message-size> <message-count>",
        "pubsub_thr" => "<tcp://host:port|inproc> <message-size> <message-count> --peers N",
        _ => "<message-size> <roundtrip-count>",
    };
    format!("usage: {tool} {args} [options]\n{OPTIONS}")
}

/// `perf --help`: every tool and option.
const HELP: &str = "\
perf <oxmq|libzmq|zmqrs|omqrs|raw> <tool> <args as libzmq's tool> [options]
  local_thr  <bind-to> <message-size> <message-count>
  remote_thr <connect-to> <message-size> <message-count>
  local_lat  <bind-to> <message-size> <roundtrip-count>
  remote_lat <connect-to> <message-size> <roundtrip-count>
  remote_hs  <connect-to> <message-size> <handshake-count>
             (oxmq, libzmq) against a local_lat REP: a new REQ socket per
             round trip, connected, one round trip, closed; prints
             handshakes per second and the p50/p99 of one connection
  inproc_thr <message-size> <message-count>
  inproc_lat <message-size> <roundtrip-count>
  pubsub_thr <tcp://...|inproc> <message-size> <message-count>
             one process: XPUB to --peers N SUBs (omq.rs: PUB), each
             subscribed to --subscriptions K topics (default 1: all)
perf spin [--seconds S]
             keeps one core busy until stdin closes, it is killed or S
             seconds have passed; prints `spinning` once it runs
options:
  --pattern push-pull|client-server|req-rep
  --peers N        remote_thr: N sending sockets sharing the count (fan-in);
                   raw local_thr: accept N streams; pubsub_thr: N SUBs
  --subscriptions K  pubsub_thr: topics per SUB
  --announce       local sides print `endpoint: <bound endpoint>` first
  --timeout-ms MS  bound every wait (default: wait for ever)
  --curve          CURVE security (oxmq and libzmq, tcp and ipc; give it to
                   both sides): the binding side is the CURVE server, the
                   connecting side the client, with fixed test keys (the
                   key pairs of the zmq_curve(7) manual page) and no ZAP
                   handler, so any client key is accepted
  --no-resume      oxmq only (give it to both sides): resumable sessions
                   (SPEC §3.7) off on the binding and the connecting socket
                   (SocketOptions::resume(false)); no effect where oxmq
                   never offers them (inproc, PUB/SUB, CURVE)
Every tool ends with a `cpu: <user> <sys> [s]` line.";

/// Runs `perf <lib> <tool> ...` (or `perf spin`, `perf --help`); returns
/// the process exit code.
pub fn perf_main(args: impl IntoIterator<Item = String>) -> i32 {
    let args: Vec<String> = args.into_iter().collect();
    if args.first().map(String::as_str) == Some("spin") {
        return spin(&args[1..]);
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return 0;
    }
    let prog = "perf <oxmq|libzmq|zmqrs|omqrs|raw>";
    let Some(lib) = args.first().and_then(|a| Lib::parse(a)) else {
        eprintln!("{}", usage(prog));
        return 2;
    };
    let Some(tool) = args.get(1).filter(|t| TOOLS.contains(&t.as_str())) else {
        eprintln!("{}", usage(prog));
        return 2;
    };
    run_tool(lib, tool, &args[2..])
}

/// Runs one of oxmq's tools (`examples/<tool>.rs`) with the process's
/// arguments; returns the exit code.
pub fn example_main(tool: &str) -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run_tool(Lib::Oxmq, tool, &args)
}

struct Parsed {
    cfg: Config,
    announce: bool,
}

fn parse(tool: &str, args: &[String]) -> Result<Parsed, String> {
    let mut pos = Vec::new();
    let mut cfg = Config::new(String::new(), 0, 0);
    let mut announce = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--pattern" => {
                let v = it.next().ok_or("--pattern needs a value")?;
                cfg.pattern = Some(Pattern::parse(v).ok_or(format!("unknown pattern {v}"))?);
            }
            "--peers" => {
                let v = it.next().ok_or("--peers needs a value")?;
                cfg.peers = v.parse().map_err(|_| format!("bad --peers {v}"))?;
            }
            "--subscriptions" => {
                let v = it.next().ok_or("--subscriptions needs a value")?;
                cfg.subscriptions = v
                    .parse()
                    .ok()
                    .filter(|&k: &usize| (1..=99_999).contains(&k))
                    .ok_or(format!("bad --subscriptions {v} (1..=99999)"))?;
            }
            "--timeout-ms" => {
                let v = it.next().ok_or("--timeout-ms needs a value")?;
                let ms: u64 = v.parse().map_err(|_| format!("bad --timeout-ms {v}"))?;
                cfg.timeout = Some(Duration::from_millis(ms));
            }
            "--announce" => announce = true,
            "--curve" => cfg.curve = true,
            "--no-resume" => cfg.resume = false,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => pos.push(a.clone()),
        }
    }
    let inproc = tool.starts_with("inproc");
    let want = if inproc { 2 } else { 3 };
    if pos.len() != want {
        return Err(format!("{tool} takes {want} arguments, got {}", pos.len()));
    }
    if !inproc {
        cfg.endpoint = pos.remove(0);
    }
    cfg.size = pos[0]
        .parse()
        .map_err(|_| format!("bad message size {}", pos[0]))?;
    cfg.count = pos[1]
        .parse()
        .map_err(|_| format!("bad count {}", pos[1]))?;
    Ok(Parsed { cfg, announce })
}

fn run_tool(lib: Lib, tool: &str, args: &[String]) -> i32 {
    let parsed = match parse(tool, args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{tool}: {e}\n{}", tool_usage(tool));
            return 2;
        }
    };
    match dispatch(lib, tool, &parsed) {
        Ok(out) => {
            print!("{out}{}", report::cpu());
            let _ = std::io::stdout().flush();
            0
        }
        Err(e) => {
            eprintln!("{tool}: {e}");
            1
        }
    }
}

fn dispatch(lib: Lib, tool: &str, p: &Parsed) -> PerfResult<String> {
    let cfg = &p.cfg;
    let announce = p.announce;
    if cfg.curve && (!matches!(lib, Lib::Oxmq | Lib::Libzmq) || tool == "pubsub_thr") {
        return Err("--curve: oxmq and libzmq only, and not pubsub_thr".into());
    }
    if !cfg.resume && lib != Lib::Oxmq {
        return Err(
            "--no-resume: oxmq only (resumable sessions, SPEC §3.7, are oxmq's own option)".into(),
        );
    }
    let mut on_bound = |ep: &str| {
        if announce {
            print!("{}", report::endpoint(ep));
            let _ = std::io::stdout().flush();
        }
    };
    use crate::{libzmq_side as lz, omqrs_side as om, oxmq_side as ox};
    use crate::{raw_side as raw, zmqrs_side as zr};
    Ok(match (tool, lib) {
        ("local_thr", Lib::Oxmq) => report::throughput(&ox::local_thr(cfg, &mut on_bound)?),
        ("local_thr", Lib::Libzmq) => report::throughput(&lz::local_thr(cfg, &mut on_bound)?),
        ("local_thr", Lib::Zmqrs) => report::throughput(&zr::local_thr(cfg, &mut on_bound)?),
        ("local_thr", Lib::Omqrs) => report::throughput(&om::local_thr(cfg, &mut on_bound)?),
        ("local_thr", Lib::Raw) => report::throughput(&raw::local_thr(cfg, &mut on_bound)?),
        ("remote_thr", Lib::Oxmq) => ox::remote_thr(cfg).map(|()| String::new())?,
        ("remote_thr", Lib::Libzmq) => lz::remote_thr(cfg).map(|()| String::new())?,
        ("remote_thr", Lib::Zmqrs) => zr::remote_thr(cfg).map(|()| String::new())?,
        ("remote_thr", Lib::Omqrs) => om::remote_thr(cfg).map(|()| String::new())?,
        ("remote_thr", Lib::Raw) => raw::remote_thr(cfg).map(|()| String::new())?,
        ("local_lat", Lib::Oxmq) => ox::local_lat(cfg, &mut on_bound).map(|()| String::new())?,
        ("local_lat", Lib::Libzmq) => lz::local_lat(cfg, &mut on_bound).map(|()| String::new())?,
        ("local_lat", Lib::Zmqrs) => zr::local_lat(cfg, &mut on_bound).map(|()| String::new())?,
        ("local_lat", Lib::Omqrs) => om::local_lat(cfg, &mut on_bound).map(|()| String::new())?,
        ("local_lat", Lib::Raw) => raw::local_lat(cfg, &mut on_bound).map(|()| String::new())?,
        ("remote_lat", Lib::Oxmq) => report::latency(&ox::remote_lat(cfg)?),
        ("remote_lat", Lib::Libzmq) => report::latency(&lz::remote_lat(cfg)?),
        ("remote_lat", Lib::Zmqrs) => report::latency(&zr::remote_lat(cfg)?),
        ("remote_lat", Lib::Omqrs) => report::latency(&om::remote_lat(cfg)?),
        ("remote_lat", Lib::Raw) => report::latency(&raw::remote_lat(cfg)?),
        ("remote_hs", Lib::Oxmq) => report::handshakes(&ox::remote_hs(cfg)?),
        ("remote_hs", Lib::Libzmq) => report::handshakes(&lz::remote_hs(cfg)?),
        ("remote_hs", _) => return Err("remote_hs: oxmq and libzmq only".into()),
        ("inproc_thr", Lib::Oxmq) => report::throughput(&ox::inproc_thr(cfg)?),
        ("inproc_thr", Lib::Libzmq) => report::throughput(&lz::inproc_thr(cfg)?),
        ("inproc_thr", Lib::Omqrs) => report::throughput(&om::inproc_thr(cfg)?),
        ("inproc_thr", Lib::Raw) => report::throughput(&raw::inproc_thr(cfg)?),
        ("inproc_lat", Lib::Oxmq) => report::latency(&ox::inproc_lat(cfg)?),
        ("inproc_lat", Lib::Libzmq) => report::latency(&lz::inproc_lat(cfg)?),
        ("inproc_lat", Lib::Omqrs) => report::latency(&om::inproc_lat(cfg)?),
        ("inproc_lat", Lib::Raw) => report::latency(&raw::inproc_lat(cfg)?),
        ("pubsub_thr", Lib::Oxmq) => pubsub_report(crate::pubsub::oxmq(cfg)?),
        ("pubsub_thr", Lib::Libzmq) => pubsub_report(crate::pubsub::libzmq(cfg)?),
        ("pubsub_thr", Lib::Omqrs) => pubsub_report(om::pubsub_thr(cfg)?),
        ("pubsub_thr", _) => return Err("pubsub_thr: oxmq, libzmq and omqrs only".into()),
        ("inproc_thr" | "inproc_lat", Lib::Zmqrs) => {
            return Err("zmq.rs has no inproc transport".into())
        }
        (t, _) => return Err(format!("unknown tool {t}").into()),
    })
}

/// `pubsub_thr` output: the throughput lines (aggregate messages received
/// by all subscribers per second) and how many of count × N arrived.
fn pubsub_report((r, expected): (crate::ThrResult, u64)) -> String {
    format!(
        "{}received: {} of {}\n",
        report::throughput(&r),
        r.count,
        expected
    )
}

/// `perf spin [--seconds S]`: keeps one core busy with a plain loop (the
/// comparison's busy machine). Prints `spinning` once the loop is about to
/// start; ends when stdin reaches end of file (the runner closes it, or
/// dies), when killed, or after S seconds (default 3600, a guard against
/// being left behind).
fn spin(args: &[String]) -> i32 {
    let mut limit = Duration::from_secs(3600);
    match args {
        [] => {}
        [flag, v] if flag == "--seconds" => match v.parse() {
            Ok(s) => limit = Duration::from_secs(s),
            Err(_) => {
                eprintln!("spin: bad --seconds {v}");
                return 2;
            }
        },
        _ => {
            eprintln!("usage: perf spin [--seconds S]");
            return 2;
        }
    }
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        std::process::exit(0);
    });
    println!("spinning");
    let _ = std::io::stdout().flush();
    let start = std::time::Instant::now();
    let mut x = 1u64;
    loop {
        for _ in 0..1_000_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        if start.elapsed() >= limit {
            return 0;
        }
    }
}
