//! One established tcp or ipc connection, shared by its engine task and
//! by the application threads that read or write it themselves
//! (SPEC §6.1). Whoever moves bytes holds the session lock, so bytes are
//! decoded, and messages encoded, in order. This is I/O only: every
//! protocol decision is the session's.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use oxmq_transports::{ReadHalf, WriteHalf};
use tokio::sync::Notify;

use crate::driver::core::stats::Counters;
use crate::driver::direct::DirectSource;
use crate::driver::monitor::DisconnectReason;
use crate::driver::pipe::{Hook, Pipe};
use crate::message::Message;
use crate::zmtp::{Session, SessionEnd, SessionEvent};

/// Most messages taken from the outbound pipe per batch.
const MAX_BATCH: usize = 1024;
/// Free space made in the read buffer before a read: starts small (idle
/// connections stay cheap) and doubles after every read that filled it,
/// up to `READ_CHUNK_MAX`; halves again after reads that used under a
/// quarter of it (SPEC §3.3).
pub(super) const READ_CHUNK: usize = 16 * 1024;
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
/// Largest frame a direct reader copies in through its scratch buffer;
/// larger ones are left to the engine, which reads them in place.
const DIRECT_MAX_FRAME: usize = 8 * 1024;

/// The mutable part of a connection, under its lock.
pub(super) struct State {
    pub(super) session: Session,
    /// Free space offered to the next read (adaptive, see `READ_CHUNK`).
    chunk: usize,
    /// How the transport failed, if it did (the session decides every
    /// other end).
    io_end: Option<DisconnectReason>,
    /// The connection is over: nobody may take messages from the pipe for
    /// it any more.
    pub(super) closed: bool,
    /// The session's resumption record was taken back (SPEC §3.7): a
    /// direct reader may decode nothing more from it.
    pub(super) sealed: bool,
    /// When a sending thread last wrote by itself.
    last_direct: Option<Instant>,
    /// Messages moved out of the outbound pipe, to encode (kept to reuse
    /// its allocation; empty between uses).
    batch: VecDeque<Message>,
}

/// What [`Connection::flush`] found.
pub(super) enum Flushed {
    /// Everything decoded is in the pipe; reading may go on.
    Clear,
    /// The pipe is full: wait for room before reading more.
    Full,
    /// The socket no longer receives.
    SocketClosed,
    /// The connection is over, for this reason.
    End(DisconnectReason),
}

/// See the module documentation.
pub(super) struct Connection {
    read: ReadHalf,
    write: WriteHalf,
    state: Mutex<State>,
    /// Messages from the peer go here.
    inp: Arc<Pipe>,
    /// Messages to the peer come from here (for its `unacknowledged`
    /// counter).
    out: Arc<Pipe>,
    /// The socket's count of multipart messages dropped (RFC 41).
    dropped_multipart: Arc<AtomicU64>,
    /// Wakes the engine's writer.
    pub(super) out_ready: Notify,
    /// Wakes the engine's reader: a direct reader found the end of the
    /// connection, or left data it did not read.
    pub(super) wake: Notify,
    /// Wakes the engine's timer: the session's deadline may be earlier.
    pub(super) timer: Notify,
    /// A blocking receiver waits on this connection in poll(2): the
    /// engine leaves the reading to it.
    pub(super) direct: AtomicBool,
    /// A frame larger than `DIRECT_MAX_FRAME` is being received: the
    /// engine reads it (straight into the read buffer, no copy) and direct
    /// readers leave the connection alone until it is complete.
    pub(super) bulk: AtomicBool,
    /// The writer waits for an ACK ([`WriteStep::AwaitAcks`]).
    awaiting_acks: AtomicBool,
}

