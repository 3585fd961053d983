//! Chapter 4's pirates: Lazy Pirate (lpclient, lpserver), Simple Pirate
//! (spqueue, spworker) and Paranoid Pirate (ppqueue, ppworker), each with
//! its failures made to happen on cue: a server or worker crashing after
//! a given number of requests, or killed, and a queue going away.

use super::*;

/// The sequence numbers lpclient printed as answered, in order.
fn replies(client: &str) -> Vec<u64> {
    client
        .lines()
        .filter_map(|l| l.strip_prefix("I: server replied OK ("))
        .map(|n| n.trim_end_matches(')').parse().unwrap())
        .collect()
}

/// How many lines of `out` contain `text`.
fn count(out: &str, text: &str) -> usize {
    out.lines().filter(|l| l.contains(text)).count()
}

/// The identity a spworker or ppworker printed for its latest socket.
fn identity(worker: &str) -> String {
    let line = worker.lines().rfind(|l| l.ends_with(") worker ready"));
    let line = line.unwrap_or_else(|| panic!("{worker}"));
    line["I: (".len()..line.len() - ") worker ready".len()].to_string()
}

/// An lpserver that answers 3 requests at once, then crashes.
fn lpserver_crashing_after_3(ep: &str) -> Child {
    start(
        "lpserver",
        &[
            "--bind",
            ep,
            "--work-ms",
            "0",
            "--crash-after",
            "3",
            "--overload-after",
            "never",
        ],
    )
}

const RETRYING: &str = "W: no response from server, retrying...";

#[test]
fn ch4_lpclient_retries_then_abandons_a_crashed_lpserver() {
    let ep = endpoints("lazy-crash")("server");
    let server = lpserver_crashing_after_3(&ep);
    let client = finish(start(
        "lpclient",
        &["--connect", &ep, "--timeout-ms", "300", "--retries", "3"],
    ));
    let server = finish(server);
    assert_eq!(replies(&client), [1, 2, 3], "{client}");
    // Three tries for request 4: the first and two retries.
    assert_eq!(count(&client, RETRYING), 2, "{client}");
    assert_eq!(count(&client, "I: connecting to server..."), 3, "{client}");
    assert!(
        client.ends_with(&format!(
            "{RETRYING}\nI: connecting to server...\nE: server seems to be offline, abandoning\n"
        )),
        "{client}"
    );
    assert_eq!(count(&server, "I: normal request ("), 3, "{server}");
    assert!(server.ends_with("I: simulating a crash\n"), "{server}");
}

#[test]
fn ch4_lpclient_carries_on_with_a_restarted_lpserver() {
    let ep = endpoints("lazy-restart")("server");
    let first = lpserver_crashing_after_3(&ep);
    let client = start(
        "lpclient",
        &[
            "--connect",
            &ep,
            "--timeout-ms",
            "400",
            "--retries",
            "10",
            "--count",
            "8",
        ],
    );
    let first = finish(first);
    assert!(first.ends_with("I: simulating a crash\n"), "{first}");
    // The new server is slow on its third request: whatever the client
    // waits for meanwhile times out, and is sent again.
    let second = Running::start(
        "lpserver",
        &[
            "--bind",
            &ep,
            "--work-ms",
            "0",
            "--crash-after",
            "never",
            "--overload-after",
            "2",
            "--overload-ms",
            "800",
        ],
    );
    let client = finish(client);
    let second = second.stop();
    // Every reply matched its request, none is missing or repeated.
    assert_eq!(replies(&client), (1..=8).collect::<Vec<_>>(), "{client}");
    assert!(!client.contains("E: "), "{client}");
    assert!(count(&client, RETRYING) >= 1, "{client}");
    assert!(second.contains("I: simulating CPU overload\n"), "{second}");
    for n in 4..=8 {
        assert!(
            second.contains(&format!("I: normal request ({n})\n")),
            "{second}"
        );
    }
}

#[test]
fn ch4_simple_pirate_serves_every_request_despite_a_crashing_worker() {
    let ep = endpoints("simple");
    let (front, back) = (ep("frontend"), ep("backend"));
    let mut queue = Running::start("spqueue", &["--frontend", &front, "--backend", &back]);
    let crashing = start(
        "spworker",
        &[
            "--connect",
            &back,
            "--work-ms",
            "0",
            "--crash-after",
            "2",
            "--overload-after",
            "never",
        ],
    );
    let steady = Running::start("spworker", &[&["--connect", &back], &STEADY[..]].concat());
    // Both workers queued: requests alternate between them, so the
    // crashing one takes request 5 or 6 down with it.
    queue.wait_for(") ready", 2);
    let client = finish(pirate_client(&front, 10));
    let crashed = finish(crashing);
    let steady = steady.stop();
    queue.stop();
    assert_eq!(replies(&client), (1..=10).collect::<Vec<_>>(), "{client}");
    // The lost request was sent once more, and the steady worker had it.
    assert_eq!(count(&client, RETRYING), 1, "{client}");
    assert_eq!(count(&crashed, ") normal reply"), 2, "{crashed}");
    assert!(crashed.ends_with(") simulating a crash\n"), "{crashed}");
    assert_eq!(count(&steady, ") normal reply"), 8, "{steady}");
}

