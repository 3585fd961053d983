//! Many connections (issue 5 item 6): `--clients N` CLIENT sockets (default
//! 1000), each with its own tcp loopback connection to one SERVER, send
//! `--requests M` requests each (default 100). A request carries the
//! client's id and its sequence number; the SERVER echoes it, and every
//! reply is checked to be the one its client asked for.
//!
//! The same load runs on oxmq and on libzmq 4.3.5 (its DRAFT CLIENT/SERVER,
//! through the `oxmq-interop` dev crate), each in a child process of its
//! own (this program re-executed with `--side oxmq|libzmq`), so that each
//! peak RSS (`VmHWM`) is that library's alone. Both sides drive their
//! clients the same way: a pool of up to 16 threads, each owning a share
//! of the clients; per round a thread sends one request on each of its
//! clients, then takes each client's reply in turn (blocking receives).
//! The server side is one thread echoing. The thread count is taken once
//! every client has connected (client threads, echo thread, main thread and
//! the library's own threads).
//!
//! RSS per connection is `(peak - baseline) / clients`, where the baseline
//! is the peak RSS once the SERVER is bound (I/O threads started) and
//! before any client exists; it covers both ends of each connection (the
//! CLIENT socket and the SERVER's peer), as both live in the process.
//!
//! Run: `cargo run --release --example load -- --clients 1000 --requests 100`

use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Threads driving the clients.
const MAX_THREADS: usize = 16;
/// Bound on every wait, so a lost reply fails the run instead of hanging.
const GUARD: Duration = Duration::from_secs(30);
/// libzmq's default `ZMQ_MAX_SOCKETS` per context is 1023; client sockets
/// are spread over contexts holding at most this many.
const LIBZMQ_SOCKETS_PER_CONTEXT: usize = 1000;

struct Args {
    clients: usize,
    requests: u32,
    side: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        clients: 1000,
        requests: 100,
        side: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--clients" => {
                args.clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?
            }
            "--requests" => {
                args.requests = value()?.parse().map_err(|e| format!("--requests: {e}"))?
            }
            "--side" => args.side = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.clients == 0 || args.requests == 0 {
        return Err("--clients and --requests must be at least 1".into());
    }
    Ok(args)
}

/// A field of /proc/self/status in KiB (VmHWM, VmRSS), or a count (Threads).
fn status_field(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(':'))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns (soft, hard).
fn raise_nofile() -> (Option<u64>, Option<u64>) {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let lim = getrlimit(Resource::Nofile);
    if lim.current != lim.maximum {
        let raised = Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            eprintln!("could not raise RLIMIT_NOFILE: {e}");
        }
    }
    let now = getrlimit(Resource::Nofile);
    (now.current, now.maximum)
}

fn request(client: u32, seq: u32) -> [u8; 8] {
    let mut r = [0u8; 8];
    r[..4].copy_from_slice(&client.to_be_bytes());
    r[4..].copy_from_slice(&seq.to_be_bytes());
    r
}

/// Splits `0..clients` into the threads' shares.
fn shares(clients: usize) -> Vec<std::ops::Range<usize>> {
    let threads = clients.min(MAX_THREADS);
    (0..threads)
        .map(|t| (t * clients / threads)..((t + 1) * clients / threads))
        .collect()
}

/// What one side measured.
struct Outcome {
    connect: Duration,
    wall: Duration,
    baseline_kib: u64,
    peak_kib: u64,
    threads: u64,
    bad_replies: u64,
    errors: u64,
}

impl Outcome {
    fn print(&self, side: &str) {
        println!(
            "LOAD-RESULT side={side} connect_ms={} wall_ms={} baseline_kib={} peak_kib={} threads={} bad={} errors={}",
            self.connect.as_millis(),
            self.wall.as_millis(),
            self.baseline_kib,
            self.peak_kib,
            self.threads,
            self.bad_replies,
            self.errors
        );
    }
}

