//! Sans-IO routing strategies shared by the socket types (SPEC §5):
//! round-robin load balancing, fair queuing, routing-id allocation.
//! Pure data structures: no I/O, no locks, no clocks.

mod fair_queue;
mod load_balance;
mod routing_id;
mod trie;

pub use crate::routing_id::RoutingId;
pub use fair_queue::{FairQueue, Take};
pub use load_balance::LoadBalance;
pub(crate) use routing_id::IdMap;
pub use routing_id::RoutingIdAllocator;
pub use trie::{SubscriptionCounts, SubscriptionTrie};
