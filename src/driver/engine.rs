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

use crate::driver::core::{PeerKind, SocketCore};
use crate::driver::monitor::{DisconnectReason, SocketEvent};
use crate::driver::pipe::{Hook, Pipe};
use crate::message::Message;
use crate::zmtp::{
    encode_frame, frame_header, Command, FrameDecoder, Handshake, HandshakeConfig, HandshakeStatus,
    ProtocolError, SocketType,
};
use bytes::{Buf, Bytes, BytesMut};
use oxmq_transports::Stream;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

/// Most messages taken from the outbound pipe per batch.
const MAX_BATCH: usize = 1024;
/// Frames up to this size are copied into the write buffer; larger ones
/// are written from their own `Bytes`.
const INLINE_MAX: usize = 8 * 1024;
/// Smallest free space kept in the read buffer before each read.
const READ_CHUNK: usize = 64 * 1024;
/// Cap on what one partial frame may make the reader reserve at once.
const MAX_RESERVE: usize = 4 * 1024 * 1024;
/// Most slices in one vectored write.
const MAX_IOV: usize = 64;

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
    let _info = match result {
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

    let mut binding = Binding::new(&core, attach);
    binding.report = Some((endpoint.clone(), peer.clone()));
    let out_ready = Arc::new(Notify::new());
    let in_room = Arc::new(Notify::new());
    binding.out.set_reader(Some(notify_hook(&out_ready)));
    binding.inp.set_writer(Some(notify_hook(&in_room)));
    // Anything queued before this connection existed is waiting already.
    out_ready.notify_one();

    let control = Mutex::new(VecDeque::new());
    let mut outgoing = Outgoing::default();
    let single_frame = matches!(core.kind, SocketType::Client | SocketType::Server);
    let reason = {
        let reader = read_loop(
            &core,
            &mut rd,
            &mut inb,
            &binding.inp,
            &in_room,
            &out_ready,
            &control,
            single_frame,
        );
        let writer = write_loop(&mut wr, &binding.out, &out_ready, &control, &mut outgoing);
        tokio::pin!(reader, writer);
        tokio::select! {
            r = &mut reader => match r {
                // The socket stopped receiving (it is closing): keep
                // flushing what it sent until the linger runs out.
                DisconnectReason::SocketClosed => (&mut writer).await,
                other => other,
            },
            w = &mut writer => w,
        }
    };
    if let AttachKind::Persistent = binding.attach {
        // Whatever did not reach the kernel goes out on the next connection.
        let mut unsent = outgoing.into_unsent();
        binding.out.unpop(&mut unsent);
    }
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

/// The pipes a connection serves, released when it ends (also when its
/// task is aborted).
struct Binding {
    core: Arc<SocketCore>,
    out: Arc<Pipe>,
    inp: Arc<Pipe>,
    attach: AttachKind,
    /// Endpoint and peer to report `Disconnected` for when dropped (also
    /// when the task is aborted by unbind, disconnect or close).
    report: Option<(String, String)>,
    reason: DisconnectReason,
}

enum AttachKind {
    Accepted(crate::pattern::RoutingId),
    Persistent,
}

impl Binding {
    fn new(core: &Arc<SocketCore>, attach: Attach) -> Binding {
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
                    report: None,
                    reason: DisconnectReason::SocketClosed,
                }
            }
            Attach::Persistent { out, inp } => Binding {
                core: core.clone(),
                out,
                inp,
                attach: AttachKind::Persistent,
                report: None,
                reason: DisconnectReason::SocketClosed,
            },
        }
    }
}

