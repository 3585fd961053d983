//! The driver: tokio glue between transports, the sans-IO ZMTP layer and
//! the sockets' pipes (SPEC §6). Owns tasks, timers, accepts and
//! reconnects.

pub(crate) mod connect;
pub(crate) mod core;
mod direct_read;
pub(crate) mod engine;
pub(crate) mod inproc;
pub(crate) mod listen;
pub(crate) mod monitor;
pub(crate) mod pipe;
pub(crate) mod runtime;
mod socket_base;

pub use core::PeerQueues;
pub use monitor::{DisconnectReason, Monitor, SocketEvent};
pub use socket_base::SocketStats;
pub(crate) use socket_base::{blocking, socket_common, SocketBase};

/// Locks a mutex, taking it over even if a panicking thread poisoned it:
/// every state behind oxmq's mutexes is updated in single steps, so it is
/// still consistent.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
