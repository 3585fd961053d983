//! Resource hygiene (issue 5 item 8): closing or dropping sockets releases
//! every descriptor, task and thread (SPEC §6.5), for each socket type
//! family over tcp, ipc and inproc, and ipc socket files are removed on
//! unbind and close (SPEC §4.3).
//!
//! Each family, transport and way of ending is its own `#[test]`
//! (`push_pull::tcp_close`, ...). Descriptors (`/proc/self/fd`) and threads
//! (`/proc/self/task`) are process-wide, so the tests take turns: each
//! counts and runs while holding one lock, and nothing else in this test
//! binary opens descriptors. The threads the test harness starts for the
//! other tests (waiting for the lock) are not counted: they carry the main
//! thread's name until they name themselves after their test, and every
//! test here has `::` in its name. The test holding the lock renames its
//! own thread, so a thread a case leaves behind (which would inherit that
//! name) is counted. Threads are compared by id: only one started during
//! a case and still alive after it fails the case (a harness thread may
//! carry a name from an earlier turn). Tasks: a socket's monitor ends only once its close
//! has stopped every task of the socket (SPEC §6.5, §6.6), so each case
//! also waits for its sockets' monitors to end. There is no event for
//! "descriptor released": the counts are polled every 10 ms up to a
//! deadline.

mod support;

use oxmq::{
    Client, Dealer, Message, Monitor, Pair, Pub, Pull, Push, Rep, Req, Router, Server,
    SocketOptions, Sub,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use support::{inproc_ep, ipc_ep, tcp_ep, Transport, GUARD};

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// A thread's name, from its `comm` file.
fn comm(task: &Path) -> String {
    std::fs::read_to_string(task.join("comm"))
        .map(|c| c.trim_end().to_owned())
        .unwrap_or_default()
}

/// The process's threads, by id, less the test harness's (see the file
/// comment).
fn threads() -> BTreeSet<String> {
    let main = comm(Path::new("/proc/self"));
    // The calling thread (the one holding the turn) is not a leftover.
    let me = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = comm(&e.path());
            let id = e.file_name().to_string_lossy().into_owned();
            name != main && !name.contains("::") && Some(id) != me
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Counts {
    fds: usize,
    /// Thread ids.
    threads: BTreeSet<String>,
}

fn counts() -> Counts {
    Counts {
        fds: fds(),
        threads: threads(),
    }
}

/// The names of these threads of the process.
fn thread_names(ids: &BTreeSet<String>) -> Vec<String> {
    ids.iter()
        .map(|id| comm(&Path::new("/proc/self/task").join(id)))
        .collect()
}

/// Polls (every 10 ms, up to 10 s) until the counts are back at or below
/// `base`; fails naming the case otherwise.
fn assert_back_to(base: Counts, case: &str) {
    let deadline = Instant::now() + GUARD;
    loop {
        let now = counts();
        // Threads are compared by id: one that was there at the start
        // (whatever it is called by now) is not the case's.
        let started: BTreeSet<String> = now.threads.difference(&base.threads).cloned().collect();
        if now.fds <= base.fds && started.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            let listing: Vec<String> = std::fs::read_dir("/proc/self/fd")
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .filter_map(|e| std::fs::read_link(e.path()).ok())
                        .map(|p| p.display().to_string())
                        .collect()
                })
                .unwrap_or_default();
            panic!(
                "{case}: counts did not return within {GUARD:?}: descriptors {} then {}, open: \
                 {listing:?}; threads started and still alive: {:?}",
                base.fds,
                now.fds,
                thread_names(&started)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for each monitor to end (its socket closed and every task of it
/// stopped, SPEC §6.6).
fn assert_monitors_end(monitors: Vec<Monitor>, case: &str) {
    let deadline = Instant::now() + GUARD;
    for m in monitors {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!("{case}: a monitor did not end within {GUARD:?}");
            }
            if m.blocking_next(Some(left)).is_none() {
                if Instant::now() >= deadline {
                    panic!("{case}: a monitor did not end within {GUARD:?}");
                }
                break;
            }
        }
    }
}

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::from_secs(5)))
        .rcvtimeo(Some(GUARD))
        .sndtimeo(Some(GUARD))
}

#[derive(Clone, Copy, Debug)]
enum End {
    /// `blocking_close` each socket.
    Close,
    /// Drop each socket (it closes in the background, SPEC §6.5).
    Drop,
}

macro_rules! end_all {
    ($end:expr, $($s:ident),+) => {
        match $end {
            End::Close => { $($s.blocking_close();)+ }
            End::Drop => { $(drop($s);)+ }
        }
    };
}

fn first(m: &Message) -> &[u8] {
    &m.first()[..]
}

/// Each case binds `ep`, connects to the endpoint the bind returned,
/// exchanges messages, ends both sockets, and returns their monitors.
type Case = fn(&str, End) -> Vec<Monitor>;

