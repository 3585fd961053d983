//! libzmq 4.3.5's side (through `oxmq-interop`): PUSH/PULL or
//! CLIENT/SERVER (drafts) throughput, CLIENT/SERVER latency. HWMs are left
//! at libzmq's defaults (1000), one I/O thread per context, as libzmq's own
//! perf tools.
//!
//! Differences from libzmq's tools forced by the safe wrapper: sends go
//! through `zmq_send`, which copies the payload into a fresh message
//! (libzmq's `remote_thr` uses `zmq_msg_init_size` and sends it unfilled:
//! an allocation but no copy); throughput receives use `zmq_recv` into an
//! empty buffer, which copies nothing, like `local_thr`'s `zmq_msg_recv`.
//!
//! With `--curve` the binding side is a CURVE server and the connecting
//! side a client ([`crate::curve_keys`]); no ZAP handler is bound, so
//! libzmq accepts any client key.

use crate::{
    check_size, curve_keys, inproc_name, join, Config, LatResult, LatTimer, Pattern, PerfResult,
    ThrResult,
};
use oxmq_interop::{opt, Context, Socket, SocketKind};
use std::time::Instant;

fn thr_kinds(cfg: &Config) -> PerfResult<(SocketKind, SocketKind)> {
    match cfg.pattern.unwrap_or(Pattern::PushPull) {
        Pattern::PushPull => Ok((SocketKind::Pull, SocketKind::Push)),
        Pattern::ClientServer => Ok((SocketKind::Server, SocketKind::Client)),
        Pattern::ReqRep => Err("libzmq throughput: use push-pull or client-server".into()),
    }
}

/// The socket kinds of a latency run: (echo side, measuring side).
fn lat_kinds(cfg: &Config) -> PerfResult<(SocketKind, SocketKind)> {
    match cfg.pattern.unwrap_or(Pattern::ReqRep) {
        Pattern::ReqRep => Ok((SocketKind::Rep, SocketKind::Req)),
        Pattern::ClientServer => Ok((SocketKind::Server, SocketKind::Client)),
        Pattern::PushPull => Err("latency: use req-rep or client-server".into()),
    }
}

fn socket(ctx: &Context, kind: SocketKind, cfg: &Config) -> PerfResult<Socket> {
    let s = ctx.socket(kind)?;
    if let Some(t) = cfg.timeout {
        let ms = i32::try_from(t.as_millis()).unwrap_or(i32::MAX);
        s.set_rcvtimeo_ms(ms)?;
        s.set_sndtimeo_ms(ms)?;
        s.set_linger_ms(ms)?;
    }
    Ok(s)
}

/// Which end of a connection a socket is: with `--curve`, the binding one
/// is the CURVE server.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Bind,
    Connect,
}

/// `socket` with the CURVE options of its role when `--curve` is on
/// (set before `bind` / `connect`, as libzmq requires).
fn secured(ctx: &Context, kind: SocketKind, cfg: &Config, role: Role) -> PerfResult<Socket> {
    let s = socket(ctx, kind, cfg)?;
    if cfg.curve {
        if !oxmq_interop::has("curve") {
            return Err("--curve: this libzmq was built without libsodium (no CURVE)".into());
        }
        match role {
            Role::Bind => {
                s.set_int(opt::CURVE_SERVER, 1)?;
                s.set_bytes(opt::CURVE_SECRETKEY, curve_keys::SERVER_SECRET.as_bytes())?;
            }
            Role::Connect => {
                s.set_bytes(opt::CURVE_SERVERKEY, curve_keys::SERVER_PUBLIC.as_bytes())?;
                s.set_bytes(opt::CURVE_PUBLICKEY, curve_keys::CLIENT_PUBLIC.as_bytes())?;
                s.set_bytes(opt::CURVE_SECRETKEY, curve_keys::CLIENT_SECRET.as_bytes())?;
            }
        }
    }
    Ok(s)
}

