//! PUB and XPUB (RFC 29, SPEC §5.5).

use crate::driver::core::{Hooks, SocketCore};
use crate::driver::lifecycle::SocketBase;
use crate::driver::pipe::{Pipe, PushError};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::{IdMap, SubscriptionTrie};
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use crate::driver::lock;

/// A subscription or cancel message: `\x01topic` / `\x00topic`
/// (SPEC §5.5).
pub(crate) fn subscription_message(subscribe: bool, topic: &[u8]) -> Message {
    let mut v = Vec::with_capacity(topic.len() + 1);
    v.push(u8::from(subscribe));
    v.extend_from_slice(topic);
    Message::from(v)
}

/// If `msg` is a single frame starting with 1 (subscribe) or 0 (cancel),
/// the flag and the topic (SPEC §5.5).
pub(crate) fn as_subscription(msg: &Message) -> Option<(bool, &[u8])> {
    match msg.frames() {
        [f] => match f.first() {
            Some(1) => Some((true, &f[1..])),
            Some(0) => Some((false, &f[1..])),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Default)]
struct PubState {
    trie: SubscriptionTrie<RoutingId>,
    /// Each attached peer's outbound pipe: sending takes no core lock.
    pipes: IdMap<Arc<Pipe>>,
    /// Peers that had a connection already (a later one is a reconnection).
    seen: HashSet<RoutingId>,
}

/// The state PUB and XPUB share with the driver: subscriptions per peer.
struct PubHooks {
    xpub: bool,
    state: Mutex<PubState>,
}

impl PubHooks {
    fn new(xpub: bool) -> Self {
        PubHooks {
            xpub,
            state: Mutex::new(PubState::default()),
        }
    }

    /// Hands `msg` to every peer subscribed to a prefix of its first
    /// frame; a peer at `sndhwm` misses it (SPEC §5.5). Never waits.
    fn publish(&self, core: &SocketCore, msg: Message) -> Result<()> {
        self.offer(core, msg).map_err(|(e, _)| e)
    }

    /// [`publish`](Self::publish), or with `xpub_nodrop`, hands the message
    /// back (`WouldBlock`) unless every matching peer has room.
    fn offer(&self, core: &SocketCore, msg: Message) -> Result<(), (Error, Message)> {
        if core.is_closed() {
            return Err((Error::Closed, msg));
        }
        let mut gone = Vec::new();
        let mut dropped = 0u64;
        if core.options.xpub_nodrop {
            return self.offer_all_or_none(core, msg);
        }
        {
            let st = lock(&self.state);
            st.trie.matches(msg.first(), |id| {
                if let Some(pipe) = st.pipes.get(&id) {
                    match pipe.try_push(msg.clone()) {
                        Ok(()) => {}
                        Err(PushError::Full(_)) => dropped += 1,
                        Err(PushError::Closed(_)) => gone.push(id),
                    }
                }
            });
        }
        if dropped > 0 {
            core.counters
                .dropped_hwm
                .fetch_add(dropped, Ordering::Relaxed);
        }
        for id in gone {
            core.peer_left(id);
        }
        Ok(())
    }

    /// `xpub_nodrop`: every matching peer gets the message, or none does
    /// (`WouldBlock`: one is at `sndhwm`). The matching pipes are locked
    /// together (only this socket pushes to them, and only under its state
    /// lock, so no other thread holds two of them), checked, then filled;
    /// the readers' hooks run after every lock is released.
    fn offer_all_or_none(&self, core: &SocketCore, msg: Message) -> Result<(), (Error, Message)> {
        let mut hooks = Vec::new();
        let mut gone = Vec::new();
        {
            let st = lock(&self.state);
            let mut guards = Vec::new();
            st.trie.matches(msg.first(), |id| {
                if let Some(pipe) = st.pipes.get(&id) {
                    guards.push((id, pipe.lock_for_push()));
                }
            });
            if guards.iter_mut().any(|(_, g)| !g.has_room()) {
                return Err((Error::WouldBlock, msg));
            }
            for (id, g) in &mut guards {
                match g.push(msg.clone()) {
                    Ok(hook) => hooks.extend(hook),
                    Err(PushError::Closed(_)) => gone.push(*id),
                    // Checked above, under the same locks.
                    Err(PushError::Full(_)) => {}
                }
            }
        }
        for h in hooks {
            h();
        }
        for id in gone {
            core.peer_left(id);
        }
        Ok(())
    }

    /// Forgets a peer's subscriptions; an XPUB hands the application a
    /// cancel for each topic no peer has any more (every topic of the
    /// peer with `xpub_verboser`).
    fn forget(&self, core: &SocketCore, st: &mut PubState, id: RoutingId) -> Vec<Message> {
        let verboser = core.options.xpub_verboser;
        let mut cancels = Vec::new();
        st.trie.remove_peer(id, |topic, last| {
            if last || verboser {
                cancels.push(subscription_message(false, topic));
            }
        });
        if self.xpub {
            cancels
        } else {
            Vec::new()
        }
    }

    fn hand_over(&self, core: &SocketCore, id: RoutingId, msgs: Vec<Message>) {
        for m in msgs {
            core.deliver(id, m);
        }
    }
}

impl Hooks for PubHooks {
    fn attached(&self, _core: &SocketCore, id: RoutingId, out: &Arc<Pipe>) {
        lock(&self.state).pipes.insert(id, out.clone());
    }

    fn connected(&self, core: &SocketCore, id: RoutingId, _identity: Option<&Bytes>) -> bool {
        let cancels = {
            let mut st = lock(&self.state);
            if st.seen.insert(id) {
                Vec::new()
            } else {
                // A reconnection (we connected to it): the far end is a new
                // connection, perhaps a new socket, which will send its own
                // subscriptions; the old ones went with the old connection.
                self.forget(core, &mut st, id)
            }
        };
        self.hand_over(core, id, cancels);
        true
    }

    fn detached(&self, core: &SocketCore, id: RoutingId) {
        let cancels = {
            let mut st = lock(&self.state);
            st.pipes.remove(&id);
            st.seen.remove(&id);
            self.forget(core, &mut st, id)
        };
        self.hand_over(core, id, cancels);
    }

    fn takes_input(&self) -> bool {
        true
    }

    fn input(&self, core: &SocketCore, id: RoutingId, msg: Message) {
        let Some((subscribe, topic)) = as_subscription(&msg) else {
            // PUB ignores anything else; XPUB passes it on.
            if self.xpub {
                core.deliver(id, msg);
            }
            return;
        };
        let tell = {
            let mut st = lock(&self.state);
            if !st.pipes.contains_key(&id) {
                // Raced with the peer's removal.
                return;
            }
            let verbose = core.options.xpub_verbose || core.options.xpub_verboser;
            if subscribe {
                st.trie.add(topic, id) || verbose
            } else {
                st.trie.remove(topic, id) || core.options.xpub_verboser
            }
        };
        if tell && self.xpub {
            core.deliver(id, msg);
        }
    }
}

/// The constructor and the three send forms, the same for PUB and XPUB.
macro_rules! publisher_methods {
    ($name:ident, $xpub:expr) => {
        impl $name {
            /// Creates the socket with the given options (SPEC §7).
            pub fn with_options(options: SocketOptions) -> Self {
                let hooks = Arc::new(PubHooks::new($xpub));
                $name {
                    base: SocketBase::with_hooks(SocketType::$name, options, hooks.clone()),
                    hooks,
                }
            }

            /// Publishes a message (one or more frames; matching uses the
            /// first) (SPEC §5.5). Completes at once, unless `xpub_nodrop`
            /// makes it wait for room (cancel-safe). Errors:
            /// [`Error::Closed`].
            pub async fn send(&self, msg: impl Into<Message>) -> Result<()> {
                let core = &self.base.core;
                if !core.options.xpub_nodrop {
                    return self.try_send(msg);
                }
                core.send_with(msg.into(), |c, m| self.hooks.offer(c, m))
                    .await
                    .map_err(|(e, _)| e)
            }

            /// Publishes without waiting: same as [`send`](Self::send).
            /// Fails with `WouldBlock` only with `xpub_nodrop`, when a
            /// matching subscriber is at `sndhwm`.
            pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
                self.hooks.publish(&self.base.core, msg.into())
            }

            /// Same as [`try_send`](Self::try_send), except that with
            /// `xpub_nodrop` it waits (at most `sndtimeo`) for room.
            pub fn blocking_send(&self, msg: impl Into<Message>) -> Result<()> {
                let core = &self.base.core;
                if !core.options.xpub_nodrop {
                    return self.try_send(msg);
                }
                core.blocking_send_with(msg.into(), |c, m| self.hooks.offer(c, m))
                    .map_err(|(e, _)| e)
            }
        }
    };
}

