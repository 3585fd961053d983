//! The inproc transport: sockets in one process joined by a pair of pipes,
//! with no task, no encoding and no copy on the message path (SPEC §4.4).

use crate::driver::core::registry::PeerKind;
use crate::driver::core::SocketCore;
use crate::driver::monitor::{DisconnectReason, SocketEvent};
use crate::driver::pipe::Pipe;
use crate::zmtp::{ProtocolError, SocketType};
use oxmq_transports::{BindingId, Delivery, InprocRegistry, PendingId};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Weak};

static REGISTRY: LazyLock<InprocRegistry<InprocOffer>> = LazyLock::new(InprocRegistry::new);

/// What a connecting socket hands to the socket bound at the name: its
/// two pipes and what the binder must know to check and size them.
/// Cloning shares the pipes: the connector offers the same pair again
/// after a binder leaves.
#[derive(Clone)]
pub(crate) struct InprocOffer {
    /// Messages from the connector to the binder.
    to_binder: Arc<Pipe>,
    /// Messages from the binder to the connector.
    from_binder: Arc<Pipe>,
    connector_type: SocketType,
    /// The connector's `routing_id` option (its `Identity`).
    identity: Option<bytes::Bytes>,
    sndhwm: usize,
    rcvhwm: usize,
    connector: Weak<SocketCore>,
    refused: Arc<AtomicBool>,
}

