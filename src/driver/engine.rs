//! The engine: one tokio task per tcp or ipc connection, moving bytes
//! between the stream and the socket's pipes through the sans-IO ZMTP
//! layer (SPEC §3, §6.1).
//!
//! Writes are batched: the engine takes every message queued in the
//! outbound pipe (up to `MAX_BATCH`), encodes small frames into one
//! buffer and hands large frames to the kernel straight from the caller's
//! `Bytes` in the same vectored write. Reads are large, and every frame in
//! a read is decoded before the batch of messages is handed to the socket
//! under one lock.
//!
//! On an idle connection the sending thread writes the message itself
//! (a non-blocking write through the shared write half) instead of waking
//! the engine, so a lone message reaches the kernel without a thread hop.
//! "Idle" means nothing is waiting to be written and the last such direct
//! write was at least `DIRECT_GAP` ago; a stream of messages therefore
//! still goes through the engine's batches (SPEC §6.1).
//!
//! The read direction is shared the same way: a thread blocked in a
//! receive may read and decode the connection itself (`ReadSide`, driven
//! by `direct_read`), and the engine then leaves the reading to it.

use crate::driver::core::{PeerKind, SocketCore};
use crate::driver::monitor::{DisconnectReason, SocketEvent};
use crate::driver::pipe::{Hook, Pipe};
use crate::message::Message;
use crate::zmtp::{
    encode_frame, frame_header, Command, FrameDecoder, Handshake, HandshakeConfig, HandshakeStatus,
    ProtocolError, SocketType,
};
use bytes::{Buf, Bytes, BytesMut};
use oxmq_transports::{ReadHalf, Stream, WriteHalf};
use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

/// Most messages taken from the outbound pipe per batch.
const MAX_BATCH: usize = 1024;
/// Frames up to this size are copied into the write buffer; larger ones
/// are written from their own `Bytes`.
const INLINE_MAX: usize = 8 * 1024;
/// Free space made in the read buffer before a read: starts small (idle
/// connections stay cheap) and doubles after every read that filled it,
/// up to `READ_CHUNK_MAX`; halves again after reads that used under a
/// quarter of it.
const READ_CHUNK: usize = 16 * 1024;
/// Upper bound of the read chunk. Large read buffers also make the
/// allocator keep (rather than return to the kernel and fault in again)
/// the memory of frames the application has consumed.
const READ_CHUNK_MAX: usize = 256 * 1024;
/// Cap on what one partial frame may make the reader reserve at once.
const MAX_RESERVE: usize = 4 * 1024 * 1024;
/// Most slices in one vectored write.
const MAX_IOV: usize = 64;
/// Least time between two writes made by sending threads themselves.
const DIRECT_GAP: Duration = Duration::from_micros(20);
/// A connection that sent nothing for this long is idle, whether or not
/// an answer came (a stream with no answers counts as busy until then).
const DIRECT_IDLE: Duration = Duration::from_millis(1);

/// Which pipes the connection serves.
pub(crate) enum Attach {
    /// A connection accepted by a listener: a new peer is created after the
    /// handshake and removed when the connection ends.
    Accepted,
    /// A connection made by `connect`: it serves the endpoint's lasting
    /// pipes; messages it could not write go back for the next connection.
    Persistent { out: Arc<Pipe>, inp: Arc<Pipe> },
}

/// How a connection ended.
pub(crate) struct EngineEnd {
    pub(crate) handshake_done: bool,
}

fn io_reason(e: &std::io::Error) -> DisconnectReason {
    if matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
    ) {
        DisconnectReason::PeerClosed
    } else {
        DisconnectReason::Io(e.kind(), e.to_string())
    }
}

async fn handshake<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    rd: &mut R,
    wr: &mut W,
    config: HandshakeConfig,
    inb: &mut BytesMut,
) -> Result<crate::zmtp::PeerInfo, DisconnectReason> {
    let mut out = BytesMut::with_capacity(128);
    let mut hs = Handshake::new(config, &mut out);
    loop {
        if !out.is_empty() {
            wr.write_all(&out).await.map_err(|e| io_reason(&e))?;
            out.clear();
        }
        if inb.capacity() - inb.len() < 256 {
            inb.reserve(READ_CHUNK);
        }
        let n = rd.read_buf(inb).await.map_err(|e| io_reason(&e))?;
        if n == 0 {
            return Err(DisconnectReason::PeerClosed);
        }
        match hs.feed(inb, &mut out) {
            Ok(HandshakeStatus::InProgress) => {}
            Ok(HandshakeStatus::Done(info)) => {
                if !out.is_empty() {
                    wr.write_all(&out).await.map_err(|e| io_reason(&e))?;
                }
                return Ok(info);
            }
            Err(e) => {
                if !out.is_empty() {
                    // Best effort: tell the peer why (an ERROR command).
                    let _ = wr.write_all(&out).await;
                    let _ = wr.flush().await;
                }
                return Err(DisconnectReason::Protocol(e));
            }
        }
    }
}

