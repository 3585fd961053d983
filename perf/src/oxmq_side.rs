//! oxmq's side: PUSH/PULL or CLIENT/SERVER throughput, REQ/REP (default,
//! as libzmq's tools) or CLIENT/SERVER latency, with the blocking API. Payloads are one `Bytes` cloned per
//! message (oxmq's zero-copy send); receivers check every message's size.
//! With `--curve` the binding side is a CURVE server and the connecting
//! side a client ([`crate::curve_keys`]); `remote_hs` measures CURVE (or
//! NULL) handshakes, a new REQ connection per round trip. With
//! `--no-resume` both sides turn resumable sessions (SPEC §3.7) off.

use crate::{
    check_size, curve_keys, inproc_name, join, Config, LatResult, LatTimer, Pattern, PerfResult,
    ThrResult,
};
use bytes::Bytes;
use oxmq::curve::{CurvePublicKey, CurveSecretKey};
use oxmq::{Client, Pull, Push, Rep, Req, Server, SocketOptions};
use std::time::Instant;

fn options(cfg: &Config) -> SocketOptions {
    // Default HWMs (1000); linger for ever unless a hang guard is set.
    SocketOptions::default()
        .linger(cfg.timeout)
        .rcvtimeo(cfg.timeout)
        .sndtimeo(cfg.timeout)
}

fn secret(z85: &str) -> CurveSecretKey {
    CurveSecretKey::parse(z85).expect("the fixed test keys are valid Z85")
}

fn public(z85: &str) -> CurvePublicKey {
    CurvePublicKey::parse(z85).expect("the fixed test keys are valid Z85")
}

/// The options of the binding side: a CURVE server with `--curve`,
/// without resumable sessions with `--no-resume`.
fn bind_options(cfg: &Config) -> SocketOptions {
    let o = options(cfg).resume(cfg.resume);
    if !cfg.curve {
        return o;
    }
    o.curve_server(true)
        .curve_secretkey(secret(curve_keys::SERVER_SECRET))
}

/// The options of the connecting side: a CURVE client with `--curve`,
/// without resumable sessions with `--no-resume`.
fn connect_options(cfg: &Config) -> SocketOptions {
    let o = options(cfg).resume(cfg.resume);
    if !cfg.curve {
        return o;
    }
    o.curve_secretkey(secret(curve_keys::CLIENT_SECRET))
        .curve_publickey(public(curve_keys::CLIENT_PUBLIC))
        .curve_serverkey(public(curve_keys::SERVER_PUBLIC))
}

fn no_curve_inproc(cfg: &Config) -> PerfResult<()> {
    if cfg.curve {
        return Err("--curve: CURVE secures tcp and ipc connections, not inproc".into());
    }
    Ok(())
}

fn thr_pattern(cfg: &Config) -> PerfResult<Pattern> {
    match cfg.pattern.unwrap_or(Pattern::PushPull) {
        Pattern::ReqRep => Err("throughput: use push-pull or client-server".into()),
        p => Ok(p),
    }
}

fn lat_pattern(cfg: &Config) -> PerfResult<Pattern> {
    match cfg.pattern.unwrap_or(Pattern::ReqRep) {
        Pattern::PushPull => Err("latency: use req-rep or client-server".into()),
        p => Ok(p),
    }
}

