//! The in-process transport's name registry (SPEC §4.4).
//!
//! inproc connections never become byte streams: a connecting socket offers a
//! value of its own choosing (typically a pair of in-memory pipe ends) under a
//! name, and the registry hands that value to whichever socket has bound the
//! name. As in libzmq, connecting before the name is bound is allowed: the
//! offer waits in the registry until a bind arrives.
//!
//! Callbacks ([`Acceptor`]s) are never run while the registry's lock is held,
//! so an acceptor may freely call back into the registry; connection values
//! are never dropped under the lock either.

use std::collections::hash_map::{Entry, HashMap};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Receives the connections made to a bound name (SPEC §4.4).
///
/// Called outside the registry lock, once per connection, in the order the
/// connections were offered; calls for one binding never overlap (they are
/// made one after another, possibly from different threads). It should return
/// quickly: while it runs, further connections to the same binding queue up
/// behind it.
pub type Acceptor<C> = Arc<dyn Fn(C) + Send + Sync>;

/// Identifies one successful [`InprocRegistry::bind`], so that
/// [`InprocRegistry::unbind`] cannot remove a later binding of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BindingId(u64);

/// Identifies one pending connection offer, for [`InprocRegistry::cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PendingId(u64);

/// What [`InprocRegistry::connect`] did with the offered connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// The name was bound and the binding now owns the connection: it has
    /// been handed to the acceptor, or is queued behind a delivery to the same
    /// binding already in progress (e.g. when the acceptor itself connected)
    /// and will be handed over as soon as that returns. It can no longer be
    /// cancelled.
    Delivered,
    /// The name was not bound; the connection waits in the registry until a
    /// bind, or until [`InprocRegistry::cancel`] withdraws it.
    Pending(PendingId),
}

/// A registry of inproc names (SPEC §4.4), generic over the connection type
/// `C` that a connect hands to a bind.
///
/// One registry is meant to be shared by the whole process (e.g. in a
/// `static` `OnceLock`). All methods take `&self`, are safe to call from any
/// thread, never block beyond a short internal mutex, and never call an
/// acceptor while holding it.
pub struct InprocRegistry<C> {
    state: Mutex<State<C>>,
}

struct State<C> {
    next_id: u64,
    slots: HashMap<String, Slot<C>>,
}

enum Slot<C> {
    Bound(Binding<C>),
    /// Never empty: an empty list is removed from the map.
    Pending(Vec<(PendingId, C)>),
}

struct Binding<C> {
    id: BindingId,
    acceptor: Acceptor<C>,
    /// Connections owned by the binding but not yet handed to the acceptor.
    queue: VecDeque<C>,
    /// Whether some thread is currently draining `queue` into the acceptor.
    delivering: bool,
}

impl<C> State<C> {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

impl<C: Send + 'static> Default for InprocRegistry<C> {
    /// Same as [`InprocRegistry::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<C> fmt::Debug for InprocRegistry<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let bound = state
            .slots
            .values()
            .filter(|slot| matches!(slot, Slot::Bound(_)))
            .count();
        f.debug_struct("InprocRegistry")
            .field("bound", &bound)
            .field("pending_names", &(state.slots.len() - bound))
            .finish()
    }
}

