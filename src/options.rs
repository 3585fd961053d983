//! Socket options and their defaults (SPEC §7).

use bytes::Bytes;
use std::time::Duration;

/// Options fixed when a socket is created (SPEC §7). Build with
/// `SocketOptions::default()` and the chained setters:
///
/// ```
/// use std::time::Duration;
/// let opts = oxmq::SocketOptions::default()
///     .sndhwm(10)
///     .linger(Some(Duration::ZERO));
/// assert_eq!(opts.get_sndhwm(), 10);
/// ```
#[derive(Clone, Debug)]
pub struct SocketOptions {
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    pub(crate) linger: Option<Duration>,
    pub(crate) reconnect_ivl: Duration,
    pub(crate) reconnect_ivl_max: Duration,
    pub(crate) maxmsgsize: Option<u64>,
    pub(crate) sndtimeo: Option<Duration>,
    pub(crate) rcvtimeo: Option<Duration>,
    pub(crate) handshake_ivl: Option<Duration>,
    pub(crate) routing_id: Option<Bytes>,
    pub(crate) router_mandatory: bool,
    pub(crate) req_relaxed: bool,
    pub(crate) req_correlate: bool,
    pub(crate) xpub_verbose: bool,
    pub(crate) xpub_verboser: bool,
    pub(crate) xpub_nodrop: bool,
    pub(crate) heartbeat_ivl: Option<Duration>,
    pub(crate) max_frames: Option<usize>,
    pub(crate) rcvhwm_bytes: usize,
    pub(crate) heartbeat_timeout: Option<Duration>,
    pub(crate) heartbeat_ttl: Option<Duration>,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: None,
            reconnect_ivl: Duration::from_millis(100),
            reconnect_ivl_max: Duration::ZERO,
            maxmsgsize: None,
            sndtimeo: None,
            rcvtimeo: None,
            handshake_ivl: Some(Duration::from_secs(30)),
            routing_id: None,
            router_mandatory: false,
            req_relaxed: false,
            req_correlate: false,
            xpub_verbose: false,
            xpub_verboser: false,
            xpub_nodrop: false,
            heartbeat_ivl: None,
            max_frames: Some(65_536),
            rcvhwm_bytes: 0,
            heartbeat_timeout: None,
            heartbeat_ttl: None,
        }
    }
}

impl SocketOptions {
    /// Send high-water mark: messages queued per peer before `send` waits
    /// (or drops, for PUB). 0 means no limit. Default 1000 (SPEC §7).
    pub fn sndhwm(mut self, n: usize) -> Self {
        self.sndhwm = n;
        self
    }
    /// Receive high-water mark: messages queued per peer before the socket
    /// stops reading from it. 0 means no limit. Default 1000 (SPEC §7).
    pub fn rcvhwm(mut self, n: usize) -> Self {
        self.rcvhwm = n;
        self
    }
    /// How long queued messages are still sent after the socket is closed:
    /// `None` waits for ever (libzmq's -1, the default), `Some(ZERO)`
    /// discards them at once (SPEC §6.5).
    pub fn linger(mut self, linger: Option<Duration>) -> Self {
        self.linger = linger;
        self
    }
    /// First wait before reconnecting a lost or refused connection.
    /// Default 100 ms (SPEC §6.4).
    pub fn reconnect_ivl(mut self, ivl: Duration) -> Self {
        self.reconnect_ivl = ivl;
        self
    }
    /// Upper bound for the doubling reconnect wait. Zero (the default, as in
    /// libzmq) keeps the wait at `reconnect_ivl` (SPEC §6.4).
    pub fn reconnect_ivl_max(mut self, ivl: Duration) -> Self {
        self.reconnect_ivl_max = ivl;
        self
    }
    /// Largest inbound frame accepted; a peer sending a larger one is
    /// disconnected. `None` (default) is unlimited (SPEC §7).
    pub fn maxmsgsize(mut self, max: Option<u64>) -> Self {
        self.maxmsgsize = max;
        self
    }
    /// Timeout of the blocking send calls. `None` (default) waits for ever.
    pub fn sndtimeo(mut self, t: Option<Duration>) -> Self {
        self.sndtimeo = t;
        self
    }
    /// Timeout of the blocking receive calls. `None` (default) waits for ever.
    pub fn rcvtimeo(mut self, t: Option<Duration>) -> Self {
        self.rcvtimeo = t;
        self
    }
    /// Time a new connection has to finish the ZMTP handshake. Default
    /// 30 s; `None` disables the limit (SPEC §7).
    pub fn handshake_ivl(mut self, t: Option<Duration>) -> Self {
        self.handshake_ivl = t;
        self
    }
    /// The `Identity` property sent in READY (ZMQ_ROUTING_ID). Default none.
    pub fn routing_id(mut self, id: Option<Bytes>) -> Self {
        self.routing_id = id;
        self
    }

