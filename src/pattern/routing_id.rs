//! Handing out routing ids (SPEC §5.3, RFC 41), and maps keyed by them.

use crate::routing_id::RoutingId;

/// Hands out routing ids: sequential from a random start, skipping 0 and
/// any id still in use.
#[derive(Debug)]
pub struct RoutingIdAllocator {
    next: u32,
}

impl RoutingIdAllocator {
    /// Starts at `start` (the socket passes a random number, as libzmq
    /// does, so ids differ between runs).
    pub fn new(start: u32) -> Self {
        RoutingIdAllocator { next: start }
    }

    /// The next id for which `in_use` is false.
    pub fn allocate(&mut self, in_use: impl Fn(RoutingId) -> bool) -> RoutingId {
        loop {
            let raw = self.next;
            self.next = self.next.wrapping_add(1);
            if let Some(id) = RoutingId::new(raw) {
                if !in_use(id) {
                    return id;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_zero_and_ids_in_use() {
        let mut a = RoutingIdAllocator::new(u32::MAX);
        assert_eq!(a.allocate(|_| false).get(), u32::MAX);
        // wraps past 0
        assert_eq!(a.allocate(|_| false).get(), 1);
        assert_eq!(a.allocate(|id| id.get() == 2).get(), 3);
        assert!(RoutingId::new(0).is_none());
        assert_eq!(RoutingId::new(5).unwrap().to_string(), "5");
    }
}

/// Hasher for maps keyed by [`RoutingId`]: one multiplication instead of
/// SipHash. Ids are sequential numbers the socket chose itself, never
/// input from the network, so no flooding attack applies.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        // The high bits are the well-mixed ones; hashbrown uses the top 7
        // for its control bytes and the low ones for the bucket.
        self.0 ^ (self.0 >> 32)
    }
}

/// A map keyed by routing id, with [`IdHasher`].
pub(crate) type IdMap<V> =
    std::collections::HashMap<RoutingId, V, std::hash::BuildHasherDefault<IdHasher>>;
