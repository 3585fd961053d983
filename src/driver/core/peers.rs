//! Peers coming and going (SPEC §6.1, §6.4): adding a peer with its pipes
//! and hooks, asking the socket type about a connection, removing a peer.

use std::sync::Arc;

use bytes::Bytes;

use super::inbound::RECV_TURN;
use super::registry::PeerKind;
use super::resume::{ParkedPeer, Resumptions};
use super::stats::Counters;
use super::{Port, SocketCore};
use crate::driver::direct::DirectReads;
use crate::driver::lock;
use crate::driver::monitor::{MonitorHub, SocketEvent};
use crate::driver::pipe::{Hook, Pipe};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

impl SocketCore {
    /// Adds a peer with its two pipes and installs this socket's hooks on
    /// them. `out` carries messages to the peer, `inp` from it.
    pub(crate) fn attach(&self, out: Arc<Pipe>, inp: Arc<Pipe>, kind: PeerKind) -> RoutingId {
        let id = self.add_peer(&out, &inp, kind);
        self.listen_to(id, out, inp);
        id
    }

    /// [`attach`](Self::attach) for a peer whose connection is already up
    /// (an inproc connector joining): the socket type accepts or refuses it
    /// ([`super::Hooks::connected`]) before any of its messages can be
    /// received. `None`: refused (the peer is removed again).
    pub(crate) fn attach_connected(
        &self,
        out: Arc<Pipe>,
        inp: Arc<Pipe>,
        kind: PeerKind,
        identity: Option<&Bytes>,
    ) -> Option<RoutingId> {
        let id = self.add_peer(&out, &inp, kind);
        if !self.hooks.connected(self, id, identity) {
            self.detach(id);
            return None;
        }
        self.listen_to(id, out, inp);
        Some(id)
    }

    fn add_peer(&self, out: &Arc<Pipe>, inp: &Arc<Pipe>, kind: PeerKind) -> RoutingId {
        let id = lock(&self.peers).add(out, inp, kind);
        out.set_writer(Some(self.send_hook()));
        self.hooks.attached(self, id, out);
        id
    }

    /// Installs the input hook of peer `id`: from now on its messages are
    /// received (or handed to the socket type).
    fn listen_to(&self, id: RoutingId, out: Arc<Pipe>, inp: Arc<Pipe>) {
        let me = self.me.clone();
        let pipe = Arc::downgrade(&inp);
        let takes_input = self.hooks.takes_input();
        let hook: Hook = Arc::new(move || {
            if let (Some(core), Some(pipe)) = (me.upgrade(), pipe.upgrade()) {
                if takes_input {
                    core.hand_input(id, &pipe);
                } else if pipe.is_done() {
                    // The peer left with nothing unread: remove it now,
                    // not at the next receive, which a socket that never
                    // receives (PUSH, or an idle PULL) would never make.
                    core.peer_left(id);
                    // A connecting socket's pipe may be reopened for the
                    // next peer: sleep until it is used again.
                    if pipe.sleep_after_done() {
                        core.inbound.schedule(id, pipe);
                    }
                } else {
                    core.inbound.schedule(id, pipe);
                }
            }
        });
        if inp.set_reader(Some(hook.clone())) {
            hook();
        }
        if self.is_closed() {
            // Raced with close, which may have listed the peers before
            // this one was added: close its socket-side ends the same way.
            out.close_writer();
            inp.close_reader();
        }
        self.room.notify();
    }

    /// The hook writers install: wakes every sender waiting for room.
    pub(crate) fn send_hook(&self) -> Hook {
        let me = self.me.clone();
        Arc::new(move || {
            if let Some(core) = me.upgrade() {
                core.room.notify();
            }
        })
    }

    /// Hands everything queued in a peer's inbound pipe to the socket
    /// type's [`super::Hooks::input`], until it is empty and the reader
    /// sleeps (the next push runs the hook again).
    fn hand_input(&self, id: RoutingId, pipe: &Pipe) {
        let mut taken = Vec::new();
        loop {
            let d = pipe.drain_into(RECV_TURN, |m| taken.push(m));
            self.counters.taken_all(&taken);
            for m in taken.drain(..) {
                self.hooks.input(self, id, m);
            }
            if d.done {
                self.peer_left(id);
                if pipe.sleep_after_done() {
                    continue;
                }
                return;
            }
            if !d.more && !pipe.sleep() {
                return;
            }
        }
    }

