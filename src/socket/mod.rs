//! The socket types (SPEC §5).

/// Generates the methods every socket type shares, delegating to its
/// `base: SocketBase`.
macro_rules! socket_common {
    ($name:ident, $kind:expr) => {
        impl $name {
            /// Creates the socket with the given options (SPEC §7).
            pub fn with_options(options: $crate::options::SocketOptions) -> Self {
                $name {
                    base: $crate::driver::lifecycle::SocketBase::new($kind, options),
                }
            }
        }
        $crate::socket::socket_common!($name, $kind, custom_constructor);
    };
    // For socket types that write `with_options` themselves (those with
    // hooks or state of their own).
    ($name:ident, $kind:expr, custom_constructor) => {
        impl $name {
            /// Creates the socket with default options (SPEC §7).
            pub fn new() -> Self {
                Self::with_options($crate::options::SocketOptions::default())
            }

            /// Binds to an endpoint (`tcp://`, `ipc://`, `inproc://`) and
            /// returns the endpoint actually bound (a tcp port 0 replaced by
            /// the real port). Errors: [`Error::Endpoint`](crate::Error::Endpoint),
            /// [`Error::Bind`](crate::Error::Bind) (SPEC §4).
            pub fn bind(&self, endpoint: &str) -> $crate::error::Result<String> {
                self.base.bind(endpoint)
            }

            /// Stops listening on an endpoint given to [`bind`](Self::bind)
            /// (as given or as returned). Errors:
            /// [`Error::NotBound`](crate::Error::NotBound) (SPEC §4).
            pub fn unbind(&self, endpoint: &str) -> $crate::error::Result<()> {
                self.base.unbind(endpoint)
            }

            /// Connects to an endpoint. Returns at once; the connection is
            /// made, and remade after failures, in the background, and
            /// messages sent meanwhile queue for it (SPEC §6.4).
            pub fn connect(&self, endpoint: &str) -> $crate::error::Result<()> {
                self.base.connect(endpoint)
            }

            /// Stops connecting to an endpoint given to
            /// [`connect`](Self::connect); messages still queued for it are
            /// dropped. Errors: [`Error::NotConnected`](crate::Error::NotConnected).
            pub fn disconnect(&self, endpoint: &str) -> $crate::error::Result<()> {
                self.base.disconnect(endpoint)
            }

            /// A new stream of this socket's events (SPEC §6.6).
            pub fn monitor(&self) -> $crate::driver::monitor::Monitor {
                self.base.monitor()
            }

            /// The socket's counters (SPEC §6.7).
            pub fn stats(&self) -> $crate::driver::core::stats::SocketStats {
                self.base.stats()
            }

            /// The options the socket was created with.
            pub fn options(&self) -> &$crate::options::SocketOptions {
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
                self.base.blocking_close();
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

mod client;
mod dealer;
mod pair;
mod publish;
mod pull;
mod push;
mod rep;
mod req;
mod router;
mod server;
mod subscribe;

pub use client::Client;
pub use dealer::Dealer;
pub use pair::Pair;
pub use publish::{Pub, XPub};
pub use pull::Pull;
pub use push::Push;
pub use rep::Rep;
pub use req::Req;
pub use router::Router;
pub use server::Server;
pub use subscribe::{Sub, XSub};
