//! ROUTER (RFC 28, SPEC §5.7).

use crate::driver::core::receive::Verdict;
use crate::driver::core::{Hooks, SocketCore};
use crate::driver::lifecycle::SocketBase;
use crate::driver::lock;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// How many departed peers keep their identity for messages of theirs
/// still queued for `recv` (SPEC §5.7).
const DEPARTED_KEPT: usize = 1024;

/// The identities of the peers, both ways.
struct Identities {
    /// Connected peers by identity: where `send` routes.
    by_identity: HashMap<Bytes, RoutingId>,
    /// Every connected peer's identity (and whether the socket generated
    /// it), plus those of recently departed peers, for `recv`.
    by_id: HashMap<RoutingId, (Bytes, bool)>,
    departed: VecDeque<RoutingId>,
    next_generated: u32,
}

impl Identities {
    /// Drops what is known about peer `id`.
    fn forget(&mut self, id: RoutingId) {
        if let Some((identity, _)) = self.by_id.remove(&id) {
            if self.by_identity.get(&identity) == Some(&id) {
                self.by_identity.remove(&identity);
            }
        }
    }

    fn insert(&mut self, id: RoutingId, identity: Bytes, generated: bool) {
        self.by_identity.insert(identity.clone(), id);
        self.by_id.insert(id, (identity, generated));
    }

    /// A new identity for a peer that announced none: a zero byte and a
    /// 32-bit number, as libzmq makes them, unique in the socket.
    fn generate(&mut self) -> Bytes {
        loop {
            let n = self.next_generated;
            self.next_generated = n.wrapping_add(1);
            let mut raw = [0u8; 5];
            raw[1..].copy_from_slice(&n.to_be_bytes());
            let identity = Bytes::copy_from_slice(&raw);
            if !self.by_identity.contains_key(&identity) {
                return identity;
            }
        }
    }
}

struct RouterHooks {
    ids: Mutex<Identities>,
}

impl Hooks for RouterHooks {
    fn connected(&self, _core: &SocketCore, id: RoutingId, identity: Option<&Bytes>) -> bool {
        self.identify(id, identity)
    }

    fn detached(&self, _core: &SocketCore, id: RoutingId) {
        self.depart(id);
    }
}

impl RouterHooks {
    /// Records the identity of peer `id`; false to refuse it.
    fn identify(&self, id: RoutingId, identity: Option<&Bytes>) -> bool {
        let mut ids = lock(&self.ids);
        match identity.filter(|i| !i.is_empty()) {
            Some(identity) => match ids.by_identity.get(identity) {
                Some(&owner) if owner == id => true,
                Some(_) => {
                    // Another connected peer has it: refuse this one, as
                    // libzmq does without ROUTER_HANDOVER.
                    ids.forget(id);
                    false
                }
                None => {
                    ids.forget(id);
                    ids.insert(id, identity.clone(), false);
                    true
                }
            },
            None => {
                if matches!(ids.by_id.get(&id), Some((_, true))) {
                    // A reconnection of a peer we named already.
                    return true;
                }
                ids.forget(id);
                let generated = ids.generate();
                ids.insert(id, generated, true);
                true
            }
        }
    }

    fn depart(&self, id: RoutingId) {
        let mut ids = lock(&self.ids);
        let Some((identity, _)) = ids.by_id.get(&id).cloned() else {
            return;
        };
        if ids.by_identity.get(&identity) == Some(&id) {
            ids.by_identity.remove(&identity);
        }
        ids.departed.push_back(id);
        if ids.departed.len() > DEPARTED_KEPT {
            if let Some(old) = ids.departed.pop_front() {
                ids.by_id.remove(&old);
            }
        }
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
}

socket_common!(Router, SocketType::Router, custom_constructor);

impl Router {
    /// Creates the socket with the given options (SPEC §7):
    /// `router_mandatory` and `routing_id` apply (SPEC §5.7).
    pub fn with_options(options: crate::options::SocketOptions) -> Self {
        let hooks = Arc::new(RouterHooks {
            ids: Mutex::new(Identities {
                by_identity: HashMap::new(),
                by_id: HashMap::new(),
                departed: VecDeque::new(),
                next_generated: rand::random(),
            }),
        });
        Router {
            base: SocketBase::with_hooks(SocketType::Router, options, hooks.clone()),
            hooks,
        }
    }

