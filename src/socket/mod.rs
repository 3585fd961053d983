//! The socket types (SPEC §5).

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
