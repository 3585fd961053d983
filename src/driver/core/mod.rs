//! The socket core: the state every socket type shares (SPEC §6), split
//! by responsibility.
//!
//! * [`registry`]: the peers and their pipes ([`PeerTable`]);
//! * `peers`: adding and removing peers, the socket-type [`Hooks`], and
//!   [`Port`], the narrow interface through which connections (engines,
//!   inproc joins) see their socket;
//! * [`inbound`] and `receive`: the fair queue of peers with input, the
//!   received queue, waiting receivers, filtered receives;
//! * `outbound`: balanced and addressed sends, and waiting for room;
//! * [`stats`]: the counters.
//!
//! Endpoints, tasks and closing (the lifecycle) are `driver::lifecycle`,
//! above the connections.

pub(crate) mod inbound;
pub(crate) mod outbound;
mod peers;
pub(crate) mod receive;
pub(crate) mod registry;
pub(crate) mod resume;
pub(crate) mod stats;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;

use crate::driver::direct::DirectReads;
use crate::driver::lock;
use crate::driver::monitor::MonitorHub;
use crate::driver::pipe::Pipe;
use crate::driver::tasks::Tasks;
use crate::driver::wait::Room;
use crate::message::Message;
use crate::options::SocketOptions;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;
use inbound::Inbound;
use registry::PeerTable;
use resume::{ParkedPeer, Resumptions};
use stats::{Counters, SocketStats};

/// What a socket type adds to the shared core: it hears about peers as
/// they come and go, may refuse a connection, and may take its peers'
/// input itself instead of having it queued for `recv` (PUB and XPUB
/// read subscriptions this way). Every method has a do-nothing default.
/// Hooks run on whatever thread caused the event (an I/O thread, or an
/// application thread for inproc), never under a core or pipe lock.
pub(crate) trait Hooks: Send + Sync + 'static {
    /// A peer was added: at `connect` for a connecting socket (before any
    /// connection exists), after the handshake for an accepted one, at
    /// join for an inproc binder. `out` carries messages to it.
    fn attached(&self, _core: &SocketCore, _id: RoutingId, _out: &Arc<Pipe>) {}
    /// A connection to the peer is up (every time, for a connecting
    /// socket's peer that reconnects), with the peer's `Identity`
    /// property. Returning false refuses it: the connection is closed.
    fn connected(&self, _core: &SocketCore, _id: RoutingId, _identity: Option<&Bytes>) -> bool {
        true
    }
    /// The peer was removed; its pipes are closed.
    fn detached(&self, _core: &SocketCore, _id: RoutingId) {}
    /// Whether the socket takes its peers' input itself through
    /// [`input`](Self::input) rather than queueing it for `recv`.
    fn takes_input(&self) -> bool {
        false
    }
    /// A message from a peer, when [`takes_input`](Self::takes_input).
    fn input(&self, _core: &SocketCore, _id: RoutingId, _msg: Message) {}
}

/// The hooks of socket types that need none.
struct NoHooks;
impl Hooks for NoHooks {}

/// What a connection sees of its socket: the one interface engines and
/// inproc joins use (SPEC §6.1). A connection attaches a peer (or serves
/// one `connect` made), asks the socket type to accept it, hands messages
/// over through the peer's inbound pipe, takes them from its outbound
/// pipe (whose writer hook tells the socket about room), and detaches.
pub(crate) trait Port: Send + Sync {
    /// The socket's type.
    fn kind(&self) -> SocketType;
    /// The socket's options.
    fn options(&self) -> &SocketOptions;
    /// Where connection events go.
    fn monitor(&self) -> &MonitorHub;
    /// The socket's counters.
    fn counters(&self) -> &Counters;
    /// The connections a blocking receiver may read itself.
    fn direct(&self) -> &DirectReads;
    /// Adds a peer served by a new connection; its input is received from
    /// now on. `out` carries messages to it, `inp` from it.
    fn attach(&self, out: Arc<Pipe>, inp: Arc<Pipe>) -> RoutingId;
    /// A connection to the peer whose outbound pipe is `out` is up, and
    /// the peer called itself `identity`: whether the socket type takes
    /// it.
    fn connected(&self, out: &Arc<Pipe>, identity: Option<&Bytes>) -> bool;
    /// The connection serving peer `id` (attached with
    /// [`attach`](Self::attach)) ended: the peer leaves routing; what it
    /// sent before stays readable.
    fn detach(&self, id: RoutingId);
    /// Whether the socket is closing.
    fn is_closed(&self) -> bool;
    /// The accepting side's resumable sessions (SPEC §3.7).
    fn resumptions(&self) -> &Resumptions;
    /// Keeps a peer whose connection (claim `turn` of session `key`) ended
    /// resumable, for `resume_ivl` (SPEC §3.7).
    fn park(&self, key: crate::zmtp::resume::SessionId, turn: u64, peer: ParkedPeer);
}

/// The state every socket type shares. See the module documentation.
pub(crate) struct SocketCore {
    pub(crate) kind: SocketType,
    pub(crate) options: SocketOptions,
    hooks: Arc<dyn Hooks>,
    me: Weak<SocketCore>,
    peers: Mutex<PeerTable>,
    pub(crate) inbound: Inbound,
    /// Fired when room appears in an outbound pipe, a peer arrives or
    /// leaves, or the socket closes: what waiting senders wait for.
    room: Room,
    closed: AtomicBool,
    pub(crate) monitor: MonitorHub,
    pub(crate) counters: Counters,
    pub(crate) tasks: Tasks,
    resumptions: Resumptions,
}

impl SocketCore {
    /// A core for a socket type that needs no hooks.
    pub(crate) fn new(kind: SocketType, options: SocketOptions) -> Arc<SocketCore> {
        Self::with_hooks(kind, options, Arc::new(NoHooks))
    }

    /// A core whose socket type follows its peers through `hooks`.
    pub(crate) fn with_hooks(
        kind: SocketType,
        options: SocketOptions,
        hooks: Arc<dyn Hooks>,
    ) -> Arc<SocketCore> {
        Arc::new_cyclic(|me| SocketCore {
            kind,
            options,
            hooks,
            me: me.clone(),
            peers: Mutex::new(PeerTable::new(rand::random())),
            inbound: Inbound::default(),
            room: Room::default(),
            closed: AtomicBool::new(false),
            monitor: MonitorHub::default(),
            counters: Counters::default(),
            tasks: Tasks::default(),
            resumptions: Resumptions::default(),
        })
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The counters now (SPEC §6.7).
    pub(crate) fn stats(&self) -> SocketStats {
        let (out, peers) = lock(&self.peers).traffic();
        self.counters.snapshot(out, peers)
    }

    /// The first step of closing (SPEC §6.5): from now on the socket is
    /// closed. False if it was closed already.
    pub(crate) fn mark_closed(&self) -> bool {
        !self.closed.swap(true, Ordering::AcqRel)
    }

    /// The second step of closing, once its endpoints are released:
    /// nothing more is sent or received, and every waiter is woken. What
    /// is queued out keeps draining to connected peers.
    pub(crate) fn shut(&self) {
        let pipes = lock(&self.peers).pipes();
        for (out, inp) in pipes {
            out.close_writer();
            inp.close_reader();
        }
        self.inbound.wake_all();
        self.room.notify();
    }

    /// The last step of closing: every peer is dropped with whatever could
    /// not be delivered, and monitors end.
    pub(crate) fn finish(&self) {
        drop(self.resumptions.take_parked());
        let ids = lock(&self.peers).ids();
        for id in ids {
            self.detach_keep_input(id);
        }
        self.monitor.finish();
    }
}