fn no_curve_inproc(cfg: &Config) -> PerfResult<()> {
    if cfg.curve {
        return Err("--curve: CURVE secures tcp and ipc connections, not inproc".into());
    }
    Ok(())
}

/// libzmq spells the ephemeral tcp port `*`; accept `:0` too.
fn bind_resolved(s: &Socket, endpoint: &str) -> PerfResult<String> {
    let ep = match endpoint.strip_suffix(":0") {
        Some(head) if endpoint.starts_with("tcp://") => format!("{head}:*"),
        _ => endpoint.to_owned(),
    };
    s.bind(&ep)?;
    Ok(s.last_endpoint()?)
}

/// Binds a PULL (or SERVER), receives `cfg.count` messages, clock from the
/// first to the last. `on_bound` gets the bound endpoint.
pub fn local_thr(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<ThrResult> {
    local_thr_in(&Context::new(), cfg, on_bound)
}

fn local_thr_in(
    ctx: &Context,
    cfg: &Config,
    on_bound: &mut dyn FnMut(&str),
) -> PerfResult<ThrResult> {
    let (kind, _) = thr_kinds(cfg)?;
    let s = secured(ctx, kind, cfg, Role::Bind)?;
    on_bound(&bind_resolved(&s, &cfg.endpoint)?);
    let mut empty: [u8; 0] = [];
    if cfg.count == 0 {
        return Ok(ThrResult {
            size: cfg.size,
            count: 0,
            elapsed: Default::default(),
        });
    }
    let mut recv = |got: u64| -> PerfResult<()> {
        let n = s
            .recv_into(&mut empty)
            .map_err(|e| format!("libzmq: after {got} of {} messages: {e}", cfg.count))?;
        check_size(n, cfg.size)
    };
    recv(0)?;
    let start = Instant::now();
    for got in 1..cfg.count {
        recv(got)?;
    }
    Ok(ThrResult {
        size: cfg.size,
        count: cfg.count,
        elapsed: start.elapsed(),
    })
}

/// Connects `cfg.peers` PUSH (or CLIENT) sockets, one thread each, sends
/// `cfg.count` messages between them and returns after `zmq_ctx_term`,
/// i.e. once every message has left (linger).
pub fn remote_thr(cfg: &Config) -> PerfResult<()> {
    remote_thr_in(Context::new(), cfg)
}

fn remote_thr_in(ctx: Context, cfg: &Config) -> PerfResult<()> {
    let (_, kind) = thr_kinds(cfg)?;
    let send_all = move |ctx: Context, cfg: Config, n: u64| -> PerfResult<()> {
        let s = secured(&ctx, kind, &cfg, Role::Connect)?;
        s.connect(&cfg.endpoint)?;
        let payload = vec![0u8; cfg.size];
        for _ in 0..n {
            s.send(&payload, false)?;
        }
        Ok(())
    };
    if cfg.peers <= 1 {
        send_all(ctx.clone(), cfg.clone(), cfg.count)?;
    } else {
        let handles: Vec<_> = (0..cfg.peers)
            .map(|i| {
                let (ctx, cfg) = (ctx.clone(), cfg.clone());
                let n = cfg.share_of(i);
                std::thread::spawn(move || send_all(ctx, cfg, n))
            })
            .collect();
        for h in handles {
            join(h)?;
        }
    }
    // Last handle: dropping it runs zmq_ctx_term, which waits for linger.
    drop(ctx);
    Ok(())
}

/// Binds a SERVER and echoes `cfg.count` messages to their senders.
pub fn local_lat(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<()> {
    local_lat_in(&Context::new(), cfg, on_bound)
}

fn local_lat_in(ctx: &Context, cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<()> {
    let (kind, _) = lat_kinds(cfg)?;
    let s = secured(ctx, kind, cfg, Role::Bind)?;
    on_bound(&bind_resolved(&s, &cfg.endpoint)?);
    let mut buf = vec![0u8; cfg.size];
    for _ in 0..cfg.count {
        if kind == SocketKind::Rep {
            check_size(s.recv_into(&mut buf)?, cfg.size)?;
            s.send(&buf, false)?;
        } else {
            let (id, data) = s.recv_from()?;
            check_size(data.len(), cfg.size)?;
            s.send_to(id, &data)?;
        }
    }
    Ok(())
}

/// Connects a CLIENT and times `cfg.count` round trips.
pub fn remote_lat(cfg: &Config) -> PerfResult<LatResult> {
    remote_lat_in(&Context::new(), cfg)
}

fn remote_lat_in(ctx: &Context, cfg: &Config) -> PerfResult<LatResult> {
    let (_, kind) = lat_kinds(cfg)?;
    let s = secured(ctx, kind, cfg, Role::Connect)?;
    s.connect(&cfg.endpoint)?;
    let payload = vec![0u8; cfg.size];
    let mut buf = vec![0u8; cfg.size];
    let mut timer = LatTimer::start(cfg.count);
    for _ in 0..cfg.count {
        s.send(&payload, false)?;
        check_size(s.recv_into(&mut buf)?, cfg.size)?;
        timer.lap();
    }
    Ok(timer.finish(cfg.size))
}

/// Connects `cfg.count` REQ sockets one after another, each making one
/// round trip to a `local_lat` REP (one handshake each, CURVE with
/// `--curve`) and then closed (`zmq_close`: the connection is torn down
/// by the I/O thread in the background). Each lap is from the socket's
/// creation to its reply.
pub fn remote_hs(cfg: &Config) -> PerfResult<LatResult> {
    let (_, kind) = lat_kinds(cfg)?;
    if kind != SocketKind::Req {
        return Err("remote_hs: REQ/REP only".into());
    }
    let ctx = Context::new();
    let payload = vec![0u8; cfg.size];
    let mut buf = vec![0u8; cfg.size];
    let mut timer = LatTimer::start(cfg.count);
    for _ in 0..cfg.count {
        let s = secured(&ctx, kind, cfg, Role::Connect)?;
        s.connect(&cfg.endpoint)?;
        s.send(&payload, false)?;
        check_size(s.recv_into(&mut buf)?, cfg.size)?;
        drop(s);
        timer.lap();
    }
    Ok(timer.finish(cfg.size))
}

/// Both throughput sides in one process (one context) over `inproc://`.
pub fn inproc_thr(cfg: &Config) -> PerfResult<ThrResult> {
    no_curve_inproc(cfg)?;
    let ctx = Context::new();
    let mut cfg = cfg.clone();
    cfg.endpoint = inproc_name("libzmq-thr");
    let mut sender = None;
    let res = local_thr_in(&ctx, &cfg, &mut |ep| {
        let mut c = cfg.clone();
        c.endpoint = ep.to_owned();
        let ctx = ctx.clone();
        sender = Some(std::thread::spawn(move || remote_thr_in(ctx, &c)));
    })?;
    if let Some(h) = sender {
        join(h)?;
    }
    Ok(res)
}

/// Both latency sides in one process (one context) over `inproc://`.
pub fn inproc_lat(cfg: &Config) -> PerfResult<LatResult> {
    no_curve_inproc(cfg)?;
    let ctx = Context::new();
    let mut cfg = cfg.clone();
    cfg.endpoint = inproc_name("libzmq-lat");
    let (tx, rx) = std::sync::mpsc::channel();
    let (c, ectx) = (cfg.clone(), ctx.clone());
    let echo = std::thread::spawn(move || {
        local_lat_in(&ectx, &c, &mut |ep| {
            let _ = tx.send(ep.to_owned());
        })
    });
    let Ok(ep) = rx.recv() else {
        return Err(join(echo)
            .err()
            .unwrap_or_else(|| "echo side did not bind".into()));
    };
    cfg.endpoint = ep;
    let res = remote_lat_in(&ctx, &cfg)?;
    join(echo)?;
    Ok(res)
}
