//! omq.rs's side (the `omq-tokio` crate, 0.33): PUSH/PULL or CLIENT/SERVER
//! throughput, REQ/REP (default) or CLIENT/SERVER latency, PUB/SUB fan-out
//! (`pubsub_thr`), over tcp, ipc and inproc.
//!
//! Driven the way omq.rs's own benchmark peers drive it: one tokio
//! current-thread runtime per process with `Context::current()` (so every
//! socket's driver and the application loop share that one thread, and
//! inproc's two sides are two tasks on it), and one message per call with
//! `try_send` / `try_recv` first, falling back to the awaiting `send` /
//! `recv` only when the queue is full or empty. The receiving loops give
//! the runtime a turn (`consume_budget`) once per batch of up to 128
//! messages or 64 KiB, as omq.rs's receive loop does. Messages of up to
//! `MAX_INLINE_MESSAGE` (55) bytes are built with `Message::from_slice`
//! (stored inline, no allocation), larger ones wrap the static payload
//! (`Message::single`, no copy), again as omq.rs's senders do.
//!
//! Options are omq.rs's defaults (HWM 1000) except linger: omq.rs's native
//! default is zero (close drops queued messages), so it is set to wait for
//! ever (or for the hang guard), as libzmq's and oxmq's defaults do.

use crate::{check_size, inproc_name, Config, LatResult, LatTimer, Pattern, PerfError, PerfResult};
use crate::{pubsub, ThrResult};
use bytes::Bytes;
use omq_tokio::{Context, Error as OmqError, Message, Options, Socket, SocketType, TrySendError};
use std::future::Future;
use std::time::{Duration, Instant};

/// Receive batch (omq.rs's receive loop): at most this many messages ...
const RECEIVE_MESSAGES: usize = 128;
/// ... or this many bytes between two turns of the runtime.
const RECEIVE_BYTES: usize = 64 * 1024;

fn receive_batch(size: usize) -> usize {
    (RECEIVE_BYTES / size.max(1)).clamp(1, RECEIVE_MESSAGES)
}

/// Runs `f` on a fresh current-thread runtime with a context borrowing it.
fn run<T>(f: impl AsyncFnOnce(Context) -> PerfResult<T>) -> PerfResult<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let ctx = Context::current();
        f(ctx).await
    })
}

fn options(cfg: &Config) -> Options {
    Options {
        // None: wait for ever (omq.rs's default is zero: drop on close).
        linger: cfg.timeout,
        ..Options::default()
    }
}

/// Awaits `f`, bounded by `t` when set ([`crate::bounded`]).
async fn guard<T, E: Into<PerfError>>(
    t: Option<Duration>,
    f: impl Future<Output = Result<T, E>>,
) -> PerfResult<T> {
    crate::bounded("omq.rs", t, f).await
}

/// One message: `try_send`, and the awaiting `send` only when full.
async fn send(s: &Socket, msg: Message, t: Option<Duration>) -> PerfResult<()> {
    match s.try_send(msg) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(msg)) => guard(t, s.send(msg)).await,
        Err(e) => Err(format!("omq.rs: send: {e}").into()),
    }
}

/// One message: `try_recv`, and the awaiting `recv` only when empty.
async fn recv(s: &Socket, t: Option<Duration>) -> PerfResult<Message> {
    match s.try_recv() {
        Ok(m) => Ok(m),
        Err(OmqError::WouldBlock) => guard(t, s.recv()).await,
        Err(e) => Err(e.into()),
    }
}

/// A message with `payload`'s bytes, built as omq.rs's senders build
/// theirs: inline up to `MAX_INLINE_MESSAGE`, else the static buffer by
/// reference.
fn message(payload: &Bytes) -> Message {
    if payload.len() <= omq_tokio::message::MAX_INLINE_MESSAGE {
        Message::from_slice(payload)
    } else {
        Message::single(payload.clone())
    }
}

/// Gives the runtime (the socket drivers on this thread) a turn once per
/// receive batch.
struct Budget {
    batch: usize,
    left: usize,
}

impl Budget {
    fn new(size: usize) -> Budget {
        let batch = receive_batch(size);
        Budget { batch, left: batch }
    }

    async fn tick(&mut self) {
        self.left -= 1;
        if self.left == 0 {
            self.left = self.batch;
            tokio::task::coop::consume_budget().await;
        }
    }
}

fn thr_types(cfg: &Config) -> PerfResult<(SocketType, SocketType)> {
    match cfg.pattern.unwrap_or(Pattern::PushPull) {
        Pattern::PushPull => Ok((SocketType::Pull, SocketType::Push)),
        Pattern::ClientServer => Ok((SocketType::Server, SocketType::Client)),
        Pattern::ReqRep => Err("omq.rs throughput: use push-pull or client-server".into()),
    }
}

