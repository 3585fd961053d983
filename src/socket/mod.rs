//! The socket types (SPEC §5): each file holds only what is particular to
//! its type, as two small primitives:
//!
//! * [`Sender`]: one attempt at sending an item, giving it back when it
//!   cannot go now, plus the checks around a send (REQ's turn);
//! * [`Receiver`]: what to do with each message taken from the peers
//!   (filter it, strip or add an envelope), plus the checks around a
//!   receive (REP's turn).
//!
//! The socket-type state machines they use are in `pattern/`. The three
//! call forms (`try_*`, async, `blocking_*`), `poll_*`, `Stream` and
//! `Sink` are written once, over these primitives, in `api/`.

mod client;
mod dealer;
mod pair;
pub(crate) mod primitives;
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

pub(crate) use primitives::{Handle, Receiver, Sender};
