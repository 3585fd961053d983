//! The zguide's examples (examples/zguide/), each run as the programs the
//! zguide describes, over ipc in a temporary directory, and checked
//! against what the zguide says they print or compute. Every process is
//! bounded: a test kills what is still running after its limit and fails.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// How long any one example may run.
const LIMIT: Duration = Duration::from_secs(60);

/// A Pirate server or worker that neither crashes nor stalls, and does
/// no work.
const STEADY: [&str; 6] = [
    "--work-ms",
    "0",
    "--crash-after",
    "never",
    "--overload-after",
    "never",
];

/// The example binary `name`, built beside this test by `cargo test`.
fn example(name: &str) -> Command {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built: `cargo test` builds the examples, `cargo test --test zguide` alone does not (run `cargo build --examples` first)",
        path.display()
    );
    let mut c = Command::new(path);
    c.stdout(Stdio::piped()).stderr(Stdio::inherit());
    c
}

/// A fresh directory for a test's ipc endpoints.
fn endpoints(test: &str) -> impl Fn(&str) -> String {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("oxmq-zguide-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    move |name| format!("ipc://{}", dir.join(name).display())
}

fn start(name: &str, args: &[&str]) -> Child {
    example(name).args(args).spawn().unwrap()
}

/// Waits for `child` to exit by itself, successfully, within `LIMIT`;
/// its stdout.
fn finish(child: Child) -> String {
    Running::new(child).finish()
}

/// Stops a program that serves for ever; what it printed.
fn stop(child: Child) -> String {
    Running::new(child).stop()
}

/// A program whose output the test reads line by line as it comes, to
/// wait for what it says (a worker registered, a peer expired) rather
/// than sleep; killed if still running when dropped, so a failed test
/// leaves nothing behind.
struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: String,
}

impl Running {
    fn start(name: &str, args: &[&str]) -> Running {
        Running::new(start(name, args))
    }

    /// Reads the output of `child`, started with a piped stdout.
    fn new(mut child: Child) -> Running {
        let out = child.stdout.take().expect("a piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Waits (at most `LIMIT`) until it has printed `n` lines containing
    /// `text` in all; its output so far.
    fn wait_for(&mut self, text: &str, n: usize) -> &str {
        let deadline = Instant::now() + LIMIT;
        while self.seen.lines().filter(|l| l.contains(text)).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen += &(line + "\n"),
                Err(e) => panic!("{n} lines with {text:?} not seen ({e}) in:\n{}", self.seen),
            }
        }
        &self.seen
    }

    /// Everything it printed, once it has ended by itself (within
    /// `LIMIT`), successfully.
    fn finish(mut self) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen += &(line + "\n"),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(e) => panic!("still running ({e}):\n{}", self.seen),
            }
        }
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}:\n{}", self.seen);
        std::mem::take(&mut self.seen)
    }

    /// Kills it; everything it printed.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The reader ends with the output.
        self.seen.extend(self.lines.iter().map(|l| l + "\n"));
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ch1_hwserver_answers_each_hello_of_hwclient_with_world() {
    let ep = endpoints("hello")("hw");
    let server = start(
        "hwserver",
        &["--bind", &ep, "--count", "10", "--work-ms", "0"],
    );
    let client = finish(start("hwclient", &["--connect", &ep, "--count", "10"]));
    let server = finish(server);
    for n in 0..10 {
        assert!(
            client.contains(&format!("Received World {n}\n")),
            "{client}"
        );
    }
    assert_eq!(server.matches("Received Hello\n").count(), 10, "{server}");
}

#[test]
fn ch1_wuclient_averages_the_updates_of_its_zipcode() {
    let ep = endpoints("weather")("wu");
    let server = start("wuserver", &["--bind", &ep, "--zips", "10"]);
    let client = finish(start(
        "wuclient",
        &["--connect", &ep, "--zip", "00003", "--count", "50"],
    ));
    stop(server);
    let line = client
        .lines()
        .find(|l| l.starts_with("Average temperature for zipcode '00003' was "))
        .unwrap_or_else(|| panic!("{client}"));
    assert!(line.ends_with("F over 50 updates"), "{line}");
    let avg: i64 = line
        .split(" was ")
        .nth(1)
        .unwrap()
        .split('F')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // wuserver's temperatures are from -80 to 134.
    assert!((-80..135).contains(&avg), "{line}");
}

#[test]
fn ch1_taskvent_taskwork_tasksink_divide_and_conquer() {
    let ep = endpoints("tasks");
    let (vent, sink) = (ep("vent"), ep("sink"));
    let sink_p = start("tasksink", &["--bind", &sink, "--tasks", "20"]);
    let workers: Vec<Child> = (0..2)
        .map(|_| start("taskwork", &["--connect", &vent, "--sink", &sink]))
        .collect();
    let vent_out = finish(start(
        "taskvent",
        &[
            "--bind",
            &vent,
            "--sink",
            &sink,
            "--tasks",
            "20",
            "--max-ms",
            "10",
            "--wait-ms",
            "200",
        ],
    ));
    let sink_out = finish(sink_p);
    let dots: usize = workers
        .into_iter()
        .map(|w| stop(w).matches('.').count())
        .sum();
    assert!(vent_out.contains("Total expected cost: "), "{vent_out}");
    assert!(sink_out.contains(" msec, 20 results"), "{sink_out}");
    // Every task was done once, by one worker or the other.
    assert_eq!(dots, 20);
    let progress = sink_out.lines().next().unwrap_or_default();
    assert_eq!(progress.matches([':', '.']).count(), 20, "{sink_out}");
}

