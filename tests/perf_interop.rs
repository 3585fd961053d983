//! The perf tools' logic (`oxmq_perf`) against libzmq's and zmq.rs's, over
//! tcp on loopback with ephemeral ports: every throughput run counts every
//! message (each checked to be the right size) and every latency run makes
//! every round trip. Small counts, so the tests are quick; no timing
//! assertions. Every wait is bounded by a 30 s hang guard.

use oxmq_perf::{libzmq_side, oxmq_side, report, zmqrs_side, Config, Pattern, PerfResult};
use oxmq_perf::{LatResult, ThrResult};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);
const MESSAGES: u64 = 20_000;
const SIZE: usize = 32;
const ROUNDTRIPS: u64 = 2_000;
const LAT_SIZE: usize = 64;

/// A binding side: reports its endpoint through the callback, then runs.
type Local<T> = fn(&Config, &mut dyn FnMut(&str)) -> PerfResult<T>;
/// A connecting side.
type Remote<T> = fn(&Config) -> PerfResult<T>;

/// Runs `local` (binding `tcp://127.0.0.1:0`) on a thread and `remote`
/// against the endpoint it bound; returns both sides' results.
fn run_pair<L: Send + 'static, R>(local: Local<L>, remote: Remote<R>, cfg: Config) -> (L, R) {
    let (tx, rx) = mpsc::channel();
    let lcfg = cfg.clone();
    let local_side = thread::spawn(move || {
        local(&lcfg, &mut |ep| {
            tx.send(ep.to_owned()).expect("test thread gone");
        })
    });
    let ep = rx
        .recv_timeout(TIMEOUT)
        .expect("local side did not bind in time");
    let mut rcfg = cfg;
    rcfg.endpoint = ep;
    let r = remote(&rcfg).expect("remote side failed");
    let l = local_side
        .join()
        .expect("local side panicked")
        .expect("local side failed");
    (l, r)
}

/// Throughput pair: the receiver's (local side's) result.
fn throughput(local: Local<ThrResult>, remote: Remote<()>, cfg: Config) -> ThrResult {
    run_pair(local, remote, cfg).0
}

/// Latency pair: the measuring (remote) side's result.
fn latency(local: Local<()>, remote: Remote<LatResult>, cfg: Config) -> LatResult {
    run_pair(local, remote, cfg).1
}

fn thr_cfg() -> Config {
    Config::new("tcp://127.0.0.1:0", SIZE, MESSAGES).timeout(TIMEOUT)
}

fn lat_cfg() -> Config {
    Config::new("tcp://127.0.0.1:0", LAT_SIZE, ROUNDTRIPS)
        .pattern(Pattern::ClientServer)
        .timeout(TIMEOUT)
}

fn assert_all_counted(r: &ThrResult, count: u64) {
    assert_eq!(r.count, count, "messages counted");
    assert_eq!(r.size, SIZE);
    // The report is libzmq's four lines.
    let out = report::throughput(r);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("message size: {SIZE} [B]"));
    assert_eq!(lines[1], format!("message count: {count}"));
    assert!(lines[2].starts_with("mean throughput: ") && lines[2].ends_with(" [msg/s]"));
    assert!(lines[3].starts_with("mean throughput: ") && lines[3].ends_with(" [Mb/s]"));
}

fn assert_all_round_trips(r: &LatResult) {
    assert_eq!(r.roundtrips, ROUNDTRIPS);
    assert_eq!(r.rtts.len() as u64, ROUNDTRIPS);
    assert_eq!(r.size, LAT_SIZE);
    let out = report::latency(r);
    assert!(out.contains("roundtrip count: 2000\n"), "{out}");
    assert!(out.contains(" [us]\np50 latency: "), "{out}");
}

#[test]
fn our_remote_thr_into_libzmq_local_thr() {
    let r = throughput(libzmq_side::local_thr, oxmq_side::remote_thr, thr_cfg());
    assert_all_counted(&r, MESSAGES);
}

#[test]
fn libzmq_remote_thr_into_our_local_thr() {
    let r = throughput(oxmq_side::local_thr, libzmq_side::remote_thr, thr_cfg());
    assert_all_counted(&r, MESSAGES);
}

#[test]
fn our_client_remote_thr_into_libzmq_server_local_thr() {
    let cfg = thr_cfg().pattern(Pattern::ClientServer);
    let r = throughput(libzmq_side::local_thr, oxmq_side::remote_thr, cfg);
    assert_all_counted(&r, MESSAGES);
}

#[test]
fn libzmq_client_remote_thr_into_our_server_local_thr() {
    let cfg = thr_cfg().pattern(Pattern::ClientServer);
    let r = throughput(oxmq_side::local_thr, libzmq_side::remote_thr, cfg);
    assert_all_counted(&r, MESSAGES);
}

#[test]
fn ten_libzmq_pushers_into_our_local_thr() {
    let cfg = thr_cfg().peers(10);
    let r = throughput(oxmq_side::local_thr, libzmq_side::remote_thr, cfg);
    assert_all_counted(&r, MESSAGES);
}

#[test]
fn zmqrs_remote_thr_into_our_local_thr_and_back() {
    let r = throughput(oxmq_side::local_thr, zmqrs_side::remote_thr, thr_cfg());
    assert_all_counted(&r, MESSAGES);
    let r = throughput(zmqrs_side::local_thr, oxmq_side::remote_thr, thr_cfg());
    assert_all_counted(&r, MESSAGES);
}

#[test]
fn our_remote_lat_against_libzmq_local_lat() {
    let r = latency(libzmq_side::local_lat, oxmq_side::remote_lat, lat_cfg());
    assert_all_round_trips(&r);
}

#[test]
fn libzmq_remote_lat_against_our_local_lat() {
    let r = latency(oxmq_side::local_lat, libzmq_side::remote_lat, lat_cfg());
    assert_all_round_trips(&r);
}

#[test]
fn our_inproc_tools_count_everything() {
    let cfg = Config::new("", SIZE, MESSAGES).timeout(TIMEOUT);
    assert_all_counted(&oxmq_side::inproc_thr(&cfg).unwrap(), MESSAGES);
    let cfg = Config::new("", LAT_SIZE, ROUNDTRIPS).timeout(TIMEOUT);
    assert_all_round_trips(&oxmq_side::inproc_lat(&cfg).unwrap());
}

#[test]
fn a_wrong_message_size_is_an_error() {
    // libzmq sends 32 B messages, our receiver expects 33 B: local_thr must
    // fail rather than count them.
    let (tx, rx) = mpsc::channel();
    let lcfg = Config::new("tcp://127.0.0.1:0", SIZE + 1, 10).timeout(TIMEOUT);
    let receiver = thread::spawn(move || {
        oxmq_side::local_thr(&lcfg, &mut |ep| {
            tx.send(ep.to_owned()).expect("test thread gone");
        })
    });
    let ep = rx.recv_timeout(TIMEOUT).expect("bind");
    // A short linger: the rest of the messages have nowhere to go.
    let rcfg = Config::new(ep, SIZE, 10).timeout(Duration::from_secs(2));
    libzmq_side::remote_thr(&rcfg).expect("remote_thr");
    let res = receiver.join().expect("local_thr panicked");
    assert!(res.is_err(), "wrong-size messages were counted: {res:?}");
}