    /// Queues a message for `recv` as if it came from peer `id` (XPUB
    /// hands subscriptions to the application this way).
    pub(crate) fn deliver(&self, id: RoutingId, msg: Message) {
        self.inbound.deliver(id, msg);
    }

    /// Removes a peer; its queued outbound messages are dropped.
    pub(crate) fn detach(&self, id: RoutingId) {
        let entry = lock(&self.peers).remove(id);
        if let Some(e) = entry {
            e.out.close_writer();
            e.inp.close_reader();
            self.counters.departed(&e.out);
            self.hooks.detached(self, id);
        }
        self.room.notify();
    }

    /// Removes a peer from routing without touching its pipes: what it sent
    /// before leaving stays readable (its connection closed the pipes' far
    /// ends).
    pub(crate) fn detach_keep_input(&self, id: RoutingId) {
        let entry = lock(&self.peers).remove(id);
        if let Some(e) = entry {
            self.counters.departed(&e.out);
            self.hooks.detached(self, id);
        }
        self.room.notify();
    }

    /// A peer's inbound pipe was closed by its writer: a peer that goes
    /// away with its connection is removed.
    pub(crate) fn peer_left(&self, id: RoutingId) {
        if lock(&self.peers).is_transient(id) {
            self.detach(id);
        }
    }

    /// A connection to the peer whose outbound pipe is `out` is up, and
    /// the peer called itself `identity`: asks the socket type whether it
    /// takes it ([`super::Hooks::connected`]).
    pub(crate) fn peer_connected(&self, out: &Arc<Pipe>, identity: Option<&Bytes>) -> bool {
        match self.peer_id_of(out) {
            Some(id) => self.hooks.connected(self, id, identity),
            None => false,
        }
    }

    /// Keeps a detached peer for `resume_ivl` (SPEC §3.7), then gives it
    /// up unless its session resumed meanwhile.
    fn park_peer(&self, key: crate::zmtp::resume::SessionId, turn: u64, peer: ParkedPeer) {
        if self.is_closed() {
            return self.give_up(peer, false);
        }
        match self.resumptions.park(key, turn, peer) {
            Ok(()) => {
                let me = self.me.clone();
                let ivl = self.options.resume_ivl;
                crate::driver::runtime::handle().spawn(async move {
                    tokio::time::sleep(ivl).await;
                    if let Some(core) = me.upgrade() {
                        if let Some(p) = core.resumptions.expire(key, turn) {
                            core.give_up(p, true);
                        }
                    }
                });
            }
            Err(peer) => self.give_up(*peer, false),
        }
    }

    /// Drops a detached peer: it leaves routing, what it sent stays
    /// readable, and (`report`) `SessionReset` says how much may be lost.
    fn give_up(&self, p: ParkedPeer, report: bool) {
        let lost = (p.state.unacked.len() + p.out.len()) as u64;
        p.out.close_reader();
        p.inp.close_writer();
        self.detach_keep_input(p.id);
        if report {
            tracing::debug!(endpoint = %p.endpoint, lost, "a detached peer's session expired");
            Counters::count(&self.counters.sessions_reset);
            self.monitor.emit(SocketEvent::SessionReset {
                endpoint: p.endpoint,
                peer: String::new(),
                lost,
            });
        }
    }

    /// The id of the peer whose outbound pipe is `out`.
    pub(crate) fn peer_id_of(&self, out: &Arc<Pipe>) -> Option<RoutingId> {
        lock(&self.peers).id_of(out)
    }
}

impl Port for SocketCore {
    fn kind(&self) -> SocketType {
        self.kind
    }

    fn options(&self) -> &SocketOptions {
        &self.options
    }

    fn monitor(&self) -> &MonitorHub {
        &self.monitor
    }

    fn counters(&self) -> &Counters {
        &self.counters
    }

    fn direct(&self) -> &DirectReads {
        &self.inbound.direct
    }

    fn attach(&self, out: Arc<Pipe>, inp: Arc<Pipe>) -> RoutingId {
        SocketCore::attach(self, out, inp, PeerKind::Transient)
    }

    fn connected(&self, out: &Arc<Pipe>, identity: Option<&Bytes>) -> bool {
        self.peer_connected(out, identity)
    }

    fn detach(&self, id: RoutingId) {
        self.detach_keep_input(id);
    }

    fn is_closed(&self) -> bool {
        SocketCore::is_closed(self)
    }

    fn resumptions(&self) -> &Resumptions {
        &self.resumptions
    }

    fn park(&self, key: crate::zmtp::resume::SessionId, turn: u64, peer: ParkedPeer) {
        self.park_peer(key, turn, peer);
    }
}
