//! One connection's protocol as a pure state machine (SPEC §3, §6.1,
//! §6.8), in the style of quinn-proto's `Connection`: the driver feeds it
//! what happened (`handle_*`: bytes read, end of stream, time passing,
//! messages to send) and takes what it must do (`poll_*`: bytes to write,
//! messages received, events, the next deadline). It never performs I/O
//! and never reads a clock: every input carries the time.
//!
//! A session owns everything ZMTP says about a connection:
//!
//! * the greeting and the security handshake, with the mechanism as a
//!   pluggable part (`super::security`), and the handshake deadline;
//! * after it, the frame transform (`super::transform`), then message
//!   assembly and the receive limits (`inbound`);
//! * commands: PING/PONG and the heartbeat timers (`heartbeat`),
//!   SUBSCRIBE/CANCEL to and from the `\x01topic`/`\x00topic` messages of
//!   ZMTP 3.0, ERROR from the peer;
//! * the multipart rule of CLIENT and SERVER (RFC 41);
//! * encoding, and the record of messages not completely written, which a
//!   connecting socket sends again on its next connection (`outbound`).
//!
//! How a connection ends is decided here, once: [`Session::end`] is set by
//! the first fatal input and stays set, and [`SessionEvent::Closed`]
//! reports it. Messages decoded before it are still handed out.

mod commands;
mod heartbeat;
mod inbound;
mod outbound;
mod resumable;
mod resume;
#[cfg(test)]
mod tests;
mod types;

pub use heartbeat::HeartbeatConfig;
pub use inbound::{subscription_message, Limits};
pub use types::{Resume, SessionConfig, SessionEnd, SessionEvent};

use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::command::Command;
use super::error::ProtocolError;
use super::frame::FrameDecoder;
use super::handshake::{Handshake, HandshakeConfig, HandshakeStatus, PeerInfo};
use super::resume::{wire_len, ResumeOffer, RESUME_PROPERTY};
use super::security::zap::ZapOutcome;
use super::socket_type::SocketType;
use super::transform::Transform;
use crate::message::{Message, Properties};
use heartbeat::{Beat, Heartbeat};
use inbound::{Assembled, Assembler};
use outbound::Outbound;
use resume::Link;

enum Phase {
    Handshake(Box<Handshake>),
    Established {
        /// SUB and XSUB to a ZMTP 3.1 peer: `\x01topic`/`\x00topic`
        /// messages go as SUBSCRIBE/CANCEL commands (SPEC §5.5).
        subs_as_commands: bool,
        heartbeat: Heartbeat,
    },
    Ended,
}

/// One connection's ZMTP state (SPEC §3). See the module documentation.
pub struct Session {
    config: SessionConfig,
    phase: Phase,
    /// Bytes received and not yet decoded.
    inbuf: BytesMut,
    /// Frame decoder; its limit is the handshake's until it is done.
    decoder: FrameDecoder,
    transform: Transform,
    assembler: Assembler,
    /// Decoded messages not yet taken.
    received: VecDeque<Message>,
    outbound: Outbound,
    /// Messages offered before the handshake finished.
    waiting: VecDeque<Message>,
    events: VecDeque<SessionEvent>,
    /// The end; once set, never changed.
    end: Option<SessionEnd>,
    handshake_deadline: Option<Instant>,
    last_received: Option<Instant>,
    /// The properties every received message carries: the peer's, once a
    /// ZAP handler approved it (SPEC §9.2).
    properties: Option<Properties>,
    /// Resumption (SPEC §3.7): the role asked for, then, once both
    /// offered, the relationship's record and the acknowledgement state.
    link: Link,
}

