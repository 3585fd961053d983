//! The engine: one tokio task per tcp or ipc connection, moving bytes
//! between the stream and the connection's `zmtp::Session`, and messages
//! between the session and the socket's pipes (SPEC §3, §6.1). It holds
//! no protocol logic: it reads into the session's buffer, writes what the
//! session gives it, hands decoded messages to the inbound pipe, offers
//! the outbound pipe's messages to the session, and sleeps until the next
//! readiness, message or the one deadline the session asks for.
//!
//! Writes are batched: the engine takes every message queued in the
//! outbound pipe (up to 1024), which the session encodes into one buffer
//! (large frames stay in the caller's `Bytes`), written with one vectored
//! write. Reads are large, and every frame in a read is decoded before
//! the batch of messages is handed to the socket under one lock.
//!
//! On an idle connection the sending thread writes the message itself
//! instead of waking the engine ([`connection::direct_write_hook`]), and a
//! thread blocked in a receive may read the connection itself
//! (`driver::direct`); the engine then leaves the reading to it, and looks
//! again when told or after `DIRECT_DEFER`. That lease is the engine's
//! only wait with a time limit besides the session's deadline: it shares
//! the reading between two threads, and decides nothing about the
//! protocol.

mod binding;
mod connection;

pub(crate) use binding::{lock_slot, Attach, ResumeSlot};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

use bytes::Bytes;
use oxmq_transports::{ReadHalf, Stream, WriteHalf};

use crate::driver::core::resume::{Claim, ParkedPeer};
use crate::driver::core::Port;
use crate::driver::monitor::{DisconnectReason, SocketEvent};
use crate::driver::pipe::Hook;
use crate::driver::zap;
use crate::options::SocketOptions;
use crate::zmtp::resume::{ResumeOutcome, ResumeState, SessionId};
use crate::zmtp::security::curve::CurveClientKeys;
use crate::zmtp::security::plain::PlainCredentials;
use crate::zmtp::security::zap::ZapConfig;
use crate::zmtp::security::Security;
use crate::zmtp::session::Resume;
use crate::zmtp::{
    HeartbeatConfig, Limits, PeerInfo, ProtocolError, Session, SessionConfig, SessionEvent,
    SocketType,
};
use binding::{Binding, Resumed};
use connection::{
    direct_write_hook, io_reason, session_reason, Connection, Flushed, WriteStep, READ_CHUNK,
};

/// How a connection ended.
pub(crate) struct EngineEnd {
    /// Whether the handshake had completed.
    pub(crate) handshake_done: bool,
    /// The peer refused our credentials with ERROR during the handshake
    /// (SPEC §9.3): RFC 37 says not to reconnect with them.
    pub(crate) credentials_refused: Option<DisconnectReason>,
}

/// How long an engine leaves its connection to a direct reader before it
/// looks again (it also looks when woken).
const DIRECT_DEFER: Duration = Duration::from_millis(5);

/// The session a socket's connection runs (SPEC §7 options).
fn session_config(port: &dyn Port, attach: &Attach, peer_address: Bytes) -> SessionConfig {
    let o = port.options();
    SessionConfig {
        socket_type: port.kind(),
        identity: o.routing_id.clone(),
        security: security(o),
        peer_address,
        zap: ZapConfig {
            domain: o.zap_domain.clone(),
            enforce: o.zap_enforce_domain,
        },
        limits: Limits {
            max_frame: o.maxmsgsize,
            max_frames: o.max_frames,
            max_message_bytes: o.rcvhwm_bytes,
        },
        handshake_timeout: o.handshake_ivl,
        heartbeat: HeartbeatConfig {
            interval: o.heartbeat_ivl,
            timeout: o.heartbeat_timeout,
            ttl: o.heartbeat_ttl,
        },
        keep_unsent: matches!(attach, Attach::Persistent { .. }),
        resend_on_reset: o.resend_on_reset,
    }
}

