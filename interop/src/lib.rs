//! Dev-only libzmq wrapper.
//!
//! Builds libzmq 4.3.5 from the `zeromq-src` crate with the DRAFT API enabled
//! (so `ZMQ_CLIENT` / `ZMQ_SERVER` and the routing-id calls exist), links it
//! statically, and wraps the few C functions that oxmq's interop tests and
//! benchmarks need in a small safe API: [`Context`], [`Socket`], [`SocketKind`],
//! raw integer socket options in [`opt`], and [`ZmqError`].
//!
//! Blocking calls ([`Socket::send`], [`Socket::recv`], ...) block like their C
//! counterparts; set [`opt::RCVTIMEO`] / [`opt::SNDTIMEO`] to bound them (a
//! timeout surfaces as an error for which [`ZmqError::is_again`] is true).
//! `EINTR` is retried internally.
//!
//! All `unsafe` lives in this file (safe wrappers) and in `ffi` (the raw
//! `extern "C"` declarations).

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod ffi;

use std::ffi::{CStr, CString};
use std::fmt;
use std::io;
use std::os::raw::{c_int, c_void};
use std::ptr;
use std::sync::Arc;

/// Raw socket option numbers, as in libzmq 4.3.5's `zmq.h`.
///
/// Use them with [`Socket::set_int`], [`Socket::set_bytes`] and
/// [`Socket::get_int`].
pub mod opt {
    /// `ZMQ_AFFINITY` (uint64; [`Socket::set_int`](crate::Socket::set_int) widens it).
    pub const AFFINITY: i32 = 4;
    /// `ZMQ_ROUTING_ID` (binary, 1..=255 bytes).
    pub const ROUTING_ID: i32 = 5;
    /// `ZMQ_SUBSCRIBE` (binary prefix).
    pub const SUBSCRIBE: i32 = 6;
    /// `ZMQ_UNSUBSCRIBE` (binary prefix).
    pub const UNSUBSCRIBE: i32 = 7;
    /// `ZMQ_LINGER` (int, milliseconds; -1 = forever).
    pub const LINGER: i32 = 17;
    /// `ZMQ_MAXMSGSIZE` (int64; [`Socket::set_int`](crate::Socket::set_int) widens it).
    pub const MAXMSGSIZE: i32 = 22;
    /// `ZMQ_SNDHWM` (int, messages).
    pub const SNDHWM: i32 = 23;
    /// `ZMQ_RCVHWM` (int, messages).
    pub const RCVHWM: i32 = 24;
    /// `ZMQ_RCVTIMEO` (int, milliseconds; -1 = forever).
    pub const RCVTIMEO: i32 = 27;
    /// `ZMQ_SNDTIMEO` (int, milliseconds; -1 = forever).
    pub const SNDTIMEO: i32 = 28;
    /// `ZMQ_LAST_ENDPOINT` (string, read-only; see [`Socket::last_endpoint`](crate::Socket::last_endpoint)).
    pub const LAST_ENDPOINT: i32 = 32;
    /// `ZMQ_ROUTER_MANDATORY` (int, 0/1).
    pub const ROUTER_MANDATORY: i32 = 33;
    /// `ZMQ_IMMEDIATE` (int, 0/1).
    pub const IMMEDIATE: i32 = 39;
    /// `ZMQ_XPUB_VERBOSE` (int, 0/1).
    pub const XPUB_VERBOSE: i32 = 40;
    /// `ZMQ_REQ_CORRELATE` (int, 0/1).
    pub const REQ_CORRELATE: i32 = 52;
    /// `ZMQ_REQ_RELAXED` (int, 0/1).
    pub const REQ_RELAXED: i32 = 53;
    /// `ZMQ_HEARTBEAT_IVL` (int, milliseconds).
    pub const HEARTBEAT_IVL: i32 = 75;
    /// `ZMQ_XPUB_NODROP`.
    pub const XPUB_NODROP: i32 = 69;
    /// `ZMQ_HEARTBEAT_TTL` (int, milliseconds, rounded down to deciseconds).
    pub const HEARTBEAT_TTL: i32 = 76;
    /// `ZMQ_HEARTBEAT_TIMEOUT` (int, milliseconds).
    pub const HEARTBEAT_TIMEOUT: i32 = 77;
    /// `ZMQ_MECHANISM` (int, read-only: 0 NULL, 1 PLAIN, 2 CURVE).
    pub const MECHANISM: i32 = 43;
    /// `ZMQ_PLAIN_SERVER` (int, 0/1).
    pub const PLAIN_SERVER: i32 = 44;
    /// `ZMQ_PLAIN_USERNAME` (string).
    pub const PLAIN_USERNAME: i32 = 45;
    /// `ZMQ_PLAIN_PASSWORD` (string).
    pub const PLAIN_PASSWORD: i32 = 46;
    /// `ZMQ_CURVE_SERVER` (int, 0/1).
    pub const CURVE_SERVER: i32 = 47;
    /// `ZMQ_CURVE_PUBLICKEY` (32 bytes or 40 Z85 characters).
    pub const CURVE_PUBLICKEY: i32 = 48;
    /// `ZMQ_CURVE_SECRETKEY` (32 bytes or 40 Z85 characters).
    pub const CURVE_SECRETKEY: i32 = 49;
    /// `ZMQ_CURVE_SERVERKEY` (32 bytes or 40 Z85 characters).
    pub const CURVE_SERVERKEY: i32 = 50;
    /// `ZMQ_ZAP_DOMAIN` (string).
    pub const ZAP_DOMAIN: i32 = 55;
    /// `ZMQ_ZAP_ENFORCE_DOMAIN` (int, 0/1; draft).
    pub const ZAP_ENFORCE_DOMAIN: i32 = 93;
}

