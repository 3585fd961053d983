//! Chapter 4's Majordomo examples: mdbroker, mdworker and mdclient,
//! speaking MDP (RFC 7) over ipc. The broker runs with `--verbose` and
//! the test reads its lines as they come, to know when workers have
//! registered or expired instead of sleeping.

use super::*;

/// mdclient's answer to `--mmi name`.
fn lookup(broker: &str, name: &str) -> String {
    finish(start("mdclient", &["--connect", broker, "--mmi", name]))
}

#[test]
fn ch4_mdclient_through_mdbroker_to_two_mdworkers() {
    let ep = endpoints("md-echo")("broker");
    let mut broker = Running::start("mdbroker", &["--bind", &ep, "--verbose"]);
    let workers: Vec<Running> = (0..2)
        .map(|_| Running::start("mdworker", &["--connect", &ep]))
        .collect();
    broker.wait_for("I: registering new worker: ", 2);
    // mdclient fails on a reply that is not its request echoed.
    let client = finish(start("mdclient", &["--connect", &ep, "--count", "1000"]));
    assert!(
        client.contains("1000 requests/replies processed\n"),
        "{client}"
    );
    let handled: Vec<usize> = workers
        .into_iter()
        .map(|w| w.stop().matches("Echoed request ").count())
        .collect();
    assert_eq!(handled.iter().sum::<usize>(), 1000, "{handled:?}");
    // The longest waiting worker gets each request: both took turns.
    assert!(handled.iter().all(|&n| n > 0), "{handled:?}");
    let broker = broker.stop();
    assert!(!broker.contains("E: "), "{broker}");
}

#[test]
fn ch4_mmi_service_tells_whether_a_service_has_workers() {
    let ep = endpoints("md-mmi")("broker");
    let mut broker = Running::start("mdbroker", &["--bind", &ep, "--verbose"]);
    broker.wait_for("is active at", 1);
    assert!(lookup(&ep, "echo").contains("Lookup echo service: 404\n"));
    let worker = Running::start("mdworker", &["--connect", &ep]);
    broker.wait_for("I: registering new worker: ", 1);
    let found = lookup(&ep, "echo");
    assert!(found.contains("Lookup echo service: 200\n"), "{found}");
    let unknown = lookup(&ep, "no-such-service");
    assert!(
        unknown.contains("Lookup no-such-service service: 404\n"),
        "{unknown}"
    );
    worker.stop();
    broker.stop();
}

/// Heartbeats every 100 ms, a peer gone after 5 missed: 0.5 s.
const FAST: [&str; 4] = ["--heartbeat-ms", "100", "--liveness", "5"];

#[test]
fn ch4_mdbroker_expires_a_dead_worker_and_serves_through_the_other() {
    let ep = endpoints("md-expiry")("broker");
    let mut broker = Running::start(
        "mdbroker",
        &[&["--bind", &ep, "--verbose"], &FAST[..]].concat(),
    );
    let worker = || Running::start("mdworker", &[&["--connect", &ep], &FAST[..]].concat());
    let (dead, alive) = (worker(), worker());
    broker.wait_for("I: registering new worker: ", 2);
    // Killed while idle: it stops heartbeating, and the broker drops it.
    let dead = dead.stop();
    broker.wait_for("I: deleting expired worker: ", 1);
    let client = finish(start("mdclient", &["--connect", &ep, "--count", "100"]));
    assert!(
        client.contains("100 requests/replies processed\n"),
        "{client}"
    );
    assert!(lookup(&ep, "echo").contains("Lookup echo service: 200\n"));
    let alive = alive.stop();
    assert_eq!(dead.matches("Echoed request ").count(), 0, "{dead}");
    assert_eq!(alive.matches("Echoed request ").count(), 100, "{alive}");
    // Without its last worker, the service is unknown again.
    broker.wait_for("I: deleting expired worker: ", 2);
    assert!(lookup(&ep, "echo").contains("Lookup echo service: 404\n"));
    broker.stop();
}

#[test]
fn ch4_mdworker_reconnects_to_a_late_or_restarted_broker() {
    let ep = endpoints("md-restart")("broker");
    let broker_args = [&["--bind", &ep, "--verbose"], &FAST[..]].concat();
    let mut worker = Running::start(
        "mdworker",
        &[
            &["--connect", &ep, "--count", "20", "--verbose"],
            &FAST[..],
            &["--reconnect-ms", "100"],
        ]
        .concat(),
    );
    // The worker is trying to reach a broker that is not there yet.
    worker.wait_for("I: connecting to broker at ", 1);
    for round in 0..2 {
        let mut broker = Running::start("mdbroker", &broker_args);
        broker.wait_for("I: registering new worker: ", 1);
        let client = finish(start("mdclient", &["--connect", &ep, "--count", "10"]));
        assert!(
            client.contains("10 requests/replies processed\n"),
            "round {round}: {client}"
        );
        // Killed: the next round's broker knows nothing of the worker.
        broker.stop();
    }
    // Having served its 20, the worker leaves by itself.
    let out = worker.finish();
    assert_eq!(out.matches("Echoed request ").count(), 20, "{out}");
    assert!(out.contains("Handled 20 requests\n"), "{out}");
}