/// Whether the socket offers resumption on its tcp and ipc connections
/// (SPEC §3.7): the option is on, the socket type promises not to drop,
/// and the mechanism is NULL.
fn resumable(port: &dyn Port) -> bool {
    let o = port.options();
    o.resume
        && security(o) == Security::Null
        && matches!(
            port.kind(),
            SocketType::Client
                | SocketType::Server
                | SocketType::Push
                | SocketType::Pull
                | SocketType::Dealer
                | SocketType::Router
                | SocketType::Req
                | SocketType::Rep
                | SocketType::Pair
        )
}

/// What the handshake settled about resumption (SPEC §3.7).
#[derive(Default)]
struct Handover {
    /// The accepting side's claim on the peer's session.
    claim: Option<Claimed>,
    /// What the connection did to the relationship.
    outcome: Option<ResumeOutcome>,
}

/// The accepting side's claim on a session: its key and turn, the signal
/// that makes this connection give way to a newer one, and the detached
/// peer it resumes.
struct Claimed {
    key: SessionId,
    turn: u64,
    kick: Arc<tokio::sync::Notify>,
    parked: Option<Box<ParkedPeer>>,
}

/// Claims session `key`, waiting while an older connection gives it up.
async fn claim(port: &dyn Port, key: SessionId) -> Claim {
    loop {
        let changed = port.resumptions().changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        match port.resumptions().claim(key) {
            Claim::Busy => changed.await,
            c => return c,
        }
    }
}

type Claiming<'a> = Pin<Box<dyn Future<Output = Claim> + Send + 'a>>;

/// The mechanism the options choose (SPEC §9): CURVE server or client,
/// PLAIN server or client, or NULL. `bind` and `connect` refused options
/// that mix them or lack a key (`SocketOptions::check`).
fn security(o: &SocketOptions) -> Security {
    if let Some(secret) = &o.curve_secretkey {
        if o.curve_server {
            return Security::CurveServer {
                secret: secret.clone(),
            };
        }
        if let Some(server) = o.curve_serverkey {
            return Security::CurveClient(CurveClientKeys::new(secret.clone(), server));
        }
    }
    if o.plain_server {
        return Security::PlainServer;
    }
    // `bind` and `connect` refused credentials of more than 255 bytes
    // (`SocketOptions::check`), so `new` takes these.
    o.plain_client()
        .and_then(|(user, password)| PlainCredentials::new(user, password))
        .map_or(Security::Null, Security::PlainClient)
}