/// `EINVAL`: 22 on Linux, the BSDs, macOS and the Windows CRT alike.
const EINVAL: i32 = 22;

/// A libzmq error: the `errno` value libzmq reported and its `zmq_strerror` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZmqError {
    /// The error number (`zmq_errno()`), a POSIX errno or a libzmq-specific one
    /// (`EFSM`, `ETERM`, ... above `ZMQ_HAUSNUMERO`).
    pub errno: i32,
    /// Human-readable text (`zmq_strerror(errno)`).
    pub message: String,
}

impl ZmqError {
    /// Builds an error for `errno`, with libzmq's text for it.
    pub fn from_errno(errno: i32) -> ZmqError {
        // SAFETY: zmq_strerror accepts any int and returns a pointer to a
        // NUL-terminated string with static lifetime (or NULL, checked below).
        let text = unsafe { ffi::zmq_strerror(errno) };
        let message = if text.is_null() {
            format!("errno {errno}")
        } else {
            // SAFETY: non-null, NUL-terminated, static; copied out at once.
            unsafe { CStr::from_ptr(text) }
                .to_string_lossy()
                .into_owned()
        };
        ZmqError { errno, message }
    }

    /// The error libzmq reported for the last failed call on this thread.
    fn last() -> ZmqError {
        // SAFETY: zmq_errno has no preconditions; it reads the thread's errno.
        let errno = unsafe { ffi::zmq_errno() };
        ZmqError::from_errno(errno)
    }

    /// `EINVAL` with a message of our own, for arguments rejected before libzmq.
    fn invalid(message: &str) -> ZmqError {
        ZmqError {
            errno: EINVAL,
            message: message.to_owned(),
        }
    }

    /// True for `EAGAIN`: a timed-out (`ZMQ_RCVTIMEO` / `ZMQ_SNDTIMEO`) or
    /// would-block operation.
    pub fn is_again(&self) -> bool {
        io::Error::from_raw_os_error(self.errno).kind() == io::ErrorKind::WouldBlock
    }

    fn is_interrupted(&self) -> bool {
        io::Error::from_raw_os_error(self.errno).kind() == io::ErrorKind::Interrupted
    }
}

impl fmt::Display for ZmqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (errno {})", self.message, self.errno)
    }
}

impl std::error::Error for ZmqError {}

/// Maps a libzmq return code (`-1` = failure) to a `Result`.
fn check(rc: c_int) -> Result<c_int, ZmqError> {
    if rc == -1 {
        Err(ZmqError::last())
    } else {
        Ok(rc)
    }
}

