//! Socket options and their defaults (SPEC §7).

use bytes::Bytes;
use std::fmt;
use std::time::Duration;

use crate::curve::{CurvePublicKey, CurveSecretKey};
use crate::error::{Error, Result};

/// Bytes that `Debug` does not show: a password (SPEC §9.3).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Bytes);

impl Secret {
    /// Wraps `bytes`.
    pub fn new(bytes: impl Into<Bytes>) -> Secret {
        Secret(bytes.into())
    }

    /// The bytes themselves.
    pub fn expose(&self) -> &Bytes {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// Longest PLAIN user name or password (one length byte, RFC 24) and ZAP
/// domain (as libzmq allows).
const MAX_SHORT_OPTION: usize = 255;

/// Options fixed when a socket is created (SPEC §7). Every option is a
/// public field, read as `options.sndhwm`; build with
/// `SocketOptions::default()` and the chained setters of the same names:
///
/// ```
/// use std::time::Duration;
/// let opts = oxmq::SocketOptions::default()
///     .sndhwm(10)
///     .linger(Some(Duration::ZERO));
/// assert_eq!(opts.sndhwm, 10);
/// assert_eq!(opts.rcvhwm, 1000);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SocketOptions {
    /// Send high-water mark: messages queued per peer before `send` waits
    /// (or drops, for PUB). 0 means no limit. Default 1000 (SPEC §7).
    pub sndhwm: usize,
    /// Receive high-water mark: messages queued per peer before the socket
    /// stops reading from it. 0 means no limit. Default 1000 (SPEC §7).
    pub rcvhwm: usize,
    /// How long queued messages are still sent after the socket is closed:
    /// `None` waits for ever (libzmq's -1, the default), `Some(ZERO)`
    /// discards them at once (SPEC §6.5).
    pub linger: Option<Duration>,
    /// First wait before reconnecting a lost or refused connection.
    /// Default 100 ms (SPEC §6.4).
    pub reconnect_ivl: Duration,
    /// Upper bound for the doubling reconnect wait. Zero (the default, as in
    /// libzmq) keeps the wait at `reconnect_ivl` (SPEC §6.4).
    pub reconnect_ivl_max: Duration,
    /// Largest inbound frame accepted; a peer sending a larger one is
    /// disconnected. `None` (default) is unlimited (SPEC §6.1, §7).
    pub maxmsgsize: Option<u64>,
    /// Most frames one inbound message may have; a peer sending more is
    /// disconnected (protocol error). Default 65 536; `None`: unlimited, as
    /// libzmq (SPEC §7).
    pub max_frames: Option<usize>,
    /// Bytes queued per peer for receiving (tcp and ipc), beside the
    /// `rcvhwm` count of messages: reading from the peer stops at this
    /// many bytes (back-pressure), and a single message larger than it
    /// closes the connection (protocol error). 0 (default, as libzmq):
    /// no byte limit (SPEC §6.1, §7).
    pub rcvhwm_bytes: usize,
    /// Timeout of the blocking send calls; `None` (default) waits for
    /// ever (SPEC §6.3).
    pub sndtimeo: Option<Duration>,
    /// Timeout of the blocking receive calls; `None` (default) waits for
    /// ever (SPEC §6.3).
    pub rcvtimeo: Option<Duration>,
    /// Time a new connection has to finish the ZMTP handshake. Default
    /// 30 s; `None` disables the limit (SPEC §7).
    pub handshake_ivl: Option<Duration>,
    /// The `Identity` property sent in READY (ZMQ_ROUTING_ID): what a
    /// ROUTER peer calls us (SPEC §5.7). Default none.
    pub routing_id: Option<Bytes>,
    /// ROUTER: a message addressed to an unknown identity fails with
    /// [`Error::UnknownIdentity`](crate::Error::UnknownIdentity), and one
    /// for a peer at `sndhwm` waits (or fails with `WouldBlock`), instead
    /// of being dropped (ZMQ_ROUTER_MANDATORY). Default false (SPEC §5.7).
    pub router_mandatory: bool,
    /// REQ: allow a new request before the reply to the last one came; the
    /// late reply is then discarded (ZMQ_REQ_RELAXED). Default false
    /// (SPEC §5.6).
    pub req_relaxed: bool,
    /// REQ: prefix each request with a request id and accept only the
    /// reply carrying it (ZMQ_REQ_CORRELATE). Default false (SPEC §5.6).
    pub req_correlate: bool,
    /// XPUB: hand every subscription to the application, not only the
    /// first for a topic (ZMQ_XPUB_VERBOSE). Default false (SPEC §5.5).
    pub xpub_verbose: bool,
    /// XPUB: hand every cancellation to the application too, not only the
    /// last for a topic (ZMQ_XPUB_VERBOSER; implies `xpub_verbose`).
    /// Default false (SPEC §5.5).
    pub xpub_verboser: bool,
    /// PUB and XPUB: instead of dropping a message for a subscriber at
    /// `sndhwm`, `send` waits until every matching subscriber has room
    /// (`try_send`: `WouldBlock`), and sends to none meanwhile
    /// (ZMQ_XPUB_NODROP). Default false (SPEC §5.5).
    pub xpub_nodrop: bool,
    /// Interval between the PINGs sent on each connection
    /// (ZMQ_HEARTBEAT_IVL). `None` (default) sends none (SPEC §6.8).
    pub heartbeat_ivl: Option<Duration>,
    /// How long after a PING the connection may stay silent before it is
    /// closed (ZMQ_HEARTBEAT_TIMEOUT). `None` (default): the interval
    /// (SPEC §6.8).
    pub heartbeat_timeout: Option<Duration>,
    /// Time-to-live announced in our PINGs: the peer closes the connection
    /// if it hears nothing from us for that long (ZMQ_HEARTBEAT_TTL; sent
    /// in tenths of a second, at most 6553.5 s). `None` (default): none
    /// (SPEC §6.8).
    pub heartbeat_ttl: Option<Duration>,
    /// PLAIN client (ZMQ_PLAIN_USERNAME): the user name to log in with,
    /// at most 255 bytes. Setting it or `plain_password` makes the
    /// socket's tcp and ipc connections PLAIN clients. Default none: NULL
    /// (SPEC §9.3).
    pub plain_username: Option<Bytes>,
    /// PLAIN client (ZMQ_PLAIN_PASSWORD): the password, at most 255 bytes;
    /// not shown by `Debug`. Default none (SPEC §9.3).
    pub plain_password: Option<Secret>,
    /// Reconnect after the peer refused our credentials with ERROR.
    /// Default false: as RFC 37 says (and libzmq does), the socket stops
    /// reconnecting to that endpoint (`SocketEvent::ConnectStopped`)
    /// (SPEC §9.3).
    pub reconnect_after_error: bool,
    /// PLAIN server (ZMQ_PLAIN_SERVER): the socket's tcp and ipc
    /// connections are PLAIN servers, which ask the ZAP handler about each
    /// client's credentials. Wins over `plain_username`/`plain_password`.
    /// Default false (SPEC §9.2, §9.3).
    pub plain_server: bool,
    /// CURVE server (ZMQ_CURVE_SERVER): the socket's tcp and ipc
    /// connections are CURVE servers, proven to clients by
    /// `curve_secretkey` (required). Default false (SPEC §9.5).
    pub curve_server: bool,
    /// Our long-term secret key (ZMQ_CURVE_SECRETKEY), for a CURVE server
    /// or client; not shown by `Debug`. Default none (SPEC §9.5).
    pub curve_secretkey: Option<CurveSecretKey>,
    /// Our long-term public key (ZMQ_CURVE_PUBLICKEY). Optional: it is
    /// derived from `curve_secretkey`, and must match it when given.
    /// Default none (SPEC §9.5).
    pub curve_publickey: Option<CurvePublicKey>,
    /// The server's long-term public key (ZMQ_CURVE_SERVERKEY): set, the
    /// socket's tcp and ipc connections are CURVE clients of that server
    /// (with `curve_secretkey`, required). Default none (SPEC §9.5).
    pub curve_serverkey: Option<CurvePublicKey>,
    /// ZAP domain (ZMQ_ZAP_DOMAIN), at most 255 bytes, sent in the socket's
    /// ZAP requests; a non-empty one makes NULL connections ask the
    /// handler too. Default empty (SPEC §9.2).
    pub zap_domain: Bytes,
    /// ZMQ_ZAP_ENFORCE_DOMAIN: with no ZAP handler bound, every handshake
    /// that would ask one fails, not only PLAIN's. Default false
    /// (SPEC §9.2).
    pub zap_enforce_domain: bool,
    /// Offer resumable sessions to oxmq peers (SPEC §3.7): when both
    /// sides offer, messages are acknowledged and a cut connection loses
    /// and duplicates nothing. Only CLIENT, SERVER, PUSH, PULL, DEALER,
    /// ROUTER, REQ, REP and PAIR over tcp and ipc, with NULL security,
    /// offer it. Default true.
    pub resume: bool,
    /// How long an accepting socket keeps a detached peer (routing id,
    /// queues, unacknowledged messages) for its session to resume
    /// (SPEC §3.7). Default 30 s.
    pub resume_ivl: Duration,
    /// When a session cannot be resumed (the peer restarted), a
    /// connecting socket sends what the old session never acknowledged to
    /// the new one (at-least-once); false drops it (at-most-once)
    /// (SPEC §3.7). Default true.
    pub resend_on_reset: bool,
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
            plain_username: None,
            plain_password: None,
            reconnect_after_error: false,
            plain_server: false,
            curve_server: false,
            curve_secretkey: None,
            curve_publickey: None,
            curve_serverkey: None,
            zap_domain: Bytes::new(),
            zap_enforce_domain: false,
            resume: true,
            resume_ivl: Duration::from_secs(30),
            resend_on_reset: true,
        }
    }
}