/// Maps a transport error to the reason the connection ended.
pub(super) fn io_reason(e: &std::io::Error) -> DisconnectReason {
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

/// Maps the session's end to the reason reported (SPEC §6.6).
pub(super) fn session_reason(end: &SessionEnd) -> DisconnectReason {
    match end {
        SessionEnd::PeerClosed => DisconnectReason::PeerClosed,
        SessionEnd::Protocol(e) => DisconnectReason::Protocol(e.clone()),
        SessionEnd::HandshakeTimeout => DisconnectReason::HandshakeTimeout,
        SessionEnd::HeartbeatTimeout => DisconnectReason::HeartbeatTimeout,
    }
}

impl State {
    /// How the connection ended, if it has: the transport's failure or the
    /// session's end, whichever came first. Once set, it stays.
    pub(super) fn end(&self) -> Option<DisconnectReason> {
        self.io_end
            .clone()
            .or_else(|| self.session.end().map(session_reason))
    }

    /// Encodes up to `MAX_BATCH` queued messages. Returns true when the
    /// pipe is drained and its writer has left. The messages are only
    /// moved out under the pipe's lock and encoded after it is released,
    /// so a sender pushing meanwhile is not held up by the encoding.
    fn fill(&mut self, out: &Pipe) -> bool {
        // No more than the window of unacknowledged messages takes
        // (SPEC §3.7): a full one leaves them queued, as at `sndhwm`.
        let room = MAX_BATCH.min(self.session.send_room());
        if room == 0 {
            return false;
        }
        let batch = &mut self.batch;
        let done = out.drain_into(room, |m| batch.push_back(m)).done;
        for m in self.batch.drain(..) {
            // Per message, and free when TRACE is off: the level check is
            // a load and a compare, the fields are not evaluated.
            tracing::trace!(frames = m.len(), bytes = m.byte_len(), "message out");
            self.session.send_message(m);
        }
        out.set_unacknowledged(self.session.unacknowledged());
        done
    }

    /// Writes what the kernel takes now, without waiting. `Ok(true)` when
    /// everything was written, `Ok(false)` when the kernel's buffer is full.
    fn try_write(&mut self, half: &WriteHalf) -> std::io::Result<bool> {
        loop {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let n = self.session.poll_transmit(&mut iov);
            if n == 0 {
                return Ok(true);
            }
            match half.try_write_vectored(&iov[..n]) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(k) => self.session.transmitted(k),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether the frame arriving is larger than a direct reader should
    /// copy.
    fn large_frame_pending(&self) -> bool {
        self.session
            .bytes_needed()
            .is_some_and(|n| n > DIRECT_MAX_FRAME)
    }
}

/// What the writer loop should do next.
pub(super) enum WriteStep {
    /// Wait for the kernel to take more.
    Blocked,
    /// Nothing to write: wait for messages.
    Idle,
    /// The socket stopped sending and everything went out.
    Done,
    /// Messages wait for acknowledgements: the window is full, or the
    /// socket stopped sending and some are unacknowledged (SPEC §3.7).
    AwaitAcks,
}

impl Connection {
    pub(super) fn new(
        session: Session,
        read: ReadHalf,
        write: WriteHalf,
        inp: Arc<Pipe>,
        out: Arc<Pipe>,
        dropped_multipart: Arc<AtomicU64>,
    ) -> Connection {
        Connection {
            out,
            read,
            write,
            state: Mutex::new(State {
                session,
                chunk: READ_CHUNK,
                io_end: None,
                closed: false,
                sealed: false,
                last_direct: None,
                batch: VecDeque::new(),
            }),
            inp,
            dropped_multipart,
            out_ready: Notify::new(),
            wake: Notify::new(),
            timer: Notify::new(),
            direct: AtomicBool::new(false),
            bulk: AtomicBool::new(false),
            awaiting_acks: AtomicBool::new(false),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the session has to say after an input: multipart drops are
    /// counted, bytes it queued (a PONG) wake the writer, a deadline moved
    /// earlier wakes the timer.
    fn after_input(&self, st: &mut State, deadline_before: Option<Instant>, acks_before: u64) {
        while let Some(ev) = st.session.poll_event() {
            if ev == SessionEvent::MultipartDropped {
                Counters::count(&self.dropped_multipart);
                tracing::debug!("discarded a multipart message (RFC 41)");
            }
        }
        // An ACK may have opened the window, or ended the wait of a close:
        // the writer is woken only if it waits for one (an ACK rides on
        // most replies, and waking it for each would cost a task switch).
        let acked = st.session.ack_counts().1 != acks_before;
        if acked {
            self.out.set_unacknowledged(st.session.unacknowledged());
        }
        let waited = acked && self.awaiting_acks.swap(false, Ordering::AcqRel);
        if st.session.has_transmit() || waited {
            self.out_ready.notify_one();
        }
        let after = st.session.poll_timeout();
        if after.is_some() && (deadline_before.is_none() || after < deadline_before) {
            self.timer.notify_one();
        }
    }

    /// Hands decoded messages to the inbound pipe (as many as it has room
    /// for) and says what the reader may do next.
    pub(super) fn flush(&self, st: &mut State) -> Flushed {
        let msgs = st.session.messages();
        if tracing::enabled!(tracing::Level::TRACE) {
            for m in msgs.iter() {
                tracing::trace!(frames = m.len(), bytes = m.byte_len(), "message in");
            }
        }
        if !msgs.is_empty() && self.inp.push_batch(msgs).is_err() {
            if !st.session.is_resumable() {
                return Flushed::SocketClosed;
            }
            // The socket no longer receives, but ACKs must still be read
            // while it lingers (SPEC §3.7): what comes is discarded.
            st.session.messages().clear();
        }
        if st.session.ack_due() {
            // An ACK is due now that the messages were handed over.
            self.out_ready.notify_one();
        }
        if !st.session.messages().is_empty() {
            Flushed::Full
        } else if let Some(reason) = st.end() {
            Flushed::End(reason)
        } else {
            Flushed::Clear
        }
    }

    /// The engine's read: what the kernel has now, into the session's
    /// buffer (no copy), then decoded.
    pub(super) fn read_engine(&self) {
        let mut st = self.lock();
        let st = &mut *st;
        let need = st.session.bytes_needed().unwrap_or(0).min(MAX_RESERVE);
        let want = st.chunk.max(need);
        let before = st.session.poll_timeout();
        let acks = st.session.ack_counts().1;
        let buf = st.session.read_buffer();
        if buf.capacity() - buf.len() < want {
            buf.reserve(want);
        }
        let offered = buf.capacity() - buf.len();
        match self.read.try_read_buf(buf) {
            Ok(0) => st.session.handle_eof(Instant::now()),
            Ok(n) => {
                if n == offered {
                    st.chunk = (st.chunk * 2).min(READ_CHUNK_MAX);
                } else if n < st.chunk / 4 {
                    st.chunk = (st.chunk / 2).max(READ_CHUNK);
                }
                st.session.handle_read(Instant::now(), n);
                self.bulk.store(st.large_frame_pending(), Ordering::SeqCst);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                st.io_end.get_or_insert(io_reason(&e));
            }
        }
        self.after_input(st, before, acks);
    }

    /// Waits until the connection may be readable.
    pub(super) async fn readable(&self) -> std::io::Result<()> {
        self.read.readable().await
    }

    /// The engine's write: takes queued messages when nothing is pending,
    /// and writes what the kernel takes.
    pub(super) fn write_engine(&self, out: &Pipe) -> Result<WriteStep, DisconnectReason> {
        let mut st = self.lock();
        let done = if st.session.has_transmit() {
            false
        } else {
            st.fill(out)
        };
        if !st.session.has_transmit() {
            let waits = st.session.unacknowledged() > 0;
            return Ok(if done && !waits {
                WriteStep::Done
            } else if waits && (done || st.session.send_room() == 0) {
                self.awaiting_acks.store(true, Ordering::Release);
                WriteStep::AwaitAcks
            } else {
                WriteStep::Idle
            });
        }
        match st.try_write(&self.write) {
            Ok(true) => Ok(WriteStep::Idle),
            Ok(false) => Ok(WriteStep::Blocked),
            Err(e) => Err(io_reason(&e)),
        }
    }

    /// Waits until the kernel may take more bytes.
    pub(super) async fn writable(&self) -> std::io::Result<()> {
        self.write.writable().await
    }

    /// The session's timer fired (or may have): lets it act at `now`.
    /// Returns the connection's end, if it has ended.
    pub(super) fn timeout(&self, now: Instant) -> Option<DisconnectReason> {
        let mut st = self.lock();
        st.session.handle_timeout(now);
        if st.session.has_transmit() {
            self.out_ready.notify_one();
        }
        st.end()
    }

    /// Our side ends the connection (the socket closes, or leaves the
    /// peer): BYE goes out if the kernel takes it now (SPEC §3.7).
    pub(super) fn farewell(&self) {
        let mut st = self.lock();
        if st.session.is_resumable() {
            st.session.say_bye();
            let _ = st.try_write(&self.write);
        }
    }

    /// When the session's timer must fire next.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.lock().session.poll_timeout()
    }
}

/// The outbound pipe's reader hook: runs in the sending thread when a
/// push finds the pipe's reader (the engine's writer) asleep, after the
/// sender released its socket's locks. Writes the message right there if
/// the connection is idle (SPEC §6.1), else wakes the engine.
pub(super) fn direct_write_hook(conn: &Arc<Connection>, out: &Arc<Pipe>) -> Hook {
    let conn: Weak<Connection> = Arc::downgrade(conn);
    let out: Weak<Pipe> = Arc::downgrade(out);
    Arc::new(move || {
        let (Some(conn), Some(out)) = (conn.upgrade(), out.upgrade()) else {
            return;
        };
        if let Ok(mut st) = conn.state.try_lock() {
            if !st.closed && !st.session.has_transmit() {
                let now = Instant::now();
                // Idle: nothing sent for a while, or an answer came since
                // the last direct write (request/reply). A one-way stream
                // goes to the engine, which batches it.
                let heard = st.session.last_received();
                let idle = st.last_direct.is_none_or(|t| {
                    let gap = now.duration_since(t);
                    gap >= DIRECT_IDLE || (gap >= DIRECT_GAP && heard.is_some_and(|h| h >= t))
                });
                if idle {
                    st.last_direct = Some(now);
                    let done = st.fill(&out);
                    if let (Ok(true), false) = (st.try_write(&conn.write), done) {
                        // Written: the pipe's reader sleeps again, unless
                        // more came meanwhile, which the engine takes.
                        if !out.sleep() {
                            return;
                        }
                    }
                    // Left over (kernel buffer full), failed, or the socket
                    // is closing: the engine finishes the write, reports
                    // the error or ends the connection.
                }
            }
        }
        conn.out_ready.notify_one();
    })
}

impl DirectSource for Connection {
    fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    fn is_bulk(&self) -> bool {
        self.bulk.load(Ordering::SeqCst)
    }

    fn set_direct(&self, on: bool) {
        self.direct.store(on, Ordering::SeqCst);
    }

    /// A read by a blocking receiver that poll(2) found the connection
    /// readable for: reads what the kernel has into `scratch` (bypassing
    /// the runtime), decodes it and hands the messages to the socket.
    /// Reads nothing while earlier messages still wait for room.
    fn read_direct(&self, scratch: &mut [u8]) -> bool {
        // The engine holds the lock only for one read and decode (never
        // across an await): wait for it rather than poll again.
        let mut guard = self.lock();
        let st = &mut *guard;
        if st.sealed {
            // Its session's record was taken with the count of what it
            // handed over (SPEC §3.7): it may hand over nothing more.
            self.bulk.store(true, Ordering::SeqCst);
            return false;
        }
        let mut full = false;
        if matches!(self.flush(st), Flushed::Clear) {
            let before = st.session.poll_timeout();
            let acks = st.session.ack_counts().1;
            match rustix::io::read(&self.read, &mut *scratch) {
                Ok(0) => st.session.handle_eof(Instant::now()),
                Ok(n) => {
                    full = n == scratch.len();
                    st.session.handle_bytes(Instant::now(), &scratch[..n]);
                    if st.large_frame_pending() {
                        // Copying a large frame through `scratch` would
                        // cost a copy per byte: the engine takes over.
                        self.bulk.store(true, Ordering::SeqCst);
                        full = true;
                    }
                }
                Err(e) if e == rustix::io::Errno::AGAIN || e == rustix::io::Errno::INTR => {}
                Err(e) => {
                    st.io_end.get_or_insert(io_reason(&e.into()));
                }
            }
            self.after_input(st, before, acks);
            // Hand over what was decoded; an end stays recorded for the
            // engine, which reports it and releases the connection.
            self.flush(st);
        }
        let ended = st.end().is_some();
        if ended {
            // The engine reports the end and unregisters the connection;
            // until then its descriptor stays readable (end of file), and
            // a direct reader polling it would wake at once, every time:
            // it is the engine's from now on, like a large frame.
            self.bulk.store(true, Ordering::SeqCst);
        }
        let left_over = !st.session.messages().is_empty();
        drop(guard);
        if ended || left_over {
            self.wake.notify_one();
        }
        full
    }

    fn wake_engine(&self) {
        self.wake.notify_one();
    }
}
