//! Z85, the printable encoding of binary keys (RFC 32, SPEC §9.1).
//!
//! Four bytes become five characters from an 85-character alphabet: the
//! four bytes are read as a big-endian number and written in base 85,
//! most significant digit first. A 32-byte CURVE key is 40 characters.
//! The input of [`encode`] must be a multiple of 4 bytes long and that of
//! [`decode`] a multiple of 5 characters, as RFC 32 requires; anything
//! else is a [`Z85Error`], never a panic.
//!
//! ```
//! let bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
//! let text = oxmq::z85::encode(&bytes).unwrap();
//! assert_eq!(text, "HelloWorld"); // RFC 32's example
//! assert_eq!(oxmq::z85::decode(&text).unwrap(), bytes);
//! ```

use std::fmt;

/// The 85 characters, by digit value (RFC 32).
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Digit value of each byte, `NOT_Z85` where the byte is not in the
/// alphabet.
const DIGITS: [u8; 256] = {
    let mut t = [NOT_Z85; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

const NOT_Z85: u8 = u8::MAX;

/// Why a Z85 encoding or decoding failed (SPEC §9.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Z85Error {
    /// [`encode`]: the input is not a multiple of 4 bytes long.
    BinaryLength(usize),
    /// [`decode`]: the input is not a multiple of 5 characters long.
    TextLength(usize),
    /// [`decode`]: the byte at `position` is not a Z85 character.
    Character {
        /// Offset in the input.
        position: usize,
        /// The byte found there.
        byte: u8,
    },
    /// [`decode`]: the 5 characters starting at `position` stand for a
    /// number above 2³² − 1, so they encode no 4 bytes.
    Overflow {
        /// Offset of the group in the input.
        position: usize,
    },
}

impl fmt::Display for Z85Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Z85Error::BinaryLength(n) => {
                write!(f, "Z85 encodes a multiple of 4 bytes, not {n} bytes")
            }
            Z85Error::TextLength(n) => {
                write!(f, "Z85 text is a multiple of 5 characters, not {n}")
            }
            Z85Error::Character { position, byte } => {
                write!(f, "byte {byte:#04x} at {position} is not a Z85 character")
            }
            Z85Error::Overflow { position } => write!(
                f,
                "the Z85 group at {position} stands for more than 4 bytes can hold"
            ),
        }
    }
}

impl std::error::Error for Z85Error {}

/// Encodes `bytes` (a multiple of 4 bytes long) as Z85 text (RFC 32).
/// Errors: [`Z85Error::BinaryLength`].
pub fn encode(bytes: &[u8]) -> Result<String, Z85Error> {
    if bytes.len() % 4 != 0 {
        return Err(Z85Error::BinaryLength(bytes.len()));
    }
    let mut out = String::with_capacity(bytes.len() / 4 * 5);
    for group in bytes.chunks_exact(4) {
        let mut n = u32::from_be_bytes([group[0], group[1], group[2], group[3]]);
        let mut chars = [0u8; 5];
        for c in chars.iter_mut().rev() {
            *c = ALPHABET[(n % 85) as usize];
            n /= 85;
        }
        out.extend(chars.iter().map(|&c| c as char));
    }
    Ok(out)
}

/// Decodes Z85 `text` (a multiple of 5 characters long) into bytes
/// (RFC 32). Errors: [`Z85Error::TextLength`], [`Z85Error::Character`],
/// [`Z85Error::Overflow`].
pub fn decode(text: &str) -> Result<Vec<u8>, Z85Error> {
    let text = text.as_bytes();
    if text.len() % 5 != 0 {
        return Err(Z85Error::TextLength(text.len()));
    }
    let mut out = Vec::with_capacity(text.len() / 5 * 4);
    for (g, group) in text.chunks_exact(5).enumerate() {
        let mut n: u64 = 0;
        for (i, &byte) in group.iter().enumerate() {
            let digit = DIGITS[byte as usize];
            if digit == NOT_Z85 {
                return Err(Z85Error::Character {
                    position: g * 5 + i,
                    byte,
                });
            }
            n = n * 85 + u64::from(digit);
        }
        let n = u32::try_from(n).map_err(|_| Z85Error::Overflow { position: g * 5 })?;
        out.extend_from_slice(&n.to_be_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc_32_example() {
        let bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        assert_eq!(encode(&bytes).unwrap(), "HelloWorld");
        assert_eq!(decode("HelloWorld").unwrap(), bytes);
    }

    #[test]
    fn edges_of_a_group() {
        assert_eq!(encode(&[0; 4]).unwrap(), "00000");
        // 2^32 - 1 is "%nSc0" in base 85 with this alphabet.
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(decode("%nSc0").unwrap(), [0xFF; 4]);
        assert_eq!(decode("%nSc1"), Err(Z85Error::Overflow { position: 0 }));
        assert_eq!(decode("#####"), Err(Z85Error::Overflow { position: 0 }));
        assert_eq!(encode(&[]).unwrap(), "");
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn bad_lengths_and_characters_are_typed_errors() {
        assert_eq!(encode(&[1, 2, 3]), Err(Z85Error::BinaryLength(3)));
        assert_eq!(decode("Hello1"), Err(Z85Error::TextLength(6)));
        assert_eq!(
            decode("Hello Worl"),
            Err(Z85Error::Character {
                position: 5,
                byte: b' '
            })
        );
        assert_eq!(
            decode("0000\"").unwrap_err(),
            Z85Error::Character {
                position: 4,
                byte: b'"'
            }
        );
        // A multi-byte UTF-8 character is not in the alphabet either.
        assert!(matches!(
            decode("0000é0000"),
            Err(Z85Error::Character { position: 4, .. })
        ));
    }

    proptest! {
        #[test]
        fn round_trip(groups in proptest::collection::vec(any::<[u8; 4]>(), 0..20)) {
            let bytes: Vec<u8> = groups.concat();
            let text = encode(&bytes).unwrap();
            prop_assert_eq!(text.len(), bytes.len() / 4 * 5);
            prop_assert!(text.bytes().all(|c| ALPHABET.contains(&c)));
            prop_assert_eq!(decode(&text).unwrap(), bytes);
        }

        #[test]
        fn any_text_decodes_or_fails_cleanly(text in ".{0,50}") {
            if let Ok(bytes) = decode(&text) {
                prop_assert_eq!(encode(&bytes).unwrap(), text);
            }
        }
    }
}