/// A PUB socket (RFC 29, SPEC §5.5): sends each message to every
/// subscriber with a subscription that is a prefix of the message's first
/// frame. A subscriber whose queue is at `sndhwm` misses the message
/// (counted in [`stats`](Self::stats)`().dropped_hwm`); `send` never waits
/// and never fails while the socket is open, with or without subscribers.
/// Cannot receive. `Send + Sync`.
///
/// ```
/// # use oxmq::{Pub, Sub};
/// let publisher = Pub::new();
/// publisher.bind("inproc://doc-pub").unwrap();
/// let subscriber = Sub::new();
/// subscriber.connect("inproc://doc-pub").unwrap();
/// subscriber.subscribe("weather.").unwrap();
/// // Until the subscription reaches the publisher, this subscriber gets
/// // nothing: publish until a message arrives.
/// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
/// let msg = loop {
///     publisher.blocking_send("news.x").unwrap(); // matches nobody: dropped
///     publisher.blocking_send("weather.paris 21C").unwrap();
///     match subscriber.try_recv() {
///         Ok(m) => break m,
///         Err(_) if std::time::Instant::now() < deadline => std::thread::yield_now(),
///         Err(e) => panic!("{e}"),
///     }
/// };
/// assert_eq!(msg.first(), "weather.paris 21C");
/// ```
pub struct Pub {
    base: SocketBase,
    hooks: Arc<PubHooks>,
}

