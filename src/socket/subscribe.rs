//! SUB and XSUB (RFC 29, SPEC §5.5): the glue between the socket core and
//! the subscriber's bookkeeping (`pattern::subscriptions::Subscriber`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::primitives::{Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::core::{Hooks, SocketCore};
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::driver::pipe::{Pipe, PushError, Wakes};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::subscriptions::{as_subscription, Subscriber};
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

/// What SUB and XSUB share with the core: their subscriptions, sent to
/// every peer as it comes and again on each reconnection.
#[derive(Default)]
struct SubHooks {
    state: Mutex<Subscriber<Arc<Pipe>>>,
    /// The empty prefix is subscribed: every message matches, and the
    /// receive path need not take the lock to check.
    all: AtomicBool,
}

fn push_all(out: &Pipe, msgs: Vec<Message>, wakes: &mut Wakes) {
    for m in msgs {
        // Subscriptions go past the high-water mark (SPEC §5.5); a closed
        // pipe means the peer is leaving, with nothing to tell it.
        if let Ok(wake) = out.push_force(m) {
            wakes.add(wake);
        }
    }
}

impl SubHooks {
    /// Counts a subscription or a cancel and tells every peer that should
    /// know. The pushes happen under the state lock, so that changes reach
    /// each peer in the order they were counted.
    fn change(&self, core: &SocketCore, subscribe: bool, topic: &[u8]) -> Result<()> {
        if core.is_closed() {
            return Err(Error::Closed);
        }
        let mut wakes = Wakes::default();
        {
            let mut st = lock(&self.state);
            let tell = st.change(subscribe, topic);
            self.all.store(st.takes_everything(), Ordering::Relaxed);
            if let Some(msg) = tell {
                for (_, out) in st.peers() {
                    if let Ok(wake) = out.push_force(msg.clone()) {
                        wakes.add(wake);
                    }
                }
            }
        }
        wakes.run();
        Ok(())
    }

    /// Keeps a message that matches a current subscription.
    fn judge(&self, msg: Message) -> Verdict<Message> {
        let keep = self.all.load(Ordering::Relaxed) || lock(&self.state).accepts(msg.first());
        keep.then_some(Ok(msg))
    }
}

impl Hooks for SubHooks {
    fn attached(&self, _core: &SocketCore, id: RoutingId, out: &Arc<Pipe>) {
        let mut wakes = Wakes::default();
        {
            let mut st = lock(&self.state);
            let subs = st.attached(id, out.clone());
            push_all(out, subs, &mut wakes);
        }
        wakes.run();
    }

    fn connected(&self, _core: &SocketCore, id: RoutingId, _identity: Option<&Bytes>) -> bool {
        let mut wakes = Wakes::default();
        {
            let mut st = lock(&self.state);
            let again = st.connected(id);
            if let Some(out) = st.peer(id) {
                push_all(out, again, &mut wakes);
            }
        }
        wakes.run();
        true
    }

    fn detached(&self, _core: &SocketCore, id: RoutingId) {
        lock(&self.state).detached(id);
    }
}

/// A SUB socket (RFC 29, SPEC §5.5): receives the messages of its PUB or
/// XPUB peers whose first frame starts with one of its subscriptions.
/// Subscribes to nothing at first. Subscriptions are counted (two
/// `subscribe` calls for a topic need two `unsubscribe` calls) and sent
/// again to a peer after each reconnection. Cannot send. `Send + Sync`.
pub struct Sub {
    base: SocketBase,
    hooks: Arc<SubHooks>,
}

impl Sub {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        let hooks = Arc::new(SubHooks::default());
        Sub {
            base: SocketBase::with_hooks(SocketType::Sub, options, hooks.clone()),
            hooks,
        }
    }

    /// Subscribes to messages whose first frame starts with `topic` (the
    /// empty topic matches every message). Sent to every peer at once,
    /// even one at `sndhwm` (SPEC §5.5). Errors: [`Error::Closed`].
    pub fn subscribe(&self, topic: impl AsRef<[u8]>) -> Result<()> {
        self.hooks.change(&self.base.core, true, topic.as_ref())
    }

    /// Takes back one [`subscribe`](Self::subscribe) of `topic`; when none
    /// is left, peers are told and matching messages already queued are
    /// no longer returned. A topic never subscribed is ignored (as in
    /// libzmq) (SPEC §5.5). Errors: [`Error::Closed`].
    pub fn unsubscribe(&self, topic: impl AsRef<[u8]>) -> Result<()> {
        self.hooks.change(&self.base.core, false, topic.as_ref())
    }
}

impl Handle for Sub {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Receiver for Sub {
    type Item = Message;

    fn judge(&self, _from: RoutingId, msg: Message) -> Verdict<Message> {
        self.hooks.judge(msg)
    }
}

/// An XSUB socket (RFC 29, SPEC §5.5): a SUB whose subscriptions are
/// messages the application sends (`\x01topic` subscribes, `\x00topic`
/// cancels, counted as [`Sub::subscribe`] and [`Sub::unsubscribe`]); any
/// other message it sends goes to every peer with room (a peer at
/// `sndhwm` misses it). Sends never wait. Receives like SUB.
/// `Send + Sync`.
pub struct XSub {
    base: SocketBase,
    hooks: Arc<SubHooks>,
    pub(crate) sink: Option<Message>,
}

impl XSub {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        let hooks = Arc::new(SubHooks::default());
        XSub {
            base: SocketBase::with_hooks(SocketType::XSub, options, hooks.clone()),
            hooks,
            sink: None,
        }
    }
}

impl Handle for XSub {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Receiver for XSub {
    type Item = Message;

    fn judge(&self, _from: RoutingId, msg: Message) -> Verdict<Message> {
        self.hooks.judge(msg)
    }
}

impl Sender for XSub {
    type Item = Message;

    fn never_waits(&self) -> bool {
        true
    }

    /// A subscription, a cancel or another message upstream (SPEC §5.5).
    fn offer(&self, msg: Message) -> Result<(), (Error, Message)> {
        let core = &self.base.core;
        if let Some((subscribe, topic)) = as_subscription(&msg) {
            return match self.hooks.change(core, subscribe, topic) {
                Ok(()) => Ok(()),
                Err(e) => Err((e, msg)),
            };
        }
        if core.is_closed() {
            return Err((Error::Closed, msg));
        }
        let mut dropped = 0u64;
        let mut gone = Vec::new();
        let mut wakes = Wakes::default();
        for (id, out) in lock(&self.hooks.state).peers() {
            match out.push(msg.clone()) {
                Ok(wake) => wakes.add(wake),
                Err(PushError::Full(_)) => dropped += 1,
                Err(PushError::Closed(_)) => gone.push(id),
            }
        }
        wakes.run();
        for id in gone {
            core.peer_left(id);
        }
        if dropped > 0 {
            core.counters
                .dropped_hwm
                .fetch_add(dropped, Ordering::Relaxed);
        }
        Ok(())
    }
}
