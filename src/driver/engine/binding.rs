//! The pipes a connection serves, attached to its socket for as long as
//! the connection lives and released when it ends, also when its task is
//! aborted (SPEC §6.4, §6.6).

use std::sync::Arc;

use super::connection::Connection;
use crate::driver::core::Port;
use crate::driver::direct::DirectSource;
use crate::driver::monitor::{DisconnectReason, SocketEvent};
use crate::driver::pipe::Pipe;
use crate::routing_id::RoutingId;

/// Which pipes a connection serves.
pub(crate) enum Attach {
    /// A connection accepted by a listener: a new peer is created after the
    /// handshake and removed when the connection ends.
    Accepted,
    /// A connection made by `connect`: it serves the endpoint's lasting
    /// pipes; messages it could not write go back for the next connection.
    Persistent { out: Arc<Pipe>, inp: Arc<Pipe> },
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
}

impl Binding {
    /// Attaches the connection's pipes: a new peer for an accepted
    /// connection, the endpoint's own for a connected one.
    pub(super) fn new(port: Arc<dyn Port>, attach: Attach) -> Binding {
        let (out, inp, accepted) = match attach {
            Attach::Accepted => {
                let out = Pipe::new(port.options().sndhwm);
                let inp = Pipe::new(port.options().rcvhwm);
                let id = port.attach(out.clone(), inp.clone());
                (out, inp, Some(id))
            }
            Attach::Persistent { out, inp } => (out, inp, None),
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
        let mut unsent = match &self.conn {
            Some(conn) => {
                let mut st = conn.lock();
                st.closed = true;
                st.session.take_unsent()
            }
            None => Default::default(),
        };
        match self.accepted {
            Some(id) => {
                // The peer is gone: later sends to its id fail, and what it
                // sent before leaving can still be received.
                self.out.close_reader();
                self.inp.close_writer();
                self.port.detach(id);
            }
            None => {
                // Whatever did not reach the kernel goes out on the next
                // connection, in order.
                self.out.unpop(&mut unsent);
                self.inp.set_writer(None);
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