fn push_pull(ep: &str, end: End) -> Vec<Monitor> {
    let pull = Pull::with_options(opts());
    let push = Push::with_options(opts());
    let ms = vec![pull.monitor(), push.monitor()];
    let ep = pull.bind(ep).unwrap();
    push.connect(&ep).unwrap();
    for _ in 0..10 {
        push.blocking_send("hygiene").unwrap();
    }
    for _ in 0..10 {
        assert_eq!(first(&pull.blocking_recv().unwrap()), b"hygiene");
    }
    end_all!(end, push, pull);
    ms
}

fn client_server(ep: &str, end: End) -> Vec<Monitor> {
    let server = Server::with_options(opts());
    let client = Client::with_options(opts());
    let ms = vec![server.monitor(), client.monitor()];
    let ep = server.bind(ep).unwrap();
    client.connect(&ep).unwrap();
    for i in 0..10u8 {
        client.blocking_send(vec![i]).unwrap();
        let (id, m) = server.blocking_recv().unwrap();
        assert_eq!(&m[..], [i]);
        server.blocking_send(id, m).unwrap();
        assert_eq!(&client.blocking_recv().unwrap()[..], [i]);
    }
    end_all!(end, client, server);
    ms
}

fn pub_sub(ep: &str, end: End) -> Vec<Monitor> {
    let publisher = Pub::with_options(opts());
    let sub = Sub::with_options(opts().rcvtimeo(Some(Duration::from_millis(20))));
    let ms = vec![publisher.monitor(), sub.monitor()];
    let ep = publisher.bind(ep).unwrap();
    sub.connect(&ep).unwrap();
    sub.subscribe("t").unwrap();
    // The subscription reaches the publisher some time after subscribe():
    // publish until one arrives.
    let deadline = Instant::now() + GUARD;
    loop {
        publisher.blocking_send("topic").unwrap();
        match sub.blocking_recv() {
            Ok(m) => {
                assert_eq!(first(&m), b"topic");
                break;
            }
            Err(oxmq::Error::Timeout { .. }) if Instant::now() < deadline => {}
            Err(e) => panic!("sub over {ep}: {e}"),
        }
    }
    end_all!(end, sub, publisher);
    ms
}

fn req_rep(ep: &str, end: End) -> Vec<Monitor> {
    let rep = Rep::with_options(opts());
    let req = Req::with_options(opts());
    let ms = vec![rep.monitor(), req.monitor()];
    let ep = rep.bind(ep).unwrap();
    req.connect(&ep).unwrap();
    for _ in 0..10 {
        req.blocking_send("ping").unwrap();
        assert_eq!(first(&rep.blocking_recv().unwrap()), b"ping");
        rep.blocking_send("pong").unwrap();
        assert_eq!(first(&req.blocking_recv().unwrap()), b"pong");
    }
    end_all!(end, req, rep);
    ms
}

fn dealer_router(ep: &str, end: End) -> Vec<Monitor> {
    let router = Router::with_options(opts());
    let dealer = Dealer::with_options(opts());
    let ms = vec![router.monitor(), dealer.monitor()];
    let ep = router.bind(ep).unwrap();
    dealer.connect(&ep).unwrap();
    for _ in 0..10 {
        dealer.blocking_send("hello").unwrap();
        let m = router.blocking_recv().unwrap();
        let frames = m.into_frames();
        assert_eq!(frames.len(), 2);
        assert_eq!(&frames[1][..], b"hello");
        router
            .blocking_send(Message::from_frames(vec![
                frames[0].clone(),
                bytes::Bytes::from_static(b"back"),
            ]))
            .unwrap();
        assert_eq!(first(&dealer.blocking_recv().unwrap()), b"back");
    }
    end_all!(end, dealer, router);
    ms
}

fn pair(ep: &str, end: End) -> Vec<Monitor> {
    let a = Pair::with_options(opts());
    let b = Pair::with_options(opts());
    let ms = vec![a.monitor(), b.monitor()];
    let ep = a.bind(ep).unwrap();
    b.connect(&ep).unwrap();
    for _ in 0..10 {
        b.blocking_send("there").unwrap();
        assert_eq!(first(&a.blocking_recv().unwrap()), b"there");
        a.blocking_send("back").unwrap();
        assert_eq!(first(&b.blocking_recv().unwrap()), b"back");
    }
    end_all!(end, b, a);
    ms
}

const FAMILIES: [(&str, Case); 6] = [
    ("PUSH/PULL", push_pull),
    ("CLIENT/SERVER", client_server),
    ("PUB/SUB", pub_sub),
    ("REQ/REP", req_rep),
    ("DEALER/ROUTER", dealer_router),
    ("PAIR", pair),
];