/// ppworker's options for the tests: fast heartbeats, no trouble.
fn ppworker(backend: &str, work_ms: &str) -> Running {
    Running::start(
        "ppworker",
        &[
            "--connect",
            backend,
            "--heartbeat-ms",
            "100",
            "--liveness",
            "3",
            "--reconnect-ms",
            "100",
            "--reconnect-max-ms",
            "400",
            "--work-ms",
            work_ms,
            "--crash-after",
            "never",
            "--overload-after",
            "never",
        ],
    )
}

fn ppqueue(front: &str, back: &str) -> Running {
    Running::start(
        "ppqueue",
        &[
            "--frontend",
            front,
            "--backend",
            back,
            "--heartbeat-ms",
            "100",
            "--liveness",
            "3",
        ],
    )
}

/// lpclient through a queue: `n` requests, a second for each reply.
fn pirate_client(front: &str, n: u32) -> Child {
    start(
        "lpclient",
        &[
            "--connect",
            front,
            "--timeout-ms",
            "1000",
            "--retries",
            "3",
            "--count",
            &n.to_string(),
        ],
    )
}

#[test]
fn ch4_paranoid_pirate_expires_a_killed_worker() {
    let ep = endpoints("paranoid-kill");
    let (front, back) = (ep("frontend"), ep("backend"));
    let mut queue = ppqueue(&front, &back);
    let mut killed = ppworker(&back, "20");
    let mut idle = ppworker(&back, "20");
    let steady = ppworker(&back, "20");
    queue.wait_for(") ready", 3);
    let client = pirate_client(&front, 30);
    // Killed mid-way, after its second reply.
    killed.wait_for(") normal reply", 2);
    let killed = killed.stop();
    let client = finish(client);
    assert_eq!(replies(&client), (1..=30).collect::<Vec<_>>(), "{client}");
    // At most the one request it held, or the next it was given, is lost.
    assert!(count(&client, RETRYING) <= 1, "{client}");

    // A worker killed while idle is forgotten once its heartbeats stop.
    let id = identity(idle.wait_for(") worker heartbeat", 1));
    idle.stop();
    queue.wait_for(&format!("W: worker ({id}) expired"), 1);
    // By now neither dead worker is queued: no request is lost.
    let client = finish(pirate_client(&front, 10));
    let steady = steady.stop();
    let queue = queue.stop();
    assert_eq!(replies(&client), (1..=10).collect::<Vec<_>>(), "{client}");
    assert_eq!(count(&client, RETRYING), 0, "{client}");
    assert!(count(&steady, ") normal reply") >= 10, "{steady}");
    assert!(steady.contains(") worker heartbeat\n"), "{steady}");
    assert!(!queue.contains("E: "), "{queue}");
    assert!(count(&killed, ") normal reply") >= 2, "{killed}");
}

#[test]
fn ch4_paranoid_pirate_worker_reconnects_to_a_new_queue() {
    let ep = endpoints("paranoid-queue");
    let (front, back) = (ep("frontend"), ep("backend"));
    let mut queue = ppqueue(&front, &back);
    let mut worker = ppworker(&back, "0");
    queue.wait_for(") ready", 1);
    queue.stop();
    // Two failures in a row: the wait before reconnecting doubles.
    worker.wait_for("heartbeat failure, can't reach queue", 2);
    let queue = ppqueue(&front, &back);
    let client = finish(pirate_client(&front, 5));
    let worker = worker.stop();
    let queue = queue.stop();
    assert_eq!(replies(&client), (1..=5).collect::<Vec<_>>(), "{client}");
    assert!(
        worker.contains("W: reconnecting in 100 msec...\n"),
        "{worker}"
    );
    assert!(
        worker.contains("W: reconnecting in 200 msec...\n"),
        "{worker}"
    );
    // All the work was done after the queue came back.
    let after = worker.rsplit("heartbeat failure").next().unwrap();
    assert_eq!(count(after, ") normal reply"), 5, "{worker}");
    assert!(queue.contains(") ready\n"), "{queue}");
}
