//! The pipes a connection serves, attached to its socket for as long as
//! the connection lives and released when it ends, also when its task is
//! aborted (SPEC §6.4, §6.6).

use std::sync::{Arc, Mutex, MutexGuard};

use super::connection::Connection;
use crate::driver::core::resume::ParkedPeer;
use crate::driver::core::Port;
use crate::driver::direct::DirectSource;
use crate::driver::monitor::{DisconnectReason, SocketEvent};
use crate::driver::pipe::Pipe;
use crate::routing_id::RoutingId;
use crate::zmtp::resume::{ResumeState, SessionId};

/// A connecting endpoint's record of its resumable session, kept between
/// its connections (SPEC §3.7).
pub(crate) type ResumeSlot = Mutex<Option<ResumeState>>;

/// Locks a [`ResumeSlot`].
pub(crate) fn lock_slot(slot: &ResumeSlot) -> MutexGuard<'_, Option<ResumeState>> {
    slot.lock().unwrap_or_else(|e| e.into_inner())
}

/// The accepting side's claim on the session a connection serves.
pub(super) struct Resumed {
    pub(super) key: SessionId,
    pub(super) turn: u64,
    /// The listener's endpoint.
    pub(super) endpoint: String,
}

/// Which pipes a connection serves.
pub(crate) enum Attach {
    /// A connection accepted by a listener: a new peer is created after the
    /// handshake and removed when the connection ends.
    Accepted,
    /// A connection made by `connect`: it serves the endpoint's lasting
    /// pipes; messages it could not write go back for the next connection,
    /// and the session's record to `resume`.
    Persistent {
        out: Arc<Pipe>,
        inp: Arc<Pipe>,
        resume: Arc<ResumeSlot>,
    },
}

/// A connection's hold on its socket. Dropping it detaches the
/// connection: no sending thread takes messages for it any more, what it
/// took but did not write goes back to a lasting pipe, an accepted peer
/// leaves routing, and `Disconnected` is reported.
pub(super) struct Binding {
    pub(super) port: Arc<dyn Port>,
    pub(super) out: Arc<Pipe>,
    pub(super) inp: Arc<Pipe>,
    /// The accepted peer's id; `None` for a connected endpoint's pipes.
    accepted: Option<RoutingId>,
    /// Endpoint and peer to report `Disconnected` for.
    pub(super) report: Option<(String, String)>,
    pub(super) reason: DisconnectReason,
    /// The connection, once it serves the pipes.
    pub(super) conn: Option<Arc<Connection>>,
    /// Registered for direct reads.
    direct: Option<Arc<dyn DirectSource>>,
    /// A connecting endpoint's record of its session.
    slot: Option<Arc<ResumeSlot>>,
    /// The accepting side's claim on the peer's session.
    resumed: Option<Resumed>,
}

impl Binding {
    /// Attaches the connection's pipes: a new peer for an accepted
    /// connection (or the detached one, `parked`, whose session it
    /// resumes), the endpoint's own for a connected one.
    pub(super) fn new(
        port: Arc<dyn Port>,
        attach: Attach,
        parked: Option<(RoutingId, Arc<Pipe>, Arc<Pipe>)>,
        resumed: Option<Resumed>,
    ) -> Binding {
        let mut slot = None;
        let (out, inp, accepted) = match (attach, parked) {
            (Attach::Accepted, Some((id, out, inp))) => (out, inp, Some(id)),
            (Attach::Accepted, None) => {
                let out = Pipe::new(port.options().sndhwm);
                let inp = Pipe::new(port.options().rcvhwm);
                let id = port.attach(out.clone(), inp.clone());
                (out, inp, Some(id))
            }
            (Attach::Persistent { out, inp, resume }, _) => {
                slot = Some(resume);
                (out, inp, None)
            }
        };
        Binding {
            port,
            out,
            inp,
            accepted,
            report: None,
            reason: DisconnectReason::SocketClosed,
            conn: None,
            direct: None,
            slot,
            resumed,
        }
    }

    /// Lets blocking receivers read the connection themselves.
    pub(super) fn register_direct(&mut self, conn: &Arc<Connection>) {
        let s: Arc<dyn DirectSource> = conn.clone();
        self.port.direct().register(s.clone());
        self.direct = Some(s);
    }
}

impl Drop for Binding {
    fn drop(&mut self) {
        if let Some(s) = self.direct.take() {
            self.port.direct().unregister(&s);
        }
        // No sending thread may take messages for this connection from now
        // on; what was taken but not written is handed back below.
        self.out.set_reader(None);
        // Our own end (close, disconnect, unbind): the session ends too.
        let ours = self.reason == DisconnectReason::SocketClosed;
        let (mut unsent, state) = match &self.conn {
            Some(conn) => {
                if ours {
                    conn.farewell();
                }
                let mut st = conn.lock();
                st.closed = true;
                let counters = self.port.counters();
                let (sent, received) = st.session.ack_counts();
                use std::sync::atomic::Ordering::Relaxed;
                counters.acks_sent.fetch_add(sent, Relaxed);
                counters.acks_received.fetch_add(received, Relaxed);
                let state = st.session.take_resume();
                st.sealed = state.is_some();
                (st.session.take_unsent(), state)
            }
            None => Default::default(),
        };
        let resumed = self.resumed.take();
        match (self.accepted, resumed, state) {
            (Some(id), Some(r), Some(state)) if !ours && !self.port.is_closed() => {
                // The session may resume: the peer stays, with its routing
                // id and queues, for `resume_ivl` (SPEC §3.7).
                self.out.unpop(&mut unsent);
                self.inp.set_writer(None);
                let peer = ParkedPeer {
                    id,
                    out: self.out.clone(),
                    inp: self.inp.clone(),
                    state,
                    endpoint: r.endpoint,
                };
                self.port.park(r.key, r.turn, peer);
            }
            (Some(id), resumed, _) => {
                if let Some(r) = resumed {
                    self.port.resumptions().release(r.key, r.turn);
                }
                // The peer is gone: later sends to its id fail, and what it
                // sent before leaving can still be received.
                self.out.close_reader();
                self.inp.close_writer();
                self.port.detach(id);
            }
            (None, _, state) => {
                // Whatever did not reach the kernel goes out on the next
                // connection, in order; what was sent and not acknowledged
                // goes before it (SPEC §3.7).
                self.out.unpop(&mut unsent);
                self.inp.set_writer(None);
                if let Some(slot) = &self.slot {
                    *lock_slot(slot) = state;
                }
            }
        }
        if let Some((endpoint, peer)) = self.report.take() {
            self.port.monitor().emit(SocketEvent::Disconnected {
                endpoint,
                peer,
                reason: self.reason.clone(),
            });
        }
    }
}