/// The property giving the peer's address on messages from an
/// authenticated peer (libzmq's name) (SPEC §9.2).
pub const PEER_ADDRESS: &str = "Peer-Address";

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("socket_type", &self.config.socket_type)
            .field("established", &self.is_established())
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session starting at `now`: our greeting is queued at once
    /// (SPEC §3.1).
    pub fn new(config: SessionConfig, now: Instant) -> Session {
        Session::with_resume(config, now, Resume::Off)
    }

    /// [`new`](Self::new), offering resumption as `resume` says
    /// (SPEC §3.7).
    pub fn with_resume(config: SessionConfig, now: Instant, resume: Resume) -> Session {
        let mut outbound = Outbound::new(config.keep_unsent);
        let hs_config = HandshakeConfig {
            socket_type: config.socket_type,
            identity: config.identity.clone(),
            security: config.security.clone(),
            peer_address: config.peer_address.clone(),
            zap: config.zap.clone(),
        };
        let mut handshake = None;
        outbound.raw(|out| handshake = Some(Handshake::new(hs_config, out)));
        let mut handshake = handshake.map(Box::new).expect("set by the closure above");
        let link = Link::new(resume, &mut handshake);
        let single_frame = matches!(config.socket_type, SocketType::Client | SocketType::Server);
        Session {
            assembler: Assembler::new(config.limits, single_frame),
            handshake_deadline: config.handshake_timeout.map(|t| now + t),
            phase: Phase::Handshake(handshake),
            inbuf: BytesMut::new(),
            decoder: FrameDecoder::new(Some(super::handshake::HANDSHAKE_MAX_FRAME)),
            transform: Transform::Identity,
            received: VecDeque::new(),
            outbound,
            waiting: VecDeque::new(),
            events: VecDeque::new(),
            end: None,
            last_received: None,
            properties: None,
            link,
            config,
        }
    }

    // ----- inputs --------------------------------------------------------

    /// Bytes read from the transport at `now`.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if self.end.is_some() || bytes.is_empty() {
            return;
        }
        self.inbuf.extend_from_slice(bytes);
        self.received_at(now);
        self.process(now);
    }

    /// The receive buffer, for a transport that reads into it directly (no
    /// copy): read into its spare capacity, then call
    /// [`handle_read`](Self::handle_read).
    pub fn read_buffer(&mut self) -> &mut BytesMut {
        &mut self.inbuf
    }

    /// `n` bytes were read into [`read_buffer`](Self::read_buffer) at `now`.
    pub fn handle_read(&mut self, now: Instant, n: usize) {
        if self.end.is_some() || n == 0 {
            return;
        }
        self.received_at(now);
        self.process(now);
    }

    /// The peer closed its end of the stream at `now`: the session ends
    /// with [`SessionEnd::PeerClosed`] (a partly received message is lost).
    pub fn handle_eof(&mut self, _now: Instant) {
        self.fail(SessionEnd::PeerClosed);
    }

    /// Time has reached `now`: the handshake deadline and the heartbeat
    /// timers act (SPEC §3.2, §6.8). Calling it early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let beat = match &mut self.phase {
            Phase::Ended => return,
            Phase::Handshake(_) => {
                if self.handshake_deadline.is_some_and(|d| now >= d) {
                    self.fail(SessionEnd::HandshakeTimeout);
                }
                return;
            }
            Phase::Established { heartbeat, .. } => heartbeat.on_timeout(now),
        };
        let delivered = self.delivered();
        self.link
            .on_timeout(now, delivered, &mut self.outbound, &mut self.transform);
        match beat {
            Beat::Idle => {}
            Beat::Expired => self.fail(SessionEnd::HeartbeatTimeout),
            Beat::Ping => {
                let ping = Command::Ping {
                    ttl_deciseconds: self.config.heartbeat.ttl_deciseconds(),
                    context: Bytes::new(),
                };
                self.outbound.command(&ping, &mut self.transform);
            }
        }
    }

    /// What became of the [`SessionEvent::ZapRequest`]: the handler's
    /// reply, or no handler (SPEC §9.2). What the peer sent meanwhile is
    /// decoded now. Ignored unless a verdict is awaited.
    pub fn handle_zap(&mut self, now: Instant, outcome: ZapOutcome) {
        let Phase::Handshake(hs) = &mut self.phase else {
            return;
        };
        if self.end.is_some() || !hs.is_authenticating() {
            return;
        }
        let mut status = None;
        let inbuf = &mut self.inbuf;
        self.outbound
            .raw(|out| status = Some(hs.zap_answer(outcome, inbuf, out)));
        if self.after_handshake_step(status, now) {
            self.decode_established(now);
        }
    }

    /// Queues a message to send (SPEC §3.3). Before the handshake is done
    /// it waits, and is encoded once it is; after the end it is kept for
    /// [`take_unsent`](Self::take_unsent).
    pub fn send_message(&mut self, msg: Message) {
        match &self.phase {
            Phase::Established {
                subs_as_commands, ..
            } => {
                let subs = *subs_as_commands;
                self.encode(msg, subs);
            }
            _ => self.waiting.push_back(msg),
        }
    }

    // ----- outputs -------------------------------------------------------

    /// Fills `iov` with the bytes to write next, in order, as many slices
    /// as fit; returns how many were filled (0: nothing to write). After a
    /// write, report how many bytes went with
    /// [`transmitted`](Self::transmitted).
    pub fn poll_transmit<'a>(&'a mut self, iov: &mut [IoSlice<'a>]) -> usize {
        if self.link.is_active() && self.end.is_none() {
            let delivered = self.delivered();
            self.link
                .before_transmit(delivered, &mut self.outbound, &mut self.transform);
        }
        self.outbound.slices(iov, self.link.window())
    }

    /// The transport took `n` of the bytes offered by
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn transmitted(&mut self, n: usize) {
        self.outbound.advance(n);
    }

    /// Whether bytes wait to be written (an acknowledgement that is due
    /// counts).
    pub fn has_transmit(&self) -> bool {
        !self.outbound.is_empty() || self.ack_due()
    }

    /// Whether an acknowledgement is due now (SPEC §3.7): half the
    /// peer's window was handed over and not acknowledged.
    pub fn ack_due(&self) -> bool {
        self.end.is_none() && self.link.ack_due(self.delivered())
    }

    /// The next decoded message.
    pub fn poll_message(&mut self) -> Option<Message> {
        self.received.pop_front()
    }

    /// The decoded messages not yet taken, in order, for a driver that
    /// moves them in bulk.
    pub fn messages(&mut self) -> &mut VecDeque<Message> {
        &mut self.received
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next;
    /// `None` when no timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Handshake(_) => self.handshake_deadline,
            Phase::Established { heartbeat, .. } => {
                match (heartbeat.deadline(), self.link.deadline()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            Phase::Ended => None,
        }
    }

    /// How the session ended, once it has.
    pub fn end(&self) -> Option<&SessionEnd> {
        self.end.as_ref()
    }

    /// Whether the handshake is done and the session has not ended.
    pub fn is_established(&self) -> bool {
        matches!(self.phase, Phase::Established { .. })
    }

    /// When bytes last arrived from the peer.
    pub fn last_received(&self) -> Option<Instant> {
        self.last_received
    }

    /// How many more bytes complete the frame at the front of the receive
    /// buffer (0: it is complete; `None`: its header has not arrived, or
    /// the handshake is under way). Lets a driver size its next read.
    pub fn bytes_needed(&self) -> Option<usize> {
        match self.phase {
            Phase::Established { .. } => self.decoder.bytes_needed(&self.inbuf),
            _ => None,
        }
    }

    /// Takes the messages offered and not completely written (in order,
    /// with the one partly written), and discards what waits to be
    /// written (SPEC §6.4). Only kept with
    /// [`SessionConfig::keep_unsent`], except messages offered before
    /// the handshake finished, which are always returned.
    pub fn take_unsent(&mut self) -> VecDeque<Message> {
        // What is encoded and kept by the window goes with the record.
        self.outbound.seal(self.link.window());
        let mut unsent = self.outbound.take_unsent();
        unsent.append(&mut self.waiting);
        unsent
    }

    // Resumption's inputs and outputs: `resumable`.

    // ----- internals -----------------------------------------------------

    /// Messages of the peer's session handed over so far: those decoded,
    /// less those not yet taken.
    fn delivered(&self) -> u64 {
        self.link
            .decoded_total()
            .saturating_sub(self.received.len() as u64)
    }

    fn received_at(&mut self, now: Instant) {
        self.last_received = Some(now);
        if let Phase::Established { heartbeat, .. } = &mut self.phase {
            heartbeat.heard(now);
        }
    }

    /// Ends the session, unless it has ended already.
    fn fail(&mut self, end: SessionEnd) {
        if self.end.is_none() {
            self.end = Some(end.clone());
            self.events.push_back(SessionEvent::Closed(end));
            self.phase = Phase::Ended;
        }
    }

    /// Decodes what the receive buffer holds.
    fn process(&mut self, now: Instant) {
        if let Phase::Handshake(hs) = &mut self.phase {
            let mut status = None;
            let inbuf = &mut self.inbuf;
            self.outbound.raw(|out| status = Some(hs.feed(inbuf, out)));
            if !self.after_handshake_step(status, now) {
                return;
            }
        }
        self.decode_established(now);
    }

    /// Acts on a handshake step's outcome: the ZAP request it made, the
    /// end of the handshake (then decodes what followed it), or its
    /// failure. True once established.
    fn after_handshake_step(
        &mut self,
        status: Option<Result<HandshakeStatus, ProtocolError>>,
        now: Instant,
    ) -> bool {
        let Phase::Handshake(hs) = &mut self.phase else {
            return true;
        };
        match status {
            Some(Ok(HandshakeStatus::Done(info))) => {
                self.transform = hs.transform();
                if !self.link.is_active() {
                    let first = self.link.on_peer_ready(
                        &info,
                        self.config.resend_on_reset,
                        &mut self.events,
                    );
                    match first {
                        Ok(mut first) => {
                            first.append(&mut self.waiting);
                            self.waiting = first;
                        }
                        Err(e) => {
                            self.fail(SessionEnd::Protocol(e));
                            return false;
                        }
                    }
                }
                self.established(info, now);
                true
            }
            // The lookup was asked for already: it is awaited.
            Some(Ok(HandshakeStatus::PeerReady(_))) if self.link.pending_offer().is_some() => false,
            Some(Ok(HandshakeStatus::PeerReady(info))) => {
                // The accepting side: does the peer offer resumption?
                match info
                    .metadata
                    .get(RESUME_PROPERTY)
                    .map(|v| ResumeOffer::decode(v))
                {
                    Some(Ok(offer)) => {
                        self.link.await_lookup(offer);
                        self.events.push_back(SessionEvent::ResumeLookup(offer));
                        false
                    }
                    Some(Err(e)) => {
                        self.fail(SessionEnd::Protocol(e));
                        false
                    }
                    None => {
                        let mut status = None;
                        self.outbound
                            .raw(|out| status = Some(hs.send_ready(None, out)));
                        self.after_handshake_step(status, now)
                    }
                }
            }
            Some(Err(e)) => {
                self.fail(SessionEnd::Protocol(e));
                false
            }
            _ => {
                if let Some(request) = hs.take_zap_request() {
                    self.events.push_back(SessionEvent::ZapRequest(request));
                }
                false
            }
        }
    }

    /// Decodes the frames of an established session from the receive
    /// buffer.
    fn decode_established(&mut self, now: Instant) {
        while self.end.is_none() {
            let frame = match self.decoder.decode(&mut self.inbuf) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return self.refuse(now, e),
            };
            let frame = match self.transform.decode(frame) {
                Ok(f) => f,
                Err(e) => return self.fail(SessionEnd::Protocol(e)),
            };
            if frame.command {
                self.command(frame.body);
                continue;
            }
            match self.assembler.push(frame.body, frame.more) {
                Ok(Assembled::Partial) => {}
                Ok(Assembled::Message(mut m)) => {
                    if let Some(p) = &self.properties {
                        m.set_properties(p.clone());
                    }
                    let bytes = wire_len(&m);
                    self.received.push_back(m);
                    self.link.decoded(now, bytes);
                }
                Ok(Assembled::DroppedMultipart) => {
                    self.events.push_back(SessionEvent::MultipartDropped);
                    // Counted as taken in: the sender counted it as sent.
                    self.link.decoded(now, 0);
                }
                Err(e) => return self.refuse(now, e),
            }
        }
    }

    /// A frame or message broke a receive limit: the connection ends. When
    /// it resumes, the message counts as taken in (discarded), so the
    /// peer does not send it again on the next connection (SPEC §3.7).
    fn refuse(&mut self, now: Instant, e: ProtocolError) {
        // A frame refused from its header is still in the buffer: a command
        // (an ACK or PING beyond `maxmsgsize`) is no message.
        let message_frame = self
            .inbuf
            .first()
            .is_some_and(|flags| flags & super::frame::FLAG_COMMAND == 0);
        let refused = match e {
            ProtocolError::FrameTooLarge { .. } => message_frame,
            ProtocolError::TooManyFrames { .. } | ProtocolError::MessageTooLarge { .. } => true,
            _ => false,
        };
        if refused {
            self.link.decoded(now, 0);
        }
        self.fail(SessionEnd::Protocol(e));
    }

    /// The handshake is done: the data phase starts at `now`.
    fn established(&mut self, info: PeerInfo, now: Instant) {
        if info.authenticated {
            let mut pairs: Vec<(String, Bytes)> = info
                .metadata
                .iter()
                .map(|(n, v)| (n.to_owned(), v.clone()))
                .collect();
            if !self.config.peer_address.is_empty() {
                pairs.push((PEER_ADDRESS.to_owned(), self.config.peer_address.clone()));
            }
            self.properties = Some(Properties::new(pairs));
        }
        self.decoder = FrameDecoder::new(self.config.limits.max_frame);
        // RFC 37: a ZMTP 3.1 publisher takes subscriptions as commands, a
        // 3.0 one as messages (SPEC §5.5).
        let subs_as_commands =
            matches!(self.config.socket_type, SocketType::Sub | SocketType::XSub)
                && info.minor_version >= 1;
        self.phase = Phase::Established {
            subs_as_commands,
            heartbeat: Heartbeat::start(&self.config.heartbeat, now),
        };
        self.events.push_back(SessionEvent::Established(info));
        if self.link.is_active() {
            // What the peer did not have goes first, in order (SPEC §3.7);
            // the record of unwritten messages is the window's from now on.
            self.outbound.stop_keeping();
            let again = self.link.resend();
            self.outbound.resend(again, self.link.window());
        }
        for msg in std::mem::take(&mut self.waiting) {
            self.encode(msg, subs_as_commands);
        }
    }

    fn encode(&mut self, msg: Message, subs_as_commands: bool) {
        if subs_as_commands {
            if let [f] = msg.frames() {
                let c = match f.first() {
                    Some(1) => Some(Command::Subscribe(f.slice(1..))),
                    Some(0) => Some(Command::Cancel(f.slice(1..))),
                    _ => None,
                };
                if let Some(c) = c {
                    return self.outbound.command(&c, &mut self.transform);
                }
            }
        }
        self.outbound
            .message(msg, &mut self.transform, self.link.window());
    }
}
