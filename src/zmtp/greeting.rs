//! The fixed 64-byte ZMTP greeting (SPEC §3.1).

use bytes::{Buf, BufMut, BytesMut};

use super::error::ProtocolError;
use super::mechanism::Mechanism;

/// Size of a complete ZMTP 3.x greeting, in bytes (SPEC §3.1).
pub const GREETING_LEN: usize = 64;

/// Length of the null-padded mechanism field of the greeting (SPEC §3.1).
const MECHANISM_LEN: usize = 20;

/// Offset of the major version byte; the signature occupies bytes 0..10.
const MAJOR_OFFSET: usize = 10;

/// Offset of the minor version byte.
const MINOR_OFFSET: usize = 11;

/// Offset of the mechanism field.
const MECHANISM_OFFSET: usize = 12;

/// Offset of the as-server byte.
const AS_SERVER_OFFSET: usize = 32;

/// Our major protocol version (SPEC §3.1).
const OUR_MAJOR: u8 = 3;

/// Our minor protocol version (SPEC §3.1).
const OUR_MINOR: u8 = 1;

/// A decoded or to-be-sent ZMTP 3.x greeting (SPEC §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Greeting {
    /// Major protocol version (3 for ZMTP 3.x).
    pub major: u8,
    /// Minor protocol version (0 for ZMTP 3.0, 1 for ZMTP 3.1).
    pub minor: u8,
    /// The security mechanism announced.
    pub mechanism: Mechanism,
    /// The as-server flag: whether the sender acts as server in the security
    /// handshake (always false for the NULL mechanism).
    pub as_server: bool,
}

impl Greeting {
    /// Our greeting: version 3.1 with the given mechanism and as-server flag
    /// (SPEC §3.1).
    pub fn ours(mechanism: Mechanism, as_server: bool) -> Self {
        Greeting {
            major: OUR_MAJOR,
            minor: OUR_MINOR,
            mechanism,
            as_server,
        }
    }

    /// The ZMTP 3.x minor version both sides use: the lower of ours (3.1) and
    /// the peer's, so 0 for a 3.0 peer and 1 for 3.1 or any later version
    /// (SPEC §3.1).
    pub fn negotiated_minor(&self) -> u8 {
        if self.major > OUR_MAJOR {
            OUR_MINOR
        } else {
            self.minor.min(OUR_MINOR)
        }
    }

    /// Appends exactly [`GREETING_LEN`] bytes to `out`: signature `FF`,
    /// eight zero padding bytes, `7F`, the version, the null-padded mechanism
    /// name, the as-server byte and 31 zero filler bytes (SPEC §3.1).
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(GREETING_LEN);
        out.put_u8(0xFF);
        out.put_bytes(0, 8);
        out.put_u8(0x7F);
        out.put_u8(self.major);
        out.put_u8(self.minor);
        let name = self.mechanism.as_str().as_bytes();
        out.put_slice(name);
        out.put_bytes(0, MECHANISM_LEN - name.len());
        out.put_u8(u8::from(self.as_server));
        out.put_bytes(0, GREETING_LEN - AS_SERVER_OFFSET - 1);
    }

    /// Decodes the peer's greeting from the front of `buf` (SPEC §3.1).
    ///
    /// Checks the signature (byte 0 must be `0xFF`, byte 9 must have its low
    /// bit set) and the major version (byte 10) as soon as those bytes are
    /// present, so a ZMTP 1.0/2.0 peer is refused without waiting for 64
    /// bytes. The padding bytes 1..=8 are not interpreted, nor is the filler.
    /// Any non-zero as-server byte counts as true.
    ///
    /// Returns `Ok(None)` when more bytes are needed (nothing is consumed) and
    /// `Ok(Some(greeting))` after consuming exactly 64 bytes. On error nothing
    /// is consumed.
    pub fn decode(buf: &mut BytesMut) -> Result<Option<Greeting>, ProtocolError> {
        let bytes: &[u8] = buf;
        if let Some(&first) = bytes.first() {
            if first != 0xFF {
                return Err(ProtocolError::BadSignature);
            }
        }
        if let Some(&last) = bytes.get(9) {
            if last & 0x01 == 0 {
                return Err(ProtocolError::BadSignature);
            }
        }
        if let Some(&major) = bytes.get(MAJOR_OFFSET) {
            if major < OUR_MAJOR {
                let minor = bytes.get(MINOR_OFFSET).copied().unwrap_or(0);
                return Err(ProtocolError::UnsupportedVersion { major, minor });
            }
        }
        let Some(head) = bytes
            .get(..GREETING_LEN)
            .and_then(|s| <&[u8; GREETING_LEN]>::try_from(s).ok())
        else {
            return Ok(None);
        };
        let mut field = [0u8; MECHANISM_LEN];
        field.copy_from_slice(&head[MECHANISM_OFFSET..MECHANISM_OFFSET + MECHANISM_LEN]);
        let greeting = Greeting {
            major: head[MAJOR_OFFSET],
            minor: head[MINOR_OFFSET],
            mechanism: mechanism_from_wire(&field)?,
            as_server: head[AS_SERVER_OFFSET] != 0,
        };
        buf.advance(GREETING_LEN);
        Ok(Some(greeting))
    }
}