/// Runs one connection to its end.
pub(crate) async fn run(
    core: Arc<SocketCore>,
    stream: Stream,
    endpoint: String,
    peer: String,
    attach: Attach,
) -> EngineEnd {
    let (mut rd, mut wr) = stream.into_split();
    let mut inb = BytesMut::with_capacity(READ_CHUNK);
    let config = HandshakeConfig {
        socket_type: core.kind,
        identity: core.options.routing_id.clone(),
        as_server: false,
    };
    let hs = handshake(&mut rd, &mut wr, config, &mut inb);
    let result = match core.options.handshake_ivl {
        Some(t) => tokio::time::timeout(t, hs)
            .await
            .unwrap_or(Err(DisconnectReason::HandshakeTimeout)),
        None => hs.await,
    };
    let info = match result {
        Ok(info) => info,
        Err(reason) => {
            tracing::warn!(%endpoint, %peer, %reason, "ZMTP handshake failed; connection closed");
            core.monitor.emit(SocketEvent::HandshakeFailed {
                endpoint,
                peer,
                reason,
            });
            return EngineEnd {
                handshake_done: false,
            };
        }
    };
    tracing::debug!(%endpoint, %peer, "ZMTP handshake succeeded");
    core.monitor.emit(SocketEvent::HandshakeSucceeded {
        endpoint: endpoint.clone(),
        peer: peer.clone(),
    });

    let out_ready = Arc::new(Notify::new());
    let in_room = Arc::new(Notify::new());
    let ws = Arc::new(WriteSide {
        heard: Stamp::new(),
        half: wr,
        state: Mutex::new(WriteState {
            og: Outgoing {
                keep_unsent: matches!(attach, Attach::Persistent { .. }),
                // RFC 37: a ZMTP 3.1 publisher gets subscriptions as
                // commands; a 3.0 one as messages (SPEC §5.5).
                subs_as_commands: matches!(core.kind, SocketType::Sub | SocketType::XSub)
                    && info.minor_version >= 1,
                ..Outgoing::default()
            },
            ..WriteState::default()
        }),
        out_ready: out_ready.clone(),
    });
    let mut binding = Binding::new(&core, attach, ws.clone());
    binding.report = Some((endpoint.clone(), peer.clone()));
    if !core.peer_connected(&binding.out, info.identity.as_ref()) {
        tracing::info!(%endpoint, %peer, "connection refused by the {} socket", core.kind);
        binding.reason = DisconnectReason::Refused;
        drop(binding);
        return EngineEnd {
            handshake_done: true,
        };
    }
    binding.out.set_reader(Some(direct_hook(&ws, &binding.out)));
    binding.inp.set_writer(Some(notify_hook(&in_room)));
    binding.inp.set_hwm_bytes(core.options.rcvhwm_bytes);
    // Anything queued before this connection existed is waiting already.
    out_ready.notify_one();

    let rs = Arc::new(ReadSide {
        half: rd,
        state: Mutex::new(ReadState {
            inb,
            decoder: FrameDecoder::new(core.options.maxmsgsize),
            chunk: READ_CHUNK,
            parts: Vec::new(),
            parts_bytes: 0,
            batch: VecDeque::new(),
            end: None,
        }),
        direct: AtomicBool::new(false),
        bulk: AtomicBool::new(false),
        peer_ttl: AtomicU64::new(0),
        ttl_given: Notify::new(),
        wake: Notify::new(),
        inp: binding.inp.clone(),
        ws: ws.clone(),
        single_frame: matches!(core.kind, SocketType::Client | SocketType::Server),
        takes_subscriptions: matches!(core.kind, SocketType::Pub | SocketType::XPub),
    });
    // Bytes that came with the end of the handshake are decoded now.
    rs.lock().decode(&core, &rs);
    binding.read = Some(rs.clone());
    core.direct.register(&rs);
    let reason = {
        let reader = read_loop(&core, &rs, &in_room);
        let writer = write_loop(&ws, &binding.out);
        let beats = heartbeat_loop(&core.options, &rs, &ws);
        tokio::pin!(reader, writer, beats);
        tokio::select! {
            r = &mut reader => match r {
                // The socket stopped receiving (it is closing): keep
                // flushing what it sent until the linger runs out.
                DisconnectReason::SocketClosed => tokio::select! {
                    w = &mut writer => w,
                    h = &mut beats => h,
                },
                other => other,
            },
            w = &mut writer => w,
            h = &mut beats => h,
        }
    };
    if reason != DisconnectReason::SocketClosed {
        tracing::info!(%endpoint, %peer, %reason, "connection closed");
    }
    binding.reason = reason;
    drop(binding);
    EngineEnd {
        handshake_done: true,
    }
}