fn ipc_path(ep: &str) -> PathBuf {
    PathBuf::from(ep.strip_prefix("ipc://").expect("an ipc endpoint"))
}

/// Waits (bounded) until `path` no longer exists.
fn assert_removed(path: &Path, case: &str) {
    let deadline = Instant::now() + GUARD;
    while path.exists() {
        assert!(
            Instant::now() < deadline,
            "{case}: {} still exists after {GUARD:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ipc_files() {
    // unbind removes the file at once (it returns once the listener is
    // released, SPEC §6.6).
    let s = Pull::with_options(opts());
    let ep = s.bind(&ipc_ep()).unwrap();
    let path = ipc_path(&ep);
    assert!(path.exists(), "bind created {}", path.display());
    s.unbind(&ep).unwrap();
    assert!(!path.exists(), "unbind left {}", path.display());
    // Bound again, then closed.
    let ep2 = s.bind(&ep).unwrap();
    assert!(path.exists());
    s.blocking_close();
    assert!(!path.exists(), "close left {}", path.display());
    assert_eq!(ep, ep2);

    // Dropped: removed in the background.
    let s = Server::with_options(opts());
    let ep = s.bind(&ipc_ep()).unwrap();
    let path = ipc_path(&ep);
    assert!(path.exists());
    drop(s);
    assert_removed(&path, "ipc file after drop");

    // A connected peer does not keep the file alive past close.
    let s = Server::with_options(opts());
    let c = Client::with_options(opts());
    let ep = s.bind(&ipc_ep()).unwrap();
    c.connect(&ep).unwrap();
    c.blocking_send("x").unwrap();
    s.blocking_recv().unwrap();
    let path = ipc_path(&ep);
    s.blocking_close();
    assert!(!path.exists(), "close with a peer left {}", path.display());
    c.blocking_close();
}

/// Whether the warm-up ran, behind the lock the tests take turns with.
static ONE_AT_A_TIME: Mutex<bool> = Mutex::new(false);

/// Takes the turn: from now on this test alone opens descriptors and
/// starts threads. The first one to get here starts the process-wide
/// I/O runtime (its threads live as long as the process, SPEC §6.2).
fn exclusive() -> MutexGuard<'static, bool> {
    // A test that failed while holding the lock has cleaned up what it
    // could by unwinding; the others go on.
    let mut warmed = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::write("/proc/thread-self/comm", "hygiene-turn").expect("naming this thread");
    if !*warmed {
        let ms = push_pull(&tcp_ep(), End::Close);
        assert_monitors_end(ms, "warm-up");
        *warmed = true;
    }
    warmed
}

/// One family over one transport, ended one way, gives back everything.
fn released(family: &str, case: Case, t: Transport, end: End) {
    let _turn = exclusive();
    let name = format!("{family} over {}, {end:?}", t.name);
    let base = counts();
    let ms = case(&(t.ep)(), end);
    assert_monitors_end(ms, &name);
    assert_back_to(base, &name);
}

macro_rules! released {
    ($($family:ident => $label:literal;)*) => {$(
        mod $family {
            use super::{released, End};
            use crate::support::{INPROC, IPC, TCP};

            #[test]
            fn tcp_close() {
                released($label, super::$family, TCP, End::Close)
            }
            #[test]
            fn ipc_close() {
                released($label, super::$family, IPC, End::Close)
            }
            #[test]
            fn inproc_close() {
                released($label, super::$family, INPROC, End::Close)
            }
            #[test]
            fn tcp_drop() {
                released($label, super::$family, TCP, End::Drop)
            }
            #[test]
            fn ipc_drop() {
                released($label, super::$family, IPC, End::Drop)
            }
            #[test]
            fn inproc_drop() {
                released($label, super::$family, INPROC, End::Drop)
            }
        }
    )*};
}

released! {
    push_pull => "PUSH/PULL";
    client_server => "CLIENT/SERVER";
    pub_sub => "PUB/SUB";
    req_rep => "REQ/REP";
    dealer_router => "DEALER/ROUTER";
    pair => "PAIR";
}

mod together {
    use super::*;

    /// Many at once, and repeated: nothing accumulates.
    #[test]
    fn many_sockets_in_repeated_rounds() {
        let _turn = exclusive();
        let base = counts();
        for round in 0..3 {
            let mut ms = Vec::new();
            for (_, case) in FAMILIES {
                for ep in [tcp_ep(), ipc_ep(), inproc_ep()] {
                    let end = if round % 2 == 0 {
                        End::Close
                    } else {
                        End::Drop
                    };
                    ms.extend(case(&ep, end));
                }
            }
            assert_monitors_end(ms, "repeated rounds");
        }
        assert_back_to(base, "repeated rounds");
    }

    #[test]
    fn ipc_files_are_removed() {
        let _turn = exclusive();
        let base = counts();
        ipc_files();
        assert_back_to(base, "ipc files");
    }
}
