//! The bound of the zguide's programs that serve for ever (brokers,
//! proxies): `--seconds S` makes one stop by itself after S seconds, so
//! that it runs to completion; without it, it serves until killed, as
//! the zguide's does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxmq::{ProxyControl, ProxySocket};

use crate::args::Args;

/// When `--seconds` runs out, if given.
#[allow(dead_code)]
pub fn deadline(args: &Args) -> Option<Instant> {
    let seconds: f64 = args.num("seconds", f64::INFINITY);
    seconds
        .is_finite()
        .then(|| Instant::now() + Duration::from_secs_f64(seconds.max(0.0)))
}

/// How long a poll may wait: `wait`, cut short by `deadline`; `None` once
/// the deadline has passed.
#[allow(dead_code)]
pub fn wait(wait: Option<Duration>, deadline: Option<Instant>) -> Option<Option<Duration>> {
    match deadline {
        None => Some(wait),
        Some(d) => {
            let left = d.checked_duration_since(Instant::now())?;
            Some(Some(wait.map_or(left, |w| w.min(left))))
        }
    }
}

/// The built-in proxy between `frontend` and `backend`, until
/// `--seconds` runs out (or for ever).
#[allow(dead_code)]
pub fn proxy<F: ProxySocket, B: ProxySocket>(
    args: &Args,
    frontend: &F,
    backend: &B,
) -> oxmq::Result<()> {
    let control = Arc::new(ProxyControl::new());
    if let Some(at) = deadline(args) {
        let control = control.clone();
        std::thread::spawn(move || {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            control.terminate();
        });
    }
    oxmq::blocking_proxy_steerable(frontend, backend, None, &control)
}
