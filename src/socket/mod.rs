//! The socket types (SPEC §5).

mod client;
mod publish;
mod pull;
mod push;
mod server;
mod subscribe;

pub use client::Client;
pub use publish::{Pub, XPub};
pub use pull::Pull;
pub use push::Push;
pub use server::Server;
pub use subscribe::{Sub, XSub};