impl<C: Send + 'static> InprocRegistry<C> {
    /// Creates an empty registry (SPEC §4.4). Never fails.
    pub fn new() -> Self {
        InprocRegistry {
            state: Mutex::new(State {
                next_id: 0,
                slots: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<C>> {
        // No user code runs under the lock, so a poisoned lock can only come
        // from a panic in this module's own bookkeeping; the state is still
        // consistent enough to keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Binds `name` (SPEC §4.4).
    ///
    /// Connections offered before the bind (pending) are handed to `acceptor`
    /// right away, in the order they were offered, outside the registry lock,
    /// before this returns (so it runs the acceptor on the caller's thread).
    ///
    /// Errors: [`io::ErrorKind::AddrInUse`] if `name` is bound already; the
    /// registry is then unchanged.
    pub fn bind(&self, name: &str, acceptor: Acceptor<C>) -> io::Result<BindingId> {
        let mut state = self.lock();
        let id = BindingId(state.next_id());
        let queue: VecDeque<C> = match state.slots.remove(name) {
            Some(Slot::Bound(existing)) => {
                state.slots.insert(name.to_owned(), Slot::Bound(existing));
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("inproc://{name} is already bound"),
                ));
            }
            Some(Slot::Pending(pending)) => pending.into_iter().map(|(_, conn)| conn).collect(),
            None => VecDeque::new(),
        };
        let delivering = !queue.is_empty();
        state.slots.insert(
            name.to_owned(),
            Slot::Bound(Binding {
                id,
                acceptor: Arc::clone(&acceptor),
                queue,
                delivering,
            }),
        );
        drop(state);
        if delivering {
            self.deliver(name, id, &acceptor);
        }
        Ok(id)
    }

    /// Removes the binding of `name` if it is still `id` (SPEC §4.4); a later
    /// bind of the same name by someone else is left alone. Returns whether it
    /// removed it. Never blocks beyond the registry lock.
    ///
    /// Connections the binding owned but had not yet handed to its acceptor
    /// (only possible while a delivery is in progress on another thread) are
    /// dropped, outside the lock. Later connects to `name` wait for a new bind.
    pub fn unbind(&self, name: &str, id: BindingId) -> bool {
        let mut state = self.lock();
        let is_ours = matches!(state.slots.get(name), Some(Slot::Bound(b)) if b.id == id);
        if !is_ours {
            return false;
        }
        let removed = state.slots.remove(name);
        drop(state);
        drop(removed);
        true
    }

    /// Offers a connection to `name` (SPEC §4.4).
    ///
    /// If `name` is bound, the connection is handed to its acceptor now,
    /// outside the lock and before this returns — unless a delivery to that
    /// binding is already running (on another thread, or further up this
    /// thread's stack when an acceptor connects), in which case it is queued
    /// behind it and handed over by that delivery. Either way the result is
    /// [`Delivery::Delivered`]. Otherwise the connection is kept until a bind
    /// and [`Delivery::Pending`] identifies it for [`Self::cancel`]. Never
    /// fails.
    pub fn connect(&self, name: &str, conn: C) -> Delivery {
        let mut state = self.lock();
        let pending_id = PendingId(state.next_id());
        match state.slots.entry(name.to_owned()) {
            Entry::Occupied(mut entry) => match entry.get_mut() {
                Slot::Bound(binding) => {
                    binding.queue.push_back(conn);
                    if binding.delivering {
                        return Delivery::Delivered;
                    }
                    binding.delivering = true;
                    let id = binding.id;
                    let acceptor = Arc::clone(&binding.acceptor);
                    drop(state);
                    self.deliver(name, id, &acceptor);
                    Delivery::Delivered
                }
                Slot::Pending(pending) => {
                    pending.push((pending_id, conn));
                    Delivery::Pending(pending_id)
                }
            },
            Entry::Vacant(entry) => {
                entry.insert(Slot::Pending(vec![(pending_id, conn)]));
                Delivery::Pending(pending_id)
            }
        }
    }

    /// Withdraws a pending offer (SPEC §4.4), e.g. because the connecting
    /// socket closed before anyone bound the name. Returns the connection if
    /// it was still pending, `None` if it was delivered (or cancelled)
    /// already. Never blocks beyond the registry lock.
    pub fn cancel(&self, name: &str, id: PendingId) -> Option<C> {
        let mut state = self.lock();
        let Some(Slot::Pending(pending)) = state.slots.get_mut(name) else {
            return None;
        };
        let index = pending.iter().position(|(pid, _)| *pid == id)?;
        let (_, conn) = pending.remove(index);
        if pending.is_empty() {
            state.slots.remove(name);
        }
        Some(conn)
    }

    /// Whether `name` is currently bound (SPEC §4.4). Never blocks beyond the
    /// registry lock. The answer may be stale as soon as it returns.
    pub fn is_bound(&self, name: &str) -> bool {
        matches!(self.lock().slots.get(name), Some(Slot::Bound(_)))
    }

    /// Hands the binding's queued connections to `acceptor` one at a time,
    /// taking each out under the lock and calling the acceptor without it,
    /// until the queue is empty or the binding `id` is gone. The caller must
    /// have set `delivering`; this clears it when done.
    fn deliver(&self, name: &str, id: BindingId, acceptor: &Acceptor<C>) {
        let mut guard = DeliveryGuard {
            registry: self,
            name,
            id,
            armed: true,
        };
        loop {
            let next = {
                let mut state = self.lock();
                match state.slots.get_mut(name) {
                    Some(Slot::Bound(binding)) if binding.id == id => {
                        match binding.queue.pop_front() {
                            Some(conn) => conn,
                            None => {
                                binding.delivering = false;
                                guard.armed = false;
                                return;
                            }
                        }
                    }
                    _ => {
                        guard.armed = false;
                        return;
                    }
                }
            };
            acceptor(next);
        }
    }
}

/// Clears `delivering` if an acceptor panics, so that later connects to the
/// binding are delivered instead of queueing forever.
struct DeliveryGuard<'a, C: Send + 'static> {
    registry: &'a InprocRegistry<C>,
    name: &'a str,
    id: BindingId,
    armed: bool,
}

impl<C: Send + 'static> Drop for DeliveryGuard<'_, C> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut state = self.registry.lock();
        if let Some(Slot::Bound(binding)) = state.slots.get_mut(self.name) {
            if binding.id == self.id {
                binding.delivering = false;
            }
        }
    }
}