/// Runs the clients: `each(thread_share)` builds a thread's clients and
/// runs them. Returns (connect time, total wall time, threads in the
/// process once every client has connected).
fn run_threads<F>(clients: usize, each: F) -> (Duration, Duration, u64)
where
    F: Fn(std::ops::Range<usize>, &Barrier) + Send + Sync + 'static,
{
    let parts = shares(clients);
    let connected = Arc::new(Barrier::new(parts.len() + 1));
    let each = Arc::new(each);
    let start = Instant::now();
    let handles: Vec<_> = parts
        .into_iter()
        .map(|range| {
            let each = each.clone();
            let connected = connected.clone();
            std::thread::spawn(move || each(range, &connected))
        })
        .collect();
    connected.wait();
    let connect = start.elapsed();
    let threads = status_field("Threads");
    for h in handles {
        h.join().expect("client thread");
    }
    (connect, start.elapsed(), threads)
}

fn side_oxmq(clients: usize, requests: u32) -> Outcome {
    use oxmq::{Client, Server, SocketOptions};
    let opts = SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(GUARD))
        .sndtimeo(Some(GUARD));
    let server = Server::with_options(opts.clone());
    let ep = server.bind("tcp://127.0.0.1:0").expect("bind");
    let total = clients as u64 * u64::from(requests);
    let server_errors = Arc::new(AtomicU64::new(0));
    let echo = {
        let errors = server_errors.clone();
        std::thread::spawn(move || {
            for _ in 0..total {
                let r = server
                    .blocking_recv()
                    .and_then(|(id, msg)| Ok(server.blocking_send(id, msg)?));
                if let Err(e) = r {
                    eprintln!("oxmq server: {e}");
                    errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
            server.blocking_close();
        })
    };
    let baseline_kib = status_field("VmHWM");
    let bad = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let (b, e) = (bad.clone(), errors.clone());
    let (connect, wall, threads) = run_threads(clients, move |range, connected| {
        let socks: Vec<(u32, Client)> = range
            .map(|i| {
                let c = Client::with_options(opts.clone());
                c.connect(&ep).expect("connect");
                (i as u32, c)
            })
            .collect();
        connected.wait();
        'rounds: for seq in 0..requests {
            for (id, c) in &socks {
                if let Err(err) = c.blocking_send(request(*id, seq).to_vec()) {
                    eprintln!("oxmq client {id}: send: {err}");
                    e.fetch_add(1, Ordering::Relaxed);
                    break 'rounds;
                }
            }
            for (id, c) in &socks {
                match c.blocking_recv() {
                    Ok(reply) if reply[..] == request(*id, seq) => {}
                    Ok(reply) => {
                        eprintln!("oxmq client {id}: seq {seq}: wrong reply {reply:?}");
                        b.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => {
                        eprintln!("oxmq client {id}: recv: {err}");
                        e.fetch_add(1, Ordering::Relaxed);
                        break 'rounds;
                    }
                }
            }
        }
        for (_, c) in socks {
            c.blocking_close();
        }
    });
    // Sampled before the server thread is joined: all sockets still exist.
    let peak_kib = status_field("VmHWM");
    echo.join().expect("server thread");
    Outcome {
        connect,
        wall,
        baseline_kib,
        peak_kib,
        threads,
        bad_replies: bad.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed) + server_errors.load(Ordering::Relaxed),
    }
}

