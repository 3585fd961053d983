//! Helpers shared by the integration tests: unique endpoints per
//! transport, monitor waits, test payloads.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod payloads;

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

/// A transport's name and its endpoint generator.
pub type Transport = (&'static str, fn() -> String);

/// Every transport, by name, with its endpoint generator.
pub fn all_transports() -> [Transport; 3] {
    [("tcp", tcp_ep), ("ipc", ipc_ep), ("inproc", inproc_ep)]
}