    /// One try at routing `msg` (identity first) (SPEC §5.7).
    fn route(&self, core: &SocketCore, msg: Message) -> Result<(), (Error, Message)> {
        let mandatory = core.options.router_mandatory;
        let mut frames = msg.into_frames();
        if frames.len() < 2 {
            core.counters
                .dropped_unroutable
                .fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let identity = frames.remove(0);
        let peer = lock(&self.hooks.ids).by_identity.get(&identity).copied();
        let unroutable = |identity: Bytes, frames: Vec<Bytes>| {
            if mandatory {
                let mut m = Message::from_frames(frames);
                m.push_front(identity.clone());
                Err((Error::UnknownIdentity { identity }, m))
            } else {
                core.counters
                    .dropped_unroutable
                    .fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        };
        let Some(peer) = peer else {
            return unroutable(identity, frames);
        };
        match core.try_send_to(peer, Message::from_frames(frames)) {
            Ok(()) => Ok(()),
            Err((Error::WouldBlock, mut m)) => {
                if mandatory {
                    m.push_front(identity);
                    Err((Error::WouldBlock, m))
                } else {
                    core.counters.dropped_hwm.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
            }
            Err((Error::HostUnreachable { .. }, m)) => unroutable(identity, m.into_frames()),
            Err((e, mut m)) => {
                m.push_front(identity);
                Err((e, m))
            }
        }
    }

    /// Sends `msg`: its first frame is the destination identity, the rest
    /// is sent (SPEC §5.7). Waits only with `router_mandatory` and the
    /// peer at `sndhwm`; cancel-safe. Errors: [`Error::UnknownIdentity`]
    /// (with `router_mandatory`), [`Error::Closed`].
    pub async fn send(&self, msg: impl Into<Message>) -> Result<()> {
        self.base
            .core
            .send_with(msg.into(), |c, m| self.route(c, m))
            .await
            .map_err(|(e, _)| e)
    }

    /// Sends without waiting: with `router_mandatory`,
    /// [`Error::WouldBlock`] when the peer is at `sndhwm`.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.route(&self.base.core, msg.into()).map_err(|(e, _)| e)
    }

    /// Blocking form of [`send`](Self::send), waiting at most `sndtimeo`.
    pub fn blocking_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.base
            .core
            .blocking_send_with(msg.into(), |c, m| self.route(c, m))
            .map_err(|(e, _)| e)
    }

    /// Prefixes a received message with its sender's identity. Every
    /// peer is identified before its first message can be received (the
    /// engine and the inproc join ask the socket type first); a message
    /// of an unknown sender could only come from a refused peer and is
    /// dropped.
    fn judge(&self, id: RoutingId, mut msg: Message) -> Verdict<Message> {
        let identity = lock(&self.hooks.ids).by_id.get(&id)?.0.clone();
        msg.push_front(identity);
        Some(Ok(msg))
    }

    /// Receives the next message, fair-queued over peers, as
    /// `[identity][frames...]` (SPEC §5.7). Cancel-safe. Errors:
    /// [`Error::Closed`].
    pub async fn recv(&self) -> Result<Message> {
        self.base.core.recv_where(|id, m| self.judge(id, m)).await
    }

    /// Receives without waiting: [`Error::WouldBlock`] when none is queued.
    pub fn try_recv(&self) -> Result<Message> {
        self.base.core.try_recv_where(|id, m| self.judge(id, m))
    }

    /// Blocking form of [`recv`](Self::recv), waiting at most `rcvtimeo`.
    pub fn blocking_recv(&self) -> Result<Message> {
        self.base
            .core
            .blocking_recv_where(|id, m| self.judge(id, m))
    }
}
