//! zmq.rs's side (the `zeromq` crate, 0.7, async on a tokio multi-thread
//! runtime with default worker count): PUSH/PULL throughput, REQ/REP
//! latency (zmq.rs has no CLIENT/SERVER), no inproc (zmq.rs has none).
//!
//! zmq.rs has no linger: a PUSH dropped with messages still queued loses
//! them. So `remote_thr` sends everything and then waits until the
//! receiver, having counted its last message, closes the connection
//! (see `send_all`).

use crate::{check_size, Config, LatResult, LatTimer, Pattern, PerfError, PerfResult, ThrResult};
use bytes::Bytes;
use futures::StreamExt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;
use zeromq::{
    PullSocket, PushSocket, RepSocket, ReqSocket, Socket, SocketEvent, SocketRecv, SocketSend,
    ZmqMessage,
};

/// How long `remote_thr` waits for the receiver to hang up without a
/// configured timeout.
const DRAIN_WAIT: Duration = Duration::from_secs(600);
/// How often `remote_thr` probes whether the receiver has hung up.
const PROBE_EVERY: Duration = Duration::from_millis(20);

fn runtime() -> PerfResult<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Awaits `f`, bounded by `t` when set ([`crate::bounded`]).
async fn guard<T, E: Into<PerfError>>(
    t: Option<Duration>,
    f: impl Future<Output = Result<T, E>>,
) -> PerfResult<T> {
    crate::bounded("zmq.rs", t, f).await
}

fn msg_size(m: &ZmqMessage) -> usize {
    m.iter().map(Bytes::len).sum()
}

fn thr_pattern(cfg: &Config) -> PerfResult<()> {
    match cfg.pattern.unwrap_or(Pattern::PushPull) {
        Pattern::PushPull => Ok(()),
        p => Err(format!("zmq.rs throughput supports push-pull only, not {p}").into()),
    }
}

fn lat_pattern(cfg: &Config) -> PerfResult<()> {
    match cfg.pattern.unwrap_or(Pattern::ReqRep) {
        Pattern::ReqRep => Ok(()),
        p => Err(format!("zmq.rs latency supports req-rep only, not {p}").into()),
    }
}

/// Binds a PULL, receives `cfg.count` messages, clock from the first to
/// the last.
pub fn local_thr(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<ThrResult> {
    thr_pattern(cfg)?;
    runtime()?.block_on(async {
        let mut pull = PullSocket::new();
        let ep = pull.bind(&cfg.endpoint).await?;
        on_bound(&ep.to_string());
        if cfg.count == 0 {
            return Ok(ThrResult {
                size: cfg.size,
                count: 0,
                elapsed: Duration::ZERO,
            });
        }
        check_size(msg_size(&guard(cfg.timeout, pull.recv()).await?), cfg.size)?;
        let start = Instant::now();
        for _ in 1..cfg.count {
            check_size(msg_size(&guard(cfg.timeout, pull.recv()).await?), cfg.size)?;
        }
        let elapsed = start.elapsed();
        drop(pull);
        Ok(ThrResult {
            size: cfg.size,
            count: cfg.count,
            elapsed,
        })
    })
}

async fn send_all(cfg: Config, n: u64, all_sent: Arc<Barrier>) -> PerfResult<()> {
    let mut push = PushSocket::new();
    let mut events = push.monitor();
    // Returns once the handshake is done, so sends find a peer.
    guard(cfg.timeout, push.connect(&cfg.endpoint)).await?;
    let payload = crate::static_payload(cfg.size);
    for _ in 0..n {
        guard(cfg.timeout, push.send(ZmqMessage::from(payload.clone()))).await?;
    }
    // No linger in zmq.rs: wait until the receiver hangs up. A PUSH never
    // reads, so it only notices that on a failed write: probe with one more
    // message of the same size every PROBE_EVERY. With one peer, probes
    // queue behind the real messages and the receiver stops reading after
    // `count`, so none is counted. With several, probing starts once every
    // peer has queued all its messages; a probe could still overtake
    // another connection's backlog, at most one per peer per PROBE_EVERY
    // of receiver lag (a few in millions at the fan-in counts).
    all_sent.wait().await;
    let wait = cfg.timeout.unwrap_or(DRAIN_WAIT);
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        match tokio::time::timeout(PROBE_EVERY, events.next()).await {
            Ok(Some(SocketEvent::Disconnected(_))) => return Ok(()),
            Ok(Some(_)) => {}
            Ok(None) => return Err("zmq.rs: monitor ended before the receiver hung up".into()),
            Err(_) => {
                if push.send(ZmqMessage::from(payload.clone())).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
    Err(format!("zmq.rs: receiver did not hang up within {wait:?}").into())
}

/// Connects `cfg.peers` PUSH sockets (one task each), sends `cfg.count`
/// messages between them and returns once the receiver has hung up.
pub fn remote_thr(cfg: &Config) -> PerfResult<()> {
    thr_pattern(cfg)?;
    runtime()?.block_on(async {
        if cfg.peers <= 1 {
            return send_all(cfg.clone(), cfg.count, Arc::new(Barrier::new(1))).await;
        }
        let all_sent = Arc::new(Barrier::new(cfg.peers));
        let tasks: Vec<_> = (0..cfg.peers)
            .map(|i| tokio::spawn(send_all(cfg.clone(), cfg.share_of(i), all_sent.clone())))
            .collect();
        for t in tasks {
            t.await??;
        }
        Ok(())
    })
}

/// Binds a REP and echoes `cfg.count` messages.
pub fn local_lat(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<()> {
    lat_pattern(cfg)?;
    runtime()?.block_on(async {
        let mut rep = RepSocket::new();
        let ep = rep.bind(&cfg.endpoint).await?;
        on_bound(&ep.to_string());
        for _ in 0..cfg.count {
            let m = guard(cfg.timeout, rep.recv()).await?;
            check_size(msg_size(&m), cfg.size)?;
            guard(cfg.timeout, rep.send(m)).await?;
        }
        // REP's send feeds and flushes the connection's writer: the last
        // reply has left when it returns.
        Ok(())
    })
}

/// Connects a REQ and times `cfg.count` round trips.
pub fn remote_lat(cfg: &Config) -> PerfResult<LatResult> {
    lat_pattern(cfg)?;
    runtime()?.block_on(async {
        let mut req = ReqSocket::new();
        guard(cfg.timeout, req.connect(&cfg.endpoint)).await?;
        let payload = crate::static_payload(cfg.size);
        let mut timer = LatTimer::start(cfg.count);
        for _ in 0..cfg.count {
            guard(cfg.timeout, req.send(ZmqMessage::from(payload.clone()))).await?;
            let m = guard(cfg.timeout, req.recv()).await?;
            check_size(msg_size(&m), cfg.size)?;
            timer.lap();
        }
        Ok(timer.finish(cfg.size))
    })
}
