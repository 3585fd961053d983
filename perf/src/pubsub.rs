//! `pubsub_thr`: one publisher to `--peers N` subscribers, all in one
//! process (tcp or inproc), for oxmq and libzmq (omq.rs's is in
//! [`crate::omqrs_side`], with the helpers here).
//!
//! The publisher is an XPUB with verbose subscriptions, so it can wait
//! until every subscriber's subscription has arrived (no slow-joiner loss)
//! and learn when the last one has finished. Each subscriber subscribes to
//! everything and counts `size`-byte messages until an empty one; it then
//! cancels its subscription and leaves. After the `count` messages the
//! publisher sends an empty message every millisecond until the
//! cancellation of the last subscriber arrives (an end marker can be
//! dropped at a full queue like any message).
//!
//! With `--subscriptions K` > 1, each subscriber subscribes to K topics
//! `t00000`, `t00001`, ... and message i starts with topic i mod K, so
//! the publisher matches every message against K subscriptions per
//! subscriber (the matching benchmark); the end marker is then the bare
//! topic `t00000` (any message not of the test size ends a subscriber).
//!
//! The result is the aggregate: messages received by all subscribers over
//! the time from the first message any of them received to the last.
//! The publisher runs with `XPUB_NODROP` (oxmq: `xpub_nodrop`): at a
//! subscriber's high-water mark (1000, both libraries' default) it waits
//! instead of dropping, so every message reaches every subscriber and the
//! figure is the lossless fan-out rate; `received:` says how many of
//! count × N arrived (all of them).

use crate::{inproc_name, Config, PerfResult, ThrResult};
use std::time::{Duration, Instant};

/// What one subscriber saw.
#[derive(Default)]
pub(crate) struct SubStat {
    first: Option<Instant>,
    last: Option<Instant>,
    count: u64,
}

impl SubStat {
    /// A data message arrived. Only the first is timed: a clock read per
    /// message would cost more than receiving it.
    pub(crate) fn saw(&mut self) {
        if self.count == 0 {
            self.first = Some(Instant::now());
        }
        self.count += 1;
    }

    /// The first end marker arrived: it was sent right after the last
    /// message, and is never dropped (nodrop), so its arrival closes the
    /// subscriber's clock.
    pub(crate) fn ended(&mut self) {
        self.last = Some(Instant::now());
    }
}

pub(crate) fn aggregate(size: usize, stats: &[SubStat]) -> ThrResult {
    let first = stats.iter().filter_map(|s| s.first).min();
    let last = stats.iter().filter_map(|s| s.last).max();
    let elapsed = match (first, last) {
        (Some(f), Some(l)) => l - f,
        _ => Duration::ZERO,
    };
    ThrResult {
        size,
        count: stats.iter().map(|s| s.count).sum(),
        elapsed,
    }
}

fn join_all(hs: Vec<std::thread::JoinHandle<PerfResult<SubStat>>>) -> PerfResult<Vec<SubStat>> {
    hs.into_iter().map(crate::join).collect()
}

/// The endpoint to bind: the given tcp one, or a fresh inproc name.
pub(crate) fn bind_endpoint(cfg: &Config, tag: &str) -> String {
    if cfg.endpoint.starts_with("tcp://") || cfg.endpoint.starts_with("ipc://") {
        cfg.endpoint.clone()
    } else {
        inproc_name(tag)
    }
}

pub(crate) const END_EVERY: Duration = Duration::from_millis(1);

/// The topics a subscriber subscribes to: the empty prefix, or K topics.
pub(crate) fn topics(k: usize) -> Vec<Vec<u8>> {
    if k <= 1 {
        vec![Vec::new()]
    } else {
        (0..k).map(|i| format!("t{i:05}").into_bytes()).collect()
    }
}

/// One payload per topic, `size` bytes starting with the topic, each a
/// static buffer sent by reference (as `static_payload`: no reference
/// count per message).
pub(crate) fn payloads(cfg: &Config) -> PerfResult<Vec<bytes::Bytes>> {
    let ts = topics(cfg.subscriptions);
    if cfg.subscriptions > 1 && cfg.size < 6 {
        return Err("--subscriptions needs a message size of at least 6".into());
    }
    Ok(ts
        .iter()
        .map(|t| {
            let mut p = vec![0u8; cfg.size];
            p[..t.len()].copy_from_slice(t);
            bytes::Bytes::from_static(Box::leak(p.into_boxed_slice()))
        })
        .collect())
}

/// Whether `m` is the cancel of the first topic: the last subscriber left.
fn last_cancel(m: &[u8], first_topic: &[u8]) -> bool {
    m.first() == Some(&0) && &m[1..] == first_topic
}

