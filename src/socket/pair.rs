//! PAIR (RFC 31, SPEC §5.8): the glue between the socket core and PAIR's
//! choice of peer (`pattern::pair`).

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::primitives::{Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::core::{Hooks, SocketCore};
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::driver::pipe::Pipe;
use crate::error::Error;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::pair::Exclusive;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

struct PairHooks {
    state: Mutex<Exclusive>,
}

impl Hooks for PairHooks {
    fn attached(&self, _core: &SocketCore, id: RoutingId, _out: &Arc<Pipe>) {
        lock(&self.state).attached(id);
    }

    fn connected(&self, _core: &SocketCore, id: RoutingId, _identity: Option<&Bytes>) -> bool {
        lock(&self.state).connected(id)
    }

    fn detached(&self, _core: &SocketCore, id: RoutingId) {
        lock(&self.state).detached(id);
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
    pub(crate) sink: Option<Message>,
}

impl Pair {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        let hooks = Arc::new(PairHooks {
            state: Mutex::new(Exclusive::default()),
        });
        Pair {
            base: SocketBase::with_hooks(SocketType::Pair, options, hooks.clone()),
            hooks,
            sink: None,
        }
    }
}

impl Handle for Pair {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Sender for Pair {
    type Item = Message;

    /// One try at handing `msg` to the peer; `WouldBlock` when there is
    /// none or it is full.
    fn offer(&self, msg: Message) -> Result<(), (Error, Message)> {
        let Some(target) = lock(&self.hooks.state).target() else {
            return Err((Error::WouldBlock, msg));
        };
        match self.base.core.try_send_to(target, msg) {
            Err((Error::HostUnreachable { .. }, m)) => Err((Error::WouldBlock, m)),
            r => r,
        }
    }
}

impl Receiver for Pair {
    type Item = Message;

    #[inline]
    fn judge(&self, _from: RoutingId, msg: Message) -> Verdict<Message> {
        Some(Ok(msg))
    }
}
