//! The socket types (SPEC §5).

mod client;
mod dealer;
mod pair;
mod pull;
mod push;
mod rep;
mod req;
mod router;
mod server;

pub use client::Client;
pub use dealer::Dealer;
pub use pair::Pair;
pub use pull::Pull;
pub use push::Push;
pub use rep::Rep;
pub use req::Req;
pub use router::Router;
pub use server::Server;