/// Drives the session through the handshake: writes what it queues,
/// reads what comes, asks the ZAP handler when it wants a verdict
/// (SPEC §9.2), wakes for its deadline.
async fn handshake(
    session: &mut Session,
    rd: &ReadHalf,
    wr: &WriteHalf,
    port: &dyn Port,
    handover: &mut Handover,
) -> Result<PeerInfo, DisconnectReason> {
    let mut buf_hint = 256;
    let mut verdict = None;
    let mut claiming: Option<(SessionId, Claiming<'_>)> = None;
    loop {
        write_all(session, wr).await?;
        while let Some(ev) = session.poll_event() {
            match ev {
                SessionEvent::Established(info) => return Ok(info),
                SessionEvent::Closed(end) => return Err(session_reason(&end)),
                SessionEvent::MultipartDropped => {}
                SessionEvent::ZapRequest(request) => {
                    verdict = Some(Box::pin(async move { zap::ask(&request).await }));
                }
                SessionEvent::ResumeLookup(offer) => {
                    claiming = Some((offer.session, Box::pin(claim(port, offer.session))));
                }
                SessionEvent::Resumed(outcome) => handover.outcome = Some(outcome),
            }
        }
        let deadline = session.poll_timeout();
        let asking = async {
            match verdict.as_mut() {
                Some(v) => v.await,
                None => std::future::pending().await,
            }
        };
        let looking = async {
            match claiming.as_mut() {
                Some((_, c)) => c.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = rd.readable() => r.map_err(|e| io_reason(&e))?,
            _ = sleep_until(deadline) => {
                session.handle_timeout(Instant::now());
                continue;
            }
            outcome = asking => {
                verdict = None;
                session.handle_zap(Instant::now(), outcome);
                continue;
            }
            claimed = looking => {
                let Some((key, _)) = claiming.take() else { continue };
                let state = match claimed {
                    Claim::Fresh { turn, kick } => {
                        handover.claim = Some(Claimed { key, turn, kick, parked: None });
                        ResumeState::new(port.options().sndhwm)
                    }
                    Claim::Parked { turn, kick, mut peer } => {
                        let state = std::mem::replace(&mut peer.state, ResumeState::new(0));
                        handover.claim = Some(Claimed { key, turn, kick, parked: Some(peer) });
                        state
                    }
                    // `claim` waits until it is not busy.
                    Claim::Busy => continue,
                };
                session.handle_resume(Instant::now(), state);
                continue;
            }
        }
        let buf = session.read_buffer();
        if buf.capacity() - buf.len() < buf_hint {
            buf.reserve(READ_CHUNK);
            buf_hint = READ_CHUNK / 4;
        }
        match rd.try_read_buf(buf) {
            Ok(0) => session.handle_eof(Instant::now()),
            Ok(n) => session.handle_read(Instant::now(), n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_reason(&e)),
        }
    }
}

/// Sleeps until `at`, or for ever without a deadline.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Writes everything the session has queued (the handshake's bytes).
async fn write_all(session: &mut Session, wr: &WriteHalf) -> Result<(), DisconnectReason> {
    loop {
        let mut iov = [std::io::IoSlice::new(&[]); 16];
        let n = session.poll_transmit(&mut iov);
        if n == 0 {
            return Ok(());
        }
        match wr.try_write_vectored(&iov[..n]) {
            Ok(0) => return Err(io_reason(&std::io::ErrorKind::WriteZero.into())),
            Ok(k) => session.transmitted(k),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                wr.writable().await.map_err(|e| io_reason(&e))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_reason(&e)),
        }
    }
}

/// Runs one connection to its end, inside its tracing span (SPEC §6.6):
/// the socket type, endpoint, peer address and, once the handshake told
/// it, the peer's routing id (its `Identity` property, if it sent one).
pub(crate) async fn run(
    port: Arc<dyn Port>,
    stream: Stream,
    endpoint: String,
    peer: String,
    attach: Attach,
) -> EngineEnd {
    let span = tracing::debug_span!(
        "connection",
        socket = %port.kind(),
        %endpoint,
        %peer,
        routing_id = tracing::field::Empty,
    );
    run_in_span(port, stream, endpoint, peer, attach)
        .instrument(span)
        .await
}

async fn run_in_span(
    port: Arc<dyn Port>,
    stream: Stream,
    endpoint: String,
    peer: String,
    attach: Attach,
) -> EngineEnd {
    let address = Bytes::from(stream.peer_ip());
    let (rd, wr) = stream.into_split();
    let resume = match &attach {
        _ if !resumable(&*port) => Resume::Off,
        Attach::Accepted => Resume::Accept,
        Attach::Persistent { resume, .. } => Resume::Connect(
            binding::lock_slot(resume)
                .take()
                .unwrap_or_else(|| ResumeState::new(port.options().sndhwm)),
        ),
    };
    let config = session_config(&*port, &attach, address);
    let mut session = Session::with_resume(config, Instant::now(), resume);
    let mut handover = Handover::default();
    let info = match handshake(&mut session, &rd, &wr, &*port, &mut handover).await {
        Ok(info) => info,
        Err(reason) => {
            // The relationship's record goes back where it came from.
            let state = session.take_resume();
            match (&attach, handover.claim) {
                (Attach::Persistent { resume, .. }, _) => *binding::lock_slot(resume) = state,
                (_, Some(c)) => match (c.parked, state) {
                    (Some(mut peer), Some(state)) => {
                        peer.state = state;
                        port.park(c.key, c.turn, *peer);
                    }
                    _ => port.resumptions().release(c.key, c.turn),
                },
                _ => {}
            }
            // An ERROR command the session queued for the peer has been
            // written already (`handshake` writes before it looks at the
            // session's events).
            tracing::warn!(%reason, "ZMTP handshake failed; connection closed");
            let ours = matches!(
                security(port.options()),
                Security::PlainClient(_) | Security::CurveClient(_)
            );
            let refused = ours
                && matches!(
                    reason,
                    DisconnectReason::Protocol(ProtocolError::PeerError(_))
                );
            port.monitor().emit(SocketEvent::HandshakeFailed {
                endpoint,
                peer,
                reason: reason.clone(),
            });
            return EngineEnd {
                handshake_done: false,
                credentials_refused: refused.then_some(reason),
            };
        }
    };
    if let Some(id) = &info.identity {
        tracing::Span::current().record("routing_id", tracing::field::debug(id));
    }
    tracing::debug!("ZMTP handshake succeeded");
    // Attached first, so that a send made once `HandshakeSucceeded` is seen
    // can be routed to the peer (SPEC §6.6).
    let claim = handover.claim;
    let resumed = claim.as_ref().map(|c| Resumed {
        key: c.key,
        turn: c.turn,
        endpoint: endpoint.clone(),
    });
    let parked = claim
        .as_ref()
        .and_then(|c| c.parked.as_ref())
        .map(|p| (p.id, p.out.clone(), p.inp.clone()));
    let kick = claim.map(|c| c.kick);
    let mut binding = Binding::new(port.clone(), attach, parked, resumed);
    port.monitor().emit(SocketEvent::HandshakeSucceeded {
        endpoint: endpoint.clone(),
        peer: peer.clone(),
    });
    report_outcome(&*port, handover.outcome, &endpoint, &peer);
    binding.report = Some((endpoint.clone(), peer.clone()));
    if !port.connected(&binding.out, info.identity.as_ref()) {
        tracing::debug!("connection refused by the {} socket", port.kind());
        binding.reason = DisconnectReason::Refused;
        return EngineEnd {
            handshake_done: true,
            credentials_refused: None,
        };
    }
    let conn = Arc::new(Connection::new(
        session,
        rd,
        wr,
        binding.inp.clone(),
        binding.out.clone(),
        port.counters().dropped_multipart.clone(),
    ));
    binding.conn = Some(conn.clone());
    binding
        .out
        .set_reader(Some(direct_write_hook(&conn, &binding.out)));
    binding.inp.set_writer(Some(notify_hook(&conn)));
    binding.inp.set_hwm_bytes(port.options().rcvhwm_bytes);
    // Anything queued before this connection existed is waiting already.
    conn.out_ready.notify_one();
    binding.register_direct(&conn);
    let reason = {
        let reader = read_loop(&conn);
        let writer = write_loop(&conn, &binding);
        let timer = timer_loop(&conn);
        let replaced = async {
            match &kick {
                Some(k) => k.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(reader, writer, timer);
        tokio::select! {
            _ = replaced => DisconnectReason::Replaced,
            r = &mut reader => match r {
                // The socket stopped receiving (it is closing): keep
                // flushing what it sent until the linger runs out.
                DisconnectReason::SocketClosed => tokio::select! {
                    w = &mut writer => w,
                    t = &mut timer => t,
                },
                other => other,
            },
            w = &mut writer => w,
            t = &mut timer => t,
        }
    };
    // A protocol error is the peer's fault or ours: worth a warning. The
    // rest (a closed connection, our own close) is routine.
    if matches!(reason, DisconnectReason::Protocol(_)) {
        tracing::warn!(%reason, "connection closed on a protocol error");
    } else {
        tracing::debug!(%reason, "disconnected");
    }
    binding.reason = reason;
    drop(binding);
    EngineEnd {
        handshake_done: true,
        credentials_refused: None,
    }
}

/// Reports what a new connection did to a resumable session (SPEC §3.7).
fn report_outcome(port: &dyn Port, outcome: Option<ResumeOutcome>, endpoint: &str, peer: &str) {
    use std::sync::atomic::Ordering;
    let counters = port.counters();
    match outcome {
        None | Some(ResumeOutcome::Fresh) => {}
        Some(ResumeOutcome::Resumed { resent, skipped }) => {
            tracing::debug!(resent, skipped, "session resumed");
            counters.resent.fetch_add(resent, Ordering::Relaxed);
            counters.sessions_resumed.fetch_add(1, Ordering::Relaxed);
            port.monitor().emit(SocketEvent::SessionResumed {
                endpoint: endpoint.to_owned(),
                peer: peer.to_owned(),
                resent,
            });
        }
        Some(ResumeOutcome::Reset { unacknowledged }) => {
            tracing::info!(unacknowledged, "the peer's session changed: reset");
            counters.sessions_reset.fetch_add(1, Ordering::Relaxed);
            port.monitor().emit(SocketEvent::SessionReset {
                endpoint: endpoint.to_owned(),
                peer: peer.to_owned(),
                lost: unacknowledged,
            });
        }
    }
}

/// The inbound pipe's writer hook: room appeared for decoded messages.
fn notify_hook(conn: &Arc<Connection>) -> Hook {
    let conn = Arc::downgrade(conn);
    Arc::new(move || {
        if let Some(c) = conn.upgrade() {
            c.wake.notify_one();
        }
    })
}

/// The engine's reading: waits for bytes, reads and decodes them, hands
/// the messages over, and stops reading while the socket's queue for this
/// peer is full (back-pressure). While a blocking receiver waits on the
/// connection itself, the engine leaves the reading to it.
async fn read_loop(conn: &Connection) -> DisconnectReason {
    use std::sync::atomic::Ordering;
    loop {
        let flushed = {
            let mut st = conn.lock();
            conn.flush(&mut st)
        };
        match flushed {
            Flushed::SocketClosed => return DisconnectReason::SocketClosed,
            Flushed::End(reason) => return reason,
            // Room in the pipe (its writer hook) or a direct reader's
            // hand-over wakes `wake`.
            Flushed::Full => {
                conn.wake.notified().await;
                continue;
            }
            Flushed::Clear => {}
        }
        if conn.direct.load(Ordering::Acquire) && !conn.bulk.load(Ordering::Acquire) {
            tokio::select! {
                _ = conn.wake.notified() => {}
                _ = tokio::time::sleep(DIRECT_DEFER) => {}
            }
            continue;
        }
        tokio::select! {
            r = conn.readable() => {
                if let Err(e) = r {
                    return io_reason(&e);
                }
            }
            _ = conn.wake.notified() => continue,
        }
        if conn.direct.load(Ordering::Acquire) && !conn.bulk.load(Ordering::Acquire) {
            // A blocking receiver was woken by the same bytes: its read.
            continue;
        }
        conn.read_engine();
    }
}

/// The engine's writing: encodes queued messages, writes them, waits for
/// the kernel or for more messages. Ends when the socket has stopped
/// sending and everything went out (dropping the write half then shuts
/// the connection down in order).
async fn write_loop(conn: &Connection, binding: &Binding) -> DisconnectReason {
    loop {
        let ready = conn.out_ready.notified();
        match conn.write_engine(&binding.out) {
            Err(reason) => return reason,
            Ok(WriteStep::Done) => return DisconnectReason::SocketClosed,
            Ok(WriteStep::Blocked) => {
                if let Err(e) = conn.writable().await {
                    return io_reason(&e);
                }
            }
            // The window of unacknowledged messages is full, or the socket
            // closed with some unacknowledged: an ACK wakes us.
            Ok(WriteStep::AwaitAcks) => ready.await,
            // Everything went out: the pipe's reader sleeps, so the next
            // push runs its hook (a direct write, or `out_ready`), unless
            // something came in the meantime.
            Ok(WriteStep::Idle) => {
                if !binding.out.sleep() {
                    ready.await;
                }
            }
        }
    }
}

/// The session's one timer (handshake over, so heartbeats, SPEC §6.8):
/// sleeps until its deadline, lets it act, and ends the connection when
/// it says so.
async fn timer_loop(conn: &Connection) -> DisconnectReason {
    loop {
        let changed = conn.timer.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let deadline = conn.deadline();
        tokio::select! {
            _ = sleep_until(deadline) => {}
            _ = &mut changed => continue,
        }
        if let Some(reason) = conn.timeout(Instant::now()) {
            return reason;
        }
    }
}
