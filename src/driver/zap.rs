//! The driver's ZAP client (RFC 27, SPEC §9.2): one handshake's request to
//! the handler bound at `inproc://zeromq.zap.01`, and its reply.
//!
//! Each request gets its own pair of inproc pipes, offered to the handler's
//! socket as a DEALER would offer them, so a REP or a ROUTER handler serves
//! it and the reply can only be the answer to this request. The pipes are
//! closed once the reply is in (or the handshake gives up), and the handler
//! sees that peer leave.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::driver::inproc::{self, InprocOffer};
use crate::driver::pipe::Pipe;
use crate::message::Message;
use crate::zmtp::security::zap::{ZapOutcome, ZapRequest, ZAP_ENDPOINT};

/// The pipes of one request; closing them on drop tells the handler we
/// left, whether or not it replied.
struct Exchange {
    to_handler: Arc<Pipe>,
    from_handler: Arc<Pipe>,
}

impl Drop for Exchange {
    fn drop(&mut self) {
        self.to_handler.close_writer();
        self.from_handler.close_reader();
    }
}

/// Sends `request` to the ZAP handler and waits for its reply. There is
/// no time limit here: the handshake's own deadline (`handshake_ivl`)
/// bounds the wait for a handler that never reads or never answers.
pub(crate) async fn ask(request: &ZapRequest) -> ZapOutcome {
    let name = ZAP_ENDPOINT.trim_start_matches("inproc://");
    let exchange = Exchange {
        to_handler: Pipe::new(0),
        from_handler: Pipe::new(0),
    };
    let offer = InprocOffer::detached(exchange.to_handler.clone(), exchange.from_handler.clone());
    if inproc::offer_now(name, offer).is_err() {
        return ZapOutcome::NoHandler;
    }
    let arrived = Arc::new(Notify::new());
    let hook = arrived.clone();
    exchange
        .from_handler
        .set_reader(Some(Arc::new(move || hook.notify_one())));
    let msg = Message::from_frames(request.to_frames());
    match exchange.to_handler.push(msg) {
        Ok(wake) => wake.run(),
        // The handler's socket closed between the offer and the push.
        Err(_) => return ZapOutcome::HandlerClosed,
    }
    loop {
        let mut reply = None;
        let drained = exchange
            .from_handler
            .drain_into(1, |m| reply = Some(m.into_frames()));
        if let Some(frames) = reply {
            return ZapOutcome::Reply(frames);
        }
        if drained.done {
            return ZapOutcome::HandlerClosed;
        }
        // A push after `sleep` runs the hook, whose permit `notified`
        // finds even if it came first.
        if !exchange.from_handler.sleep() {
            arrived.notified().await;
        }
    }
}
