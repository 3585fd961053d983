//! The socket types (SPEC §5).

mod client;
mod pull;
mod push;
mod server;

pub use client::Client;
pub use pull::Pull;
pub use push::Push;
pub use server::Server;