impl InprocOffer {
    pub(crate) fn new(core: &Arc<SocketCore>, out: Arc<Pipe>, inp: Arc<Pipe>) -> InprocOffer {
        InprocOffer {
            to_binder: out,
            from_binder: inp,
            connector_type: core.kind,
            identity: core.options.routing_id.clone(),
            sndhwm: core.options.sndhwm,
            rcvhwm: core.options.rcvhwm,
            connector: Arc::downgrade(core),
            refused: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl InprocOffer {
    /// An offer from no socket: a DEALER's pair of unbounded pipes that
    /// the driver itself reads and writes (its ZAP requests, SPEC §9.2).
    pub(crate) fn detached(to_binder: Arc<Pipe>, from_binder: Arc<Pipe>) -> InprocOffer {
        InprocOffer {
            to_binder,
            from_binder,
            connector_type: SocketType::Dealer,
            identity: None,
            sndhwm: 0,
            rcvhwm: 0,
            connector: Weak::new(),
            refused: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Hands `offer` to the socket bound at `name` now, or gives it back if
/// none is (it is not left waiting for a later bind).
pub(crate) fn offer_now(name: &str, offer: InprocOffer) -> Result<(), InprocOffer> {
    match REGISTRY.connect(name, offer) {
        Delivery::Delivered => Ok(()),
        // Bound meanwhile if the cancel finds nothing: delivered then.
        Delivery::Pending(id) => REGISTRY.cancel(name, id).map_or(Ok(()), Err),
    }
}

/// Joint limit of an inproc pipe: the sender's send mark plus the
/// receiver's receive mark, as in libzmq; 0 (no limit) if either is 0.
fn joint_hwm(snd: usize, rcv: usize) -> usize {
    if snd == 0 || rcv == 0 {
        0
    } else {
        snd.saturating_add(rcv)
    }
}

pub(crate) fn bind(core: &Arc<SocketCore>, name: &str) -> std::io::Result<BindingId> {
    let me = Arc::downgrade(core);
    let endpoint = format!("inproc://{name}");
    REGISTRY.bind(
        name,
        Arc::new(move |offer: InprocOffer| match me.upgrade() {
            Some(core) => accept(&core, offer, &endpoint),
            None => refuse(offer, false),
        }),
    )
}

pub(crate) fn unbind(name: &str, id: BindingId) {
    REGISTRY.unbind(name, id);
}

/// Closes the offered pipes; `for_good` tells the connector not to offer
/// them again (incompatible, or refused by the socket type).
/// A connector turned away for now (the binder is closing) keeps what it
/// queued for the name's next owner; one refused for good loses it.
fn refuse(offer: InprocOffer, for_good: bool) {
    offer.refused.store(for_good, Ordering::Release);
    if for_good {
        offer.to_binder.close_reader();
    } else {
        offer.to_binder.turn_away();
    }
    offer.from_binder.close_writer();
}

fn accept(core: &Arc<SocketCore>, offer: InprocOffer, endpoint: &str) {
    if core.is_closed() {
        return refuse(offer, false);
    }
    if !core.kind.is_compatible_with(offer.connector_type) {
        let error = ProtocolError::IncompatibleSocketType {
            ours: core.kind,
            theirs: offer.connector_type,
        };
        tracing::warn!(%endpoint, %error, "inproc connection refused");
        let reason = DisconnectReason::Protocol(error.clone());
        let event = SocketEvent::HandshakeFailed {
            endpoint: endpoint.to_string(),
            peer: "inproc".to_string(),
            reason,
        };
        core.monitor.emit(event.clone());
        if let Some(c) = offer.connector.upgrade() {
            c.monitor.emit(event);
        }
        return refuse(offer, true);
    }
    offer
        .to_binder
        .set_hwm(joint_hwm(offer.sndhwm, core.options.rcvhwm));
    offer
        .from_binder
        .set_hwm(joint_hwm(core.options.sndhwm, offer.rcvhwm));
    // Both socket types decide before any message can cross: the
    // connector first (nothing reaches it until the binder has attached
    // the peer), then the binder (whose attach installs the input hook
    // only once it has accepted). So a ROUTER always knows the identity of
    // a message's sender, and a PAIR never sees a refused peer's message.
    let taken = offer
        .connector
        .upgrade()
        .is_none_or(|c| c.peer_connected(&offer.to_binder, core.options.routing_id.as_ref()))
        && core
            .attach_connected(
                offer.from_binder.clone(),
                offer.to_binder.clone(),
                PeerKind::Transient,
                offer.identity.as_ref(),
            )
            .is_some();
    if !taken {
        tracing::warn!(%endpoint, "inproc connection refused by the socket type");
        if let Some(id) = core.peer_id_of(&offer.from_binder) {
            core.detach(id);
        }
        return refuse(offer, true);
    }
    let ok = SocketEvent::HandshakeSucceeded {
        endpoint: endpoint.to_string(),
        peer: "inproc".to_string(),
    };
    core.monitor.emit(ok.clone());
    if let Some(c) = offer.connector.upgrade() {
        c.monitor.emit(ok);
    }
}

/// Withdraws a still-pending offer when the connecting side stops.
struct PendingGuard {
    name: String,
    id: Option<PendingId>,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            REGISTRY.cancel(&self.name, id);
        }
    }
}

/// Offers the connector's pipes at `name`, and offers them again whenever
/// the socket bound there goes away, so a later bind of the same name is
/// joined too (SPEC §4.4). Queued messages wait in the pipes meanwhile.
pub(crate) async fn connect_loop(core: Arc<SocketCore>, name: String, offer: InprocOffer) {
    let endpoint = format!("inproc://{name}");
    let mut guard = PendingGuard {
        name: name.clone(),
        id: None,
    };
    loop {
        if core.peer_id_of(&offer.to_binder).is_none() {
            // disconnect() detached our peer: never re-offer its pipes.
            return;
        }
        let to_binder = offer.to_binder.clone();
        let from_binder = offer.from_binder.clone();
        to_binder.reopen();
        from_binder.reopen();
        if core.is_closed() {
            // close() ran before this (re)offer and closed these ends;
            // reopening undid that. Close them again, so the binder sees
            // us leave once it has read what we sent, and offer only if
            // something is left to deliver (SPEC §6.5). Checked after the
            // reopen: close() sets the flag before closing the pipes.
            to_binder.close_writer();
            from_binder.close_reader();
            if to_binder.len() == 0 {
                return;
            }
        }
        guard.id = match REGISTRY.connect(&name, offer.clone()) {
            Delivery::Delivered => None,
            Delivery::Pending(id) => Some(id),
        };
        // Wait until the binder leaves or refuses us, or we close.
        loop {
            let listener = core.room_listener();
            if offer.refused.load(Ordering::Acquire) {
                tracing::warn!(%endpoint, "inproc peer refused the connection; not retrying");
                let id = core.peer_id_of(&offer.to_binder);
                if let Some(id) = id {
                    core.detach(id);
                }
                return;
            }
            if core.is_closed() && (guard.id.is_none() || to_binder.len() == 0) {
                return;
            }
            if to_binder.is_reader_closed() {
                core.monitor.emit(SocketEvent::Disconnected {
                    endpoint: endpoint.clone(),
                    peer: "inproc".to_string(),
                    reason: DisconnectReason::PeerClosed,
                });
                break;
            }
            listener.await;
        }
        guard.id = None;
    }
}
