//! Connection metadata carried by the READY command (SPEC §3.2).

use bytes::{BufMut, Bytes, BytesMut};

use super::error::ProtocolError;
use super::socket_type::SocketType;

/// Name of the property announcing the sender's socket type (SPEC §3.2).
pub const SOCKET_TYPE: &str = "Socket-Type";

/// Name of the property announcing the sender's identity (SPEC §3.2).
pub const IDENTITY: &str = "Identity";

/// Longest property name: its length is a single byte (SPEC §3.2).
const MAX_NAME_LEN: usize = u8::MAX as usize;

/// Longest property value: 2^31-1 bytes (SPEC §3.2).
const MAX_VALUE_LEN: u32 = i32::MAX as u32;

/// An ordered list of metadata properties (SPEC §3.2).
///
/// On the wire each property is a 1-byte name length, the name, a 4-byte
/// big-endian value length and the value. Names are case-insensitive on
/// lookup; their original spelling is kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    properties: Vec<(String, Bytes)>,
}

impl Metadata {
    /// An empty property list (SPEC §3.2).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a property (SPEC §3.2). If a property of the same name (compared
    /// case-insensitively) exists, its value is replaced in place; otherwise
    /// the property is appended. Names must be 1 to 255 bytes and values at
    /// most 2^31-1 bytes: [`Metadata::encode`] skips properties that are not.
    pub fn insert(&mut self, name: &str, value: impl Into<Bytes>) {
        let value = value.into();
        match self
            .properties
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, v)) => *v = value,
            None => self.properties.push((name.to_owned(), value)),
        }
    }

    /// Removes every property called `name`, compared case-insensitively.
    pub fn remove(&mut self, name: &str) {
        self.properties
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The value of the first property called `name`, compared
    /// case-insensitively (SPEC §3.2).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.properties
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The properties in order (SPEC §3.2).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.properties.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of properties (SPEC §3.2).
    pub fn len(&self) -> usize {
        self.properties.len()
    }

    /// Whether there are no properties (SPEC §3.2).
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// Number of bytes [`Metadata::encode`] appends (SPEC §3.2).
    pub fn encoded_len(&self) -> usize {
        self.valid()
            .map(|(n, v)| 1 + n.len() + 4 + v.len())
            .fold(0, usize::saturating_add)
    }

    /// Appends the wire form of the properties to `out` (SPEC §3.2),
    /// skipping any property whose name is empty or longer than 255 bytes or
    /// whose value is longer than 2^31-1 bytes.
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(self.encoded_len());
        for (name, value) in self.valid() {
            out.put_u8(name.len() as u8);
            out.put_slice(name.as_bytes());
            out.put_u32(value.len() as u32);
            out.put_slice(value);
        }
    }

    /// Parses the wire form of a property list (SPEC §3.2). Names that are
    /// not valid UTF-8 are decoded lossily; duplicates are kept in order.
    ///
    /// Errors with [`ProtocolError::MalformedMetadata`] on an empty name, a
    /// truncated name, length or value, or a value length above 2^31-1.
    pub fn decode(data: &[u8]) -> Result<Metadata, ProtocolError> {
        let malformed = |msg: String| Err(ProtocolError::MalformedMetadata(msg));
        let mut properties = Vec::new();
        let mut rest = data;
        while let Some((&name_len, tail)) = rest.split_first() {
            if name_len == 0 {
                return malformed("property name has zero length".into());
            }
            let Some((name, tail)) = tail.split_at_checked(usize::from(name_len)) else {
                return malformed(format!(
                    "property name of {name_len} bytes is truncated to {} bytes",
                    tail.len()
                ));
            };
            let name = String::from_utf8_lossy(name).into_owned();
            let Some((size, tail)) = tail
                .split_first_chunk::<4>()
                .map(|(size, tail)| (u32::from_be_bytes(*size), tail))
            else {
                return malformed(format!("value length of property {name:?} is truncated"));
            };
            if size > MAX_VALUE_LEN {
                return malformed(format!(
                    "value length {size} of property {name:?} exceeds 2^31-1"
                ));
            }
            let Some((value, tail)) = usize::try_from(size)
                .ok()
                .and_then(|size| tail.split_at_checked(size))
            else {
                return malformed(format!(
                    "value of property {name:?} announces {size} bytes but only {} remain",
                    tail.len()
                ));
            };
            properties.push((name, Bytes::copy_from_slice(value)));
            rest = tail;
        }
        Ok(Metadata { properties })
    }

    /// The peer's socket type from the `Socket-Type` property (SPEC §3.2,
    /// §3.5): [`ProtocolError::MissingSocketType`] if absent,
    /// [`ProtocolError::UnknownSocketType`] if not a known wire name.
    pub fn socket_type(&self) -> Result<SocketType, ProtocolError> {
        let value = self
            .get(SOCKET_TYPE)
            .ok_or(ProtocolError::MissingSocketType)?;
        SocketType::from_wire(value).ok_or_else(|| {
            ProtocolError::UnknownSocketType(String::from_utf8_lossy(value).into_owned())
        })
    }

    /// The `Identity` property; `None` if absent or empty (SPEC §3.2).
    pub fn identity(&self) -> Option<&Bytes> {
        self.get(IDENTITY).filter(|v| !v.is_empty())
    }

    /// Properties that can be represented on the wire.
    fn valid(&self) -> impl Iterator<Item = (&String, &Bytes)> {
        self.properties
            .iter()
            .map(|(n, v)| (n, v))
            .filter(|(n, v)| {
                !n.is_empty()
                    && n.len() <= MAX_NAME_LEN
                    && u32::try_from(v.len()).is_ok_and(|len| len <= MAX_VALUE_LEN)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_matches_rfc_example_and_round_trips() {
        let mut md = Metadata::new();
        md.insert("Socket-Type", Bytes::from_static(b"DEALER"));
        md.insert("Identity", Bytes::new());
        let mut out = BytesMut::new();
        md.encode(&mut out);
        let mut expected = vec![11];
        expected.extend_from_slice(b"Socket-Type");
        expected.extend_from_slice(&[0, 0, 0, 6]);
        expected.extend_from_slice(b"DEALER");
        expected.push(8);
        expected.extend_from_slice(b"Identity");
        expected.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(&out[..], &expected[..]);
        assert_eq!(md.encoded_len(), expected.len());

        let back = Metadata::decode(&out).unwrap();
        assert_eq!(back, md);
        assert_eq!(back.socket_type(), Ok(SocketType::Dealer));
        assert_eq!(back.identity(), None);
        assert_eq!(
            back.get("socket-type").map(|v| &v[..]),
            Some(&b"DEALER"[..])
        );
        assert_eq!(
            back.get("SOCKET-TYPE").map(|v| &v[..]),
            Some(&b"DEALER"[..])
        );
        assert_eq!(
            back.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            ["Socket-Type", "Identity"]
        );
        assert_eq!(Metadata::decode(&[]), Ok(Metadata::new()));
    }

    #[test]
    fn insert_replaces_case_insensitively_and_encode_skips_invalid() {
        let mut md = Metadata::new();
        md.insert("identity", Bytes::from_static(b"a"));
        md.insert("Identity", Bytes::from_static(b"bob"));
        assert_eq!(md.len(), 1);
        assert_eq!(md.identity().map(|v| &v[..]), Some(&b"bob"[..]));
        md.insert("", Bytes::from_static(b"x"));
        md.insert(&"N".repeat(256), Bytes::from_static(b"x"));
        assert_eq!(md.len(), 3);
        let mut out = BytesMut::new();
        md.encode(&mut out);
        assert_eq!(out.len(), md.encoded_len());
        assert_eq!(Metadata::decode(&out).unwrap().len(), 1);
    }

    #[test]
    fn socket_type_errors() {
        let md = Metadata::new();
        assert_eq!(md.socket_type(), Err(ProtocolError::MissingSocketType));
        let mut md = Metadata::new();
        md.insert("Socket-Type", Bytes::from_static(b"pub"));
        assert_eq!(
            md.socket_type(),
            Err(ProtocolError::UnknownSocketType("pub".into()))
        );
    }

    #[test]
    fn malformed_inputs() {
        let cases: &[&[u8]] = &[
            &[0],                               // empty name
            &[5, b'a', b'b'],                   // truncated name
            &[1, b'a', 0, 0],                   // truncated value length
            &[1, b'a', 0, 0, 0, 5, b'x'],       // value shorter than announced
            &[1, b'a', 0xFF, 0xFF, 0xFF, 0xFF], // value length overflowing
            &[1, b'a', 0x80, 0, 0, 0],          // above 2^31-1
            &[1, b'a', 0, 0, 0, 0, 3],          // second property truncated
        ];
        for case in cases {
            assert!(
                matches!(
                    Metadata::decode(case),
                    Err(ProtocolError::MalformedMetadata(_))
                ),
                "{case:?}"
            );
        }
        // Exactly 2^31-1 announced but not present: malformed, not allocated.
        assert!(Metadata::decode(&[1, b'a', 0x7F, 0xFF, 0xFF, 0xFF]).is_err());
    }
}
