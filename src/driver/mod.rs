//! The driver: tokio glue between transports, the sans-IO ZMTP sessions
//! and the sockets' pipes (SPEC §2, §6). Owns tasks, timers, accepts and
//! reconnects.
//!
//! Bottom up, with no import circle:
//!
//! * [`runtime`]: the I/O runtime and the blocking bridge;
//! * [`pipe`], [`wait`]: the queues between sockets and connections, and
//!   waiting for them;
//! * [`monitor`], [`tasks`]: events, and the tasks a socket runs;
//! * [`direct`]: blocking receivers reading connections themselves;
//! * [`core`]: what every socket shares (peers, inbound, outbound,
//!   counters), and the [`core::Port`] connections see;
//! * [`engine`]: one task per tcp or ipc connection, around a session;
//! * [`connect`], [`listen`], [`inproc`]: making connections;
//! * [`lifecycle`]: endpoints and closing, and the handle sockets hold.

pub(crate) mod connect;
pub(crate) mod core;
pub(crate) mod direct;
pub(crate) mod engine;
pub(crate) mod inproc;
pub(crate) mod lifecycle;
pub(crate) mod listen;
pub(crate) mod monitor;
pub(crate) mod pipe;
pub(crate) mod runtime;
pub(crate) mod tasks;
pub(crate) mod wait;
pub(crate) mod watch;
pub(crate) mod zap;

/// Locks a mutex, taking it over even if a panicking thread poisoned it:
/// every state behind oxmq's mutexes is updated in single steps, so it is
/// still consistent.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