fn notify_hook(n: &Arc<Notify>) -> Hook {
    let n = n.clone();
    Arc::new(move || n.notify_one())
}

/// A time stamp readable and writable by any thread without a lock.
struct Stamp {
    origin: Instant,
    /// Nanoseconds since `origin`.
    at: AtomicU64,
}

impl Stamp {
    fn new() -> Stamp {
        Stamp {
            origin: Instant::now(),
            at: AtomicU64::new(0),
        }
    }

    fn stamp(&self) {
        let ns = Instant::now()
            .saturating_duration_since(self.origin)
            .as_nanos();
        self.at
            .store(u64::try_from(ns).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn get(&self) -> Instant {
        self.origin + Duration::from_nanos(self.at.load(Ordering::Relaxed))
    }
}

/// The write direction of a connection, shared by its engine and by
/// sending threads that write on an idle connection themselves.
struct WriteSide {
    /// When bytes last arrived on the connection (heartbeats, and the
    /// direct-write rule below).
    heard: Stamp,
    half: WriteHalf,
    state: Mutex<WriteState>,
    /// Wakes the engine's writer.
    out_ready: Arc<Notify>,
}

#[derive(Default)]
struct WriteState {
    og: Outgoing,
    /// The connection is over: nobody may take messages from the pipe
    /// for it any more.
    closed: bool,
    last_direct: Option<Instant>,
    control: VecDeque<Command>,
}

impl WriteSide {
    fn lock(&self) -> MutexGuard<'_, WriteState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl WriteState {
    /// Encodes pending commands and up to `MAX_BATCH` queued messages.
    /// Returns true when the pipe is drained and its writer has left.
    fn fill(&mut self, out: &Pipe) -> bool {
        for c in std::mem::take(&mut self.control) {
            self.og.push_command(&c);
        }
        let og = &mut self.og;
        let done = out.drain_into(MAX_BATCH, |m| og.push_message(m)).done;
        self.og.seal();
        done
    }
}

/// The outbound pipe's reader hook: runs in the sending thread when the
/// pipe goes from empty to non-empty. Writes the message right there if
/// the connection is idle, else wakes the engine.
fn direct_hook(ws: &Arc<WriteSide>, out: &Arc<Pipe>) -> Hook {
    let ws = Arc::downgrade(ws);
    let out: Weak<Pipe> = Arc::downgrade(out);
    Arc::new(move || {
        let (Some(ws), Some(out)) = (ws.upgrade(), out.upgrade()) else {
            return;
        };
        if let Ok(mut st) = ws.state.try_lock() {
            if !st.closed && st.og.chunks.is_empty() {
                let now = Instant::now();
                // Idle: nothing sent for a while, or an answer came since
                // the last direct write (request/reply). A one-way stream
                // goes to the engine, which batches it.
                let idle = st.last_direct.is_none_or(|t| {
                    let gap = now.duration_since(t);
                    gap >= DIRECT_IDLE || (gap >= DIRECT_GAP && ws.heard.get() >= t)
                });
                if idle {
                    st.last_direct = Some(now);
                    let done = st.fill(&out);
                    if let (Ok(true), false) = (st.og.try_write(&ws.half), done) {
                        return;
                    }
                    // Left over (kernel buffer full), failed, or the socket
                    // is closing: the engine finishes the write, reports
                    // the error or ends the connection.
                }
            }
        }
        ws.out_ready.notify_one();
    })
}

/// The pipes a connection serves, released when it ends (also when its
/// task is aborted).
struct Binding {
    core: Arc<SocketCore>,
    out: Arc<Pipe>,
    inp: Arc<Pipe>,
    attach: AttachKind,
    ws: Arc<WriteSide>,
    /// Endpoint and peer to report `Disconnected` for when dropped (also
    /// when the task is aborted by unbind, disconnect or close).
    report: Option<(String, String)>,
    reason: DisconnectReason,
    /// The read side, withdrawn from direct readers when the connection ends.
    read: Option<Arc<ReadSide>>,
}

enum AttachKind {
    Accepted(crate::pattern::RoutingId),
    Persistent,
}

impl Binding {
    fn new(core: &Arc<SocketCore>, attach: Attach, ws: Arc<WriteSide>) -> Binding {
        match attach {
            Attach::Accepted => {
                let out = Pipe::new(core.options.sndhwm);
                let inp = Pipe::new(core.options.rcvhwm);
                let id = core.attach(out.clone(), inp.clone(), PeerKind::Transient);
                Binding {
                    core: core.clone(),
                    out,
                    inp,
                    attach: AttachKind::Accepted(id),
                    ws,
                    report: None,
                    reason: DisconnectReason::SocketClosed,
                    read: None,
                }
            }
            Attach::Persistent { out, inp } => Binding {
                core: core.clone(),
                out,
                inp,
                attach: AttachKind::Persistent,
                ws,
                report: None,
                reason: DisconnectReason::SocketClosed,
                read: None,
            },
        }
    }
}

impl Drop for Binding {
    fn drop(&mut self) {
        if let Some(rs) = self.read.take() {
            self.core.direct.unregister(&rs);
        }
        // No sending thread may take messages for this connection from now
        // on; what was taken but not written is handed back below.
        self.out.set_reader(None);
        let unsent = {
            let mut st = self.ws.lock();
            st.closed = true;
            std::mem::take(&mut st.og).into_unsent()
        };
        match self.attach {
            AttachKind::Accepted(id) => {
                // The peer is gone: later sends to its id fail, and what it
                // sent before leaving can still be received.
                self.out.close_reader();
                self.inp.close_writer();
                self.core.detach_keep_input(id);
            }
            AttachKind::Persistent => {
                // Whatever did not reach the kernel goes out on the next
                // connection, in order.
                let mut unsent = unsent;
                self.out.unpop(&mut unsent);
                self.inp.set_writer(None);
            }
        }
        if let Some((endpoint, peer)) = self.report.take() {
            self.core.monitor.emit(SocketEvent::Disconnected {
                endpoint,
                peer,
                reason: self.reason.clone(),
            });
        }
    }
}

/// The read direction of a connection, shared by its engine and by a
/// blocking receiver that reads the connection itself while it waits
/// (SPEC §6.1, "direct reads"). Whoever reads holds `state`, so bytes are
/// decoded and handed to the socket in the order they arrived.
pub(crate) struct ReadSide {
    pub(crate) half: ReadHalf,
    state: Mutex<ReadState>,
    /// A blocking receiver is waiting on this connection in poll(2): the
    /// engine leaves the reading to it.
    pub(crate) direct: AtomicBool,
    /// A frame larger than `DIRECT_MAX_FRAME` is being received: the
    /// engine reads it (straight into the read buffer, no copy) and direct
    /// readers leave the connection alone until it is complete.
    pub(crate) bulk: AtomicBool,
    /// The TTL of the peer's last PING, in ns (0: none): silence for that
    /// long closes the connection.
    peer_ttl: AtomicU64,
    /// Wakes the heartbeat task when a PING first brings a TTL.
    ttl_given: Notify,
    /// Wakes the engine: a direct reader found the end of the connection,
    /// or left data it did not read.
    pub(crate) wake: Notify,
    inp: Arc<Pipe>,
    ws: Arc<WriteSide>,
    single_frame: bool,
    /// PUB and XPUB: SUBSCRIBE and CANCEL commands become the messages
    /// `\x01topic` and `\x00topic` in the inbound pipe, as a ZMTP 3.0
    /// peer sends them (SPEC §5.5).
    takes_subscriptions: bool,
}

/// The message form of a subscription (`\x01topic`) or cancellation
/// (`\x00topic`), as ZMTP 3.0 carries them (RFC 29).
pub(crate) fn subscription_message(subscribe: bool, topic: &[u8]) -> Message {
    let mut b = BytesMut::with_capacity(1 + topic.len());
    b.extend_from_slice(&[u8::from(subscribe)]);
    b.extend_from_slice(topic);
    Message::from(b.freeze())
}

struct ReadState {
    inb: BytesMut,
    decoder: FrameDecoder,
    /// Free space offered to the next read (adaptive, see `READ_CHUNK`).
    chunk: usize,
    /// Frames of a multipart message still arriving.
    parts: Vec<Bytes>,
    /// Bytes in `parts` (checked against `rcvhwm_bytes`).
    parts_bytes: usize,
    /// Decoded messages the inbound pipe had no room for yet.
    batch: VecDeque<Message>,
    /// How the connection ended; reported once `batch` is handed over.
    end: Option<DisconnectReason>,
}

/// What [`ReadState::flush`] found.
enum Flushed {
    /// Everything decoded is in the pipe; reading may go on.
    Clear,
    /// The pipe is full: wait for room before reading more.
    Full,
    /// The socket no longer receives.
    SocketClosed,
    /// The connection is over, for this reason.
    End(DisconnectReason),
}

impl ReadSide {
    fn lock(&self) -> MutexGuard<'_, ReadState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived just now.
    fn heard(&self) {
        self.ws.heard.stamp();
    }

    /// When bytes last arrived.
    fn last_heard(&self) -> Instant {
        self.ws.heard.get()
    }

    /// A read by a blocking receiver that poll(2) found the connection
    /// readable for: reads what the kernel has into `scratch` (bypassing
    /// the runtime), decodes it and hands the messages to the socket.
    /// Reads nothing while earlier messages still wait for room. Returns
    /// true if the read filled `scratch` (more may be waiting).
    pub(crate) fn read_direct(&self, core: &SocketCore, scratch: &mut [u8]) -> bool {
        // The engine holds the lock only for one read and decode (never
        // across an await): wait for it rather than poll again.
        let mut st = self.lock();
        let mut full = false;
        if matches!(st.flush(&self.inp), Flushed::Clear) && st.end.is_none() {
            match rustix::io::read(&self.half, &mut *scratch) {
                Ok(0) => st.end = Some(DisconnectReason::PeerClosed),
                Ok(n) => {
                    self.heard();
                    full = n == scratch.len();
                    st.inb.extend_from_slice(&scratch[..n]);
                    st.decode(core, self);
                    st.flush(&self.inp);
                    if st.large_frame_pending() {
                        // Copying a large frame through `scratch` would
                        // cost a copy per byte: the engine takes over.
                        self.bulk.store(true, Ordering::SeqCst);
                        full = true;
                    }
                }
                Err(e) if e == rustix::io::Errno::AGAIN || e == rustix::io::Errno::INTR => {}
                Err(e) => st.end = Some(io_reason(&e.into())),
            }
        }
        let ended = st.end.is_some();
        let left_over = !st.batch.is_empty();
        drop(st);
        if ended || left_over {
            // The engine reports the end and releases the connection, or
            // hands over the messages the pipe had no room for.
            self.wake.notify_one();
        }
        full
    }
}

impl ReadState {
    /// The frame about to join the message in `parts` keeps it within
    /// `max_frames` and `rcvhwm_bytes` (SPEC §7)?
    fn check_limits(&self, core: &SocketCore, frame_len: usize) -> Result<(), ProtocolError> {
        let o = &core.options;
        if let Some(max) = o.max_frames {
            if self.parts.len() >= max {
                return Err(ProtocolError::TooManyFrames { max });
            }
        }
        if o.rcvhwm_bytes != 0 {
            let size = self.parts_bytes + frame_len;
            if size > o.rcvhwm_bytes {
                return Err(ProtocolError::MessageTooLarge {
                    size: size as u64,
                    max: o.rcvhwm_bytes as u64,
                });
            }
        }
        Ok(())
    }

    /// Whether the frame at the front of the buffer is larger than a
    /// direct reader should copy.
    fn large_frame_pending(&self) -> bool {
        self.decoder
            .bytes_needed(&self.inb)
            .is_some_and(|n| n > DIRECT_MAX_FRAME)
    }

    /// Hands decoded messages to the inbound pipe (as many as it has room
    /// for) and says what the reader may do next.
    fn flush(&mut self, inp: &Pipe) -> Flushed {
        if !self.batch.is_empty() && inp.push_batch(&mut self.batch).is_err() {
            return Flushed::SocketClosed;
        }
        if !self.batch.is_empty() {
            Flushed::Full
        } else if let Some(reason) = &self.end {
            // Sticky: whoever reads next (the engine, or a blocking
            // receiver reading directly) sees the end too, so it is
            // reported exactly once, by the engine.
            Flushed::End(reason.clone())
        } else {
            Flushed::Clear
        }
    }

    /// Decodes every complete frame in the buffer into `batch`; a protocol
    /// error (or a peer's ERROR) sets `end` after the messages before it.
    fn decode(&mut self, core: &SocketCore, rs: &ReadSide) {
        while self.end.is_none() {
            let frame = match self.decoder.decode(&mut self.inb) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    self.end = Some(DisconnectReason::Protocol(e));
                    break;
                }
            };
            if frame.command {
                match Command::parse(frame.body) {
                    Ok(Command::Ping {
                        context,
                        ttl_deciseconds,
                    }) => {
                        let ttl = Duration::from_millis(u64::from(ttl_deciseconds) * 100);
                        let old = rs.peer_ttl.swap(ttl.as_nanos() as u64, Ordering::Relaxed);
                        if old == 0 && !ttl.is_zero() {
                            rs.ttl_given.notify_one();
                        }
                        rs.ws.lock().control.push_back(Command::Pong { context });
                        rs.ws.out_ready.notify_one();
                    }
                    Ok(Command::Error { reason }) => {
                        self.end =
                            Some(DisconnectReason::Protocol(ProtocolError::PeerError(reason)));
                    }
                    Ok(Command::Subscribe(topic)) if rs.takes_subscriptions => {
                        self.batch.push_back(subscription_message(true, &topic));
                    }
                    Ok(Command::Cancel(topic)) if rs.takes_subscriptions => {
                        self.batch.push_back(subscription_message(false, &topic));
                    }
                    Ok(_) => {}
                    Err(e) => self.end = Some(DisconnectReason::Protocol(e)),
                }
                continue;
            }
            if let Err(e) = self.check_limits(core, frame.body.len()) {
                self.end = Some(DisconnectReason::Protocol(e));
                break;
            }
            if frame.more {
                self.parts_bytes += frame.body.len();
                self.parts.push(frame.body);
                continue;
            }
            let msg = if self.parts.is_empty() {
                Message::from(frame.body)
            } else {
                self.parts.push(frame.body);
                self.parts_bytes = 0;
                Message::from_frames(std::mem::take(&mut self.parts))
            };
            if rs.single_frame && msg.len() > 1 {
                // RFC 41: CLIENT and SERVER discard multipart messages whole.
                core.counters
                    .dropped_multipart
                    .fetch_add(1, Ordering::Relaxed);
                tracing::debug!("discarded a multipart message on a {} socket", core.kind);
                continue;
            }
            self.batch.push_back(msg);
        }
    }

