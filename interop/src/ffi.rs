//! Raw `extern "C"` declarations for the part of libzmq 4.3.5 (DRAFT API on)
//! that the safe wrapper in the crate root uses. Signatures follow
//! `include/zmq.h`; nothing here is exported from the crate.

use std::os::raw::{c_char, c_int, c_void};

/// `ZMQ_SNDMORE` send flag.
pub(crate) const ZMQ_SNDMORE: c_int = 2;

/// `zmq_msg_t`: 64 opaque bytes, aligned at least to a pointer (zmq.h uses
/// `__attribute__ ((aligned (sizeof (void *))))`; 8 covers 32- and 64-bit).
#[repr(C, align(8))]
pub(crate) struct ZmqMsg {
    _opaque: [u8; 64],
}

impl ZmqMsg {
    /// Zeroed storage, to be initialised by `zmq_msg_init*` before any use.
    pub(crate) const fn zeroed() -> Self {
        ZmqMsg { _opaque: [0; 64] }
    }
}

extern "C" {
    pub(crate) fn zmq_errno() -> c_int;
    pub(crate) fn zmq_strerror(errnum: c_int) -> *const c_char;
    pub(crate) fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int);
    pub(crate) fn zmq_has(capability: *const c_char) -> c_int;

    pub(crate) fn zmq_ctx_new() -> *mut c_void;
    pub(crate) fn zmq_ctx_term(context: *mut c_void) -> c_int;

    pub(crate) fn zmq_socket(context: *mut c_void, kind: c_int) -> *mut c_void;
    pub(crate) fn zmq_close(socket: *mut c_void) -> c_int;
    pub(crate) fn zmq_setsockopt(
        socket: *mut c_void,
        option: c_int,
        optval: *const c_void,
        optvallen: usize,
    ) -> c_int;
    pub(crate) fn zmq_getsockopt(
        socket: *mut c_void,
        option: c_int,
        optval: *mut c_void,
        optvallen: *mut usize,
    ) -> c_int;
    pub(crate) fn zmq_bind(socket: *mut c_void, addr: *const c_char) -> c_int;
    pub(crate) fn zmq_connect(socket: *mut c_void, addr: *const c_char) -> c_int;
    pub(crate) fn zmq_send(
        socket: *mut c_void,
        buf: *const c_void,
        len: usize,
        flags: c_int,
    ) -> c_int;
    pub(crate) fn zmq_recv(
        socket: *mut c_void,
        buf: *mut c_void,
        len: usize,
        flags: c_int,
    ) -> c_int;

    pub(crate) fn zmq_msg_init(msg: *mut ZmqMsg) -> c_int;
    pub(crate) fn zmq_msg_init_size(msg: *mut ZmqMsg, size: usize) -> c_int;
    pub(crate) fn zmq_msg_send(msg: *mut ZmqMsg, socket: *mut c_void, flags: c_int) -> c_int;
    pub(crate) fn zmq_msg_recv(msg: *mut ZmqMsg, socket: *mut c_void, flags: c_int) -> c_int;
    pub(crate) fn zmq_msg_close(msg: *mut ZmqMsg) -> c_int;
    pub(crate) fn zmq_msg_data(msg: *mut ZmqMsg) -> *mut c_void;
    pub(crate) fn zmq_msg_size(msg: *const ZmqMsg) -> usize;
    pub(crate) fn zmq_msg_more(msg: *const ZmqMsg) -> c_int;

    // DRAFT API (ZMQ_BUILD_DRAFT_API).
    pub(crate) fn zmq_msg_set_routing_id(msg: *mut ZmqMsg, routing_id: u32) -> c_int;
    pub(crate) fn zmq_msg_routing_id(msg: *mut ZmqMsg) -> u32;
}
