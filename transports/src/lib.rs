//! Endpoints and transports for oxmq.
//!
//! This crate knows nothing about ZMTP framing; it only provides the plumbing
//! underneath it:
//!
//! * [`Endpoint`] parsing and formatting of `tcp://`, `ipc://` and `inproc://`
//!   endpoint strings (SPEC §4.1);
//! * byte-stream transports: [`connect`] and [`Listener`] for tcp (SPEC §4.2)
//!   and ipc (SPEC §4.3), both yielding a [`Stream`];
//! * [`InprocRegistry`], a name registry for the in-process transport
//!   (SPEC §4.4), which carries whatever connection type the caller chooses
//!   instead of bytes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![warn(missing_debug_implementations)]

pub mod endpoint;
pub mod inproc;
pub mod listener;
pub mod stream;

pub use endpoint::{Endpoint, EndpointError, IpcEndpoint, TcpEndpoint, TcpHost};
pub use inproc::{Acceptor, BindingId, Delivery, InprocRegistry, PendingId};
pub use listener::Listener;
pub use stream::{connect, ReadHalf, Stream, WriteHalf};