/// Runs `call` until it does not fail with `EINTR`.
fn retry_eintr(mut call: impl FnMut() -> c_int) -> Result<c_int, ZmqError> {
    loop {
        match check(call()) {
            Err(e) if e.is_interrupted() => continue,
            other => return other,
        }
    }
}

/// libzmq's version, from `zmq_version` (expected `(4, 3, 5)`).
pub fn version() -> (i32, i32, i32) {
    let (mut major, mut minor, mut patch): (c_int, c_int, c_int) = (0, 0, 0);
    // SAFETY: three valid, writable int pointers.
    unsafe { ffi::zmq_version(&mut major, &mut minor, &mut patch) };
    (major, minor, patch)
}

/// Whether the build found libsodium and built libzmq with CURVE
/// (`build.rs`).
pub const BUILT_WITH_LIBSODIUM: bool = matches!(env!("OXMQ_INTEROP_LIBSODIUM").as_bytes(), b"1");

/// Whether CURVE interop tests may run: libzmq has CURVE. Without it they
/// skip with a message, unless `OXMQ_REQUIRE_CURVE=1` (set by `.ci/run`,
/// which installs libsodium) makes the absence a failure.
pub fn curve_available() -> bool {
    if BUILT_WITH_LIBSODIUM {
        return true;
    }
    assert!(
        std::env::var_os("OXMQ_REQUIRE_CURVE").is_none_or(|v| v != "1"),
        "OXMQ_REQUIRE_CURVE=1 but libzmq was built without libsodium (install libsodium-dev)"
    );
    eprintln!(
        "skipped: libzmq was built without libsodium, so it has no CURVE (install libsodium-dev)"
    );
    false
}

/// Whether libzmq was built with `capability` (`zmq_has`): e.g. `"ipc"`,
/// `"draft"` (true here), `"curve"` (true when the build found libsodium,
/// see `build.rs`).
pub fn has(capability: &str) -> bool {
    let Ok(c) = CString::new(capability) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { ffi::zmq_has(c.as_ptr()) == 1 }
}

/// Owns the `void*` context; `zmq_ctx_term` on drop.
#[derive(Debug)]
struct RawContext(*mut c_void);

// SAFETY: libzmq contexts are thread-safe: every zmq_ctx_* call and
// zmq_socket may be made from any thread, concurrently.
unsafe impl Send for RawContext {}
// SAFETY: as above; `&RawContext` only ever hands the pointer to zmq_socket.
unsafe impl Sync for RawContext {}

impl Drop for RawContext {
    fn drop(&mut self) {
        // Every Socket holds an Arc<RawContext>, so all sockets of this
        // context are closed by now and zmq_ctx_term cannot block on them
        // (beyond their linger for pending outgoing messages).
        loop {
            // SAFETY: self.0 came from zmq_ctx_new, is non-null, and is
            // terminated exactly once (EINTR means it was not terminated yet).
            let rc = unsafe { ffi::zmq_ctx_term(self.0) };
            if rc == 0 || !ZmqError::last().is_interrupted() {
                break;
            }
        }
    }
}

/// A libzmq context (`zmq_ctx_new`). Cheap to create (libzmq starts its I/O
/// thread lazily) and to clone (clones share one context).
///
/// The context is terminated (`zmq_ctx_term`) when the last clone and the
/// last [`Socket`] made from it are dropped; sockets keep it alive. `zmq_ctx_term`
/// waits for each socket's `ZMQ_LINGER`, so set [`opt::LINGER`] to 0 where
/// unsent messages may remain.
#[derive(Debug, Clone)]
pub struct Context {
    raw: Arc<RawContext>,
}

impl Context {
    /// A new context.
    ///
    /// # Panics
    /// If `zmq_ctx_new` fails (out of file descriptors or memory).
    pub fn new() -> Context {
        // SAFETY: zmq_ctx_new has no preconditions; NULL is checked below.
        let raw = unsafe { ffi::zmq_ctx_new() };
        assert!(!raw.is_null(), "zmq_ctx_new failed: {}", ZmqError::last());
        Context {
            raw: Arc::new(RawContext(raw)),
        }
    }

