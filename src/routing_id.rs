//! The routing id a socket gives each of its peers (SPEC §5.3, RFC 41).

use std::fmt;
use std::num::NonZeroU32;

/// A peer's routing id: a non-zero 32-bit number assigned by the socket
/// when the peer attaches (SPEC §5.3). Unique among the socket's current
/// peers; not reused until the 32-bit space wraps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoutingId(NonZeroU32);

impl RoutingId {
    /// Wraps a raw id; `None` for zero, which is never a valid id.
    pub fn new(raw: u32) -> Option<Self> {
        NonZeroU32::new(raw).map(RoutingId)
    }

    /// The raw 32-bit value (as libzmq's `zmq_msg_routing_id`).
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for RoutingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