socket_common!(Pub, SocketType::Pub, custom_constructor);

publisher_methods!(Pub, false);

/// An XPUB socket (RFC 29, SPEC §5.5): a PUB that also hands the
/// application its subscribers' subscriptions (`\x01topic`) and cancels
/// (`\x00topic`), and any other message they send. By default a
/// subscription is passed on only when it is new to the socket (no peer
/// had the topic) and a cancel only when the last peer drops the topic,
/// including by leaving; the `xpub_verbose` option passes on every
/// subscription, `xpub_verboser` every subscription and every cancel.
/// `Send + Sync`.
pub struct XPub {
    base: SocketBase,
    hooks: Arc<PubHooks>,
}

socket_common!(XPub, SocketType::XPub, custom_constructor);

publisher_methods!(XPub, true);

impl XPub {
    /// Receives the next subscription, cancel or other message from a
    /// subscriber (SPEC §5.5). Cancel-safe. Errors: `Closed`.
    pub async fn recv(&self) -> Result<Message> {
        self.base.core.recv().await.map(|(_, m)| m)
    }

    /// Receives without waiting: `WouldBlock` when none is queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.base.core.try_recv().map(|(_, m)| m)
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`.
    pub fn blocking_recv(&self) -> Result<Message> {
        self.base.core.blocking_recv().map(|(_, m)| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sub;
    use std::time::{Duration, Instant};

    fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn matched(p: &Pub, topic: &[u8]) -> usize {
        let mut n = 0;
        lock(&p.hooks.state).trie.matches(topic, |_| n += 1);
        n
    }

    /// The publisher side of a cancel and of a departure: the peer leaves
    /// the trie (a SUB filters locally too, so a test through a SUB could
    /// not tell).
    #[test]
    fn cancels_and_departures_leave_the_trie() {
        for ep in ["inproc://pub-unit-trie", "tcp://127.0.0.1:0"] {
            let p = Pub::new();
            let ep = p.bind(ep).unwrap();
            let s = Sub::new();
            s.connect(&ep).unwrap();
            s.subscribe("a").unwrap();
            s.subscribe("a").unwrap();
            s.subscribe("b").unwrap();
            wait_until("subscriptions", || lock(&p.hooks.state).trie.len() == 2);
            s.unsubscribe("a").unwrap();
            s.unsubscribe("a").unwrap();
            wait_until("cancel", || matched(&p, b"a") == 0);
            assert_eq!(matched(&p, b"b"), 1);
            drop(s);
            wait_until("departure", || {
                let st = lock(&p.hooks.state);
                st.trie.is_empty() && st.pipes.is_empty()
            });
        }
    }
}