    /// A new socket of `kind` in this context (`zmq_socket`).
    pub fn socket(&self, kind: SocketKind) -> Result<Socket, ZmqError> {
        // SAFETY: self.raw.0 is a live context (not terminated while any
        // Arc<RawContext> exists).
        let raw = unsafe { ffi::zmq_socket(self.raw.0, kind.to_raw()) };
        if raw.is_null() {
            return Err(ZmqError::last());
        }
        Ok(Socket {
            raw,
            kind,
            _ctx: Arc::clone(&self.raw),
        })
    }
}

impl Default for Context {
    fn default() -> Context {
        Context::new()
    }
}

/// A socket type (`ZMQ_PAIR` ... `ZMQ_CLIENT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    /// `ZMQ_PAIR` (0).
    Pair,
    /// `ZMQ_PUB` (1).
    Pub,
    /// `ZMQ_SUB` (2).
    Sub,
    /// `ZMQ_REQ` (3).
    Req,
    /// `ZMQ_REP` (4).
    Rep,
    /// `ZMQ_DEALER` (5).
    Dealer,
    /// `ZMQ_ROUTER` (6).
    Router,
    /// `ZMQ_PULL` (7).
    Pull,
    /// `ZMQ_PUSH` (8).
    Push,
    /// `ZMQ_XPUB` (9).
    XPub,
    /// `ZMQ_XSUB` (10).
    XSub,
    /// `ZMQ_CLIENT` (13, DRAFT).
    Client,
    /// `ZMQ_SERVER` (12, DRAFT).
    Server,
}

impl SocketKind {
    /// The `ZMQ_*` socket type number from `zmq.h` / its DRAFT section.
    pub fn to_raw(self) -> i32 {
        match self {
            SocketKind::Pair => 0,
            SocketKind::Pub => 1,
            SocketKind::Sub => 2,
            SocketKind::Req => 3,
            SocketKind::Rep => 4,
            SocketKind::Dealer => 5,
            SocketKind::Router => 6,
            SocketKind::Pull => 7,
            SocketKind::Push => 8,
            SocketKind::XPub => 9,
            SocketKind::XSub => 10,
            SocketKind::Server => 12,
            SocketKind::Client => 13,
        }
    }
}

/// An owned, initialised `zmq_msg_t`; `zmq_msg_close` on drop.
///
/// `zmq_msg_t` holds no pointer into itself (libzmq copies it bytewise in its
/// own queues and in `zmq_msg_move`), so moving this value is fine.
struct Msg {
    raw: ffi::ZmqMsg,
}

impl Msg {
    /// An empty message (`zmq_msg_init`), e.g. for receiving into.
    fn new() -> Msg {
        let mut raw = ffi::ZmqMsg::zeroed();
        // SAFETY: `raw` is writable, properly sized and aligned storage.
        let rc = unsafe { ffi::zmq_msg_init(&mut raw) };
        debug_assert_eq!(rc, 0, "zmq_msg_init cannot fail");
        Msg { raw }
    }

    /// A message holding a copy of `data` (`zmq_msg_init_size` + copy).
    fn copy_of(data: &[u8]) -> Result<Msg, ZmqError> {
        let mut raw = ffi::ZmqMsg::zeroed();
        // SAFETY: `raw` is writable, properly sized and aligned storage.
        check(unsafe { ffi::zmq_msg_init_size(&mut raw, data.len()) })?;
        let mut msg = Msg { raw };
        if !data.is_empty() {
            // SAFETY: zmq_msg_data of a message initialised with size
            // data.len() points to data.len() writable bytes owned by the
            // message, which cannot overlap the caller's `data`.
            unsafe {
                ptr::copy_nonoverlapping(
                    data.as_ptr(),
                    ffi::zmq_msg_data(&mut msg.raw).cast::<u8>(),
                    data.len(),
                );
            }
        }
        Ok(msg)
    }