/// The socket types of a latency run: (echo side, measuring side).
fn lat_types(cfg: &Config) -> PerfResult<(SocketType, SocketType)> {
    match cfg.pattern.unwrap_or(Pattern::ReqRep) {
        Pattern::ReqRep => Ok((SocketType::Rep, SocketType::Req)),
        Pattern::ClientServer => Ok((SocketType::Server, SocketType::Client)),
        Pattern::PushPull => Err("omq.rs latency: use req-rep or client-server".into()),
    }
}

/// Binds a PULL (or SERVER), receives `cfg.count` messages, clock from the
/// first to the last. `on_bound` gets the bound endpoint (real port).
pub fn local_thr(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<ThrResult> {
    run(async |ctx| {
        let (kind, _) = thr_types(cfg)?;
        let s = ctx.socket(kind, options(cfg));
        on_bound(&s.bind(cfg.endpoint.as_str()).await?.to_string());
        let res = receive(&s, cfg).await;
        let _ = s.close().await;
        res
    })
}

async fn receive(s: &Socket, cfg: &Config) -> PerfResult<ThrResult> {
    if cfg.count == 0 {
        return Ok(ThrResult {
            size: cfg.size,
            count: 0,
            elapsed: Duration::ZERO,
        });
    }
    let mut budget = Budget::new(cfg.size);
    let next = async |got: u64| -> PerfResult<()> {
        let m = recv(s, cfg.timeout)
            .await
            .map_err(|e| format!("omq.rs: after {got} of {} messages: {e}", cfg.count))?;
        check_size(m.byte_len(), cfg.size)
    };
    next(0).await?;
    let start = Instant::now();
    for got in 1..cfg.count {
        next(got).await?;
        budget.tick().await;
    }
    Ok(ThrResult {
        size: cfg.size,
        count: cfg.count,
        elapsed: start.elapsed(),
    })
}

/// Connects `cfg.peers` PUSH (or CLIENT) sockets (one task each, all on
/// the one runtime), sends `cfg.count` messages between them and returns
/// once every message has left (close with linger).
pub fn remote_thr(cfg: &Config) -> PerfResult<()> {
    run(async |ctx| remote_thr_in(ctx, cfg.clone()).await)
}

async fn remote_thr_in(ctx: Context, cfg: Config) -> PerfResult<()> {
    let (_, kind) = thr_types(&cfg)?;
    let payload = crate::static_payload(cfg.size);
    if cfg.peers <= 1 {
        return send_all(ctx, kind, cfg.clone(), payload, cfg.count).await;
    }
    let tasks: Vec<_> = (0..cfg.peers)
        .map(|i| {
            let n = cfg.share_of(i);
            tokio::spawn(send_all(ctx.clone(), kind, cfg.clone(), payload.clone(), n))
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn send_all(
    ctx: Context,
    kind: SocketType,
    cfg: Config,
    payload: Bytes,
    n: u64,
) -> PerfResult<()> {
    let s = ctx.socket(kind, options(&cfg));
    s.connect(cfg.endpoint.as_str()).await?;
    for _ in 0..n {
        send(&s, message(&payload), cfg.timeout).await?;
    }
    // Linger (for ever, or the hang guard): returns once all have left.
    s.close().await?;
    Ok(())
}

/// Binds a REP (or SERVER) and echoes `cfg.count` messages.
pub fn local_lat(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<()> {
    run(async |ctx| {
        let (kind, _) = lat_types(cfg)?;
        let s = ctx.socket(kind, options(cfg));
        on_bound(&s.bind(cfg.endpoint.as_str()).await?.to_string());
        echo(&s, cfg).await?;
        s.close().await?;
        Ok(())
    })
}

/// Echoes `cfg.count` messages (a SERVER's replies keep the request's
/// routing id, a REP's its envelope).
async fn echo(s: &Socket, cfg: &Config) -> PerfResult<()> {
    for _ in 0..cfg.count {
        let m = recv(s, cfg.timeout).await?;
        check_size(m.byte_len(), cfg.size)?;
        send(s, m, cfg.timeout).await?;
    }
    Ok(())
}

/// Connects a REQ (or CLIENT) and times `cfg.count` round trips.
pub fn remote_lat(cfg: &Config) -> PerfResult<LatResult> {
    run(async |ctx| {
        let (_, kind) = lat_types(cfg)?;
        let s = ctx.socket(kind, options(cfg));
        s.connect(cfg.endpoint.as_str()).await?;
        let res = round_trips(&s, cfg).await?;
        s.close().await?;
        Ok(res)
    })
}

async fn round_trips(s: &Socket, cfg: &Config) -> PerfResult<LatResult> {
    let payload = crate::static_payload(cfg.size);
    let mut timer = LatTimer::start(cfg.count);
    for _ in 0..cfg.count {
        send(s, message(&payload), cfg.timeout).await?;
        check_size(recv(s, cfg.timeout).await?.byte_len(), cfg.size)?;
        timer.lap();
    }
    Ok(timer.finish(cfg.size))
}

/// Both throughput sides in one process over `inproc://`: the sender is a
/// task on the receiver's runtime (one thread), as in omq.rs's benchmarks.
pub fn inproc_thr(cfg: &Config) -> PerfResult<ThrResult> {
    run(async |ctx| {
        let (kind, _) = thr_types(cfg)?;
        let s = ctx.socket(kind, options(cfg));
        let mut c = cfg.clone();
        c.endpoint = s.bind(inproc_name("omqrs-thr").as_str()).await?.to_string();
        let sender = tokio::spawn(remote_thr_in(ctx.clone(), c));
        // On error the sender is dropped with the runtime.
        let res = receive(&s, cfg).await?;
        sender.await??;
        let _ = s.close().await;
        Ok(res)
    })
}

/// Both latency sides in one process over `inproc://`: the echo side is a
/// task on the measuring side's runtime.
pub fn inproc_lat(cfg: &Config) -> PerfResult<LatResult> {
    run(async |ctx| {
        let (echo_kind, kind) = lat_types(cfg)?;
        let e = ctx.socket(echo_kind, options(cfg));
        let ep = e.bind(inproc_name("omqrs-lat").as_str()).await?.to_string();
        let c = cfg.clone();
        let echoer = tokio::spawn(async move {
            echo(&e, &c).await?;
            e.close().await?;
            Ok::<(), PerfError>(())
        });
        let s = ctx.socket(kind, options(cfg));
        s.connect(ep.as_str()).await?;
        let res = round_trips(&s, cfg).await?;
        s.close().await?;
        echoer.await??;
        Ok(res)
    })
}

/// `pubsub_thr`: one PUB (`xpub_nodrop`: waits at a subscriber's HWM
/// instead of dropping) to `cfg.peers` SUBs, all tasks on one runtime. The
/// publisher waits until every subscription has arrived
/// (`wait_subscribed`), sends `cfg.count` messages, then end markers
/// (`try_send`, every millisecond) until every subscriber has seen one.
/// omq.rs's PUB has no verbose mode, so the publisher learns that the
/// subscribers are done from their tasks, not from their cancellations.
pub fn pubsub_thr(cfg: &Config) -> PerfResult<(ThrResult, u64)> {
    run(async |ctx| {
        let o = Options {
            xpub_nodrop: true,
            ..options(cfg)
        };
        let publisher = ctx.socket(SocketType::Pub, o);
        let ep = publisher
            .bind(pubsub::bind_endpoint(cfg, "omqrs-pubsub").as_str())
            .await?
            .to_string();
        let n = cfg.peers.max(1);
        let subs: Vec<_> = (0..n)
            .map(|_| {
                let (ep, cfg, ctx) = (ep.clone(), cfg.clone(), ctx.clone());
                tokio::spawn(async move {
                    let sub = ctx.socket(SocketType::Sub, options(&cfg));
                    sub.connect(ep.as_str()).await?;
                    for t in pubsub::topics(cfg.subscriptions) {
                        sub.subscribe(t).await?;
                    }
                    let mut st = pubsub::SubStat::default();
                    let mut budget = Budget::new(cfg.size);
                    loop {
                        if recv(&sub, cfg.timeout).await?.byte_len() != cfg.size {
                            st.ended();
                            break;
                        }
                        st.saw();
                        budget.tick().await;
                    }
                    sub.close().await?;
                    Ok::<_, PerfError>(st)
                })
            })
            .collect();
        let want = (n * cfg.subscriptions) as u64;
        let wait = cfg.timeout.unwrap_or(Duration::MAX);
        publisher.wait_subscribed(want, wait).await?;
        let payloads = pubsub::payloads(cfg)?;
        let k = payloads.len();
        for i in 0..cfg.count as usize {
            send(&publisher, message(&payloads[i % k]), cfg.timeout).await?;
        }
        let end = Bytes::from(pubsub::topics(cfg.subscriptions).swap_remove(0));
        // The first end marker waits like any message (nodrop); later ones
        // are only tried, as a finished subscriber no longer reads.
        send(&publisher, Message::single(end.clone()), cfg.timeout).await?;
        let deadline = cfg.timeout.map(|t| Instant::now() + t);
        while !subs.iter().all(|h| h.is_finished()) {
            tokio::time::sleep(pubsub::END_EVERY).await;
            let _ = publisher.try_send(Message::single(end.clone()));
            if deadline.is_some_and(|d| Instant::now() > d) {
                return Err("omq.rs: subscribers did not finish in time".into());
            }
        }
        let mut stats = Vec::with_capacity(n);
        for h in subs {
            stats.push(h.await??);
        }
        let _ = publisher.close_with_linger(Some(Duration::ZERO)).await;
        Ok((pubsub::aggregate(cfg.size, &stats), cfg.count * n as u64))
    })
}