    /// The engine's read: what the kernel has now, into the buffer's spare
    /// capacity (no copy), then decoded.
    fn read_engine(&mut self, core: &SocketCore, rs: &ReadSide) {
        let need = self
            .decoder
            .bytes_needed(&self.inb)
            .unwrap_or(0)
            .min(MAX_RESERVE);
        let want = self.chunk.max(need);
        if self.inb.capacity() - self.inb.len() < want {
            self.inb.reserve(want);
        }
        let offered = self.inb.capacity() - self.inb.len();
        match rs.half.try_read_buf(&mut self.inb) {
            Ok(0) => self.end = Some(DisconnectReason::PeerClosed),
            Ok(n) => {
                rs.heard();
                if n == offered {
                    self.chunk = (self.chunk * 2).min(READ_CHUNK_MAX);
                } else if n < self.chunk / 4 {
                    self.chunk = (self.chunk / 2).max(READ_CHUNK);
                }
                self.decode(core, rs);
                rs.bulk.store(self.large_frame_pending(), Ordering::SeqCst);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => self.end = Some(io_reason(&e)),
        }
    }
}

/// Largest frame a direct reader copies in through its scratch buffer;
/// larger ones are left to the engine, which reads them in place.
const DIRECT_MAX_FRAME: usize = 8 * 1024;

/// How long an engine leaves its connection to a direct reader before it
/// looks again (it also looks when woken).
const DIRECT_DEFER: Duration = Duration::from_millis(5);

/// The engine's reading: waits for bytes, reads and decodes them, hands
/// the messages over, and stops reading while the socket's queue for this
/// peer is full (back-pressure). While a blocking receiver waits on the
/// connection itself, the engine leaves the reading to it.
async fn read_loop(core: &SocketCore, rs: &ReadSide, in_room: &Notify) -> DisconnectReason {
    loop {
        let flushed = rs.lock().flush(&rs.inp);
        match flushed {
            Flushed::SocketClosed => return DisconnectReason::SocketClosed,
            Flushed::End(reason) => return reason,
            Flushed::Full => {
                tokio::select! {
                    _ = in_room.notified() => {}
                    _ = rs.wake.notified() => {}
                }
                continue;
            }
            Flushed::Clear => {}
        }
        // `in_room` is awaited in every wait: a direct reader may have left
        // decoded messages that did not fit (ReadState::batch) after the
        // flush above, and only room in the pipe brings them on.
        if rs.direct.load(Ordering::Acquire) && !rs.bulk.load(Ordering::Acquire) {
            tokio::select! {
                _ = rs.wake.notified() => {}
                _ = in_room.notified() => {}
                _ = tokio::time::sleep(DIRECT_DEFER) => {}
            }
            continue;
        }
        tokio::select! {
            r = rs.half.readable() => {
                if let Err(e) = r {
                    return io_reason(&e);
                }
            }
            _ = rs.wake.notified() => continue,
            _ = in_room.notified() => continue,
        }
        if rs.direct.load(Ordering::Acquire) && !rs.bulk.load(Ordering::Acquire) {
            // A blocking receiver was woken by the same bytes: its read.
            continue;
        }
        rs.lock().read_engine(core, rs);
    }
}

/// Heartbeats (SPEC §6.8): sends a PING every `heartbeat_ivl` and ends
/// the connection when nothing arrived within `heartbeat_timeout` of a
/// PING, or within the TTL of the peer's own last PING. Any bytes count as
/// a sign of life. Never ends when neither side asked for heartbeats.
async fn heartbeat_loop(
    opts: &crate::options::SocketOptions,
    rs: &ReadSide,
    ws: &WriteSide,
) -> DisconnectReason {
    let ivl = opts.heartbeat_ivl.filter(|d| !d.is_zero());
    let timeout = opts.heartbeat_timeout.filter(|d| !d.is_zero()).or(ivl);
    let ttl_ds = opts.heartbeat_ttl.map_or(0, |t| {
        u16::try_from(t.as_millis() / 100).unwrap_or(u16::MAX)
    });
    let mut next_ping = ivl.map(|i| Instant::now() + i);
    // A PING in flight: when it went and when its answer is due.
    let mut awaiting: Option<(Instant, Instant)> = None;
    loop {
        let peer_ttl = Duration::from_nanos(rs.peer_ttl.load(Ordering::Relaxed));
        let ttl_due = (!peer_ttl.is_zero()).then(|| rs.last_heard() + peer_ttl);
        let wake = [next_ping, awaiting.map(|(_, due)| due), ttl_due]
            .into_iter()
            .flatten()
            .min();
        match wake {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => {
                // Nothing to time until the peer's PING brings a TTL.
                rs.ttl_given.notified().await;
                continue;
            }
        }
        let now = Instant::now();
        let heard = rs.last_heard();
        if let Some((sent, due)) = awaiting {
            if heard >= sent {
                awaiting = None;
            } else if now >= due {
                return DisconnectReason::HeartbeatTimeout;
            }
        }
        let peer_ttl = Duration::from_nanos(rs.peer_ttl.load(Ordering::Relaxed));
        if !peer_ttl.is_zero() && now >= rs.last_heard() + peer_ttl {
            return DisconnectReason::HeartbeatTimeout;
        }
        if let (Some(i), Some(at)) = (ivl, next_ping) {
            if now >= at {
                ws.lock().control.push_back(Command::Ping {
                    ttl_deciseconds: ttl_ds,
                    context: Bytes::new(),
                });
                ws.out_ready.notify_one();
                next_ping = Some(now + i);
                if awaiting.is_none() {
                    if let Some(t) = timeout {
                        awaiting = Some((now, now + t));
                    }
                }
            }
        }
    }
}

async fn write_loop(ws: &WriteSide, out: &Pipe) -> DisconnectReason {
    loop {
        let ready = ws.out_ready.notified();
        let (pending, done, idle) = {
            let mut st = ws.lock();
            let done = if st.og.chunks.is_empty() {
                st.fill(out)
            } else {
                false
            };
            if st.og.chunks.is_empty() {
                (false, done, true)
            } else {
                match st.og.try_write(&ws.half) {
                    Ok(all) => (!all, false, false),
                    Err(e) => return io_reason(&e),
                }
            }
        };
        if pending {
            // The kernel's buffer is full: wait until it takes more.
            if let Err(e) = ws.half.writable().await {
                return io_reason(&e);
            }
        } else if done {
            // Dropping the write half (when the engine ends) shuts the
            // connection down in order.
            return DisconnectReason::SocketClosed;
        } else if idle {
            ready.await;
        }
    }
}

/// Encoded bytes waiting for the kernel, and the messages they carry.
#[derive(Default)]
struct Outgoing {
    chunks: VecDeque<Bytes>,
    /// Messages not yet completely written, with the stream offset just
    /// past their last byte; kept only when `keep_unsent` (a connected
    /// endpoint, whose next connection sends them again).
    msgs: VecDeque<(Message, u64)>,
    keep_unsent: bool,
    /// SUB and XSUB to a ZMTP 3.1 peer: single-frame messages starting
    /// with 1 or 0 go out as SUBSCRIBE or CANCEL commands.
    subs_as_commands: bool,
    scratch: BytesMut,
    /// Length of `scratch` already counted in `queued_end`.
    sealed_scratch: u64,
    queued_end: u64,
    written: u64,
}

impl Outgoing {
    fn push_message(&mut self, msg: Message) {
        if self.subs_as_commands && msg.len() == 1 {
            let f = msg.first();
            match f.first() {
                Some(1) => return self.push_command(&Command::Subscribe(f.slice(1..))),
                Some(0) => return self.push_command(&Command::Cancel(f.slice(1..))),
                _ => {}
            }
        }
        let frames = msg.frames();
        let last = frames.len() - 1;
        let mut size = 0u64;
        for (i, f) in frames.iter().enumerate() {
            let more = i < last;
            if f.len() <= INLINE_MAX {
                let before = self.scratch.len();
                encode_frame(f, more, false, &mut self.scratch);
                size += (self.scratch.len() - before) as u64;
            } else {
                let (hdr, n) = frame_header(f.len(), more, false);
                self.scratch.extend_from_slice(&hdr[..n]);
                self.seal();
                self.chunks.push_back(f.clone());
                size += (n + f.len()) as u64;
            }
        }
        self.queued_end += size;
        self.sealed_scratch = self.scratch.len() as u64;
        if self.keep_unsent {
            self.msgs.push_back((msg, self.queued_end));
        }
    }