impl SocketOptions {
    /// Sets [`resume`](Self::resume).
    pub fn resume(mut self, on: bool) -> Self {
        self.resume = on;
        self
    }

    /// Sets [`resume_ivl`](Self::resume_ivl).
    pub fn resume_ivl(mut self, ivl: Duration) -> Self {
        self.resume_ivl = ivl;
        self
    }

    /// Sets [`resend_on_reset`](Self::resend_on_reset).
    pub fn resend_on_reset(mut self, on: bool) -> Self {
        self.resend_on_reset = on;
        self
    }

    /// Sets [`sndhwm`](Self::sndhwm).
    pub fn sndhwm(mut self, n: usize) -> Self {
        self.sndhwm = n;
        self
    }

    /// Sets [`rcvhwm`](Self::rcvhwm).
    pub fn rcvhwm(mut self, n: usize) -> Self {
        self.rcvhwm = n;
        self
    }

    /// Sets [`linger`](Self::linger).
    pub fn linger(mut self, linger: Option<Duration>) -> Self {
        self.linger = linger;
        self
    }

    /// Sets [`reconnect_ivl`](Self::reconnect_ivl).
    pub fn reconnect_ivl(mut self, ivl: Duration) -> Self {
        self.reconnect_ivl = ivl;
        self
    }

