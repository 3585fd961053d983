//! SUB and XSUB (RFC 29, SPEC §5.5).

use crate::driver::core::{Hooks, SocketCore};
use crate::driver::lifecycle::SocketBase;
use crate::driver::pipe::{Pipe, PushError};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::{IdMap, SubscriptionCounts};
use crate::routing_id::RoutingId;
use crate::socket::publish::{as_subscription, subscription_message};
use crate::zmtp::SocketType;
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use crate::driver::lock;

#[derive(Default)]
struct SubState {
    subs: SubscriptionCounts,
    /// Peers that had a connection already (a later one is a reconnection).
    seen: HashSet<RoutingId>,
    /// Every attached peer's outbound pipe, recorded under this lock when
    /// it was given the subscriptions so far: a change is sent to exactly
    /// the peers that have the state before it, so none gets a
    /// subscription twice.
    pipes: IdMap<Arc<Pipe>>,
}

/// The state SUB and XSUB share with the driver: their own subscriptions,
/// sent to every peer as it comes and again on each reconnection.
#[derive(Default)]
struct SubHooks {
    state: Mutex<SubState>,
    /// The empty prefix is subscribed: every message matches, and the
    /// receive path need not take the lock to check.
    all: std::sync::atomic::AtomicBool,
}

fn push_all(subs: &SubscriptionCounts, out: &Pipe) {
    for topic in subs.prefixes() {
        // A closed pipe: the peer is leaving, nothing to tell it.
        let _ = out.push_force(subscription_message(true, &topic));
    }
}

impl SubHooks {
    /// Counts a subscription (`subscribe`) or a cancel and tells every
    /// peer when it should know: every subscription, a cancel only when
    /// the count reaches 0 (SPEC §5.5). The pushes happen under the state
    /// lock so that subscriptions and cancels reach each peer in the order
    /// they were counted.
    fn change(&self, core: &SocketCore, subscribe: bool, topic: &[u8]) -> Result<()> {
        if core.is_closed() {
            return Err(Error::Closed);
        }
        let mut st = lock(&self.state);
        let tell = if subscribe {
            st.subs.add(topic);
            true
        } else {
            st.subs.remove(topic)
        };
        self.all.store(st.subs.count(b"") > 0, Ordering::Relaxed);
        if tell {
            let msg = subscription_message(subscribe, topic);
            for out in st.pipes.values() {
                let _ = out.push_force(msg.clone());
            }
        }
        Ok(())
    }

    fn accepts(&self, msg: &Message) -> bool {
        self.all.load(Ordering::Relaxed) || lock(&self.state).subs.matches(msg.first())
    }

    /// Keeps a message that matches a current subscription.
    fn judge(&self, m: Message) -> Option<Result<Message>> {
        self.accepts(&m).then_some(Ok(m))
    }

    fn try_recv(&self, core: &SocketCore) -> Result<Message> {
        core.try_recv_where(|_, m| self.judge(m))
    }

    async fn recv(&self, core: &SocketCore) -> Result<Message> {
        core.recv_where(|_, m| self.judge(m)).await
    }

    /// Waits for a matching message at most `rcvtimeo` in all, however
    /// many non-matching ones are skipped meanwhile.
    fn blocking_recv(&self, core: &SocketCore) -> Result<Message> {
        core.blocking_recv_where(|_, m| self.judge(m))
    }
}

impl Hooks for SubHooks {
    fn attached(&self, _core: &SocketCore, id: RoutingId, out: &Arc<Pipe>) {
        let mut st = lock(&self.state);
        push_all(&st.subs, out);
        st.pipes.insert(id, out.clone());
    }

    fn connected(&self, _core: &SocketCore, id: RoutingId, _identity: Option<&Bytes>) -> bool {
        let mut st = lock(&self.state);
        if !st.seen.insert(id) {
            // A reconnection: the publisher may be a new socket, or have
            // forgotten us; send every subscription again (the first
            // connection found them queued by `attached`).
            if let Some(out) = st.pipes.get(&id) {
                push_all(&st.subs, out);
            }
        }
        true
    }

    fn detached(&self, _core: &SocketCore, id: RoutingId) {
        let mut st = lock(&self.state);
        st.seen.remove(&id);
        st.pipes.remove(&id);
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

socket_common!(Sub, SocketType::Sub, custom_constructor);

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

    /// Receives the next message matching a subscription. Cancel-safe.
    /// Errors: `Closed`.
    pub async fn recv(&self) -> Result<Message> {
        self.hooks.recv(&self.base.core).await
    }

    /// Receives without waiting: `WouldBlock` when no matching message is
    /// queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.hooks.try_recv(&self.base.core)
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`
    /// in all.
    pub fn blocking_recv(&self) -> Result<Message> {
        self.hooks.blocking_recv(&self.base.core)
    }
}

/// An XSUB socket (RFC 29, SPEC §5.5): a SUB whose subscriptions are
/// messages the application sends (`\x01topic` subscribes, `\x00topic`
/// cancels, counted as [`Sub::subscribe`] and [`Sub::unsubscribe`]); any
/// other message it sends goes to every peer with room (a peer at
/// `sndhwm` misses it). Receives like SUB. `Send + Sync`.
pub struct XSub {
    base: SocketBase,
    hooks: Arc<SubHooks>,
}

socket_common!(XSub, SocketType::XSub, custom_constructor);

impl XSub {
    /// Creates the socket with the given options (SPEC §7).
    pub fn with_options(options: SocketOptions) -> Self {
        let hooks = Arc::new(SubHooks::default());
        XSub {
            base: SocketBase::with_hooks(SocketType::XSub, options, hooks.clone()),
            hooks,
        }
    }

    /// Sends a subscription, a cancel or another message upstream
    /// (SPEC §5.5). Completes at once. Errors: [`Error::Closed`].
    pub async fn send(&self, msg: impl Into<Message>) -> Result<()> {
        self.try_send(msg)
    }

    /// Same as [`send`](Self::send); never fails with `WouldBlock`.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        let msg = msg.into();
        let core = &self.base.core;
        if let Some((subscribe, topic)) = as_subscription(&msg) {
            return self.hooks.change(core, subscribe, topic);
        }
        if core.is_closed() {
            return Err(Error::Closed);
        }
        let mut dropped = 0u64;
        let mut gone = Vec::new();
        for (id, out) in &lock(&self.hooks.state).pipes {
            match out.try_push(msg.clone()) {
                Ok(()) => {}
                Err(PushError::Full(_)) => dropped += 1,
                Err(PushError::Closed(_)) => gone.push(*id),
            }
        }
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

    /// Same as [`try_send`](Self::try_send).
    pub fn blocking_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.try_send(msg)
    }

    /// Receives the next message matching a subscription. Cancel-safe.
    pub async fn recv(&self) -> Result<Message> {
        self.hooks.recv(&self.base.core).await
    }

    /// Receives without waiting: `WouldBlock` when none is queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.hooks.try_recv(&self.base.core)
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`
    /// in all.
    pub fn blocking_recv(&self) -> Result<Message> {
        self.hooks.blocking_recv(&self.base.core)
    }
}
