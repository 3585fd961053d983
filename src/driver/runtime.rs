//! The I/O runtime shared by all sockets, and the blocking bridge
//! (SPEC §6.2).
//!
//! Connections, listeners and reconnect timers run as tasks on one
//! process-wide tokio runtime owned by oxmq (like libzmq's I/O threads),
//! never on the caller's runtime. So a blocking call made from inside
//! some other runtime, even a single-threaded one, cannot starve the tasks
//! that would complete it.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// Number of I/O threads: `OXMQ_IO_THREADS`, default 1 (libzmq's default).
fn io_threads() -> usize {
    std::env::var("OXMQ_IO_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(1)
}

/// The shared I/O runtime, started on first use.
pub(crate) fn handle() -> &'static tokio::runtime::Handle {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(io_threads())
                .thread_name("oxmq-io")
                .enable_all()
                .build()
                .expect("cannot start the oxmq I/O runtime (thread creation failed)")
        })
        .handle()
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    static WAKER: Waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
}

/// How long a blocked thread keeps polling before it parks. A round trip
/// between two threads that park costs two futex wake-ups (tens of µs on
/// these machines); polling briefly first turns a quick answer into a
/// sub-microsecond hand-over (SPEC §6.2).
const SPIN: Duration = Duration::from_micros(20);

fn spin_limit() -> Duration {
    static S: OnceLock<Duration> = OnceLock::new();
    *S.get_or_init(|| {
        std::env::var("OXMQ_SPIN_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_micros)
            .unwrap_or(SPIN)
    })
}

thread_local! {
    /// This thread's current polling budget: the full `spin_limit()` after
    /// a wait that ended within that window (parked or not), halved after
    /// each longer wait (down to `MIN_SPIN`). A thread whose answers come quickly
    /// (inproc) keeps polling; one whose answers take longer than the
    /// budget (large tcp messages) stops burning the CPU that the I/O
    /// threads need.
    static SPIN_BUDGET: std::cell::Cell<Duration> = const { std::cell::Cell::new(SPIN) };
}

/// Least polling budget, so a thread keeps noticing when answers become
/// quick again.
const MIN_SPIN: Duration = Duration::from_micros(1);

/// The calling thread's polling budget now ([`SPIN_BUDGET`]).
pub(crate) fn spin_budget() -> Duration {
    SPIN_BUDGET.with(|b| b.get()).min(spin_limit())
}

/// A wait that began at `start` with `budget` has ended: a wait the full
/// window would have caught keeps (or restores) the full budget, a longer
/// one halves it.
pub(crate) fn waited(start: Instant, budget: Duration) {
    let next = if start.elapsed() <= spin_limit() {
        spin_limit()
    } else {
        (budget / 2).max(MIN_SPIN)
    };
    SPIN_BUDGET.with(|b| b.set(next));
}

/// Runs `fut` to completion on the calling thread, polling it for a short,
/// adaptive while and then parking between polls; gives up after
/// `timeout`. The future must not need a tokio context (oxmq's socket
/// futures only wait on oxmq's own wake-ups).
pub(crate) fn block_on<F: Future>(fut: F, timeout: Option<Duration>) -> Option<F::Output> {
    let start = Instant::now();
    let deadline = timeout.map(|t| start + t);
    let budget = spin_budget();
    let mut fut = pin!(fut);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        let mut spins = 0u32;
        let mut parked = false;
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                waited(start, budget);
                return Some(v);
            }
            if !parked {
                spins += 1;
                if spins % 32 != 0 || start.elapsed() < budget {
                    std::hint::spin_loop();
                    continue;
                }
                parked = true;
            }
            match deadline {
                None => std::thread::park(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return None;
                    }
                    std::thread::park_timeout(d - now);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_on_times_out_and_completes() {
        assert_eq!(block_on(async { 5 }, None), Some(5));
        let never = std::future::pending::<()>();
        assert!(block_on(never, Some(Duration::from_millis(20))).is_none());
    }
}