    /// Sets [`reconnect_ivl_max`](Self::reconnect_ivl_max).
    pub fn reconnect_ivl_max(mut self, ivl: Duration) -> Self {
        self.reconnect_ivl_max = ivl;
        self
    }

    /// Sets [`maxmsgsize`](Self::maxmsgsize).
    pub fn maxmsgsize(mut self, max: Option<u64>) -> Self {
        self.maxmsgsize = max;
        self
    }

    /// Sets [`max_frames`](Self::max_frames).
    pub fn max_frames(mut self, max: Option<usize>) -> Self {
        self.max_frames = max;
        self
    }

    /// Sets [`rcvhwm_bytes`](Self::rcvhwm_bytes).
    pub fn rcvhwm_bytes(mut self, bytes: usize) -> Self {
        self.rcvhwm_bytes = bytes;
        self
    }

    /// Sets [`sndtimeo`](Self::sndtimeo).
    pub fn sndtimeo(mut self, t: Option<Duration>) -> Self {
        self.sndtimeo = t;
        self
    }

    /// Sets [`rcvtimeo`](Self::rcvtimeo).
    pub fn rcvtimeo(mut self, t: Option<Duration>) -> Self {
        self.rcvtimeo = t;
        self
    }

    /// Sets [`handshake_ivl`](Self::handshake_ivl).
    pub fn handshake_ivl(mut self, t: Option<Duration>) -> Self {
        self.handshake_ivl = t;
        self
    }

    /// Sets [`routing_id`](Self::routing_id).
    pub fn routing_id(mut self, id: Option<Bytes>) -> Self {
        self.routing_id = id;
        self
    }

    /// Sets [`router_mandatory`](Self::router_mandatory).
    pub fn router_mandatory(mut self, on: bool) -> Self {
        self.router_mandatory = on;
        self
    }

    /// Sets [`req_relaxed`](Self::req_relaxed).
    pub fn req_relaxed(mut self, on: bool) -> Self {
        self.req_relaxed = on;
        self
    }

    /// Sets [`req_correlate`](Self::req_correlate).
    pub fn req_correlate(mut self, on: bool) -> Self {
        self.req_correlate = on;
        self
    }

    /// Sets [`xpub_verbose`](Self::xpub_verbose).
    pub fn xpub_verbose(mut self, on: bool) -> Self {
        self.xpub_verbose = on;
        self
    }

    /// Sets [`xpub_verboser`](Self::xpub_verboser).
    pub fn xpub_verboser(mut self, on: bool) -> Self {
        self.xpub_verboser = on;
        self
    }

    /// Sets [`xpub_nodrop`](Self::xpub_nodrop).
    pub fn xpub_nodrop(mut self, on: bool) -> Self {
        self.xpub_nodrop = on;
        self
    }

    /// Sets [`heartbeat_ivl`](Self::heartbeat_ivl).
    pub fn heartbeat_ivl(mut self, ivl: Option<Duration>) -> Self {
        self.heartbeat_ivl = ivl;
        self
    }