    fn seal(&mut self) {
        if !self.scratch.is_empty() {
            self.chunks.push_back(self.scratch.split().freeze());
        }
        self.sealed_scratch = 0;
    }

    fn push_command(&mut self, c: &Command) {
        let before = self.scratch.len();
        c.encode(&mut self.scratch);
        self.queued_end += (self.scratch.len() - before) as u64;
        self.sealed_scratch = self.scratch.len() as u64;
    }

    /// Writes what the kernel takes now, without waiting. `Ok(true)` when
    /// everything was written, `Ok(false)` when the kernel's buffer is full.
    fn try_write(&mut self, half: &WriteHalf) -> std::io::Result<bool> {
        while !self.chunks.is_empty() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let n_iov = self.chunks.len().min(MAX_IOV);
            for (slot, c) in iov.iter_mut().zip(self.chunks.iter()) {
                *slot = IoSlice::new(c);
            }
            match half.try_write_vectored(&iov[..n_iov]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => self.advance(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    fn advance(&mut self, n: usize) {
        self.written += n as u64;
        let mut left = n;
        while left > 0 {
            let front = &mut self.chunks[0];
            if front.len() <= left {
                left -= front.len();
                self.chunks.pop_front();
            } else {
                front.advance(left);
                left = 0;
            }
        }
        while self
            .msgs
            .front()
            .is_some_and(|(_, end)| *end <= self.written)
        {
            self.msgs.pop_front();
        }
    }

    /// Messages not completely written (a partly written one included: the
    /// peer discards a frame cut short by a lost connection).
    fn into_unsent(self) -> VecDeque<Message> {
        self.msgs.into_iter().map(|(m, _)| m).collect()
    }
}
