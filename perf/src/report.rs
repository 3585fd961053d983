//! Output in the format of libzmq's perf tools, plus the lines the
//! comparison runner reads (`cpu:`, `endpoint:`).

use crate::{LatResult, ThrResult};

/// `local_thr` / `inproc_thr` output, as libzmq prints it:
///
/// ```text
/// message size: 32 [B]
/// message count: 1000000
/// mean throughput: 5704945 [msg/s]
/// mean throughput: 1460.466 [Mb/s]
/// ```
pub fn throughput(r: &ThrResult) -> String {
    format!(
        "message size: {} [B]\nmessage count: {}\nmean throughput: {} [msg/s]\nmean throughput: {:.3} [Mb/s]\n",
        r.size,
        r.count,
        r.msgs_per_sec(),
        r.megabits_per_sec()
    )
}

/// `remote_lat` / `inproc_lat` output: libzmq's three lines (average
/// latency is one way: elapsed / 2 / round trips) and the p50 and p99 of
/// the round-trip times:
///
/// ```text
/// message size: 64 [B]
/// roundtrip count: 10000
/// average latency: 49.431 [us]
/// p50 latency: 95.120 [us]
/// p99 latency: 130.004 [us]
/// ```
pub fn latency(r: &LatResult) -> String {
    format!(
        "message size: {} [B]\nroundtrip count: {}\naverage latency: {:.3} [us]\np50 latency: {:.3} [us]\np99 latency: {:.3} [us]\n",
        r.size,
        r.roundtrips,
        r.average_latency_us(),
        r.p50_us(),
        r.p99_us()
    )
}

/// `remote_hs` output: handshakes (connections, each with one round
/// trip) per second over the whole run, and the p50 and p99 of one
/// connection's time, from its socket's creation to the reply:
///
/// ```text
/// message size: 64 [B]
/// handshake count: 2000
/// mean handshake rate: 1250 [handshakes/s]
/// p50 handshake: 790.120 [us]
/// p99 handshake: 1130.004 [us]
/// ```
pub fn handshakes(r: &LatResult) -> String {
    let secs = r.elapsed.as_secs_f64().max(1e-6);
    format!(
        "message size: {} [B]\nhandshake count: {}\nmean handshake rate: {:.0} [handshakes/s]\np50 handshake: {:.3} [us]\np99 handshake: {:.3} [us]\n",
        r.size,
        r.roundtrips,
        r.roundtrips as f64 / secs,
        r.p50_us(),
        r.p99_us()
    )
}

/// `cpu: <user> <sys> [s]`: this process's CPU time so far.
pub fn cpu() -> String {
    let (user, sys) = crate::cpu_times();
    format!("cpu: {user:.2} {sys:.2} [s]\n")
}

/// `endpoint: <endpoint>`: printed by a local side started with
/// `--announce` once it has bound (with the real tcp port).
pub fn endpoint(ep: &str) -> String {
    format!("endpoint: {ep}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn throughput_matches_libzmq_format() {
        let r = ThrResult {
            size: 32,
            count: 1_000_000,
            elapsed: Duration::from_micros(175_286),
        };
        assert_eq!(
            throughput(&r),
            "message size: 32 [B]\nmessage count: 1000000\nmean throughput: 5704962 [msg/s]\nmean throughput: 1460.470 [Mb/s]\n"
        );
    }

    #[test]
    fn latency_is_one_way_average() {
        let r = LatResult {
            size: 64,
            roundtrips: 4,
            elapsed: Duration::from_micros(800),
            rtts: [100, 200, 300, 200].map(Duration::from_micros).to_vec(),
        };
        let out = latency(&r);
        assert!(out.contains("average latency: 100.000 [us]\n"), "{out}");
        assert!(out.contains("p50 latency: 200.000 [us]\n"), "{out}");
        assert!(out.contains("p99 latency: 300.000 [us]\n"), "{out}");
    }

    #[test]
    fn handshakes_are_a_rate() {
        let r = LatResult {
            size: 64,
            roundtrips: 4,
            elapsed: Duration::from_micros(2000),
            rtts: [400, 500, 600, 500].map(Duration::from_micros).to_vec(),
        };
        let out = handshakes(&r);
        assert!(out.contains("handshake count: 4\n"), "{out}");
        assert!(
            out.contains("mean handshake rate: 2000 [handshakes/s]\n"),
            "{out}"
        );
        assert!(out.contains("p50 handshake: 500.000 [us]\n"), "{out}");
    }
}