/// oxmq: XPUB (verbose) to N SUB threads.
pub fn oxmq(cfg: &Config) -> PerfResult<(ThrResult, u64)> {
    use oxmq::{SocketOptions, Sub, XPub};
    let opts = || {
        SocketOptions::default()
            .linger(cfg.timeout)
            .rcvtimeo(cfg.timeout)
    };
    let xpub = XPub::with_options(opts().xpub_verbose(true).xpub_nodrop(true));
    let ep = xpub.bind(&bind_endpoint(cfg, "oxmq-pubsub"))?;
    let n = cfg.peers.max(1);
    let subs: Vec<_> = (0..n)
        .map(|_| {
            let (ep, size, sub_opts) = (ep.clone(), cfg.size, opts());
            let ts = topics(cfg.subscriptions);
            std::thread::spawn(move || -> PerfResult<SubStat> {
                let sub = Sub::with_options(sub_opts);
                sub.connect(&ep)?;
                for t in &ts {
                    sub.subscribe(t)?;
                }
                let mut st = SubStat::default();
                loop {
                    let len = sub.blocking_recv()?.byte_len();
                    if len != size {
                        st.ended();
                        break;
                    }
                    st.saw();
                }
                // The first topic last: its cancel tells the publisher.
                for t in ts.iter().skip(1).chain(ts.first()) {
                    sub.unsubscribe(t)?;
                }
                sub.blocking_close();
                Ok(st)
            })
        })
        .collect();
    let mut subscribed = 0;
    while subscribed < n * cfg.subscriptions {
        if xpub.blocking_recv()?.first().first() == Some(&1) {
            subscribed += 1;
        }
    }
    let payloads = payloads(cfg)?;
    let k = payloads.len();
    for i in 0..cfg.count as usize {
        xpub.blocking_send(payloads[i % k].clone())?;
    }
    let end = bytes::Bytes::from(topics(cfg.subscriptions).swap_remove(0));
    let deadline = cfg.timeout.map(|t| Instant::now() + t);
    loop {
        xpub.blocking_send(end.clone())?;
        std::thread::sleep(END_EVERY);
        if matches!(xpub.try_recv(), Ok(m) if last_cancel(m.first(), &end)) {
            break;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Err("oxmq: subscribers did not finish in time".into());
        }
    }
    let stats = join_all(subs)?;
    xpub.blocking_close();
    Ok((aggregate(cfg.size, &stats), cfg.count * n as u64))
}

/// libzmq: XPUB (verbose) to N SUB threads, one context.
pub fn libzmq(cfg: &Config) -> PerfResult<(ThrResult, u64)> {
    use oxmq_interop::{opt, Context, SocketKind};
    let ctx = Context::new();
    let xpub = ctx.socket(SocketKind::XPub)?;
    xpub.set_int(opt::XPUB_VERBOSE, 1)?;
    xpub.set_int(opt::XPUB_NODROP, 1)?;
    // The subscriptions' direction (SUB → XPUB): no limit, none dropped.
    xpub.set_int(opt::RCVHWM, 0)?;
    let timeout_ms = cfg
        .timeout
        .map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX));
    xpub.set_linger_ms(timeout_ms)?;
    let bind = bind_endpoint(cfg, "libzmq-pubsub");
    let bind = match bind.strip_suffix(":0") {
        Some(head) if bind.starts_with("tcp://") => format!("{head}:*"),
        _ => bind,
    };
    xpub.bind(&bind)?;
    let ep = xpub.last_endpoint()?;
    let n = cfg.peers.max(1);
    let subs: Vec<_> = (0..n)
        .map(|_| {
            let (ep, size, ctx) = (ep.clone(), cfg.size, ctx.clone());
            let ts = topics(cfg.subscriptions);
            std::thread::spawn(move || -> PerfResult<SubStat> {
                let sub = ctx.socket(SocketKind::Sub)?;
                sub.set_rcvtimeo_ms(timeout_ms)?;
                sub.set_linger_ms(timeout_ms)?;
                // libzmq drops subscriptions beyond the SUB's send HWM:
                // no limit, so that all K arrive.
                sub.set_int(opt::SNDHWM, 0)?;
                sub.connect(&ep)?;
                for t in &ts {
                    sub.set_bytes(opt::SUBSCRIBE, t)?;
                }
                let mut st = SubStat::default();
                let mut empty: [u8; 0] = [];
                loop {
                    let len = sub.recv_into(&mut empty)?;
                    if len != size {
                        st.ended();
                        break;
                    }
                    st.saw();
                }
                for t in ts.iter().skip(1).chain(ts.first()) {
                    sub.set_bytes(opt::UNSUBSCRIBE, t)?;
                }
                drop(sub);
                Ok(st)
            })
        })
        .collect();
    let mut subscribed = 0;
    xpub.set_rcvtimeo_ms(timeout_ms)?;
    while subscribed < n * cfg.subscriptions {
        if xpub.recv()?.0.first() == Some(&1) {
            subscribed += 1;
        }
    }
    xpub.set_rcvtimeo_ms(0)?;
    let payloads = payloads(cfg)?;
    let k = payloads.len();
    for i in 0..cfg.count as usize {
        xpub.send(&payloads[i % k], false)?;
    }
    let end = topics(cfg.subscriptions).swap_remove(0);
    let deadline = cfg.timeout.map(|t| Instant::now() + t);
    loop {
        xpub.send(&end, false)?;
        std::thread::sleep(END_EVERY);
        if matches!(xpub.recv(), Ok((m, _)) if last_cancel(&m, &end)) {
            break;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Err("libzmq: subscribers did not finish in time".into());
        }
    }
    let stats = join_all(subs)?;
    Ok((aggregate(cfg.size, &stats), cfg.count * n as u64))
}
