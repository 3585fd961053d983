//! PUB and XPUB (RFC 29, SPEC §5.5): the glue between the socket core and
//! the publisher's bookkeeping (`pattern::subscriptions::Publisher`).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::primitives::{Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::core::{Hooks, SocketCore};
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::driver::pipe::{Pipe, PushError, Wakes};
use crate::error::Error;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::subscriptions::{Publisher, Telling};
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

/// What PUB and XPUB share with the core: subscriptions per peer.
struct PubHooks {
    state: Mutex<Publisher<Arc<Pipe>>>,
}

impl PubHooks {
    fn new(xpub: bool, options: &SocketOptions) -> PubHooks {
        PubHooks {
            state: Mutex::new(Publisher::new(Telling {
                xpub,
                verbose: options.xpub_verbose,
                verboser: options.xpub_verboser,
            })),
        }
    }

    /// Hands `msg` to every peer subscribed to a prefix of its first
    /// frame; a peer at `sndhwm` misses it (SPEC §5.5). With `xpub_nodrop`,
    /// gives it back (`WouldBlock`) unless every matching peer has room.
    fn offer(&self, core: &SocketCore, msg: Message) -> Result<(), (Error, Message)> {
        if core.is_closed() {
            return Err((Error::Closed, msg));
        }
        if core.options.xpub_nodrop {
            return self.offer_all_or_none(core, msg);
        }
        let mut gone = Vec::new();
        let mut dropped = 0u64;
        let mut wakes = Wakes::default();
        lock(&self.state).matching(msg.first(), |id, pipe| match pipe.push(msg.clone()) {
            Ok(wake) => wakes.add(wake),
            Err(PushError::Full(_)) => dropped += 1,
            Err(PushError::Closed(_)) => gone.push(id),
        });
        // The state lock is released: the sleeping readers' hooks run now.
        wakes.run();
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
    /// (`WouldBlock`: one is at `sndhwm`). Only this socket pushes to
    /// these pipes, and only under its state lock, so room checked for
    /// every matching pipe is still there when they are filled; the
    /// readers' hooks run after the lock is released.
    fn offer_all_or_none(&self, core: &SocketCore, msg: Message) -> Result<(), (Error, Message)> {
        let mut wakes = Wakes::default();
        let mut gone = Vec::new();
        {
            let st = lock(&self.state);
            let mut room = true;
            st.matching(msg.first(), |_, pipe| room &= pipe.has_room());
            if !room {
                return Err((Error::WouldBlock, msg));
            }
            st.matching(msg.first(), |id, pipe| match pipe.push_force(msg.clone()) {
                Ok(wake) => wakes.add(wake),
                Err(_) => gone.push(id),
            });
        }
        wakes.run();
        for id in gone {
            core.peer_left(id);
        }
        Ok(())
    }

    fn tell(core: &SocketCore, id: RoutingId, msgs: Vec<Message>) {
        for m in msgs {
            core.deliver(id, m);
        }
    }
}

impl Hooks for PubHooks {
    fn attached(&self, _core: &SocketCore, id: RoutingId, out: &Arc<Pipe>) {
        lock(&self.state).attached(id, out.clone());
    }

    fn connected(&self, core: &SocketCore, id: RoutingId, _identity: Option<&Bytes>) -> bool {
        let cancels = lock(&self.state).connected(id);
        Self::tell(core, id, cancels);
        true
    }

    fn detached(&self, core: &SocketCore, id: RoutingId) {
        let cancels = lock(&self.state).detached(id);
        Self::tell(core, id, cancels);
    }

    fn takes_input(&self) -> bool {
        true
    }

    fn input(&self, core: &SocketCore, id: RoutingId, msg: Message) {
        let told = lock(&self.state).input(id, msg);
        if let Some(m) = told {
            core.deliver(id, m);
        }
    }
}

/// A PUB socket (RFC 29, SPEC §5.5): sends each message to every
/// subscriber with a subscription that is a prefix of the message's first
/// frame. A subscriber whose queue is at `sndhwm` misses the message
/// (counted in `stats().dropped_hwm`); `send` never waits and never fails
/// while the socket is open, with or without subscribers. With
/// `xpub_nodrop` it waits for room instead. Cannot receive. `Send + Sync`.
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
    pub(crate) sink: Option<Message>,
}

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
    pub(crate) sink: Option<Message>,
}

/// The constructor and the sending primitive, the same for PUB and XPUB.
macro_rules! publisher {
    ($name:ident, $xpub:expr) => {
        impl $name {
            /// Creates the socket with the given options (SPEC §7).
            pub fn with_options(options: SocketOptions) -> Self {
                let hooks = Arc::new(PubHooks::new($xpub, &options));
                $name {
                    base: SocketBase::with_hooks(SocketType::$name, options, hooks.clone()),
                    hooks,
                    sink: None,
                }
            }
        }

        impl Handle for $name {
            fn base(&self) -> &SocketBase {
                &self.base
            }

            fn into_base(self) -> SocketBase {
                self.base
            }
        }

        impl Sender for $name {
            type Item = Message;

            fn never_waits(&self) -> bool {
                !self.base.core.options.xpub_nodrop
            }

            fn offer(&self, msg: Message) -> Result<(), (Error, Message)> {
                self.hooks.offer(&self.base.core, msg)
            }
        }
    };
}

publisher!(Pub, false);
publisher!(XPub, true);

impl Receiver for XPub {
    type Item = Message;

    #[inline]
    fn judge(&self, _from: RoutingId, msg: Message) -> Verdict<Message> {
        Some(Ok(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::Sub;
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
        lock(&p.hooks.state).matching(topic, |_, _| n += 1);
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
            wait_until("subscriptions", || lock(&p.hooks.state).len() == 2);
            s.unsubscribe("a").unwrap();
            s.unsubscribe("a").unwrap();
            wait_until("cancel", || matched(&p, b"a") == 0);
            assert_eq!(matched(&p, b"b"), 1);
            drop(s);
            wait_until("departure", || lock(&p.hooks.state).is_empty());
        }
    }
}
