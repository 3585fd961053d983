//! ROUTER (RFC 28, SPEC §5.7): the glue between the socket core and the
//! identity table (`pattern::identity`).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::primitives::{Handle, Receiver, Sender};
use crate::driver::core::receive::Verdict;
use crate::driver::core::{Hooks, SocketCore};
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::error::Error;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::identity::IdentityTable;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

struct RouterHooks {
    ids: Mutex<IdentityTable>,
}

impl Hooks for RouterHooks {
    fn connected(&self, _core: &SocketCore, id: RoutingId, identity: Option<&Bytes>) -> bool {
        lock(&self.ids).identify(id, identity)
    }

    fn detached(&self, _core: &SocketCore, id: RoutingId) {
        lock(&self.ids).depart(id);
    }
}

/// A ROUTER socket (RFC 28, SPEC §5.7): talks to REQ, DEALER and ROUTER
/// peers, addressing each by its identity. `recv` returns the sender's
/// identity as the first frame, then the peer's frames; `send` takes the
/// destination identity as the first frame, then the frames to send. A
/// peer's identity is the `routing_id` it announced in its handshake, or,
/// if none, a 5-byte one the socket makes (a zero byte, then 4 bytes). A
/// peer announcing an identity another connected peer has is refused.
///
/// By default `send` never waits: a message for an unknown identity is
/// dropped (counted in `dropped_unroutable`), one for a peer at `sndhwm`
/// too (counted in `dropped_hwm`). With `router_mandatory`, the first
/// fails with [`Error::UnknownIdentity`] and the second waits (or fails
/// with `WouldBlock` from `try_send`). A message of a single frame (an
/// identity and nothing to send) is dropped as unroutable, as in libzmq.
/// `Send + Sync`.
///
/// ```
/// # use oxmq::{Dealer, Router, Message, SocketOptions};
/// # use bytes::Bytes;
/// let router = Router::new();
/// let ep = router.bind("inproc://doc-router").unwrap();
/// let dealer = Dealer::with_options(SocketOptions::default().routing_id(Some("d1".into())));
/// dealer.connect(&ep).unwrap();
/// dealer.blocking_send("hello").unwrap();
/// let msg = router.blocking_recv().unwrap();
/// assert_eq!(msg.frames(), &["d1", "hello"]);
/// router.blocking_send(vec![Bytes::from("d1"), Bytes::from("world")]).unwrap();
/// assert_eq!(dealer.blocking_recv().unwrap(), Message::from("world"));
/// ```
pub struct Router {
    base: SocketBase,
    hooks: Arc<RouterHooks>,
    pub(crate) sink: Option<Message>,
}

impl Router {
    /// Creates the socket with the given options (SPEC §7):
    /// `router_mandatory` and `routing_id` apply (SPEC §5.7).
    pub fn with_options(options: SocketOptions) -> Self {
        let hooks = Arc::new(RouterHooks {
            ids: Mutex::new(IdentityTable::new(rand::random())),
        });
        Router {
            base: SocketBase::with_hooks(SocketType::Router, options, hooks.clone()),
            hooks,
            sink: None,
        }
    }
}

impl Handle for Router {
    fn base(&self) -> &SocketBase {
        &self.base
    }

    fn into_base(self) -> SocketBase {
        self.base
    }
}

impl Sender for Router {
    type Item = Message;

    fn never_waits(&self) -> bool {
        !self.base.core.options.router_mandatory
    }

    /// One try at routing `msg`, identity first (SPEC §5.7).
    fn offer(&self, msg: Message) -> Result<(), (Error, Message)> {
        let core = &self.base.core;
        let mandatory = core.options.router_mandatory;
        let counters = &core.counters;
        let mut frames = msg.into_frames();
        if frames.len() < 2 {
            counters.dropped_unroutable.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let identity = frames.remove(0);
        let with_identity = |frames: Vec<Bytes>, identity: Bytes| {
            let mut m = Message::from_frames(frames);
            m.push_front(identity);
            m
        };
        let unroutable = |identity: Bytes, frames: Vec<Bytes>| {
            if mandatory {
                let m = with_identity(frames, identity.clone());
                Err((Error::UnknownIdentity { identity }, m))
            } else {
                counters.dropped_unroutable.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        };
        let Some(peer) = lock(&self.hooks.ids).route(&identity) else {
            return unroutable(identity, frames);
        };
        match core.try_send_to(peer, Message::from_frames(frames)) {
            Ok(()) => Ok(()),
            Err((Error::WouldBlock, m)) if mandatory => {
                Err((Error::WouldBlock, with_identity(m.into_frames(), identity)))
            }
            Err((Error::WouldBlock, _)) => {
                counters.dropped_hwm.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err((Error::HostUnreachable { .. }, m)) => unroutable(identity, m.into_frames()),
            Err((e, m)) => Err((e, with_identity(m.into_frames(), identity))),
        }
    }
}

impl Receiver for Router {
    type Item = Message;

    /// Prefixes a received message with its sender's identity. Every peer
    /// is identified before its first message can be received (the engine
    /// and the inproc join ask the socket type first); a message of an
    /// unknown sender could only come from a refused peer and is dropped.
    fn judge(&self, from: RoutingId, mut msg: Message) -> Verdict<Message> {
        let identity = lock(&self.hooks.ids).identity_of(from)?.clone();
        msg.push_front(identity);
        Some(Ok(msg))
    }
}
