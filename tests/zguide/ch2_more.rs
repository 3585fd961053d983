//! Chapter 2's proxies, threads and pub/sub coordination.

use super::*;

#[test]
fn ch2_msgqueue_proxies_rrclient_to_rrworkers() {
    request_reply_through("msgqueue");
}

#[test]
fn ch2_wuproxy_forwards_updates_and_subscriptions() {
    let ep = endpoints("wuproxy");
    let (inside, outside) = (ep("inside"), ep("outside"));
    let server = start("wuserver", &["--bind", &inside, "--zips", "10"]);
    let proxy = start("wuproxy", &["--frontend", &inside, "--backend", &outside]);
    let client = finish(start(
        "wuclient",
        &["--connect", &outside, "--zip", "00007", "--count", "20"],
    ));
    stop(proxy);
    stop(server);
    assert!(
        client.contains("Average temperature for zipcode '00007' was "),
        "{client}"
    );
    assert!(client.contains("F over 20 updates"), "{client}");
}

#[test]
fn ch2_mtserver_workers_answer_hwclient() {
    let ep = endpoints("mtserver")("mt");
    let server = start(
        "mtserver",
        &[
            "--bind",
            &ep,
            "--workers",
            "5",
            "--work-ms",
            "0",
            "--requests",
            "10",
        ],
    );
    let client = finish(start("hwclient", &["--connect", &ep, "--count", "10"]));
    let server = finish(server);
    for n in 0..10 {
        assert!(
            client.contains(&format!("Received World {n}\n")),
            "{client}"
        );
    }
    assert_eq!(server.matches("Received request: [Hello]").count(), 10);
    assert!(server.contains("Passed on 10 replies"), "{server}");
}

#[test]
fn ch2_mtrelay_signals_through_three_threads() {
    let out = finish(start("mtrelay", &[]));
    assert_eq!(
        out,
        "Step 1 ready, signaling step 2\nStep 2 ready, signaling step 3\nTest successful!\n"
    );
}

#[test]
fn ch2_syncsub_subscribers_each_get_every_update_of_syncpub() {
    let ep = endpoints("sync");
    let (data, sync) = (ep("data"), ep("sync"));
    let publisher = start(
        "syncpub",
        &[
            "--bind",
            &data,
            "--sync",
            &sync,
            "--subscribers",
            "3",
            "--updates",
            "100000",
        ],
    );
    let subscribers: Vec<Child> = (0..3)
        .map(|_| start("syncsub", &["--connect", &data, "--sync", &sync]))
        .collect();
    let out = finish(publisher);
    assert!(out.contains("Broadcasting messages"), "{out}");
    for s in subscribers {
        let out = finish(s);
        assert_eq!(out, "Received 100000 updates\n");
    }
}

#[test]
fn ch2_psenvsub_sees_only_the_b_envelopes() {
    let ep = endpoints("psenv")("psenv");
    let publisher = start("psenvpub", &["--bind", &ep, "--interval-ms", "10"]);
    let out = finish(start("psenvsub", &["--connect", &ep, "--count", "5"]));
    stop(publisher);
    assert_eq!(out, "[B] We would like to see this\n".repeat(5));
}

/// The programs that serve for ever in the zguide run to completion
/// with a bound: `--seconds` for the brokers and proxies, `--count` for
/// lpserver.
#[test]
fn brokers_and_proxies_end_by_themselves_when_given_seconds() {
    let ep = endpoints("bounds");
    let (a, b) = (ep("front"), ep("back"));
    let running = [
        start(
            "msgqueue",
            &["--frontend", &a, "--backend", &b, "--seconds", "1"],
        ),
        start(
            "rrbroker",
            &[
                "--frontend",
                &ep("rr-front"),
                "--backend",
                &ep("rr-back"),
                "--seconds",
                "1",
            ],
        ),
        start(
            "wuproxy",
            &[
                "--frontend",
                &ep("wu-in"),
                "--backend",
                &ep("wu-out"),
                "--seconds",
                "1",
            ],
        ),
        start("mdbroker", &["--bind", &ep("md"), "--seconds", "1"]),
    ];
    let lp = ep("lazy");
    let server = start(
        "lpserver",
        &[&["--bind", &lp, "--count", "2"], &STEADY[..]].concat(),
    );
    let client = finish(start("lpclient", &["--connect", &lp, "--count", "2"]));
    assert_eq!(
        client.matches("I: server replied OK").count(),
        2,
        "{client}"
    );
    assert_eq!(finish(server).matches("I: normal request (").count(), 2);
    for p in running {
        finish(p);
    }
}
