//! The state every socket type shares: its peers and their pipes, the
//! fair-queue of peers with input, endpoints, tasks and closing
//! (SPEC §6).

use crate::driver::direct_read::DirectReads;
use crate::driver::inproc::{self, InprocOffer};
use crate::driver::monitor::{Monitor, MonitorHub, SocketEvent};
use crate::driver::pipe::{Hook, Pipe, PushError};
use crate::driver::{blocking, connect, listen, runtime};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::pattern::{FairQueue, IdMap, LoadBalance, RoutingId, RoutingIdAllocator, Take};
use crate::zmtp::SocketType;
use bytes::Bytes;
use event_listener::Event;
use oxmq_transports::{Endpoint, Listener};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;
use tokio::task::AbortHandle;

/// Most messages a receiver takes from one peer per turn (SPEC §5.2).
const RECV_TURN: usize = 64;

use crate::driver::lock;

/// What a filtering receiver decides about one message: `None` drops it
/// and keeps receiving, `Some(r)` ends the call with `r`.
pub(crate) type Verdict<T> = Option<Result<T>>;

/// How a peer came to be, which decides what happens when its far end
/// goes away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PeerKind {
    /// Created by `connect`: the pipes outlive connections, so messages
    /// queued while disconnected go out on the next connection.
    Persistent,
    /// Accepted by a listener or an inproc bind: removed when it leaves.
    Transient,
}

struct PeerEntry {
    out: Arc<Pipe>,
    inp: Arc<Pipe>,
    kind: PeerKind,
}

struct Peers {
    by_id: IdMap<PeerEntry>,
    outlets: LoadBalance<(RoutingId, Arc<Pipe>)>,
    ids: RoutingIdAllocator,
}

enum BoundKind {
    /// The accept task, and its handle to wait for the listener's release.
    Listener(u64, tokio::task::JoinHandle<()>),
    Inproc(oxmq_transports::BindingId),
}

struct Bound {
    given: String,
    resolved: String,
    kind: BoundKind,
}

struct Connected {
    given: String,
    task: u64,
    peer: RoutingId,
}

#[derive(Default)]
struct Endpoints {
    bound: Vec<Bound>,
    connected: Vec<Connected>,
}

/// Counters kept per socket (SPEC §6.7).
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) dropped_multipart: AtomicU64,
    /// Messages a PUB, XPUB or ROUTER dropped because a peer's queue was
    /// at `sndhwm` (SPEC §5.5).
    pub(crate) dropped_hwm: AtomicU64,
    /// Messages a socket dropped because no peer could take them (ROUTER
    /// to an unknown identity, REP to a departed requester) (SPEC §5).
    pub(crate) dropped_unroutable: AtomicU64,
    /// Messages and bytes the socket took from its peers (SPEC §6.7).
    pub(crate) msgs_in: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    /// Messages and bytes queued to peers that have since left.
    departed_out: AtomicU64,
    departed_out_bytes: AtomicU64,
}

/// A peer's queues, as `stats()` reports them (SPEC §6.7).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerQueues {
    /// The peer.
    pub routing_id: RoutingId,
    /// Messages queued for sending to it.
    pub queued_out: usize,
    /// Messages received from it and not yet taken by the application.
    pub queued_in: usize,
}

impl Counters {
    fn departed(&self, out: &Pipe) {
        let (m, b) = out.pushed();
        self.departed_out.fetch_add(m, Ordering::Relaxed);
        self.departed_out_bytes.fetch_add(b, Ordering::Relaxed);
    }
}

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

/// An event that knows how many tasks or threads listen to it, so that
/// telling nobody costs one atomic load instead of a fence and a lock: a
/// receiver that finds its socket's queue non-empty after a take tells the
/// next receiver on every message, and there usually is none.
#[derive(Default)]
struct WaitQueue {
    event: Event,
    listening: AtomicUsize,
}

/// A registered listener of a [`WaitQueue`]; unregisters when dropped.
struct Waiting<'a> {
    queue: &'a WaitQueue,
    listener: event_listener::EventListener,
}

impl WaitQueue {
    /// Wakes up to `n` listeners. Callers change the state the listeners
    /// check under a lock the listeners also take, before calling this.
    fn notify(&self, n: usize) {
        if self.listening.load(Ordering::SeqCst) > 0 {
            self.event.notify(n);
        }
    }

