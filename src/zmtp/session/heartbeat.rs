//! Heartbeat timers (SPEC §6.8): our PINGs, the silence that ends a
//! connection after one, and the TTL the peer's PINGs ask for. Time is
//! passed in; nothing here reads a clock.

use std::time::{Duration, Instant};

/// The heartbeat options of a connection (SPEC §6.8, §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeartbeatConfig {
    /// `heartbeat_ivl`: time between our PINGs; `None` or zero: none.
    pub interval: Option<Duration>,
    /// `heartbeat_timeout`: silence after a PING that ends the
    /// connection; `None` or zero: the interval.
    pub timeout: Option<Duration>,
    /// `heartbeat_ttl`: the TTL announced in our PINGs.
    pub ttl: Option<Duration>,
}

impl HeartbeatConfig {
    /// The TTL field of our PINGs, in tenths of a second (at most
    /// 6553.5 s; 0 when unset).
    pub(super) fn ttl_deciseconds(&self) -> u16 {
        self.ttl.map_or(0, |t| {
            u16::try_from(t.as_millis() / 100).unwrap_or(u16::MAX)
        })
    }
}

/// What a timeout asks of the session.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Beat {
    /// Nothing to do yet.
    Idle,
    /// Send a PING now.
    Ping,
    /// The peer has been silent too long: end the connection.
    Expired,
}

/// The timers of one established connection.
#[derive(Debug)]
pub(super) struct Heartbeat {
    interval: Option<Duration>,
    timeout: Option<Duration>,
    /// When our next PING is due.
    next_ping: Option<Instant>,
    /// A PING in flight: when it went and when an answer is due.
    awaiting: Option<(Instant, Instant)>,
    /// The TTL of the peer's last PING: silence for that long ends the
    /// connection.
    peer_ttl: Option<Duration>,
    /// When bytes last arrived from the peer.
    last_heard: Instant,
}

impl Heartbeat {
    /// The timers of a connection established at `now`.
    pub(super) fn start(config: &HeartbeatConfig, now: Instant) -> Heartbeat {
        let interval = config.interval.filter(|d| !d.is_zero());
        Heartbeat {
            interval,
            timeout: config.timeout.filter(|d| !d.is_zero()).or(interval),
            next_ping: interval.map(|i| now + i),
            awaiting: None,
            peer_ttl: None,
            last_heard: now,
        }
    }

    /// Bytes arrived from the peer: any traffic is a sign of life.
    pub(super) fn heard(&mut self, now: Instant) {
        self.last_heard = self.last_heard.max(now);
    }

    /// The peer sent a PING with this TTL (0: none); each PING renews it.
    pub(super) fn peer_ping(&mut self, ttl_deciseconds: u16) {
        self.peer_ttl =
            (ttl_deciseconds != 0).then(|| Duration::from_millis(u64::from(ttl_deciseconds) * 100));
    }

    /// The next moment something may happen; `None` when no timer runs.
    pub(super) fn deadline(&self) -> Option<Instant> {
        let ttl_due = self.peer_ttl.map(|ttl| self.last_heard + ttl);
        [self.next_ping, self.awaiting.map(|(_, due)| due), ttl_due]
            .into_iter()
            .flatten()
            .min()
    }

    /// Time has reached `now`.
    pub(super) fn on_timeout(&mut self, now: Instant) -> Beat {
        if let Some((sent, due)) = self.awaiting {
            if self.last_heard >= sent {
                self.awaiting = None;
            } else if now >= due {
                return Beat::Expired;
            }
        }
        if let Some(ttl) = self.peer_ttl {
            if now >= self.last_heard + ttl {
                return Beat::Expired;
            }
        }
        match (self.interval, self.next_ping) {
            (Some(i), Some(at)) if now >= at => {
                self.next_ping = Some(now + i);
                if self.awaiting.is_none() {
                    if let Some(t) = self.timeout {
                        self.awaiting = Some((now, now + t));
                    }
                }
                Beat::Ping
            }
            _ => Beat::Idle,
        }
    }
}
