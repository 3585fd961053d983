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

mod heartbeat;
mod inbound;
mod outbound;
#[cfg(test)]
mod tests;

pub use heartbeat::HeartbeatConfig;
pub use inbound::Limits;

use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::command::Command;
use super::error::ProtocolError;
use super::frame::FrameDecoder;
use super::handshake::{Handshake, HandshakeConfig, HandshakeStatus, PeerInfo};
use super::security::zap::{ZapConfig, ZapOutcome, ZapRequest};
use super::security::Security;
use super::socket_type::SocketType;
use super::transform::Transform;
use crate::message::{Message, Properties};
use heartbeat::{Beat, Heartbeat};
use inbound::{Assembled, Assembler};
use outbound::Outbound;

/// Everything a session needs to know about its socket (SPEC §7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our socket type, announced in the handshake and deciding what is
    /// done with multipart messages and subscriptions.
    pub socket_type: SocketType,
    /// Our `Identity` property (the `routing_id` option).
    pub identity: Option<Bytes>,
    /// The security mechanism and our role in it (SPEC §9).
    pub security: Security,
    /// The peer's address, for ZAP requests (SPEC §9.2).
    pub peer_address: Bytes,
    /// The ZAP domain and whether a handler is required (SPEC §9.2).
    pub zap: ZapConfig,
    /// The receive limits.
    pub limits: Limits,
    /// `handshake_ivl`: the time allowed for the handshake; `None`: no
    /// limit.
    pub handshake_timeout: Option<Duration>,
    /// The heartbeat options.
    pub heartbeat: HeartbeatConfig,
    /// Keep the messages not completely written, for
    /// [`Session::take_unsent`] (a connecting socket's endpoint).
    pub keep_unsent: bool,
}

impl SessionConfig {
    /// A session for `socket_type` with default options: no identity, no
    /// limits, no handshake deadline, no heartbeats.
    pub fn new(socket_type: SocketType) -> SessionConfig {
        SessionConfig {
            socket_type,
            identity: None,
            security: Security::Null,
            peer_address: Bytes::new(),
            zap: ZapConfig::default(),
            limits: Limits::default(),
            handshake_timeout: None,
            heartbeat: HeartbeatConfig::default(),
            keep_unsent: false,
        }
    }
}

/// How a session ended (SPEC §3.6, §6.6, §6.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The peer closed its end of the stream.
    PeerClosed,
    /// The peer broke the protocol, refused us (an ERROR command), or was
    /// refused by us.
    Protocol(ProtocolError),
    /// The handshake did not finish in time.
    HandshakeTimeout,
    /// The peer stayed silent past a heartbeat deadline.
    HeartbeatTimeout,
}

/// Something the driver must know about (SPEC §6.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// The handshake succeeded: messages may flow. The peer's type is
    /// compatible with ours.
    Established(PeerInfo),
    /// A multipart message arrived at a CLIENT or SERVER and was discarded
    /// whole (RFC 41, SPEC §5.3).
    MultipartDropped,
    /// The handshake waits for the ZAP handler's verdict on this request
    /// (SPEC §9.2): the driver sends it and hands the reply to
    /// [`Session::handle_zap`]. Nothing from the peer is decoded
    /// until then; the handshake deadline still runs.
    ZapRequest(ZapRequest),
    /// The session is over (see [`Session::end`]). What is still queued
    /// for writing (an ERROR command, say) may be written before the
    /// connection is closed.
    Closed(SessionEnd),
}

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
        let handshake = handshake.map(Box::new).expect("set by the closure above");
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
            self.decode_established();
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
        self.outbound.slices(iov)
    }

    /// The transport took `n` of the bytes offered by
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn transmitted(&mut self, n: usize) {
        self.outbound.advance(n);
    }

    /// Whether bytes wait to be written.
    pub fn has_transmit(&self) -> bool {
        !self.outbound.is_empty()
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
            Phase::Established { heartbeat, .. } => heartbeat.deadline(),
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
        let mut unsent = self.outbound.take_unsent();
        unsent.append(&mut self.waiting);
        unsent
    }

    // ----- internals -----------------------------------------------------

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
        self.decode_established();
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
                self.established(info, now);
                true
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
    fn decode_established(&mut self) {
        while self.end.is_none() {
            let frame = match self.decoder.decode(&mut self.inbuf) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return self.fail(SessionEnd::Protocol(e)),
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
                    self.received.push_back(m)
                }
                Ok(Assembled::DroppedMultipart) => {
                    self.events.push_back(SessionEvent::MultipartDropped)
                }
                Err(e) => return self.fail(SessionEnd::Protocol(e)),
            }
        }
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
        self.outbound.message(msg, &mut self.transform);
    }

    /// A command after the handshake (SPEC §3.4).
    fn command(&mut self, body: Bytes) {
        let takes_subscriptions =
            matches!(self.config.socket_type, SocketType::Pub | SocketType::XPub);
        match Command::parse(body) {
            Ok(Command::Ping {
                ttl_deciseconds,
                context,
            }) => {
                if let Phase::Established { heartbeat, .. } = &mut self.phase {
                    heartbeat.peer_ping(ttl_deciseconds);
                }
                let pong = Command::Pong { context };
                self.outbound.command(&pong, &mut self.transform);
            }
            Ok(Command::Error { reason }) => {
                self.fail(SessionEnd::Protocol(ProtocolError::PeerError(reason)))
            }
            Ok(Command::Subscribe(topic)) if takes_subscriptions => self.subscription(true, &topic),
            Ok(Command::Cancel(topic)) if takes_subscriptions => self.subscription(false, &topic),
            // RFC 37: other commands (PONG, unknown ones) are ignored.
            Ok(_) => {}
            Err(e) => self.fail(SessionEnd::Protocol(e)),
        }
    }
}

impl Session {
    /// A SUBSCRIBE or CANCEL for a PUB or XPUB: queued as the message a
    /// ZMTP 3.0 peer would send, within the same byte limit as any other
    /// message (SPEC §6.1).
    fn subscription(&mut self, subscribe: bool, topic: &[u8]) {
        let max = self.config.limits.max_message_bytes;
        if max != 0 && 1 + topic.len() > max {
            return self.fail(SessionEnd::Protocol(ProtocolError::MessageTooLarge {
                size: 1 + topic.len() as u64,
                max: max as u64,
            }));
        }
        self.received
            .push_back(subscription_message(subscribe, topic));
    }
}

/// The message form of a subscription (`\x01topic`) or cancellation
/// (`\x00topic`), as ZMTP 3.0 carries them (RFC 29, SPEC §5.5).
pub fn subscription_message(subscribe: bool, topic: &[u8]) -> Message {
    let mut b = BytesMut::with_capacity(1 + topic.len());
    b.extend_from_slice(&[u8::from(subscribe)]);
    b.extend_from_slice(topic);
    Message::from(b.freeze())
}
