//! PAIR (RFC 31, SPEC §5.8).

use crate::driver::core::{Hooks, SocketCore};
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::driver::pipe::Pipe;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;
use bytes::Bytes;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// How many refused peers are remembered, to drop anything of theirs that
/// slipped into the receive queue before the refusal (SPEC §5.8).
const REFUSED_KEPT: usize = 1024;

#[derive(Default)]
struct PairState {
    /// The peer: the first whose connection was accepted, until it is
    /// removed.
    current: Option<RoutingId>,
    /// Every attached peer, in order of attachment.
    attached: Vec<RoutingId>,
    refused: HashSet<RoutingId>,
    refused_order: VecDeque<RoutingId>,
}

impl PairState {
    /// Where a message goes: the peer, or else (a connecting PAIR before
    /// its first connection) the first attached one, so it waits in that
    /// queue as in libzmq.
    fn target(&self) -> Option<RoutingId> {
        self.current.or_else(|| {
            self.attached
                .iter()
                .copied()
                .find(|id| !self.refused.contains(id))
        })
    }

    fn refuse(&mut self, id: RoutingId) {
        if self.refused.insert(id) {
            self.refused_order.push_back(id);
            if self.refused_order.len() > REFUSED_KEPT {
                if let Some(old) = self.refused_order.pop_front() {
                    self.refused.remove(&old);
                }
            }
        }
    }
}

struct PairHooks {
    state: Mutex<PairState>,
}

impl Hooks for PairHooks {
    fn attached(&self, _core: &SocketCore, id: RoutingId, _out: &Arc<Pipe>) {
        lock(&self.state).attached.push(id);
    }

    fn connected(&self, _core: &SocketCore, id: RoutingId, _identity: Option<&Bytes>) -> bool {
        self.take(id)
    }

    fn detached(&self, _core: &SocketCore, id: RoutingId) {
        let mut st = lock(&self.state);
        st.attached.retain(|a| *a != id);
        if st.current == Some(id) {
            st.current = None;
        }
    }
}

impl PairHooks {
    /// Takes `id` as the peer if there is none; false to refuse it.
    fn take(&self, id: RoutingId) -> bool {
        let mut st = lock(&self.state);
        match st.current {
            None => {
                st.current = Some(id);
                st.refused.remove(&id);
                true
            }
            Some(c) if c == id => true,
            Some(_) => {
                st.refuse(id);
                false
            }
        }
    }
}

/// A PAIR socket (RFC 31, SPEC §5.8): an exclusive two-way link with one
/// other PAIR. While it has its peer, further connections are refused
/// (closed after the handshake); once that peer is gone, the next one to
/// connect is taken. Sends wait while there is no peer or the peer is at
/// `sndhwm`; a connecting PAIR queues messages for its peer before the
/// connection is up. Never drops. `Send + Sync`.
///
/// ```
/// # use oxmq::{Message, Pair};
/// let a = Pair::new();
/// let ep = a.bind("inproc://doc-pair").unwrap();
/// let b = Pair::new();
/// b.connect(&ep).unwrap();
/// b.blocking_send("hi").unwrap();
/// assert_eq!(a.blocking_recv().unwrap(), Message::from("hi"));
/// a.blocking_send("there").unwrap();
/// assert_eq!(b.blocking_recv().unwrap(), Message::from("there"));
/// ```
pub struct Pair {
    base: SocketBase,
    hooks: Arc<PairHooks>,
}

socket_common!(Pair, SocketType::Pair, custom_constructor);

impl Pair {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: crate::options::SocketOptions) -> Self {
        let hooks = Arc::new(PairHooks {
            state: Mutex::new(PairState::default()),
        });
        Pair {
            base: SocketBase::with_hooks(SocketType::Pair, options, hooks.clone()),
            hooks,
        }
    }

    /// One try at handing `msg` to the peer; `WouldBlock` when there is
    /// none or it is full.
    fn attempt(&self, core: &SocketCore, msg: Message) -> Result<(), (Error, Message)> {
        let Some(target) = lock(&self.hooks.state).target() else {
            return Err((Error::WouldBlock, msg));
        };
        match core.try_send_to(target, msg) {
            Err((Error::HostUnreachable { .. }, m)) => Err((Error::WouldBlock, m)),
            r => r,
        }
    }

    /// Sends a message to the peer, waiting while there is none or it is
    /// at `sndhwm` (SPEC §5.8). Cancel-safe. Errors:
    /// [`Error::Closed`].
    pub async fn send(&self, msg: impl Into<Message>) -> Result<()> {
        self.base
            .core
            .send_with(msg.into(), |c, m| self.attempt(c, m))
            .await
            .map_err(|(e, _)| e)
    }

    /// Sends without waiting: [`Error::WouldBlock`] when there is no peer
    /// or it is full.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.attempt(&self.base.core, msg.into())
            .map_err(|(e, _)| e)
    }

    /// Blocking form of [`send`](Self::send), waiting at most `sndtimeo`.
    pub fn blocking_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.base
            .core
            .blocking_send_with(msg.into(), |c, m| self.attempt(c, m))
            .map_err(|(e, _)| e)
    }

    /// Receives the next message from the peer. Cancel-safe. Errors:
    /// [`Error::Closed`].
    pub async fn recv(&self) -> Result<Message> {
        self.base.core.recv().await.map(|(_, m)| m)
    }

    /// Receives without waiting: [`Error::WouldBlock`] when none is queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.base.core.try_recv().map(|(_, m)| m)
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`.
    pub fn blocking_recv(&self) -> Result<Message> {
        self.base.core.blocking_recv().map(|(_, m)| m)
    }
}