    /// Sets [`heartbeat_timeout`](Self::heartbeat_timeout).
    pub fn heartbeat_timeout(mut self, t: Option<Duration>) -> Self {
        self.heartbeat_timeout = t;
        self
    }

    /// Sets [`heartbeat_ttl`](Self::heartbeat_ttl).
    pub fn heartbeat_ttl(mut self, t: Option<Duration>) -> Self {
        self.heartbeat_ttl = t;
        self
    }

    /// Sets [`plain_username`](Self::plain_username).
    pub fn plain_username(mut self, username: impl Into<Bytes>) -> Self {
        self.plain_username = Some(username.into());
        self
    }

    /// Sets [`plain_password`](Self::plain_password).
    pub fn plain_password(mut self, password: impl Into<Bytes>) -> Self {
        self.plain_password = Some(Secret::new(password));
        self
    }

    /// Sets [`reconnect_after_error`](Self::reconnect_after_error).
    pub fn reconnect_after_error(mut self, on: bool) -> Self {
        self.reconnect_after_error = on;
        self
    }

    /// Sets [`plain_server`](Self::plain_server).
    pub fn plain_server(mut self, on: bool) -> Self {
        self.plain_server = on;
        self
    }

    /// Sets [`curve_server`](Self::curve_server).
    pub fn curve_server(mut self, on: bool) -> Self {
        self.curve_server = on;
        self
    }

    /// Sets [`curve_secretkey`](Self::curve_secretkey). Keys given as
    /// bytes or Z85 text are read with [`CurveSecretKey::parse`], which
    /// refuses anything but 32 bytes or 40 Z85 characters.
    pub fn curve_secretkey(mut self, key: CurveSecretKey) -> Self {
        self.curve_secretkey = Some(key);
        self
    }

    /// Sets [`curve_publickey`](Self::curve_publickey).
    pub fn curve_publickey(mut self, key: CurvePublicKey) -> Self {
        self.curve_publickey = Some(key);
        self
    }

    /// Sets [`curve_serverkey`](Self::curve_serverkey).
    pub fn curve_serverkey(mut self, key: CurvePublicKey) -> Self {
        self.curve_serverkey = Some(key);
        self
    }

    /// Sets [`zap_domain`](Self::zap_domain).
    pub fn zap_domain(mut self, domain: impl Into<Bytes>) -> Self {
        self.zap_domain = domain.into();
        self
    }

    /// Sets [`zap_enforce_domain`](Self::zap_enforce_domain).
    pub fn zap_enforce_domain(mut self, on: bool) -> Self {
        self.zap_enforce_domain = on;
        self
    }

    /// Whether the options can be used: checked by `bind` and `connect`,
    /// which fail with [`Error::InvalidOption`] otherwise (SPEC §7, §8).
    pub(crate) fn check(&self) -> Result<()> {
        let too_long = |option: &'static str, len: usize| {
            (len > MAX_SHORT_OPTION).then(|| Error::InvalidOption {
                option,
                reason: format!("{len} bytes, more than {MAX_SHORT_OPTION}"),
            })
        };
        let user = self.plain_username.as_ref().map_or(0, Bytes::len);
        let password = self.plain_password.as_ref().map_or(0, |p| p.0.len());
        let refused = too_long("plain_username", user)
            .or_else(|| too_long("plain_password", password))
            .or_else(|| too_long("zap_domain", self.zap_domain.len()))
            .or_else(|| self.curve_refusal());
        match refused {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// What is wrong with the CURVE options, if anything (SPEC §9.5).
    fn curve_refusal(&self) -> Option<Error> {
        let invalid = |option, reason: &str| {
            Some(Error::InvalidOption {
                option,
                reason: reason.to_owned(),
            })
        };
        let curve = self.curve_server || self.curve_serverkey.is_some();
        let plain = self.plain_server || self.plain_client().is_some();
        if !curve {
            return None;
        }
        if self.curve_server && self.curve_serverkey.is_some() {
            return invalid(
                "curve_server",
                "a socket is a CURVE server or a client of one, not both",
            );
        }
        if plain {
            return invalid("curve_server", "a socket uses CURVE or PLAIN, not both");
        }
        let Some(secret) = &self.curve_secretkey else {
            return invalid("curve_secretkey", "CURVE needs our long-term secret key");
        };
        if self
            .curve_publickey
            .is_some_and(|p| p != secret.public_key())
        {
            return invalid("curve_publickey", "not the public key of curve_secretkey");
        }
        None
    }

    /// The PLAIN client's user name and password, if either is set
    /// (SPEC §9.3).
    pub(crate) fn plain_client(&self) -> Option<(Bytes, Bytes)> {
        if self.plain_username.is_none() && self.plain_password.is_none() {
            return None;
        }
        Some((
            self.plain_username.clone().unwrap_or_default(),
            self.plain_password.clone().unwrap_or_default().0,
        ))
    }
}