fn side_libzmq(clients: usize, requests: u32) -> Outcome {
    use oxmq_interop::{Context, SocketKind};
    let guard_ms = GUARD.as_millis() as i32;
    let server_ctx = Context::new();
    let server = server_ctx.socket(SocketKind::Server).expect("socket");
    server.set_linger_ms(0).expect("linger");
    server.set_rcvtimeo_ms(guard_ms).expect("rcvtimeo");
    server.set_sndtimeo_ms(guard_ms).expect("sndtimeo");
    server.bind("tcp://127.0.0.1:*").expect("bind");
    let ep = server.last_endpoint().expect("endpoint");
    let total = clients as u64 * u64::from(requests);
    let server_errors = Arc::new(AtomicU64::new(0));
    let echo = {
        let errors = server_errors.clone();
        std::thread::spawn(move || {
            for _ in 0..total {
                let r = server
                    .recv_from()
                    .and_then(|(id, msg)| server.send_to(id, &msg));
                if let Err(e) = r {
                    eprintln!("libzmq server: {e}");
                    errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
            drop(server);
        })
    };
    let contexts: Vec<Context> = (0..clients.div_ceil(LIBZMQ_SOCKETS_PER_CONTEXT))
        .map(|_| Context::new())
        .collect();
    let baseline_kib = status_field("VmHWM");
    let bad = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let (b, e) = (bad.clone(), errors.clone());
    let (connect, wall, threads) = run_threads(clients, move |range, connected| {
        let socks: Vec<(u32, oxmq_interop::Socket)> = range
            .map(|i| {
                let ctx = &contexts[i / LIBZMQ_SOCKETS_PER_CONTEXT];
                let c = ctx.socket(SocketKind::Client).expect("socket");
                c.set_linger_ms(0).expect("linger");
                c.set_rcvtimeo_ms(guard_ms).expect("rcvtimeo");
                c.set_sndtimeo_ms(guard_ms).expect("sndtimeo");
                c.connect(&ep).expect("connect");
                (i as u32, c)
            })
            .collect();
        connected.wait();
        'rounds: for seq in 0..requests {
            for (id, c) in &socks {
                if let Err(err) = c.send(&request(*id, seq), false) {
                    eprintln!("libzmq client {id}: send: {err}");
                    e.fetch_add(1, Ordering::Relaxed);
                    break 'rounds;
                }
            }
            for (id, c) in &socks {
                match c.recv() {
                    Ok((reply, _)) if reply[..] == request(*id, seq) => {}
                    Ok((reply, _)) => {
                        eprintln!("libzmq client {id}: seq {seq}: wrong reply {reply:?}");
                        b.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => {
                        eprintln!("libzmq client {id}: recv: {err}");
                        e.fetch_add(1, Ordering::Relaxed);
                        break 'rounds;
                    }
                }
            }
        }
        drop(socks);
    });
    let peak_kib = status_field("VmHWM");
    echo.join().expect("server thread");
    Outcome {
        connect,
        wall,
        baseline_kib,
        peak_kib,
        threads,
        bad_replies: bad.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed) + server_errors.load(Ordering::Relaxed),
    }
}

/// Parses a child's `LOAD-RESULT` line into (key, value) pairs.
fn parse_result(out: &str) -> Option<Vec<(String, u64)>> {
    let line = out.lines().find(|l| l.starts_with("LOAD-RESULT "))?;
    Some(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
            .collect(),
    )
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\nusage: load [--clients N] [--requests M]");
            return ExitCode::from(2);
        }
    };
    let (soft, hard) = raise_nofile();
    match args.side.as_deref() {
        Some("oxmq") => {
            side_oxmq(args.clients, args.requests).print("oxmq");
            return ExitCode::SUCCESS;
        }
        Some("libzmq") => {
            side_libzmq(args.clients, args.requests).print("libzmq");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown side {other}");
            return ExitCode::from(2);
        }
        None => {}
    }
    let fmt_lim = |l: Option<u64>| l.map_or("unlimited".to_string(), |v| v.to_string());
    println!(
        "load: {} CLIENTs x {} requests to one SERVER over tcp loopback; RLIMIT_NOFILE {} (hard {})\n",
        args.clients,
        args.requests,
        fmt_lim(soft),
        fmt_lim(hard)
    );
    let exe = std::env::current_exe().expect("current_exe");
    let mut rows = Vec::new();
    let mut failed = false;
    for side in ["oxmq", "libzmq"] {
        let out = Command::new(&exe)
            .args(["--side", side])
            .args(["--clients", &args.clients.to_string()])
            .args(["--requests", &args.requests.to_string()])
            .output()
            .expect("run child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        match parse_result(&stdout) {
            Some(r) if out.status.success() => rows.push((side, r)),
            _ => {
                eprintln!("{side} side failed ({}):\n{stdout}", out.status);
                failed = true;
            }
        }
    }
    let total = args.clients as f64 * f64::from(args.requests);
    println!("| library | connect (s) | wall time (s) | round trips/s | baseline RSS (MiB) | peak RSS (MiB) | RSS per connection (KiB) | threads | wrong replies | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (side, r) in &rows {
        let get = |k: &str| r.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v);
        let wall = get("wall_ms") as f64 / 1000.0;
        let (base, peak) = (get("baseline_kib"), get("peak_kib"));
        let per_conn = peak.saturating_sub(base) as f64 / args.clients as f64;
        println!(
            "| {side} | {:.2} | {:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
            get("connect_ms") as f64 / 1000.0,
            wall,
            total / wall.max(1e-9),
            base as f64 / 1024.0,
            peak as f64 / 1024.0,
            per_conn,
            get("threads"),
            get("bad"),
            get("errors"),
        );
        if get("bad") != 0 || get("errors") != 0 {
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
