//! Receiving (SPEC §5.2, §6.3): the three forms of a receive, and the
//! filtered receives of socket types that drop some messages (SUB's
//! filter, REQ's stale replies).

use std::time::Instant;

use super::SocketCore;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::routing_id::RoutingId;

/// What a filtering receiver decides about one message: `None` drops it
/// and keeps receiving, `Some(r)` ends the call with `r`.
pub(crate) type Verdict<T> = Option<Result<T>>;

impl SocketCore {
    /// Takes the next message, fair-queued over peers (SPEC §5.2), without
    /// waiting: `WouldBlock` when none is queued, `Closed` once closed.
    #[inline]
    pub(crate) fn try_recv(&self) -> Result<(RoutingId, Message)> {
        let mut departed = Vec::new();
        let next = self.inbound.take(&self.counters, &mut departed);
        for id in departed {
            self.peer_left(id);
        }
        match next {
            Some(v) => Ok(v),
            None if self.is_closed() => Err(Error::Closed),
            None => Err(Error::WouldBlock),
        }
    }

    /// Waits for a message (cancel-safe: a dropped call takes nothing).
    pub(crate) async fn recv(&self) -> Result<(RoutingId, Message)> {
        loop {
            match self.try_recv() {
                Err(Error::WouldBlock) => {}
                r => return r,
            }
            let waiting = self.inbound.listen();
            match self.try_recv() {
                Err(Error::WouldBlock) => waiting.wait().await,
                r => return r,
            }
        }
    }

    /// Waits on a plain thread for at most `timeout`: reading the
    /// connections directly where that applies (SPEC §6.1), else spinning
    /// on the socket's input state and then parking (SPEC §6.2), with no
    /// future and no allocation.
    fn wait_blocking(&self, timeout: Option<std::time::Duration>) -> Result<(RoutingId, Message)> {
        if let Some(r) = self.inbound.direct.recv(|| self.try_recv(), timeout) {
            return r;
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            match self.try_recv() {
                Err(Error::WouldBlock) => {}
                r => return r,
            }
            let woke = self
                .inbound
                .sleepers
                .wait(deadline, || self.inbound.has_input() || self.is_closed());
            if !woke {
                return match self.try_recv() {
                    Err(Error::WouldBlock) => Err(Error::Timeout {
                        after: timeout.unwrap_or_default(),
                    }),
                    r => r,
                };
            }
        }
    }

    /// Receives until `judge` keeps a message, without waiting
    /// (`WouldBlock` once nothing is queued).
    pub(crate) fn try_recv_where<T>(
        &self,
        mut judge: impl FnMut(RoutingId, Message) -> Verdict<T>,
    ) -> Result<T> {
        loop {
            let (id, m) = self.try_recv()?;
            if let Some(r) = judge(id, m) {
                return r;
            }
        }
    }

    /// Receives until `judge` keeps a message (cancel-safe: every message
    /// taken is judged before the next await).
    pub(crate) async fn recv_where<T>(
        &self,
        mut judge: impl FnMut(RoutingId, Message) -> Verdict<T>,
    ) -> Result<T> {
        loop {
            let (id, m) = self.recv().await?;
            if let Some(r) = judge(id, m) {
                return r;
            }
        }
    }

    /// Receives on a plain thread until `judge` keeps a message;
    /// `rcvtimeo` bounds the whole call, dropped messages included.
    #[inline]
    pub(crate) fn blocking_recv_where<T>(
        &self,
        mut judge: impl FnMut(RoutingId, Message) -> Verdict<T>,
    ) -> Result<T> {
        // Most calls find a message queued: no clock, no wait.
        match self.try_recv() {
            Ok((id, m)) => {
                if let Some(r) = judge(id, m) {
                    return r;
                }
            }
            Err(Error::WouldBlock) => {}
            Err(e) => return Err(e),
        }
        self.wait_where(judge)
    }

    /// [`blocking_recv_where`](Self::blocking_recv_where) once nothing was
    /// queued.
    fn wait_where<T>(&self, mut judge: impl FnMut(RoutingId, Message) -> Verdict<T>) -> Result<T> {
        let timeout = self.options.rcvtimeo;
        let deadline = timeout.map(|t| Instant::now() + t);
        // The caller found nothing queued: wait first, then look again.
        let mut wait = true;
        loop {
            let r = match if wait {
                Err(Error::WouldBlock)
            } else {
                self.try_recv()
            } {
                Err(Error::WouldBlock) => {
                    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    self.wait_blocking(left)
                }
                r => r,
            };
            wait = false;
            match r {
                Ok((id, m)) => {
                    if let Some(r) = judge(id, m) {
                        return r;
                    }
                }
                Err(Error::Timeout { .. }) => {
                    return Err(Error::Timeout {
                        after: timeout.unwrap_or_default(),
                    })
                }
                Err(e) => return Err(e),
            }
        }
    }
}
