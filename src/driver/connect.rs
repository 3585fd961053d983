//! Connecting, and reconnecting after failures, to a tcp or ipc endpoint
//! (SPEC §6.4).

use crate::driver::core::{Port, SocketCore};
use crate::driver::engine::{self, Attach};
use crate::driver::monitor::SocketEvent;
use crate::driver::pipe::Pipe;
use oxmq_transports::Endpoint;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

/// The wait before the next attempt: `ivl` plus up to half of it again at
/// random, so peers that lost the same server do not return in step.
pub(crate) fn jittered(ivl: Duration) -> Duration {
    let extra = ivl.as_nanos() as u64 / 2;
    if extra == 0 {
        return ivl;
    }
    ivl + Duration::from_nanos(rand::rng().random_range(0..=extra))
}

/// The next base interval: doubled up to `max` when `max` exceeds `base`.
pub(crate) fn next_ivl(ivl: Duration, base: Duration, max: Duration) -> Duration {
    if max > base {
        (ivl * 2).min(max)
    } else {
        base
    }
}

/// Keeps one connection to `ep` alive for as long as the socket wants it.
pub(crate) async fn connect_loop(
    core: Arc<SocketCore>,
    ep: Endpoint,
    given: String,
    out: Arc<Pipe>,
    inp: Arc<Pipe>,
) {
    let base = core.options.reconnect_ivl;
    let max = core.options.reconnect_ivl_max;
    let mut ivl = base;
    // The session's record, kept across this endpoint's connections
    // (SPEC §3.7).
    let resume = Arc::new(crate::driver::engine::ResumeSlot::default());
    // While closing, it goes on until nothing is queued and nothing sent
    // waits for its acknowledgement (SPEC §3.7, §6.5).
    let settled = |resume: &crate::driver::engine::ResumeSlot| {
        out.len() == 0
            && crate::driver::engine::lock_slot(resume)
                .as_ref()
                .is_none_or(|s| s.unacked.is_empty())
    };
    loop {
        if core.is_closed() && settled(&resume) {
            return;
        }
        core.monitor.emit(SocketEvent::ConnectDelayed {
            endpoint: given.clone(),
        });
        match oxmq_transports::connect(&ep).await {
            Ok(stream) => {
                let peer = stream.peer_description();
                tracing::debug!(endpoint = %given, %peer, "connected");
                core.monitor.emit(SocketEvent::Connected {
                    endpoint: given.clone(),
                    peer: peer.clone(),
                });
                let persistent = Attach::Persistent {
                    out: out.clone(),
                    inp: inp.clone(),
                    resume: resume.clone(),
                };
                let port: Arc<dyn Port> = core.clone();
                let end = engine::run(port, stream, given.clone(), peer, persistent).await;
                if end.handshake_done {
                    ivl = base;
                }
                if let Some(reason) = end.credentials_refused {
                    if !core.options.reconnect_after_error {
                        // RFC 37: not again with the same credentials.
                        tracing::warn!(endpoint = %given, %reason,
                            "the peer refused our credentials; not reconnecting");
                        if let Some(id) = core.peer_id_of(&out) {
                            core.detach(id);
                        }
                        core.monitor.emit(SocketEvent::ConnectStopped {
                            endpoint: given,
                            reason,
                        });
                        return;
                    }
                }
                if core.is_closed() && settled(&resume) {
                    return;
                }
            }
            Err(e) => {
                let wait = jittered(ivl);
                tracing::debug!(endpoint = %given, error = %e, "connect failed; retrying");
                core.monitor.emit(SocketEvent::ConnectRetried {
                    endpoint: given.clone(),
                    error: e.to_string(),
                    retry_in: wait,
                });
                tokio::time::sleep(wait).await;
                ivl = next_ivl(ivl, base, max);
                continue;
            }
        }
        let wait = jittered(ivl);
        tracing::debug!(endpoint = %given, retry_in = ?wait, "reconnecting");
        tokio::time::sleep(wait).await;
        ivl = next_ivl(ivl, base, max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_max_and_jitter_stays_in_range() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(350);
        let mut ivl = base;
        let mut seen = Vec::new();
        for _ in 0..4 {
            ivl = next_ivl(ivl, base, max);
            seen.push(ivl.as_millis());
        }
        assert_eq!(seen, vec![200, 350, 350, 350]);
        assert_eq!(next_ivl(base, base, Duration::ZERO), base);
        for _ in 0..100 {
            let j = jittered(base);
            assert!(j >= base && j <= base + base / 2, "{j:?}");
        }
    }
}