    /// The message body, copied out.
    fn copy_out(&mut self) -> Vec<u8> {
        // SAFETY: self.raw is an initialised message.
        let size = unsafe { ffi::zmq_msg_size(&self.raw) };
        if size == 0 {
            return Vec::new();
        }
        // SAFETY: self.raw is an initialised message; zmq_msg_data points to
        // `size` readable bytes that live as long as the message, which the
        // `&mut self` borrow keeps alive and unmodified during the copy.
        unsafe { std::slice::from_raw_parts(ffi::zmq_msg_data(&mut self.raw).cast::<u8>(), size) }
            .to_vec()
    }

    /// Whether more frames of this multipart message follow (`zmq_msg_more`).
    fn more(&self) -> bool {
        // SAFETY: self.raw is an initialised message.
        unsafe { ffi::zmq_msg_more(&self.raw) != 0 }
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        // SAFETY: self.raw is an initialised message, closed exactly once
        // (messages handed to a successful zmq_msg_send are forgotten).
        unsafe { ffi::zmq_msg_close(&mut self.raw) };
    }
}

/// A libzmq socket (`zmq_socket`); `zmq_close` on drop.
///
/// `Send` but not `Sync`: use it from one thread at a time (libzmq's rule for
/// all but the thread-safe DRAFT types). It holds its [`Context`] alive.
#[derive(Debug)]
pub struct Socket {
    raw: *mut c_void,
    kind: SocketKind,
    // Dropped after `Drop::drop` has closed `raw`: the context outlives it.
    _ctx: Arc<RawContext>,
}

// SAFETY: libzmq allows a (non-thread-safe) socket to migrate to another
// thread provided the handover involves a full memory barrier, which moving a
// value between threads in Rust (spawn, channels, mutexes) does. `Socket` is
// not `Sync`, so it is never used from two threads at once.
unsafe impl Send for Socket {}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: self.raw came from zmq_socket, and is closed exactly once,
        // before the context (held by self._ctx) can be terminated.
        unsafe { ffi::zmq_close(self.raw) };
    }
}

impl Socket {
    /// The socket's type.
    pub fn kind(&self) -> SocketKind {
        self.kind
    }

    /// `zmq_bind`. For a TCP ephemeral port use `"tcp://127.0.0.1:*"` and read
    /// the port back with [`Socket::last_endpoint`].
    pub fn bind(&self, endpoint: &str) -> Result<(), ZmqError> {
        let c = endpoint_cstring(endpoint)?;
        // SAFETY: live socket; `c` is NUL-terminated and outlives the call.
        check(unsafe { ffi::zmq_bind(self.raw, c.as_ptr()) }).map(drop)
    }

    /// `zmq_connect`.
    pub fn connect(&self, endpoint: &str) -> Result<(), ZmqError> {
        let c = endpoint_cstring(endpoint)?;
        // SAFETY: live socket; `c` is NUL-terminated and outlives the call.
        check(unsafe { ffi::zmq_connect(self.raw, c.as_ptr()) }).map(drop)
    }

