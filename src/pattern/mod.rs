//! Sans-IO routing and the socket-type state machines (SPEC §5): pure
//! data structures, with no I/O, no locks and no clocks. The sockets keep
//! them under their locks.
//!
//! * routing shared by the socket types: round-robin load balancing
//!   ([`LoadBalance`]), fair queuing ([`FairQueue`]), routing-id
//!   allocation, the subscription trie;
//! * the state machines: REQ's envelope and correlation
//!   ([`request::Requester`]), REP's ([`reply::Replier`]), ROUTER's
//!   identity table ([`identity::IdentityTable`]), PAIR's one peer
//!   ([`pair::Exclusive`]), and the subscription bookkeeping of SUB, XSUB,
//!   PUB and XPUB ([`subscriptions`]).

mod fair_queue;
pub(crate) mod identity;
mod load_balance;
pub(crate) mod pair;
pub(crate) mod reply;
pub(crate) mod request;
mod routing_id;
pub(crate) mod subscriptions;
mod trie;

pub use fair_queue::{FairQueue, Take};
pub use load_balance::LoadBalance;
pub(crate) use routing_id::IdMap;
pub use routing_id::RoutingIdAllocator;
pub use trie::{SubscriptionCounts, SubscriptionTrie};