    /// Registers a listener. Check the state again (under its lock) after
    /// this and before waiting.
    fn listen(&self) -> Waiting<'_> {
        self.listening.fetch_add(1, Ordering::SeqCst);
        Waiting {
            queue: self,
            listener: self.event.listen(),
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.queue.listening.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Waiting<'_> {
    async fn wait(mut self) {
        (&mut self.listener).await;
    }
}

pub(crate) struct SocketCore {
    pub(crate) kind: SocketType,
    pub(crate) options: SocketOptions,
    hooks: Arc<dyn Hooks>,
    me: Weak<SocketCore>,
    peers: Mutex<Peers>,
    ready: Mutex<FairQueue<(RoutingId, Arc<Pipe>)>>,
    /// Messages already taken from the pipes, in turn order: receivers
    /// take a batch from one peer's pipe under one lock, then serve
    /// themselves from here without touching the pipes (SPEC §5.2).
    received: Mutex<VecDeque<(RoutingId, Message)>>,
    recv_event: WaitQueue,
    send_event: Event,
    endpoints: Mutex<Endpoints>,
    /// Running tasks, each with the listener endpoint that accepted its
    /// connection, if any (unbind stops those too).
    tasks: Mutex<HashMap<u64, (Option<String>, AbortHandle)>>,
    next_task: AtomicU64,
    tasks_done: Event,
    closed: AtomicBool,
    pub(crate) monitor: MonitorHub,
    pub(crate) counters: Counters,
    /// The tcp/ipc connections a blocking receiver may read itself
    /// (SPEC §6.1).
    pub(crate) direct: DirectReads,
}

impl SocketCore {
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
            peers: Mutex::new(Peers {
                by_id: IdMap::default(),
                outlets: LoadBalance::new(),
                ids: RoutingIdAllocator::new(rand::random()),
            }),
            ready: Mutex::new(FairQueue::new()),
            received: Mutex::new(VecDeque::new()),
            recv_event: WaitQueue::default(),
            send_event: Event::new(),
            endpoints: Mutex::new(Endpoints::default()),
            tasks: Mutex::new(HashMap::new()),
            next_task: AtomicU64::new(0),
            tasks_done: Event::new(),
            closed: AtomicBool::new(false),
            monitor: MonitorHub::default(),
            counters: Counters::default(),
            direct: DirectReads::default(),
        })
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    // ----- peers ---------------------------------------------------------

    /// Adds a peer with its two pipes and installs this socket's hooks on
    /// them. `out` carries messages to the peer, `inp` from it.
    pub(crate) fn attach(&self, out: Arc<Pipe>, inp: Arc<Pipe>, kind: PeerKind) -> RoutingId {
        let id = self.add_peer(&out, &inp, kind);
        self.listen_to(id, out, inp);
        id
    }

    /// [`attach`](Self::attach) for a peer whose connection is already up
    /// (an inproc connector joining): the socket type accepts or refuses it
    /// ([`Hooks::connected`]) before any of its messages can be received.
    /// `None`: refused (the peer is removed again).
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
        let id = {
            let mut peers = lock(&self.peers);
            let Peers { by_id, ids, .. } = &mut *peers;
            let id = ids.allocate(|id| by_id.contains_key(&id));
            peers.by_id.insert(
                id,
                PeerEntry {
                    out: out.clone(),
                    inp: inp.clone(),
                    kind,
                },
            );
            peers.outlets.push((id, out.clone()));
            id
        };
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
                } else {
                    core.schedule(id, pipe);
                }
            }
        });
        if inp.set_reader(Some(hook.clone())) {
            hook();
        }
        if self.is_closed() {
            // Raced with close(), which may have listed the peers before
            // this one was added: close its socket-side ends the same way.
            out.close_writer();
            inp.close_reader();
        }
        self.send_event.notify(usize::MAX);
    }

    /// The hook writers install: wakes every sender waiting for room.
    pub(crate) fn send_hook(&self) -> Hook {
        let me = self.me.clone();
        Arc::new(move || {
            if let Some(core) = me.upgrade() {
                core.send_event.notify(usize::MAX);
            }
        })
    }

    fn schedule(&self, id: RoutingId, pipe: Arc<Pipe>) {
        lock(&self.ready).schedule((id, pipe));
        self.recv_event.notify(1);
        self.direct.ring();
    }

    /// Hands everything queued in a peer's inbound pipe to the socket
    /// type's [`Hooks::input`] (outside the pipe's lock), until it is empty.
    fn hand_input(&self, id: RoutingId, pipe: &Pipe) {
        let mut taken = Vec::new();
        loop {
            let d = pipe.drain_into(RECV_TURN, |m| taken.push(m));
            self.count_in(&taken);
            for m in taken.drain(..) {
                self.hooks.input(self, id, m);
            }
            if d.done {
                self.peer_left(id);
                return;
            }
            if !d.more {
                return;
            }
        }
    }

    /// Queues a message for `recv` as if it came from peer `id` (XPUB
    /// hands subscriptions to the application this way).
    pub(crate) fn deliver(&self, id: RoutingId, msg: Message) {
        lock(&self.received).push_back((id, msg));
        self.recv_event.notify(1);
        self.direct.ring();
    }

    /// Removes a peer; its queued outbound messages are dropped.
    pub(crate) fn detach(&self, id: RoutingId) {
        let entry = {
            let mut peers = lock(&self.peers);
            peers.outlets.remove_where(|(i, _)| *i == id);
            peers.by_id.remove(&id)
        };
        if let Some(e) = entry {
            e.out.close_writer();
            e.inp.close_reader();
            self.counters.departed(&e.out);
            self.hooks.detached(self, id);
        }
        self.send_event.notify(usize::MAX);
    }

    /// Removes a peer from routing without touching its pipes: what it sent
    /// before leaving stays readable (its engine closed the pipes' far ends).
    pub(crate) fn detach_keep_input(&self, id: RoutingId) {
        let entry = {
            let mut peers = lock(&self.peers);
            peers.outlets.remove_where(|(i, _)| *i == id);
            peers.by_id.remove(&id)
        };
        if let Some(e) = entry {
            self.counters.departed(&e.out);
            self.hooks.detached(self, id);
        }
        self.send_event.notify(usize::MAX);
    }

    /// A connection to the peer whose outbound pipe is `out` is up, and
    /// the peer called itself `identity`: asks the socket type whether it
    /// takes it ([`Hooks::connected`]).
    pub(crate) fn peer_connected(&self, out: &Arc<Pipe>, identity: Option<&Bytes>) -> bool {
        match self.peer_id_of(out) {
            Some(id) => self.hooks.connected(self, id, identity),
            None => false,
        }
    }

    /// Messages and bytes queued to peers so far, and each attached
    /// peer's queue lengths (SPEC §6.7).
    pub(crate) fn traffic(&self) -> (u64, u64, Vec<PeerQueues>) {
        let peers = lock(&self.peers);
        let mut msgs = self.counters.departed_out.load(Ordering::Relaxed);
        let mut bytes = self.counters.departed_out_bytes.load(Ordering::Relaxed);
        let mut queues = Vec::with_capacity(peers.by_id.len());
        for (id, e) in &peers.by_id {
            let (m, b) = e.out.pushed();
            msgs += m;
            bytes += b;
            queues.push(PeerQueues {
                routing_id: *id,
                queued_out: e.out.len(),
                queued_in: e.inp.len(),
            });
        }
        queues.sort_by_key(|q| q.routing_id.get());
        (msgs, bytes, queues)
    }

    fn count_in(&self, msgs: &[Message]) {
        if !msgs.is_empty() {
            let bytes: usize = msgs.iter().map(Message::byte_len).sum();
            self.counters
                .msgs_in
                .fetch_add(msgs.len() as u64, Ordering::Relaxed);
            self.counters
                .bytes_in
                .fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }

    /// The id of the peer whose outbound pipe is `out`.
    pub(crate) fn peer_id_of(&self, out: &Arc<Pipe>) -> Option<RoutingId> {
        lock(&self.peers)
            .by_id
            .iter()
            .find(|(_, e)| Arc::ptr_eq(&e.out, out))
            .map(|(id, _)| *id)
    }

    /// A listener for the event fired whenever room appears in an outbound
    /// pipe, a peer arrives or leaves, or the socket closes.
    pub(crate) fn send_listener(&self) -> event_listener::EventListener {
        self.send_event.listen()
    }

    // ----- receiving -----------------------------------------------------

    /// Takes the next message, fair-queued over peers (SPEC §5.2).
    pub(crate) fn try_recv(&self) -> Result<(RoutingId, Message)> {
        let mut received = lock(&self.received);
        if received.is_empty() {
            self.refill(&mut received);
        }
        match received.pop_front() {
            Some(v) => {
                if !received.is_empty() {
                    // Another receiver may be waiting for what is left.
                    self.recv_event.notify(1);
                }
                Ok(v)
            }
            None if self.is_closed() => Err(Error::Closed),
            None => Err(Error::WouldBlock),
        }
    }

    /// Takes a turn's worth of messages from the next peer with input.
    fn refill(&self, received: &mut VecDeque<(RoutingId, Message)>) {
        let mut departed = Vec::new();
        let mut bytes = 0usize;
        let mut taken = 0usize;
        {
            let mut ready = lock(&self.ready);
            ready.take(|(id, pipe)| {
                let d = pipe.drain_into(RECV_TURN, |m| {
                    bytes += m.byte_len();
                    received.push_back((*id, m));
                });
                taken += d.taken;
                if d.done {
                    departed.push(*id);
                }
                if d.taken > 0 {
                    Take::Item {
                        value: (),
                        more: d.more,
                    }
                } else {
                    Take::Empty
                }
            });
            if !ready.is_empty() {
                self.recv_event.notify(1);
            }
        }
        if taken > 0 {
            self.counters
                .msgs_in
                .fetch_add(taken as u64, Ordering::Relaxed);
            self.counters
                .bytes_in
                .fetch_add(bytes as u64, Ordering::Relaxed);
        }
        for id in departed {
            self.peer_left(id);
        }
    }

    /// A peer's inbound pipe was closed by its writer.
    pub(crate) fn peer_left(&self, id: RoutingId) {
        let transient = lock(&self.peers)
            .by_id
            .get(&id)
            .is_some_and(|e| e.kind == PeerKind::Transient);
        if transient {
            self.detach(id);
        }
    }

    /// Receives until `judge` keeps a message, without waiting
    /// (`WouldBlock` once nothing is queued). Socket types that drop some
    /// messages (SUB's filter, REQ's stale replies) receive this way.
    pub(crate) fn try_recv_where<T>(
        &self,
        mut judge: impl FnMut(RoutingId, Message) -> Verdict<T>,
    ) -> Result<T> {
        loop {
            let (id, m) = self.try_recv()?;
            if let Some(r) = judge(id, m) {
                return r;
            }
        }
    }

    /// Receives until `judge` keeps a message (cancel-safe: every message
    /// taken is judged before the next await).
    pub(crate) async fn recv_where<T>(
        &self,
        mut judge: impl FnMut(RoutingId, Message) -> Verdict<T>,
    ) -> Result<T> {
        loop {
            let (id, m) = self.recv().await?;
            if let Some(r) = judge(id, m) {
                return r;
            }
        }
    }

    /// Receives on a plain thread until `judge` keeps a message;
    /// `rcvtimeo` bounds the whole call, dropped messages included.
    pub(crate) fn blocking_recv_where<T>(
        &self,
        mut judge: impl FnMut(RoutingId, Message) -> Verdict<T>,
    ) -> Result<T> {
        let timeout = self.options.rcvtimeo;
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let r = match self.try_recv() {
                Err(Error::WouldBlock) => {
                    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    match self.direct.recv(self, left) {
                        Some(r) => r,
                        None => blocking(self.recv(), left),
                    }
                }
                r => r,
            };
            match r {
                Ok((id, m)) => {
                    if let Some(r) = judge(id, m) {
                        return r;
                    }
                }
                Err(Error::Timeout { .. }) => {
                    return Err(Error::Timeout {
                        after: timeout.unwrap_or_default(),
                    })
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits for a message (cancel-safe: a dropped call takes nothing).
    pub(crate) async fn recv(&self) -> Result<(RoutingId, Message)> {
        loop {
            match self.try_recv() {
                Err(Error::WouldBlock) => {}
                r => return r,
            }
            let waiting = self.recv_event.listen();
            match self.try_recv() {
                Err(Error::WouldBlock) => waiting.wait().await,
                r => return r,
            }
        }
    }

    // ----- sending -------------------------------------------------------

    /// Hands `msg` to the next peer with room, round-robin (SPEC §5.2).
    /// Gives it back when no peer can take it now.
    pub(crate) fn try_send_balanced(&self, msg: Message) -> Result<(), (Error, Message)> {
        self.try_send_balanced_to(msg).map(|_| ())
    }

    /// [`try_send_balanced`](Self::try_send_balanced), telling which peer
    /// took the message (REQ waits for the reply from that one).
    pub(crate) fn try_send_balanced_to(&self, msg: Message) -> Result<RoutingId, (Error, Message)> {
        if self.is_closed() {
            return Err((Error::Closed, msg));
        }
        let mut gone = Vec::new();
        let mut peers = lock(&self.peers);
        let mut chosen = None;
        let r = peers
            .outlets
            .offer(msg, |(id, pipe), m| match pipe.try_push(m) {
                Ok(()) => {
                    chosen = Some(*id);
                    Ok(())
                }
                Err(PushError::Full(m)) => Err(m),
                Err(PushError::Closed(m)) => {
                    gone.push(*id);
                    Err(m)
                }
            });
        drop(peers);
        for id in gone {
            self.peer_left(id);
        }
        match (r, chosen) {
            (Ok(()), Some(id)) => Ok(id),
            (Err(m), _) => Err((Error::WouldBlock, m)),
            (Ok(()), None) => unreachable!("an outlet took the message"),
        }
    }

    /// Sends to one peer (SERVER). Unknown or departed ids fail with
    /// `HostUnreachable`; a full peer gives the message back.
    pub(crate) fn try_send_to(&self, id: RoutingId, msg: Message) -> Result<(), (Error, Message)> {
        if self.is_closed() {
            return Err((Error::Closed, msg));
        }
        let r = match lock(&self.peers).by_id.get(&id) {
            None => return Err((Error::HostUnreachable { routing_id: id }, msg)),
            Some(e) => e.out.try_push(msg),
        };
        match r {
            Ok(()) => Ok(()),
            Err(PushError::Full(m)) => Err((Error::WouldBlock, m)),
            Err(PushError::Closed(m)) => {
                self.peer_left(id);
                Err((Error::HostUnreachable { routing_id: id }, m))
            }
        }
    }

    /// Retries `attempt` until it takes the message, waiting for room
    /// between tries (cancel-safe: if dropped, the message was not sent).
    pub(crate) async fn send_with(
        &self,
        mut msg: Message,
        attempt: impl Fn(&Self, Message) -> Result<(), (Error, Message)>,
    ) -> Result<()> {
        loop {
            match attempt(self, msg) {
                Ok(()) => return Ok(()),
                Err((Error::WouldBlock, m)) => msg = m,
                Err((e, _)) => return Err(e),
            }
            let listener = self.send_event.listen();
            match attempt(self, msg) {
                Ok(()) => return Ok(()),
                Err((Error::WouldBlock, m)) => msg = m,
                Err((e, _)) => return Err(e),
            }
            listener.await;
        }
    }

    /// Blocking send for plain threads (SPEC §6.3): tries at once, and only
    /// if that would block waits (at most `sndtimeo`) via [`send_with`].
    ///
    /// [`send_with`]: Self::send_with
    #[inline]
    pub(crate) fn blocking_send_with(
        &self,
        msg: Message,
        attempt: impl Fn(&Self, Message) -> Result<(), (Error, Message)>,
    ) -> Result<()> {
        match attempt(self, msg) {
            Err((Error::WouldBlock, m)) => {
                blocking(self.send_with(m, attempt), self.options.sndtimeo)
            }
            r => r.map_err(|(e, _)| e),
        }
    }

    /// Blocking receive for plain threads (SPEC §6.3): tries at once, and
    /// only if nothing is queued waits (at most `rcvtimeo`).
    #[inline]
    pub(crate) fn blocking_recv(&self) -> Result<(RoutingId, Message)> {
        match self.try_recv() {
            Err(Error::WouldBlock) => match self.direct.recv(self, self.options.rcvtimeo) {
                Some(r) => r,
                None => blocking(self.recv(), self.options.rcvtimeo),
            },
            r => r,
        }
    }

    // ----- tasks ---------------------------------------------------------

    /// Spawns a task on the I/O runtime that the socket stops on close.
    pub(crate) fn spawn(self: &Arc<Self>, fut: impl Future<Output = ()> + Send + 'static) -> u64 {
        self.spawn_tagged(None, fut).0
    }

    /// Spawns a task serving a connection accepted on `listener`; unbinding
    /// that endpoint stops it.
    pub(crate) fn spawn_tagged(
        self: &Arc<Self>,
        listener: Option<String>,
        fut: impl Future<Output = ()> + Send + 'static,
    ) -> (u64, tokio::task::JoinHandle<()>) {
        let mut tasks = lock(&self.tasks);
        let id = self.next_task.fetch_add(1, Ordering::Relaxed);
        let me = self.clone();
        let h = runtime::handle().spawn(async move {
            fut.await;
            me.task_finished(id);
        });
        tasks.insert(id, (listener, h.abort_handle()));
        (id, h)
    }

    fn task_finished(&self, id: u64) {
        lock(&self.tasks).remove(&id);
        self.notify_if_idle();
    }

    /// Wakes a lingering close once no task is left.
    fn notify_if_idle(&self) {
        if lock(&self.tasks).is_empty() {
            self.tasks_done.notify(usize::MAX);
        }
    }

    fn abort_task(&self, id: u64) {
        let removed = lock(&self.tasks).remove(&id);
        if let Some((_, h)) = removed {
            h.abort();
        }
        self.notify_if_idle();
    }

    /// Stops the connections accepted on `listener`.
    fn abort_accepted(&self, listener: &str) {
        let stopped: Vec<AbortHandle> = {
            let mut tasks = lock(&self.tasks);
            let ids: Vec<u64> = tasks
                .iter()
                .filter(|(_, (tag, _))| tag.as_deref() == Some(listener))
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| tasks.remove(&id))
                .map(|(_, h)| h)
                .collect()
        };
        for h in stopped {
            h.abort();
        }
        self.notify_if_idle();
    }

    // ----- endpoints -----------------------------------------------------

    /// Binds `endpoint` (SPEC §4). Returns the resolved endpoint.
    pub(crate) fn bind(self: &Arc<Self>, endpoint: &str) -> Result<String> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let ep: Endpoint = endpoint.parse()?;
        let bound = self.bind_endpoint(endpoint, &ep);
        if let Err(Error::Bind { source, .. }) = &bound {
            self.monitor.emit(SocketEvent::BindFailed {
                endpoint: endpoint.to_string(),
                error: source.to_string(),
            });
        }
        let (resolved, kind) = bound?;
        lock(&self.endpoints).bound.push(Bound {
            given: endpoint.to_string(),
            resolved: resolved.clone(),
            kind,
        });
        self.monitor.emit(SocketEvent::Listening {
            endpoint: resolved.clone(),
        });
        Ok(resolved)
    }

    fn bind_endpoint(
        self: &Arc<Self>,
        endpoint: &str,
        ep: &Endpoint,
    ) -> Result<(String, BoundKind)> {
        Ok(match ep {
            Endpoint::Inproc(name) => {
                let id = inproc::bind(self, name).map_err(|source| Error::Bind {
                    endpoint: endpoint.to_string(),
                    source,
                })?;
                (ep.to_string(), BoundKind::Inproc(id))
            }
            _ => {
                let listener = {
                    let _guard = runtime::handle().enter();
                    Listener::bind(ep).map_err(|source| Error::Bind {
                        endpoint: endpoint.to_string(),
                        source,
                    })?
                };
                let resolved = listener.local_endpoint().to_string();
                let (task, handle) = self.spawn_tagged(
                    None,
                    listen::accept_loop(self.clone(), listener, resolved.clone()),
                );
                (resolved, BoundKind::Listener(task, handle))
            }
        })
    }

    /// Stops listening on an endpoint bound before (given either as passed
    /// to `bind` or as resolved) and closes the connections it accepted.
    pub(crate) fn unbind(&self, endpoint: &str) -> Result<()> {
        let b = {
            let mut eps = lock(&self.endpoints);
            let i = eps
                .bound
                .iter()
                .position(|b| b.given == endpoint || b.resolved == endpoint)
                .ok_or_else(|| Error::NotBound {
                    endpoint: endpoint.to_string(),
                })?;
            eps.bound.remove(i)
        };
        self.stop_bound(b);
        Ok(())
    }

    fn stop_bound(&self, b: Bound) {
        match b.kind {
            BoundKind::Listener(task, handle) => {
                self.abort_task(task);
                // Wait (briefly: the abort lands at the task's next await)
                // until the listener is dropped, so the port or ipc path is
                // free when unbind returns.
                runtime::block_on(handle, Some(std::time::Duration::from_secs(5)));
                if !self.is_closed() {
                    // unbind (not close, which lets them flush): drop the
                    // connections this endpoint accepted, as libzmq does.
                    self.abort_accepted(&b.resolved);
                }
            }
            BoundKind::Inproc(id) => {
                if let Endpoint::Inproc(name) = b
                    .resolved
                    .parse()
                    .unwrap_or(Endpoint::Inproc(String::new()))
                {
                    inproc::unbind(&name, id);
                }
                // (tcp and ipc report Closed from the accept task once the
                // listener is dropped.)
                self.monitor.emit(SocketEvent::Closed {
                    endpoint: b.resolved,
                });
            }
        }
    }

    /// Connects to `endpoint` (SPEC §4, §6.4). Returns at once: the
    /// connection is made, and remade after failures, in the background;
    /// messages sent meanwhile queue on the new peer (up to `sndhwm`).
    pub(crate) fn connect(self: &Arc<Self>, endpoint: &str) -> Result<()> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let ep: Endpoint = endpoint.parse()?;
        let out = Pipe::new(self.options.sndhwm);
        let inp = Pipe::new(self.options.rcvhwm);
        let peer = self.attach(out.clone(), inp.clone(), PeerKind::Persistent);
        let task = match ep {
            Endpoint::Inproc(name) => {
                let offer = InprocOffer::new(self, out, inp);
                self.spawn(inproc::connect_loop(self.clone(), name, offer))
            }
            ep => self.spawn(connect::connect_loop(
                self.clone(),
                ep,
                endpoint.to_string(),
                out,
                inp,
            )),
        };
        lock(&self.endpoints).connected.push(Connected {
            given: endpoint.to_string(),
            task,
            peer,
        });
        Ok(())
    }

    /// Stops connecting to an endpoint and drops its peer with any
    /// messages still queued for it.
    pub(crate) fn disconnect(&self, endpoint: &str) -> Result<()> {
        let c = {
            let mut eps = lock(&self.endpoints);
            let i = eps
                .connected
                .iter()
                .position(|c| c.given == endpoint)
                .ok_or_else(|| Error::NotConnected {
                    endpoint: endpoint.to_string(),
                })?;
            eps.connected.remove(i)
        };
        self.abort_task(c.task);
        self.detach(c.peer);
        Ok(())
    }

    /// Creates a new monitor for this socket's events.
    pub(crate) fn monitor(&self) -> Monitor {
        self.monitor.subscribe()
    }

    // ----- closing -------------------------------------------------------

    /// Closes the socket (SPEC §6.5): listeners stop at once; queued
    /// outbound messages keep flowing for up to `linger`; then every task
    /// is stopped. Returns a future that completes when all tasks ended.
    pub(crate) fn close(self: &Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        if first {
            let eps = std::mem::take(&mut *lock(&self.endpoints));
            for b in eps.bound {
                self.stop_bound(b);
            }
            let peers: Vec<(Arc<Pipe>, Arc<Pipe>)> = lock(&self.peers)
                .by_id
                .values()
                .map(|e| (e.out.clone(), e.inp.clone()))
                .collect();
            for (out, inp) in peers {
                // Nothing more is sent or received; what is queued out
                // drains to connected peers (the engines finish after it).
                out.close_writer();
                inp.close_reader();
            }
            self.recv_event.notify(usize::MAX);
            self.send_event.notify(usize::MAX);
            self.direct.ring();
        }
        let me = self.clone();
        let deadline = self.options.linger.map(|l| Instant::now() + l);
        async move {
            loop {
                let listener = me.tasks_done.listen();
                if lock(&me.tasks).is_empty() {
                    break;
                }
                match deadline {
                    None => listener.await,
                    Some(d) => {
                        if tokio::time::timeout_at(d.into(), listener).await.is_err() {
                            break;
                        }
                    }
                }
            }
            let rest: Vec<AbortHandle> = lock(&me.tasks).drain().map(|(_, (_, h))| h).collect();
            for h in rest {
                h.abort();
            }
            // Drop whatever could not be delivered in time.
            let peers: Vec<RoutingId> = lock(&me.peers).by_id.keys().copied().collect();
            for id in peers {
                me.detach_keep_input(id);
            }
            me.monitor.finish();
        }
    }

    /// Called when the user's handle is dropped: closes and lets the
    /// lingering finish in the background.
    pub(crate) fn close_in_background(self: &Arc<Self>) {
        let fut = self.close();
        runtime::handle().spawn(fut);
    }
}
