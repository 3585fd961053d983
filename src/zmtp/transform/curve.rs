//! The CURVE data phase (RFC 26 "The MESSAGE Command", SPEC §9.5): every
//! frame, flags included, sealed into a MESSAGE box between the two
//! transient keys.
//!
//! A MESSAGE goes on the wire as libzmq 4.3.5 sends it: a data frame
//! (flags byte 0, or LONG alone), whose body is
//!
//! ```text
//! "\x07MESSAGE" | short nonce (8, big-endian) | box [flags (1) | frame body]
//! ```
//!
//! with the box's nonce `"CurveZMQMESSAGEC"` (from the client) or
//! `"CurveZMQMESSAGES"` (from the server) then the short nonce. The inner
//! flags byte has MORE = 0x01 and COMMAND = 0x02. Each side's short nonces
//! continue the counter of its handshake commands and must strictly
//! increase.

use bytes::{Buf, BufMut, BytesMut};

use super::nacl::{BoxKey, StreamKey, TAG_LEN};
use crate::zmtp::command::Command;
use crate::zmtp::error::{CurveBox, CurveCommand, ProtocolError};
use crate::zmtp::frame::{frame_header, Frame, FLAG_LONG};

/// The MESSAGE command's name, with its length byte.
const MESSAGE: &[u8; 8] = b"\x07MESSAGE";

/// The box nonce prefix of the client's MESSAGEs.
pub(crate) const CLIENT_PREFIX: &[u8; 16] = b"CurveZMQMESSAGEC";
/// The box nonce prefix of the server's MESSAGEs.
pub(crate) const SERVER_PREFIX: &[u8; 16] = b"CurveZMQMESSAGES";

/// The inner flag of a frame that more frames of its message follow.
const INNER_MORE: u8 = 0x01;
/// The inner flag of a command frame.
const INNER_COMMAND: u8 = 0x02;

/// Bytes between the name and the box: the short nonce.
const SHORT_NONCE_LEN: usize = 8;

/// What a MESSAGE body adds to the frame it carries: the name, the short
/// nonce, the tag and the inner flags byte. The smallest MESSAGE is this
/// long (RFC 26: "at least 33 octets").
pub const MESSAGE_OVERHEAD: usize = MESSAGE.len() + SHORT_NONCE_LEN + TAG_LEN + 1;

/// Offset of the box in a MESSAGE body.
const BOX_AT: usize = MESSAGE.len() + SHORT_NONCE_LEN;

/// One connection's CURVE data phase (SPEC §9.5): the key of the
/// transient pairs, our next short nonce and the peer's last one. `Debug`
/// shows the counters, never the key.
pub struct CurveCodec {
    /// The key of our MESSAGEs' boxes and that of the peer's: the same
    /// key, with our nonce prefix and with the peer's, each made once.
    seal: StreamKey,
    open: StreamKey,
    server: bool,
    /// The short nonce of our next MESSAGE.
    next: u64,
    /// The short nonce of the peer's last command (its INITIATE or
    /// READY, then its last MESSAGE).
    last: u64,
    /// Room that received boxes are copied into and opened in, shared by
    /// the messages cut from it (one allocation for many small messages).
    arena: BytesMut,
}

/// The size of a fresh [`CurveCodec::arena`]; a box larger than this gets
/// an allocation of its own size.
const ARENA: usize = 32 * 1024;

impl std::fmt::Debug for CurveCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurveCodec")
            .field("server", &self.server)
            .field("next_nonce", &self.next)
            .field("peer_nonce", &self.last)
            .finish_non_exhaustive()
    }
}

impl CurveCodec {
    /// The data phase of a handshake that ended with these counters: `next`
    /// is the short nonce our first MESSAGE carries, `last` the peer's
    /// last short nonce (SPEC §9.5).
    pub(crate) fn new(key: BoxKey, server: bool, next: u64, last: u64) -> CurveCodec {
        let (ours, theirs) = if server {
            (SERVER_PREFIX, CLIENT_PREFIX)
        } else {
            (CLIENT_PREFIX, SERVER_PREFIX)
        };
        CurveCodec {
            seal: key.stream_key(ours),
            open: key.stream_key(theirs),
            server,
            next,
            last,
            arena: BytesMut::new(),
        }
    }