impl Drop for Binding {
    fn drop(&mut self) {
        match self.attach {
            AttachKind::Accepted(id) => {
                // The peer is gone: later sends to its id fail, and what it
                // sent before leaving can still be received.
                self.out.close_reader();
                self.inp.close_writer();
                self.core.detach_keep_input(id);
            }
            AttachKind::Persistent => {
                self.out.set_reader(None);
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

#[allow(clippy::too_many_arguments)]
async fn read_loop<R: AsyncRead + Unpin>(
    core: &SocketCore,
    rd: &mut R,
    inb: &mut BytesMut,
    inp: &Pipe,
    in_room: &Notify,
    out_ready: &Notify,
    control: &Mutex<VecDeque<Command>>,
    single_frame: bool,
) -> DisconnectReason {
    let mut decoder = FrameDecoder::new(core.options.maxmsgsize);
    let mut parts: Vec<Bytes> = Vec::new();
    let mut batch: VecDeque<Message> = VecDeque::new();
    loop {
        // A protocol error ends the connection, but only after the messages
        // decoded before it are handed over: the peer sent them whole.
        let mut failed = None;
        loop {
            let frame = match decoder.decode(inb) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    failed = Some(DisconnectReason::Protocol(e));
                    break;
                }
            };
            if frame.command {
                match Command::parse(frame.body) {
                    Ok(Command::Ping { context, .. }) => {
                        control
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push_back(Command::Pong { context });
                        out_ready.notify_one();
                    }
                    Ok(Command::Error { reason }) => {
                        failed = Some(DisconnectReason::Protocol(ProtocolError::PeerError(reason)));
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        failed = Some(DisconnectReason::Protocol(e));
                        break;
                    }
                }
                continue;
            }
            if frame.more {
                parts.push(frame.body);
                continue;
            }
            let msg = if parts.is_empty() {
                Message::from(frame.body)
            } else {
                parts.push(frame.body);
                Message::from_frames(std::mem::take(&mut parts))
            };
            if single_frame && msg.len() > 1 {
                // RFC 41: CLIENT and SERVER discard multipart messages whole.
                core.counters
                    .dropped_multipart
                    .fetch_add(1, Ordering::Relaxed);
                tracing::debug!("discarded a multipart message on a {} socket", core.kind);
                continue;
            }
            batch.push_back(msg);
        }
        while !batch.is_empty() {
            let room = in_room.notified();
            if inp.push_batch(&mut batch).is_err() {
                return DisconnectReason::SocketClosed;
            }
            if !batch.is_empty() {
                room.await;
            }
        }
        if let Some(reason) = failed {
            return reason;
        }
        let need = decoder.bytes_needed(inb).unwrap_or(0).min(MAX_RESERVE);
        let free = inb.capacity() - inb.len();
        if free < READ_CHUNK.max(need) {
            inb.reserve(READ_CHUNK.max(need));
        }
        match rd.read_buf(inb).await {
            Ok(0) => return DisconnectReason::PeerClosed,
            Ok(_) => {}
            Err(e) => return io_reason(&e),
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(
    wr: &mut W,
    out: &Pipe,
    out_ready: &Notify,
    control: &Mutex<VecDeque<Command>>,
    og: &mut Outgoing,
) -> DisconnectReason {
    let mut batch = VecDeque::new();
    loop {
        if og.chunks.is_empty() {
            let ready = out_ready.notified();
            let commands: Vec<Command> = control
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain(..)
                .collect();
            for c in commands {
                c.encode(&mut og.scratch);
                og.queued_end += og.scratch.len() as u64 - og.sealed_scratch;
                og.sealed_scratch = og.scratch.len() as u64;
            }
            let done = out.pop_batch(&mut batch, MAX_BATCH);
            for m in batch.drain(..) {
                og.push_message(m);
            }
            og.seal();
            if og.chunks.is_empty() {
                if done {
                    let _ = wr.shutdown().await;
                    return DisconnectReason::SocketClosed;
                }
                ready.await;
                continue;
            }
        }
        if let Err(e) = og.write_some(wr).await {
            return io_reason(&e);
        }
    }
}

/// Encoded bytes waiting for the kernel, and the messages they carry.
#[derive(Default)]
struct Outgoing {
    chunks: VecDeque<Bytes>,
    /// Messages not yet completely written, with the stream offset just
    /// past their last byte.
    msgs: VecDeque<(Message, u64)>,
    scratch: BytesMut,
    /// Length of `scratch` already counted in `queued_end`.
    sealed_scratch: u64,
    queued_end: u64,
    written: u64,
}

impl Outgoing {
    fn push_message(&mut self, msg: Message) {
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
        self.msgs.push_back((msg, self.queued_end));
    }

    fn seal(&mut self) {
        if !self.scratch.is_empty() {
            self.chunks.push_back(self.scratch.split().freeze());
        }
        self.sealed_scratch = 0;
    }

    async fn write_some<W: AsyncWrite + Unpin>(&mut self, wr: &mut W) -> std::io::Result<()> {
        let n = if self.chunks.len() == 1 {
            wr.write(&self.chunks[0]).await?
        } else {
            let slices: Vec<IoSlice<'_>> = self
                .chunks
                .iter()
                .take(MAX_IOV)
                .map(|c| IoSlice::new(c))
                .collect();
            wr.write_vectored(&slices).await?
        };
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
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
        Ok(())
    }

    /// Messages not completely written (a partly written one included: the
    /// peer discards a frame cut short by a lost connection).
    fn into_unsent(self) -> VecDeque<Message> {
        self.msgs.into_iter().map(|(m, _)| m).collect()
    }
}
