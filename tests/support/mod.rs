//! Helpers shared by the integration tests: unique endpoints per
//! transport, the transports themselves and a macro that instantiates a
//! case once per transport as separate tests, monitor waits, test
//! payloads.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod payloads;
pub mod pyzmq;
pub mod zap_handler;

use oxmq::{Monitor, SocketEvent};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Hang guard for waits in tests.
pub const GUARD: Duration = Duration::from_secs(10);

/// Waits (bounded by `GUARD`) for the first event matching `pred`.
pub fn wait_event(m: &Monitor, what: &str, pred: impl Fn(&SocketEvent) -> bool) -> SocketEvent {
    let deadline = Instant::now() + GUARD;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match m.blocking_next(Some(left)) {
            Some(e) if pred(&e) => return e,
            Some(_) => {}
            None => panic!("no {what} event within {GUARD:?}"),
        }
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A loopback tcp endpoint on an ephemeral port: bind it, then connect to
/// the endpoint `bind` returns.
pub fn tcp_ep() -> String {
    "tcp://127.0.0.1:0".to_string()
}

/// A unique ipc endpoint (a socket file in the temporary directory).
pub fn ipc_ep() -> String {
    let dir = std::env::temp_dir();
    format!("ipc://{}/oxmq-t-{}.sock", dir.display(), unique())
}

/// A unique inproc endpoint.
pub fn inproc_ep() -> String {
    format!("inproc://oxmq-t-{}", unique())
}

/// A transport the per-transport cases run on.
#[derive(Clone, Copy, Debug)]
pub struct Transport {
    /// `tcp`, `ipc` or `inproc`.
    pub name: &'static str,
    /// An endpoint to bind (connect to what `bind` returns).
    pub ep: fn() -> String,
    /// An endpoint that can be connected to before anything binds it.
    pub fixed_ep: fn() -> String,
    /// tcp and ipc: connections with engines and monitor events on both
    /// ends.
    pub stream: bool,
}

/// A concrete tcp endpoint on a port that was free a moment ago (for
/// connect-before-bind, where the port must be known before the bind).
pub fn tcp_fixed_ep() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    format!("tcp://127.0.0.1:{port}")
}

pub const TCP: Transport = Transport {
    name: "tcp",
    ep: tcp_ep,
    fixed_ep: tcp_fixed_ep,
    stream: true,
};
pub const IPC: Transport = Transport {
    name: "ipc",
    ep: ipc_ep,
    fixed_ep: ipc_ep,
    stream: true,
};
pub const INPROC: Transport = Transport {
    name: "inproc",
    ep: inproc_ep,
    fixed_ep: inproc_ep,
    stream: false,
};

/// The transport called `name` (as the per-transport macros spell it).
pub fn transport(name: &str) -> Transport {
    match name {
        "tcp" => TCP,
        "ipc" => IPC,
        "inproc" => INPROC,
        other => panic!("no transport {other}"),
    }
}

/// Instantiates test cases once per transport. Each line
///
/// ```text
/// fn case: tcp, ipc, inproc;
/// ```
///
/// makes a module `case` with one `#[test]` per transport named there
/// (`case::tcp`, `case::ipc`, `case::inproc`), each calling
/// `case(support::TCP)` and so on. A line that starts with an attribute
/// and `async fn` makes async tests with that attribute (e.g.
/// `#[tokio::test(flavor = "current_thread")]`) awaiting the case.
#[allow(unused_macros)]
macro_rules! transport_cases {
    () => {};
    (#[$attr:meta] async fn $case:ident: $($t:ident),+; $($rest:tt)*) => {
        mod $case {
            $(
                #[$attr]
                async fn $t() {
                    super::$case($crate::support::transport(stringify!($t))).await
                }
            )+
        }
        $crate::support::transport_cases! { $($rest)* }
    };
    (fn $case:ident: $($t:ident),+; $($rest:tt)*) => {
        mod $case {
            $(
                #[test]
                fn $t() {
                    super::$case($crate::support::transport(stringify!($t)))
                }
            )+
        }
        $crate::support::transport_cases! { $($rest)* }
    };
}
#[allow(unused_imports)]
pub(crate) use transport_cases;