    /// A client's and a server's codec under `key` with the counters a
    /// handshake leaves (SPEC §9.5): the client's HELLO and INITIATE were
    /// 1 and 2, the server's READY 1.
    pub(crate) fn pair_after_handshake(key: &[u8; 32]) -> (CurveCodec, CurveCodec) {
        (
            CurveCodec::new(BoxKey::from_key(key), false, 3, 1),
            CurveCodec::new(BoxKey::from_key(key), true, 2, 2),
        )
    }

    /// A codec under a random key nobody has: what it sends cannot be
    /// opened and nothing opens for it. A mechanism asked for its
    /// transform before its handshake is done, or a second time, gives
    /// this rather than a copy of its real one (whose nonces would repeat)
    /// or the identity (which would send in clear).
    pub(crate) fn sealed_shut(server: bool) -> CurveCodec {
        CurveCodec::new(BoxKey::random(), server, 1, 0)
    }

    /// The short nonce for our next MESSAGE, counted.
    fn take_nonce(&mut self) -> u64 {
        let nonce = self.next;
        // 2^64 MESSAGEs on one connection (centuries at a billion a
        // second) would need a nonce used before, which must never be:
        // stop rather than reuse one.
        self.next = nonce
            .checked_add(1)
            .expect("CURVE short nonces exhausted on this connection");
        nonce
    }

    /// Appends the MESSAGE header for `payload` bytes (the inner flags byte
    /// included) and room for the tag; returns where the box starts and
    /// its short nonce.
    fn begin(&mut self, payload: usize, out: &mut BytesMut) -> (usize, u64) {
        let body = payload.saturating_add(BOX_AT + TAG_LEN);
        let (header, header_len) = frame_header(body, false, false);
        out.reserve(body.saturating_add(header_len));
        out.put_slice(&header[..header_len]);
        out.put_slice(MESSAGE);
        let nonce = self.take_nonce();
        out.put_u64(nonce);
        let box_at = out.len();
        out.put_bytes(0, TAG_LEN);
        (box_at, nonce)
    }

    /// Seals a frame into a MESSAGE appended to `out`, encrypted in place
    /// there: nothing is allocated but `out`'s own growth.
    pub fn encode(&mut self, body: &[u8], more: bool, command: bool, out: &mut BytesMut) {
        let flags = if more { INNER_MORE } else { 0 } | if command { INNER_COMMAND } else { 0 };
        let (box_at, nonce) = self.begin(1 + body.len(), out);
        out.put_u8(flags);
        out.put_slice(body);
        if let Some(sealed) = out.get_mut(box_at..) {
            self.seal.seal_in_place(nonce, sealed);
        }
    }

    /// Seals a command (its name and data, as a command frame's body) into
    /// a MESSAGE with the COMMAND flag, as libzmq sends PING, PONG,
    /// SUBSCRIBE and CANCEL under CURVE.
    ///
    /// The command is encoded straight into `out`, then its body is moved
    /// up to make room for the MESSAGE header in front of it: no
    /// allocation.
    pub fn encode_command(&mut self, command: &Command, out: &mut BytesMut) {
        let at = out.len();
        command.encode(out);
        let inner_header = match out.get(at) {
            Some(flags) if flags & FLAG_LONG != 0 => 9,
            Some(_) => 2,
            None => return,
        };
        let body_len = out.len().saturating_sub(at + inner_header);
        let body = body_len + 1;
        let (header, header_len) = frame_header(body + BOX_AT + TAG_LEN, false, false);
        let flags_at = at + header_len + BOX_AT + TAG_LEN;
        // The MESSAGE header is always longer than the command's.
        out.resize(flags_at + body, 0);
        out.copy_within(
            at + inner_header..at + inner_header + body_len,
            flags_at + 1,
        );
        let nonce = self.take_nonce();
        let mut prefix = &mut out[at..flags_at + 1];
        prefix.put_slice(&header[..header_len]);
        prefix.put_slice(MESSAGE);
        prefix.put_u64(nonce);
        prefix.put_bytes(0, TAG_LEN);
        prefix.put_u8(INNER_COMMAND);
        let box_at = at + header_len + BOX_AT;
        if let Some(sealed) = out.get_mut(box_at..) {
            self.seal.seal_in_place(nonce, sealed);
        }
    }

