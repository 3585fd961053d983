//! The synchronisation primitives the pipe protocol is written against.
//! The model tests (`loom-tests/`) compile `protocol.rs` beside their own
//! `sync` module, which gives loom's versions of the same names.

pub(super) use crossbeam_utils::CachePadded;
pub(super) use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

/// One side's state, taken by one thread at a time.
pub(super) type Exclusive<T> = std::sync::Mutex<T>;

/// Takes `side`. A panic while it was held cannot leave it inconsistent
/// (every update is a single queue call or counter), so a poisoned lock
/// is still usable.
#[inline]
pub(super) fn lock<T>(side: &Exclusive<T>) -> std::sync::MutexGuard<'_, T> {
    side.lock().unwrap_or_else(|e| e.into_inner())
}
