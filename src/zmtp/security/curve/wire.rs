//! What the CURVE client and server share (RFC 26, SPEC §9.5): the
//! command names, sizes and box nonce prefixes, and the reading and
//! writing of command bodies.

use bytes::{Bytes, BytesMut};

use crate::curve::{CurvePublicKey, KEY_LEN};
use crate::zmtp::command::Command;
use crate::zmtp::error::ProtocolError;
use crate::zmtp::frame::FLAG_LONG;

pub(crate) const HELLO: &[u8] = b"HELLO";
pub(crate) const WELCOME: &[u8] = b"WELCOME";
pub(crate) const INITIATE: &[u8] = b"INITIATE";
pub(crate) const READY: &[u8] = b"READY";
pub(crate) const ERROR: &[u8] = b"ERROR";

/// The box nonce prefixes (RFC 26).
pub(crate) const HELLO_PREFIX: &[u8; 16] = b"CurveZMQHELLO---";
pub(crate) const WELCOME_PREFIX: &[u8; 8] = b"WELCOME-";
pub(crate) const COOKIE_PREFIX: &[u8; 8] = b"COOKIE--";
pub(crate) const INITIATE_PREFIX: &[u8; 16] = b"CurveZMQINITIATE";
pub(crate) const VOUCH_PREFIX: &[u8; 8] = b"VOUCH---";
pub(crate) const READY_PREFIX: &[u8; 16] = b"CurveZMQREADY---";

/// Size of HELLO's command body (name included), exactly (RFC 26).
pub(crate) const HELLO_LEN: usize = 200;
/// Size of WELCOME's command body, exactly.
pub(crate) const WELCOME_LEN: usize = 168;
/// Smallest INITIATE command body (no properties).
pub(crate) const INITIATE_MIN_LEN: usize = 257;
/// Smallest READY command body (no properties).
pub(crate) const READY_MIN_LEN: usize = 30;

/// HELLO's anti-amplification padding: 72 zero bytes (RFC 26's grammar).
pub(crate) const HELLO_PADDING: usize = 72;
/// What HELLO's signature box holds.
pub(crate) const SIGNATURE: [u8; 64] = [0; 64];
/// A long nonce's length, and a cookie's.
pub(crate) const LONG_NONCE_LEN: usize = 16;
pub(crate) const COOKIE_LEN: usize = LONG_NONCE_LEN + 80;

/// A command frame's body, split into its name and data; errors as
/// [`Command::parse`]'s for an empty or truncated name.
pub(crate) fn split_command(body: &Bytes) -> Result<(&[u8], Bytes), ProtocolError> {
    let malformed = |msg: String| Err(ProtocolError::MalformedCommand(msg));
    let Some((&len, rest)) = body.split_first() else {
        return malformed("empty command frame".into());
    };
    let len = usize::from(len);
    if len == 0 {
        return malformed("command name has zero length".into());
    }
    let Some(name) = rest.get(..len) else {
        return malformed(format!(
            "command name of {len} bytes is truncated to {} bytes",
            rest.len()
        ));
    };
    Ok((name, body.slice(1 + len..)))
}

/// The body of a command frame (its name and data) as it would come off
/// the wire: for `on_command`, whose command was parsed already.
pub(crate) fn command_body(command: &Command) -> Bytes {
    let mut frame = BytesMut::new();
    command.encode(&mut frame);
    let header = match frame.first() {
        Some(flags) if flags & FLAG_LONG != 0 => 9,
        _ => 2,
    };
    let frame = frame.freeze();
    frame.slice(header.min(frame.len())..)
}

/// The error for a handshake command `name` that is not expected now, or
/// for the peer's ERROR (`body` whole) with its reason.
pub(crate) fn unexpected(name: &[u8], body: Bytes) -> ProtocolError {
    if name == ERROR {
        return match Command::parse(body) {
            Ok(Command::Error { reason }) => ProtocolError::PeerError(reason),
            Ok(_) => ProtocolError::UnexpectedCommand("ERROR".to_owned()),
            Err(e) => e,
        };
    }
    ProtocolError::UnexpectedCommand(String::from_utf8_lossy(name).into_owned())
}

/// Appends a handshake command `name` with `data` to `out`.
pub(crate) fn put_command(name: &[u8], data: BytesMut, out: &mut BytesMut) {
    Command::Unknown {
        name: String::from_utf8_lossy(name).into_owned(),
        data: data.freeze(),
    }
    .encode(out);
}

/// The 32 bytes at `at` in `data`, as a public key; `None` past its end.
pub(crate) fn key_at(data: &[u8], at: usize) -> Option<CurvePublicKey> {
    data.get(at..at.checked_add(KEY_LEN)?)
        .and_then(|k| <[u8; KEY_LEN]>::try_from(k).ok())
        .map(CurvePublicKey::from_bytes)
}

/// The big-endian short nonce at `at` in `data`.
pub(crate) fn nonce_at(data: &[u8], at: usize) -> Option<u64> {
    data.get(at..at.checked_add(8)?)
        .and_then(|n| <[u8; 8]>::try_from(n).ok())
        .map(u64::from_be_bytes)
}

/// The 16-byte long nonce at `at` in `data`.
pub(crate) fn long_nonce_at(data: &[u8], at: usize) -> Option<[u8; LONG_NONCE_LEN]> {
    data.get(at..at.checked_add(LONG_NONCE_LEN)?)
        .and_then(|n| <[u8; LONG_NONCE_LEN]>::try_from(n).ok())
}

/// The next short nonce of a counter, counted; see
/// [`crate::zmtp::transform::curve`] for why running out stops.
pub(crate) fn take_nonce(counter: &mut u64) -> u64 {
    let nonce = *counter;
    *counter = nonce
        .checked_add(1)
        .expect("CURVE short nonces exhausted on this connection");
    nonce
}