    /// Opens a MESSAGE into the frame it carries, with its MORE and COMMAND
    /// flags (SPEC §9.5).
    ///
    /// The frame must be a data frame without MORE (as libzmq sends it;
    /// the real flags are inside the box), its body at least 33 bytes and
    /// named MESSAGE, its short nonce above the peer's last one, and its
    /// box must open. The nonce counts only once the box has opened.
    ///
    /// The body is decrypted in place when `frame` holds the only
    /// reference to its bytes. A body split off the receive buffer shares
    /// that buffer's allocation, so it is copied once into the codec's
    /// arena (many boxes to one allocation) and decrypted there; the frame
    /// returned is a view of that copy past the header, tag and flags
    /// byte, without a further copy.
    pub fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        let malformed = |reason: String| ProtocolError::MalformedCurve {
            command: CurveCommand::Message,
            reason,
        };
        if frame.command {
            return Err(ProtocolError::UnexpectedCommand(command_name(&frame.body)));
        }
        if frame.more {
            return Err(malformed(
                "MORE set on the frame carrying it: the flags travel inside the box".into(),
            ));
        }
        let body = frame.body;
        if !body.starts_with(MESSAGE) {
            return Err(malformed(format!(
                "a frame of {} bytes that is not a MESSAGE command",
                body.len()
            )));
        }
        if body.len() < MESSAGE_OVERHEAD {
            return Err(malformed(format!(
                "{} bytes; a MESSAGE has at least {MESSAGE_OVERHEAD}",
                body.len()
            )));
        }
        let nonce = body
            .get(MESSAGE.len()..BOX_AT)
            .and_then(|n| <[u8; 8]>::try_from(n).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| malformed("no short nonce".into()))?;
        if nonce <= self.last {
            return Err(ProtocolError::InvalidNonce {
                command: CurveCommand::Message,
                nonce,
                last: self.last,
            });
        }
        let mut sealed = match body.try_into_mut() {
            Ok(mut own) => {
                own.advance(BOX_AT);
                own
            }
            Err(shared) => self.copy_in(shared.get(BOX_AT..).unwrap_or_default()),
        };
        self.open
            .open_in_place(nonce, &mut sealed)
            .map_err(|_| ProtocolError::CryptoFailure(CurveBox::Message))?;
        self.last = nonce;
        sealed.advance(TAG_LEN);
        let flags = sealed.first().copied().unwrap_or_default();
        if flags & !(INNER_MORE | INNER_COMMAND) != 0 {
            return Err(malformed(format!(
                "payload flags 0x{flags:02x} have reserved bits set"
            )));
        }
        if flags == INNER_MORE | INNER_COMMAND {
            return Err(malformed("payload flags mark a command with MORE".into()));
        }
        sealed.advance(1);
        Ok(Frame {
            more: flags & INNER_MORE != 0,
            command: flags & INNER_COMMAND != 0,
            body: sealed.freeze(),
        })
    }

    /// A copy of `sealed` in the arena, cut off it: no allocation unless
    /// the arena is used up (then a new one is made, the old one living on
    /// in the messages cut from it).
    fn copy_in(&mut self, sealed: &[u8]) -> BytesMut {
        if self.arena.capacity() - self.arena.len() < sealed.len() {
            self.arena = BytesMut::with_capacity(ARENA.max(sealed.len()));
        }
        self.arena.extend_from_slice(sealed);
        self.arena.split()
    }

    /// The short nonce our next MESSAGE will carry.
    #[cfg(test)]
    pub(crate) fn next_nonce(&self) -> u64 {
        self.next
    }
}

/// A command frame's name, for the error of one arriving outside a box.
fn command_name(body: &[u8]) -> String {
    match body.split_first() {
        Some((&len, rest)) if len > 0 => match rest.get(..usize::from(len)) {
            Some(name) => String::from_utf8_lossy(name).into_owned(),
            None => "a truncated command".to_owned(),
        },
        _ => "a command without a name".to_owned(),
    }
}