/// msreader and mspoller: the same tasks and updates, read in turn
/// (msreader) or as they arrive (mspoller).
fn multiple_sockets(reader: &str) {
    let ep = endpoints(reader);
    let (vent, sink, weather) = (ep("vent"), ep("sink"), ep("weather"));
    let wu = start("wuserver", &["--bind", &weather, "--zips", "10002"]);
    let sink_p = start("tasksink", &["--bind", &sink, "--tasks", "1000"]);
    let r = start(
        reader,
        &[
            "--tasks-from",
            &vent,
            "--weather",
            &weather,
            "--tasks",
            "20",
            "--updates",
            "5",
        ],
    );
    let vent_out = finish(start(
        "taskvent",
        &[
            "--bind",
            &vent,
            "--sink",
            &sink,
            "--tasks",
            "20",
            "--wait-ms",
            "0",
        ],
    ));
    let out = finish(r);
    stop(wu);
    stop(sink_p);
    assert!(vent_out.contains("Total expected cost"), "{vent_out}");
    // Every task, and at least the updates asked for (zipcode 10001).
    let line = out.lines().last().unwrap_or_default();
    let counts: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(line.starts_with("Processed "), "{out}");
    assert_eq!(counts[0], 20, "{line}");
    assert!(counts[1] >= 5, "{line}");
}

#[test]
fn ch2_msreader_reads_tasks_and_weather_in_turn() {
    multiple_sockets("msreader");
}

#[test]
fn ch2_mspoller_reads_tasks_and_weather_as_they_come() {
    multiple_sockets("mspoller");
}

/// rrclient through `broker` (rrbroker, or msgqueue's proxy) to two
/// rrworkers: every request answered, once.
fn request_reply_through(broker: &str) {
    let ep = endpoints(broker);
    let (front, back) = (ep("front"), ep("back"));
    let broker = start(broker, &["--frontend", &front, "--backend", &back]);
    let workers: Vec<Child> = (0..2)
        .map(|_| start("rrworker", &["--connect", &back]))
        .collect();
    let client = finish(start("rrclient", &["--connect", &front, "--count", "10"]));
    stop(broker);
    let handled: usize = workers
        .into_iter()
        .map(|w| stop(w).matches("Received request: [Hello]").count())
        .sum();
    for n in 0..10 {
        assert!(
            client.contains(&format!("Received reply {n} [World]\n")),
            "{client}"
        );
    }
    assert_eq!(handled, 10);
}

#[test]
fn ch2_rrclient_through_rrbroker_to_two_rrworkers() {
    request_reply_through("rrbroker");
}

#[test]
fn ch2_taskwork2_workers_stop_on_tasksink2s_kill_signal() {
    let ep = endpoints("kill");
    let (vent, sink, control) = (ep("vent"), ep("sink"), ep("control"));
    let sink_p = start(
        "tasksink2",
        &["--bind", &sink, "--control", &control, "--tasks", "20"],
    );
    let workers: Vec<Child> = (0..2)
        .map(|_| {
            start(
                "taskwork2",
                &["--connect", &vent, "--sink", &sink, "--control", &control],
            )
        })
        .collect();
    finish(start(
        "taskvent",
        &[
            "--bind",
            &vent,
            "--sink",
            &sink,
            "--tasks",
            "20",
            "--max-ms",
            "10",
            "--wait-ms",
            "200",
        ],
    ));
    let sink_out = finish(sink_p);
    assert!(sink_out.contains(" msec, 20 results"), "{sink_out}");
    // The workers end by themselves on KILL: `finish` fails otherwise.
    let dots: usize = workers
        .into_iter()
        .map(|w| finish(w).matches('.').count())
        .sum();
    assert_eq!(dots, 20);
}

/// The workers' "Completed: N tasks" lines: their total.
fn completed(out: &str) -> u32 {
    out.lines()
        .filter_map(|l| l.strip_prefix("Completed: "))
        .map(|l| l.trim_end_matches(" tasks").parse::<u32>().unwrap())
        .sum()
}

#[test]
fn ch3_rtreq_and_rtdealer_hand_out_every_task_once() {
    for name in ["rtreq", "rtdealer"] {
        let out = finish(start(name, &["--workers", "5", "--tasks", "200"]));
        assert_eq!(out.matches("Completed: ").count(), 5, "{out}");
        assert_eq!(completed(&out), 200, "{name}: {out}");
        assert!(out.contains("Sent 200 tasks"), "{out}");
    }
}

#[test]
fn ch3_lbbroker_serves_every_client_through_the_workers() {
    let out = finish(start("lbbroker", &["--clients", "10", "--workers", "3"]));
    for n in 0..10 {
        assert!(out.contains(&format!("Client {n}: OK\n")), "{out}");
    }
    assert_eq!(out.matches(": HELLO\n").count(), 10, "{out}");
    assert!(out.contains("Served 10 clients"), "{out}");
}

#[test]
fn ch3_asyncsrv_clients_get_every_reply_of_every_request() {
    let out = finish(start(
        "asyncsrv",
        &[
            "--clients",
            "3",
            "--workers",
            "5",
            "--requests",
            "10",
            "--replies",
            "3",
        ],
    ));
    for n in 0..3 {
        assert!(
            out.contains(&format!("client-{n}: 30 replies to 10 requests")),
            "{out}"
        );
    }
    // With the zguide's random count the clients still finish.
    let out = finish(start("asyncsrv", &["--requests", "5"]));
    assert_eq!(out.matches(" replies to 5 requests").count(), 3, "{out}");
}

#[path = "zguide/ch2_more.rs"]
mod ch2_more;
#[path = "zguide/majordomo.rs"]
mod majordomo;
#[path = "zguide/pirates.rs"]
mod pirates;