/// Binds, receives `cfg.count` messages of `cfg.size` bytes (PULL or
/// SERVER), clock from the first message to the last. `on_bound` gets the
/// bound endpoint (real port) before the first receive.
pub fn local_thr(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<ThrResult> {
    match thr_pattern(cfg)? {
        Pattern::ClientServer => {
            let server = Server::with_options(bind_options(cfg));
            on_bound(&server.bind(&cfg.endpoint)?);
            let res = receive(cfg, || Ok(server.blocking_recv()?.1.len()));
            server.blocking_close();
            res
        }
        _ => {
            let pull = Pull::with_options(bind_options(cfg));
            on_bound(&pull.bind(&cfg.endpoint)?);
            let res = receive(cfg, || Ok(pull.blocking_recv()?.byte_len()));
            pull.blocking_close();
            res
        }
    }
}

fn receive(cfg: &Config, mut recv: impl FnMut() -> PerfResult<usize>) -> PerfResult<ThrResult> {
    if cfg.count == 0 {
        return Ok(ThrResult {
            size: cfg.size,
            count: 0,
            elapsed: Default::default(),
        });
    }
    let mut next = |got: u64| -> PerfResult<()> {
        let n = recv().map_err(|e| format!("oxmq: after {got} of {} messages: {e}", cfg.count))?;
        check_size(n, cfg.size)
    };
    next(0)?;
    let start = Instant::now();
    for got in 1..cfg.count {
        next(got)?;
    }
    Ok(ThrResult {
        size: cfg.size,
        count: cfg.count,
        elapsed: start.elapsed(),
    })
}

/// Connects `cfg.peers` sockets (PUSH or CLIENT, one thread each), sends
/// `cfg.count` messages between them, and returns once every message has
/// left (close with linger).
pub fn remote_thr(cfg: &Config) -> PerfResult<()> {
    let pattern = thr_pattern(cfg)?;
    let payload = crate::static_payload(cfg.size);
    if cfg.peers <= 1 {
        return send_all(cfg, pattern, payload, cfg.count);
    }
    let handles: Vec<_> = (0..cfg.peers)
        .map(|i| {
            let cfg = cfg.clone();
            let payload = payload.clone();
            let n = cfg.share_of(i);
            std::thread::spawn(move || send_all(&cfg, pattern, payload, n))
        })
        .collect();
    for h in handles {
        join(h)?;
    }
    Ok(())
}

fn send_all(cfg: &Config, pattern: Pattern, payload: Bytes, n: u64) -> PerfResult<()> {
    match pattern {
        Pattern::ClientServer => {
            let client = Client::with_options(connect_options(cfg));
            client.connect(&cfg.endpoint)?;
            for _ in 0..n {
                client.blocking_send(payload.clone())?;
            }
            client.blocking_close();
        }
        _ => {
            let push = Push::with_options(connect_options(cfg));
            push.connect(&cfg.endpoint)?;
            for _ in 0..n {
                push.blocking_send(payload.clone())?;
            }
            push.blocking_close();
        }
    }
    Ok(())
}

/// Binds a REP (or SERVER) and echoes `cfg.count` messages to their
/// senders.
pub fn local_lat(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<()> {
    if lat_pattern(cfg)? == Pattern::ReqRep {
        let rep = Rep::with_options(bind_options(cfg));
        on_bound(&rep.bind(&cfg.endpoint)?);
        for _ in 0..cfg.count {
            let msg = rep.blocking_recv()?;
            check_size(msg.byte_len(), cfg.size)?;
            rep.blocking_send(msg)?;
        }
        rep.blocking_close();
        return Ok(());
    }
    let server = Server::with_options(bind_options(cfg));
    on_bound(&server.bind(&cfg.endpoint)?);
    for _ in 0..cfg.count {
        let (id, msg) = server.blocking_recv()?;
        check_size(msg.len(), cfg.size)?;
        server.blocking_send(id, msg)?;
    }
    server.blocking_close();
    Ok(())
}

/// Connects a REQ (or CLIENT) and times `cfg.count` round trips of
/// `cfg.size` bytes.
pub fn remote_lat(cfg: &Config) -> PerfResult<LatResult> {
    if lat_pattern(cfg)? == Pattern::ReqRep {
        let req = Req::with_options(connect_options(cfg));
        req.connect(&cfg.endpoint)?;
        let payload = crate::static_payload(cfg.size);
        let mut timer = LatTimer::start(cfg.count);
        for _ in 0..cfg.count {
            req.blocking_send(payload.clone())?;
            check_size(req.blocking_recv()?.byte_len(), cfg.size)?;
            timer.lap();
        }
        let res = timer.finish(cfg.size);
        req.blocking_close();
        return Ok(res);
    }
    let client = Client::with_options(connect_options(cfg));
    client.connect(&cfg.endpoint)?;
    let payload = crate::static_payload(cfg.size);
    let mut timer = LatTimer::start(cfg.count);
    for _ in 0..cfg.count {
        client.blocking_send(payload.clone())?;
        check_size(client.blocking_recv()?.len(), cfg.size)?;
        timer.lap();
    }
    let res = timer.finish(cfg.size);
    client.blocking_close();
    Ok(res)
}

/// Connects `cfg.count` REQ sockets one after another, each making one
/// round trip of `cfg.size` bytes to a `local_lat` REP (so one handshake,
/// CURVE with `--curve`) and then closed (dropped: the connection is torn
/// down in the background, as `zmq_close` does). Each lap is from the
/// socket's creation to its reply.
pub fn remote_hs(cfg: &Config) -> PerfResult<LatResult> {
    if lat_pattern(cfg)? != Pattern::ReqRep {
        return Err("remote_hs: REQ/REP only".into());
    }
    let payload = crate::static_payload(cfg.size);
    let options = connect_options(cfg);
    let mut timer = LatTimer::start(cfg.count);
    for _ in 0..cfg.count {
        let req = Req::with_options(options.clone());
        req.connect(&cfg.endpoint)?;
        req.blocking_send(payload.clone())?;
        check_size(req.blocking_recv()?.byte_len(), cfg.size)?;
        drop(req);
        timer.lap();
    }
    Ok(timer.finish(cfg.size))
}

/// Both throughput sides in one process over `inproc://`.
pub fn inproc_thr(cfg: &Config) -> PerfResult<ThrResult> {
    no_curve_inproc(cfg)?;
    let mut cfg = cfg.clone();
    cfg.endpoint = inproc_name("oxmq-thr");
    let mut sender = None;
    let res = local_thr(&cfg, &mut |ep| {
        let mut c = cfg.clone();
        c.endpoint = ep.to_owned();
        sender = Some(std::thread::spawn(move || remote_thr(&c)));
    })?;
    if let Some(h) = sender {
        join(h)?;
    }
    Ok(res)
}

/// Both latency sides in one process over `inproc://`.
pub fn inproc_lat(cfg: &Config) -> PerfResult<LatResult> {
    no_curve_inproc(cfg)?;
    let mut cfg = cfg.clone();
    cfg.endpoint = inproc_name("oxmq-lat");
    let (tx, rx) = std::sync::mpsc::channel();
    let c = cfg.clone();
    let echo = std::thread::spawn(move || {
        local_lat(&c, &mut |ep| {
            let _ = tx.send(ep.to_owned());
        })
    });
    let Ok(ep) = rx.recv() else {
        return Err(join(echo)
            .err()
            .unwrap_or_else(|| "echo side did not bind".into()));
    };
    cfg.endpoint = ep;
    // On error the echo thread is left behind (it may wait for ever).
    let res = remote_lat(&cfg)?;
    join(echo)?;
    Ok(res)
}