    /// ROUTER: a message addressed to an unknown identity fails with
    /// `HostUnreachable`, and one for a peer at `sndhwm` waits (or fails
    /// with `WouldBlock`), instead of being dropped (ZMQ_ROUTER_MANDATORY).
    /// Default false (SPEC §5.7).
    pub fn router_mandatory(mut self, on: bool) -> Self {
        self.router_mandatory = on;
        self
    }
    /// REQ: allow a new request before the reply to the last one came; the
    /// late reply is then discarded (ZMQ_REQ_RELAXED). Default false
    /// (SPEC §5.6).
    pub fn req_relaxed(mut self, on: bool) -> Self {
        self.req_relaxed = on;
        self
    }
    /// REQ: prefix each request with a request id and accept only the
    /// reply carrying it (ZMQ_REQ_CORRELATE). Default false (SPEC §5.6).
    pub fn req_correlate(mut self, on: bool) -> Self {
        self.req_correlate = on;
        self
    }
    /// XPUB: hand every subscription to the application, not only the
    /// first for a topic (ZMQ_XPUB_VERBOSE). Default false (SPEC §5.5).
    pub fn xpub_verbose(mut self, on: bool) -> Self {
        self.xpub_verbose = on;
        self
    }
    /// XPUB: hand every cancellation to the application too, not only the
    /// last for a topic (ZMQ_XPUB_VERBOSER; implies `xpub_verbose`).
    /// Default false (SPEC §5.5).
    pub fn xpub_verboser(mut self, on: bool) -> Self {
        self.xpub_verboser = on;
        self
    }

    /// PUB and XPUB: instead of dropping a message for a subscriber at
    /// `sndhwm`, `send` waits until every matching subscriber has room
    /// (`try_send`: `WouldBlock`), and sends to none meanwhile
    /// (ZMQ_XPUB_NODROP). Default false (SPEC §5.5).
    pub fn xpub_nodrop(mut self, on: bool) -> Self {
        self.xpub_nodrop = on;
        self
    }
    /// Most frames one inbound message may have; a peer sending more is
    /// disconnected (protocol error). Default 65 536; `None`: unlimited, as
    /// libzmq (SPEC §7).
    pub fn max_frames(mut self, max: Option<usize>) -> Self {
        self.max_frames = max;
        self
    }
    /// Bytes queued per peer for receiving (tcp and ipc), beside the
    /// `rcvhwm` count of messages: reading from the peer stops at this
    /// many bytes (back-pressure), and a single message larger than it
    /// closes the connection (protocol error). 0 (default, as libzmq):
    /// no byte limit (SPEC §6.1, §7).
    pub fn rcvhwm_bytes(mut self, bytes: usize) -> Self {
        self.rcvhwm_bytes = bytes;
        self
    }
    /// Interval between the PINGs sent on each connection
    /// (ZMQ_HEARTBEAT_IVL). `None` (default) sends none (SPEC §6.8).
    pub fn heartbeat_ivl(mut self, ivl: Option<Duration>) -> Self {
        self.heartbeat_ivl = ivl;
        self
    }
    /// How long after a PING the connection may stay silent before it is
    /// closed (ZMQ_HEARTBEAT_TIMEOUT). `None` (default): the interval
    /// (SPEC §6.8).
    pub fn heartbeat_timeout(mut self, t: Option<Duration>) -> Self {
        self.heartbeat_timeout = t;
        self
    }
    /// Time-to-live announced in our PINGs: the peer closes the connection
    /// if it hears nothing from us for that long (ZMQ_HEARTBEAT_TTL; sent
    /// in tenths of a second, at most 6553.5 s). `None` (default): none
    /// (SPEC §6.8).
    pub fn heartbeat_ttl(mut self, t: Option<Duration>) -> Self {
        self.heartbeat_ttl = t;
        self
    }

    /// The send high-water mark.
    pub fn get_sndhwm(&self) -> usize {
        self.sndhwm
    }
    /// The receive high-water mark.
    pub fn get_rcvhwm(&self) -> usize {
        self.rcvhwm
    }
    /// The linger period.
    pub fn get_linger(&self) -> Option<Duration> {
        self.linger
    }
}