    /// The last endpoint bound (`ZMQ_LAST_ENDPOINT`), with wildcards resolved,
    /// e.g. `"tcp://127.0.0.1:41234"` after binding `"tcp://127.0.0.1:*"`.
    /// Empty if nothing was bound or connected.
    pub fn last_endpoint(&self) -> Result<String, ZmqError> {
        let mut buf = [0u8; 1024];
        let mut len = buf.len();
        // SAFETY: live socket; `buf` is writable for `len` bytes and libzmq
        // writes at most `len` bytes, then stores the length used in `len`.
        check(unsafe {
            ffi::zmq_getsockopt(
                self.raw,
                opt::LAST_ENDPOINT,
                buf.as_mut_ptr().cast::<c_void>(),
                &mut len,
            )
        })?;
        let used = &buf[..len.min(buf.len())];
        let text = used.split(|&b| b == 0).next().unwrap_or_default();
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    /// `zmq_setsockopt` with an `int` value.
    ///
    /// For the two 64-bit integer options, [`opt::MAXMSGSIZE`] (int64) and
    /// [`opt::AFFINITY`] (uint64), the value is widened and passed as 8 bytes,
    /// since libzmq rejects a 4-byte value for them with `EINVAL`.
    pub fn set_int(&self, option: i32, value: i32) -> Result<(), ZmqError> {
        if is_int64_option(option) {
            return self.set_i64(option, i64::from(value));
        }
        self.set_raw(option, &value.to_ne_bytes())
    }

    /// `zmq_setsockopt` with an 8-byte integer value (for [`opt::MAXMSGSIZE`]
    /// and [`opt::AFFINITY`]).
    pub fn set_i64(&self, option: i32, value: i64) -> Result<(), ZmqError> {
        self.set_raw(option, &value.to_ne_bytes())
    }

    /// `zmq_setsockopt` with a binary value (e.g. [`opt::SUBSCRIBE`],
    /// [`opt::ROUTING_ID`]).
    pub fn set_bytes(&self, option: i32, value: &[u8]) -> Result<(), ZmqError> {
        self.set_raw(option, value)
    }

    fn set_raw(&self, option: i32, value: &[u8]) -> Result<(), ZmqError> {
        // SAFETY: live socket; `value` is readable for value.len() bytes (a
        // dangling-but-aligned pointer with length 0 is never read).
        check(unsafe {
            ffi::zmq_setsockopt(
                self.raw,
                option,
                value.as_ptr().cast::<c_void>(),
                value.len(),
            )
        })
        .map(drop)
    }

    /// `zmq_getsockopt` of an `int` option. For [`opt::MAXMSGSIZE`] and
    /// [`opt::AFFINITY`] the 8-byte value is read and must fit an `i32`
    /// (else `EINVAL`); see [`Socket::get_i64`].
    pub fn get_int(&self, option: i32) -> Result<i32, ZmqError> {
        if is_int64_option(option) {
            let wide = self.get_i64(option)?;
            return i32::try_from(wide)
                .map_err(|_| ZmqError::invalid("option value does not fit an i32"));
        }
        let mut value: c_int = 0;
        let mut len = std::mem::size_of::<c_int>();
        // SAFETY: live socket; `value` is writable for `len` bytes.
        check(unsafe {
            ffi::zmq_getsockopt(
                self.raw,
                option,
                (&mut value as *mut c_int).cast::<c_void>(),
                &mut len,
            )
        })?;
        Ok(value)
    }

    /// `zmq_getsockopt` of an 8-byte integer option.
    pub fn get_i64(&self, option: i32) -> Result<i64, ZmqError> {
        let mut value: i64 = 0;
        let mut len = std::mem::size_of::<i64>();
        // SAFETY: live socket; `value` is writable for `len` bytes.
        check(unsafe {
            ffi::zmq_getsockopt(
                self.raw,
                option,
                (&mut value as *mut i64).cast::<c_void>(),
                &mut len,
            )
        })?;
        Ok(value)
    }

    /// Sets [`opt::RCVTIMEO`] (milliseconds; -1 = block forever).
    pub fn set_rcvtimeo_ms(&self, ms: i32) -> Result<(), ZmqError> {
        self.set_int(opt::RCVTIMEO, ms)
    }

    /// Sets [`opt::SNDTIMEO`] (milliseconds; -1 = block forever).
    pub fn set_sndtimeo_ms(&self, ms: i32) -> Result<(), ZmqError> {
        self.set_int(opt::SNDTIMEO, ms)
    }

    /// Sets [`opt::LINGER`] (milliseconds; 0 = drop unsent messages on close).
    pub fn set_linger_ms(&self, ms: i32) -> Result<(), ZmqError> {
        self.set_int(opt::LINGER, ms)
    }

    /// Sends one frame (`zmq_send`, which copies `data`); `more` sets
    /// `ZMQ_SNDMORE` so that further frames join the same message.
    pub fn send(&self, data: &[u8], more: bool) -> Result<(), ZmqError> {
        let flags = if more { ffi::ZMQ_SNDMORE } else { 0 };
        retry_eintr(|| {
            // SAFETY: live socket; `data` is readable for data.len() bytes
            // and libzmq copies it before returning.
            unsafe { ffi::zmq_send(self.raw, data.as_ptr().cast::<c_void>(), data.len(), flags) }
        })
        .map(drop)
    }

    /// Sends `frames` as one multipart message (`ZMQ_SNDMORE` on all but the
    /// last). An empty slice sends nothing.
    pub fn send_multipart(&self, frames: &[&[u8]]) -> Result<(), ZmqError> {
        let last = frames.len().saturating_sub(1);
        for (i, frame) in frames.iter().enumerate() {
            self.send(frame, i < last)?;
        }
        Ok(())
    }

    /// Receives one frame of any size (`zmq_msg_recv`), and whether more
    /// frames of the same message follow.
    pub fn recv(&self) -> Result<(Vec<u8>, bool), ZmqError> {
        let mut msg = self.recv_msg()?;
        Ok((msg.copy_out(), msg.more()))
    }

    /// Receives all frames of one multipart message.
    pub fn recv_multipart(&self) -> Result<Vec<Vec<u8>>, ZmqError> {
        let mut frames = Vec::new();
        loop {
            let (frame, more) = self.recv()?;
            frames.push(frame);
            if !more {
                return Ok(frames);
            }
        }
    }

    /// Sends `data` to the peer with `routing_id` (`ZMQ_SERVER`):
    /// `zmq_msg_set_routing_id` + `zmq_msg_send`. Fails with `EHOSTUNREACH`
    /// for an unknown peer.
    pub fn send_to(&self, routing_id: u32, data: &[u8]) -> Result<(), ZmqError> {
        let mut msg = Msg::copy_of(data)?;
        // SAFETY: msg.raw is an initialised message.
        check(unsafe { ffi::zmq_msg_set_routing_id(&mut msg.raw, routing_id) })?;
        retry_eintr(|| {
            // SAFETY: live socket; msg.raw is an initialised message. On
            // failure it is left untouched (still ours); on success libzmq
            // took its content and we must not close it again (see below).
            unsafe { ffi::zmq_msg_send(&mut msg.raw, self.raw, 0) }
        })?;
        // zmq_msg_send succeeded: the message now belongs to libzmq.
        std::mem::forget(msg);
        Ok(())
    }

    /// Receives one message with its sender's routing id (`ZMQ_SERVER`):
    /// `zmq_msg_recv` + `zmq_msg_routing_id` (0 on sockets that set none).
    pub fn recv_from(&self) -> Result<(u32, Vec<u8>), ZmqError> {
        let mut msg = self.recv_msg()?;
        // SAFETY: msg.raw is an initialised message just filled by zmq_msg_recv.
        let routing_id = unsafe { ffi::zmq_msg_routing_id(&mut msg.raw) };
        Ok((routing_id, msg.copy_out()))
    }

    /// Receives one frame into `buf` (`zmq_recv`, no allocation; for
    /// benchmarks). Returns the frame's full size, which exceeds `buf.len()`
    /// if the frame was truncated to fit.
    pub fn recv_into(&self, buf: &mut [u8]) -> Result<usize, ZmqError> {
        let n = retry_eintr(|| {
            // SAFETY: live socket; `buf` is writable for buf.len() bytes and
            // libzmq writes at most that many.
            unsafe { ffi::zmq_recv(self.raw, buf.as_mut_ptr().cast::<c_void>(), buf.len(), 0) }
        })?;
        // check() maps the only negative return (-1) to an error.
        Ok(usize::try_from(n).unwrap_or_default())
    }

    fn recv_msg(&self) -> Result<Msg, ZmqError> {
        let mut msg = Msg::new();
        retry_eintr(|| {
            // SAFETY: live socket; msg.raw is an initialised message, which
            // zmq_msg_recv releases and refills on success.
            unsafe { ffi::zmq_msg_recv(&mut msg.raw, self.raw, 0) }
        })?;
        Ok(msg)
    }
}

fn endpoint_cstring(endpoint: &str) -> Result<CString, ZmqError> {
    CString::new(endpoint).map_err(|_| ZmqError::invalid("endpoint contains a NUL byte"))
}

fn is_int64_option(option: i32) -> bool {
    option == opt::MAXMSGSIZE || option == opt::AFFINITY
}
