//! What every socket handle has: endpoints, monitor, statistics, close
//! (SPEC §6).

use crate::driver::core::SocketCore;
use crate::driver::monitor::Monitor;
use crate::driver::runtime;
use crate::error::{Error, Result};
use crate::options::SocketOptions;
use crate::zmtp::SocketType;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Per-socket counters (SPEC §6.7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SocketStats {
    /// Multipart messages discarded whole by CLIENT or SERVER (RFC 41).
    pub dropped_multipart: u64,
    /// Messages PUB, XPUB or ROUTER dropped for a peer whose queue was at
    /// `sndhwm` (SPEC §5.5, §5.7).
    pub dropped_hwm: u64,
    /// Messages dropped because no peer could take them: ROUTER to an
    /// unknown identity, REP to a requester that left (SPEC §5.6, §5.7).
    pub dropped_unroutable: u64,
    /// Messages the socket took from its peers' queues (received, or for
    /// PUB/XPUB read as subscriptions).
    pub messages_in: u64,
    /// Bytes of those messages (all frames).
    pub bytes_in: u64,
    /// Messages queued to peers (sent or on their way; for PUB, one per
    /// subscriber reached).
    pub messages_out: u64,
    /// Bytes of those messages.
    pub bytes_out: u64,
    /// Each attached peer's queue lengths now, by routing id.
    pub peers: Vec<crate::driver::core::PeerQueues>,
}

/// Runs a socket future on the calling thread, with an optional timeout
/// that turns into [`Error::Timeout`].
pub(crate) fn blocking<T>(
    fut: impl Future<Output = Result<T>>,
    timeout: Option<Duration>,
) -> Result<T> {
    match runtime::block_on(fut, timeout) {
        Some(r) => r,
        None => Err(Error::Timeout {
            after: timeout.unwrap_or_default(),
        }),
    }
}

/// The shared part of every socket handle. Dropping it closes the socket
/// (SPEC §6.5).
pub(crate) struct SocketBase {
    pub(crate) core: Arc<SocketCore>,
}

impl SocketBase {
    pub(crate) fn new(kind: SocketType, options: SocketOptions) -> SocketBase {
        SocketBase {
            core: SocketCore::new(kind, options),
        }
    }

    /// A socket whose type follows its peers through `hooks`.
    pub(crate) fn with_hooks(
        kind: SocketType,
        options: SocketOptions,
        hooks: Arc<dyn crate::driver::core::Hooks>,
    ) -> SocketBase {
        SocketBase {
            core: SocketCore::with_hooks(kind, options, hooks),
        }
    }

    pub(crate) fn bind(&self, endpoint: &str) -> Result<String> {
        self.core.bind(endpoint)
    }

    pub(crate) fn unbind(&self, endpoint: &str) -> Result<()> {
        self.core.unbind(endpoint)
    }

    pub(crate) fn connect(&self, endpoint: &str) -> Result<()> {
        self.core.connect(endpoint)
    }

    pub(crate) fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.core.disconnect(endpoint)
    }

    pub(crate) fn monitor(&self) -> Monitor {
        self.core.monitor()
    }

    pub(crate) fn stats(&self) -> SocketStats {
        let (messages_out, bytes_out, peers) = self.core.traffic();
        let c = &self.core.counters;
        SocketStats {
            dropped_multipart: c.dropped_multipart.load(Ordering::Relaxed),
            dropped_hwm: c.dropped_hwm.load(Ordering::Relaxed),
            dropped_unroutable: c.dropped_unroutable.load(Ordering::Relaxed),
            messages_in: c.msgs_in.load(Ordering::Relaxed),
            bytes_in: c.bytes_in.load(Ordering::Relaxed),
            messages_out,
            bytes_out,
            peers,
        }
    }

    /// Closes and waits until queued messages are flushed (bounded by
    /// linger) and every task has stopped. Runs on the I/O runtime, so it
    /// can be awaited from any executor.
    pub(crate) async fn close(self) {
        let h = runtime::handle().spawn(self.core.close());
        let _ = h.await;
    }
}

impl Drop for SocketBase {
    fn drop(&mut self) {
        self.core.close_in_background();
    }
}

/// Generates the methods every socket type shares, delegating to its
/// `base: SocketBase`.
macro_rules! socket_common {
    ($name:ident, $kind:expr) => {
        impl $name {
            /// Creates the socket with the given options (SPEC §7).
            pub fn with_options(options: $crate::SocketOptions) -> Self {
                $name {
                    base: $crate::driver::SocketBase::new($kind, options),
                }
            }
        }
        $crate::driver::socket_common!($name, $kind, custom_constructor);
    };
    // For socket types that write `with_options` themselves (those with
    // hooks or state of their own).
    ($name:ident, $kind:expr, custom_constructor) => {
        impl $name {
            /// Creates the socket with default options (SPEC §7).
            pub fn new() -> Self {
                Self::with_options($crate::SocketOptions::default())
            }

            /// Binds to an endpoint (`tcp://`, `ipc://`, `inproc://`) and
            /// returns the endpoint actually bound (a tcp port 0 replaced by
            /// the real port). Errors: [`Error::Endpoint`](crate::Error::Endpoint),
            /// [`Error::Bind`](crate::Error::Bind) (SPEC §4).
            pub fn bind(&self, endpoint: &str) -> $crate::Result<String> {
                self.base.bind(endpoint)
            }

            /// Stops listening on an endpoint given to [`bind`](Self::bind)
            /// (as given or as returned). Errors:
            /// [`Error::NotBound`](crate::Error::NotBound) (SPEC §4).
            pub fn unbind(&self, endpoint: &str) -> $crate::Result<()> {
                self.base.unbind(endpoint)
            }

            /// Connects to an endpoint. Returns at once; the connection is
            /// made, and remade after failures, in the background, and
            /// messages sent meanwhile queue for it (SPEC §6.4).
            pub fn connect(&self, endpoint: &str) -> $crate::Result<()> {
                self.base.connect(endpoint)
            }

            /// Stops connecting to an endpoint given to
            /// [`connect`](Self::connect); messages still queued for it are
            /// dropped. Errors: [`Error::NotConnected`](crate::Error::NotConnected).
            pub fn disconnect(&self, endpoint: &str) -> $crate::Result<()> {
                self.base.disconnect(endpoint)
            }

            /// A new stream of this socket's events (SPEC §6.6).
            pub fn monitor(&self) -> $crate::Monitor {
                self.base.monitor()
            }

            /// The socket's counters (SPEC §6.7).
            pub fn stats(&self) -> $crate::SocketStats {
                self.base.stats()
            }

            /// The options the socket was created with.
            pub fn options(&self) -> &$crate::SocketOptions {
                &self.base.core.options
            }

            /// Closes the socket and waits until queued messages have been
            /// sent (at most `linger`) and its tasks have stopped
            /// (SPEC §6.5). Dropping the socket does the same in the
            /// background.
            pub async fn close(self) {
                self.base.close().await
            }

            /// Blocking form of [`close`](Self::close).
            pub fn blocking_close(self) {
                $crate::driver::runtime::block_on(self.base.close(), None);
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use socket_common;