/// Parses the 20-byte null-padded mechanism field of a greeting
/// (SPEC §3.1). The name must match exactly (case-sensitive) and be
/// followed only by zero bytes; anything else gives
/// [`ProtocolError::UnsupportedMechanism`] carrying the received name
/// (trailing zero bytes removed, lossily decoded as UTF-8).
fn mechanism_from_wire(field: &[u8; 20]) -> Result<Mechanism, ProtocolError> {
    let mut name: &[u8] = field;
    while let [rest @ .., 0] = name {
        name = rest;
    }
    match name {
        b"NULL" => Ok(Mechanism::Null),
        b"PLAIN" => Ok(Mechanism::Plain),
        b"CURVE" => Ok(Mechanism::Curve),
        other => Err(ProtocolError::UnsupportedMechanism(
            String::from_utf8_lossy(other).into_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NULL greeting as libzmq 4.x sends it (byte 8 is 0x01 there).
    fn libzmq_null_greeting(major: u8, minor: u8) -> Vec<u8> {
        let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7F, major, minor];
        g.extend_from_slice(b"NULL");
        g.resize(GREETING_LEN, 0);
        g
    }

    #[test]
    fn encode_is_byte_exact() {
        let mut out = BytesMut::new();
        Greeting::ours(Mechanism::Null, false).encode(&mut out);
        let mut expected = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 1];
        expected.extend_from_slice(b"NULL");
        expected.extend_from_slice(&[0; 16]);
        expected.push(0); // as-server
        expected.extend_from_slice(&[0; 31]);
        assert_eq!(expected.len(), GREETING_LEN);
        assert_eq!(&out[..], &expected[..]);

        let mut out = BytesMut::new();
        Greeting::ours(Mechanism::Curve, true).encode(&mut out);
        assert_eq!(out.len(), GREETING_LEN);
        assert_eq!(&out[12..17], b"CURVE");
        assert!(out[17..32].iter().all(|&b| b == 0));
        assert_eq!(out[32], 1);
        assert!(out[33..].iter().all(|&b| b == 0));
    }

    #[test]
    fn decode_libzmq_greeting_and_versions() {
        for (major, minor, negotiated) in [(3, 1, 1), (3, 0, 0), (3, 7, 1), (4, 0, 1), (255, 9, 1)]
        {
            let mut buf = BytesMut::from(&libzmq_null_greeting(major, minor)[..]);
            buf.extend_from_slice(b"rest");
            let g = Greeting::decode(&mut buf).unwrap().unwrap();
            assert_eq!((g.major, g.minor), (major, minor));
            assert_eq!(g.mechanism, Mechanism::Null);
            assert!(!g.as_server);
            assert_eq!(g.negotiated_minor(), negotiated);
            assert_eq!(&buf[..], b"rest");
        }
    }

    #[test]
    fn round_trip_and_incremental() {
        for mech in [Mechanism::Null, Mechanism::Plain, Mechanism::Curve] {
            let ours = Greeting::ours(mech, true);
            let mut wire = BytesMut::new();
            ours.encode(&mut wire);
            let mut buf = BytesMut::new();
            for (i, b) in wire.iter().enumerate() {
                assert_eq!(Greeting::decode(&mut buf), Ok(None));
                assert_eq!(buf.len(), i, "nothing consumed while incomplete");
                buf.put_u8(*b);
            }
            assert_eq!(Greeting::decode(&mut buf), Ok(Some(ours)));
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn old_versions_refused_at_eleven_bytes() {
        for major in [0u8, 1, 2] {
            let mut buf = BytesMut::from(&libzmq_null_greeting(major, 1)[..10]);
            assert_eq!(Greeting::decode(&mut buf), Ok(None));
            buf.put_u8(major);
            assert_eq!(
                Greeting::decode(&mut buf),
                Err(ProtocolError::UnsupportedVersion { major, minor: 0 })
            );
            buf.put_u8(1);
            assert_eq!(
                Greeting::decode(&mut buf),
                Err(ProtocolError::UnsupportedVersion { major, minor: 1 })
            );
            assert_eq!(buf.len(), 12);
        }
    }

    #[test]
    fn bad_signature() {
        // Byte 9 without its low bit: refused as soon as 10 bytes are present.
        let mut sig = libzmq_null_greeting(3, 1);
        sig[9] = 0x7E;
        let mut buf = BytesMut::from(&sig[..9]);
        assert_eq!(Greeting::decode(&mut buf), Ok(None));
        buf.put_u8(sig[9]);
        assert_eq!(Greeting::decode(&mut buf), Err(ProtocolError::BadSignature));
        // A ZMTP 1.0 peer starts with a short identity length, not 0xFF.
        let mut buf = BytesMut::from(&[0x01u8, 0x00][..]);
        assert_eq!(Greeting::decode(&mut buf), Err(ProtocolError::BadSignature));
        // Padding bytes are not interpreted.
        let mut odd = libzmq_null_greeting(3, 1);
        odd[1..9].copy_from_slice(&[0xAA; 8]);
        odd[9] = 0x01;
        let mut buf = BytesMut::from(&odd[..]);
        assert!(Greeting::decode(&mut buf).unwrap().is_some());
    }

    #[test]
    fn mechanism_parsing() {
        let mut field = [0u8; 20];
        field[..4].copy_from_slice(b"NULL");
        assert_eq!(mechanism_from_wire(&field), Ok(Mechanism::Null));
        field[..5].copy_from_slice(b"PLAIN");
        assert_eq!(mechanism_from_wire(&field), Ok(Mechanism::Plain));
        field[..5].copy_from_slice(b"CURVE");
        assert_eq!(mechanism_from_wire(&field), Ok(Mechanism::Curve));
        let mut field = [0u8; 20];
        field[..6].copy_from_slice(b"GSSAPI");
        assert_eq!(
            mechanism_from_wire(&field),
            Err(ProtocolError::UnsupportedMechanism("GSSAPI".into()))
        );
        let mut field = [0u8; 20];
        field[..4].copy_from_slice(b"null");
        assert!(mechanism_from_wire(&field).is_err());
        let mut field = [0u8; 20];
        field[..4].copy_from_slice(b"NULL");
        field[10] = b'X';
        assert!(mechanism_from_wire(&field).is_err());

        let mut g = libzmq_null_greeting(3, 1);
        g[12..18].copy_from_slice(b"KERBER");
        let mut buf = BytesMut::from(&g[..]);
        assert_eq!(
            Greeting::decode(&mut buf),
            Err(ProtocolError::UnsupportedMechanism("KERBER".into()))
        );
    }
}
