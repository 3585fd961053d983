//! CURVE keys (RFC 26, SPEC §9.4): long-term Curve25519 key pairs, as 32
//! raw bytes or 40 Z85 characters.
//!
//! ```
//! use oxmq::curve::{curve_keypair, CurveSecretKey};
//! let pair = curve_keypair();
//! let text = pair.secret.to_z85();
//! let again = CurveSecretKey::parse(&text).unwrap();
//! assert_eq!(again.public_key(), pair.public);
//! ```

use std::fmt;

use curve25519_dalek::MontgomeryPoint;
use zeroize::{Zeroize, Zeroizing};

use crate::z85::{self, Z85Error};

/// Length of a key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of a key in Z85 text.
pub const KEY_Z85_LEN: usize = 40;

/// Why a key was refused (SPEC §9.4).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key is 32 bytes or 40 Z85 characters; this was neither.
    #[error("a CURVE key is 32 bytes or 40 Z85 characters, not {0} bytes")]
    Length(usize),
    /// 40 characters that are not Z85.
    #[error("a CURVE key in Z85: {0}")]
    Z85(#[from] Z85Error),
}

/// The 32 bytes of `key`: the raw bytes, or the Z85 text decoded.
fn key_bytes(key: &[u8]) -> Result<[u8; KEY_LEN], KeyError> {
    match key.len() {
        KEY_LEN => {
            let mut out = [0u8; KEY_LEN];
            out.copy_from_slice(key);
            Ok(out)
        }
        KEY_Z85_LEN => {
            let text = std::str::from_utf8(key).map_err(|e| {
                let position = e.valid_up_to();
                Z85Error::Character {
                    position,
                    byte: key[position],
                }
            })?;
            let mut bytes = z85::decode(text)?;
            let mut out = [0u8; KEY_LEN];
            out.copy_from_slice(&bytes);
            // The text may be a secret key: leave no copy behind.
            bytes.zeroize();
            Ok(out)
        }
        n => Err(KeyError::Length(n)),
    }
}

/// A long-term public key (SPEC §9.4). `Debug` shows it in Z85.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurvePublicKey([u8; KEY_LEN]);

impl CurvePublicKey {
    /// The key of these 32 bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        CurvePublicKey(bytes)
    }

    /// A key given as 32 raw bytes or 40 Z85 characters. Errors:
    /// [`KeyError`].
    pub fn parse(key: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        key_bytes(key.as_ref()).map(CurvePublicKey)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key as 40 Z85 characters.
    pub fn to_z85(&self) -> String {
        // 32 is a multiple of 4: encoding cannot fail.
        z85::encode(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurvePublicKey({})", self.to_z85())
    }
}

/// A long-term (or, inside the CURVE handshake, transient) secret key
/// (SPEC §9.4). Its bytes are zeroed when it is dropped, and `Debug` does
/// not show them.
#[derive(Clone)]
pub struct CurveSecretKey(Zeroizing<[u8; KEY_LEN]>);

impl CurveSecretKey {
    /// The key of these 32 bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        CurveSecretKey(Zeroizing::new(bytes))
    }

    /// A key given as 32 raw bytes or 40 Z85 characters. Errors:
    /// [`KeyError`].
    pub fn parse(key: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let mut bytes = key_bytes(key.as_ref())?;
        let key = Self::from_bytes(bytes);
        bytes.zeroize();
        Ok(key)
    }

    /// The public key of this secret key (libzmq's `zmq_curve_public`;
    /// [`curve_public`] is the same as a free function): X25519 of the
    /// base point, the scalar clamped as RFC 7748 says.
    pub fn public_key(&self) -> CurvePublicKey {
        CurvePublicKey(MontgomeryPoint::mul_base_clamped(*self.0).to_bytes())
    }

    /// The key as 40 Z85 characters (for a certificate file, say).
    pub fn to_z85(&self) -> String {
        z85::encode(&self.0[..]).unwrap_or_default()
    }

    /// The secret bytes themselves, for a box that carries them (the CURVE
    /// server's cookie, SPEC §9.5).
    pub(crate) fn secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// X25519 of `peer` and this key, exactly as libsodium's
    /// `crypto_scalarmult` computes it (the scalar clamped, not reduced):
    /// the shared secret from which `crypto_box_beforenm` derives a box
    /// key. All zero when `peer` has low order (SPEC §9.5).
    pub(crate) fn diffie_hellman(&self, peer: &CurvePublicKey) -> Zeroizing<[u8; KEY_LEN]> {
        let mut point = MontgomeryPoint(peer.0).mul_clamped(*self.0);
        let shared = Zeroizing::new(point.0);
        point.zeroize();
        shared
    }
}

impl PartialEq for CurveSecretKey {
    /// Compares every byte, whatever the first difference.
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for CurveSecretKey {}

impl fmt::Debug for CurveSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CurveSecretKey(..)")
    }
}

/// A long-term key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurveKeypair {
    /// The public half, for the peers.
    pub public: CurvePublicKey,
    /// The secret half, kept by its owner.
    pub secret: CurveSecretKey,
}

/// A new random key pair, from the operating system's random source
/// (libzmq's `zmq_curve_keypair`) (SPEC §9.4).
pub fn curve_keypair() -> CurveKeypair {
    use crypto_secretbox::aead::{rand_core::RngCore, OsRng};
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(&mut bytes[..]);
    let secret = CurveSecretKey(bytes);
    CurveKeypair {
        public: secret.public_key(),
        secret,
    }
}

/// The public key of `secret` (libzmq's `zmq_curve_public`), the same as
/// [`CurveSecretKey::public_key`] (SPEC §9.4).
///
/// ```
/// use oxmq::curve::{curve_keypair, curve_public, CurveSecretKey};
/// let pair = curve_keypair();
/// assert_eq!(curve_public(&pair.secret), pair.public);
/// // The server key pair of libzmq's zmq_curve(7) manual page.
/// let secret = CurveSecretKey::parse("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6").unwrap();
/// assert_eq!(curve_public(&secret).to_z85(), "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
/// ```
pub fn curve_public(secret: &CurveSecretKey) -> CurvePublicKey {
    secret.public_key()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test keys of libzmq's zmq_curve(7) manual page.
    const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
    const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

    #[test]
    fn public_keys_derive_as_libzmqs_manual_says() {
        for (secret, public) in [
            (CLIENT_SECRET, CLIENT_PUBLIC),
            (SERVER_SECRET, SERVER_PUBLIC),
        ] {
            let s = CurveSecretKey::parse(secret).unwrap();
            assert_eq!(s.public_key().to_z85(), public);
            assert_eq!(s.to_z85(), secret);
            assert_eq!(s.public_key(), CurvePublicKey::parse(public).unwrap());
            assert_eq!(curve_public(&s), s.public_key());
        }
    }

    #[test]
    fn raw_and_z85_forms_are_the_same_key() {
        let p = CurvePublicKey::parse(SERVER_PUBLIC).unwrap();
        assert_eq!(CurvePublicKey::parse(p.as_bytes()).unwrap(), p);
        assert_eq!(CurvePublicKey::from_bytes(*p.as_bytes()), p);
    }

    #[test]
    fn fresh_pairs_match_and_differ() {
        let a = curve_keypair();
        let b = curve_keypair();
        assert_eq!(a.secret.public_key(), a.public);
        assert_ne!(a.public, b.public);
        assert_ne!(a.secret, b.secret);
    }

    #[test]
    fn other_lengths_and_bad_text_are_typed_errors() {
        assert_eq!(CurvePublicKey::parse([0u8; 31]), Err(KeyError::Length(31)));
        // libzmq's setsockopt takes 41 bytes (Z85 and its NUL); oxmq does not.
        let mut with_nul = SERVER_PUBLIC.as_bytes().to_vec();
        with_nul.push(0);
        assert_eq!(CurvePublicKey::parse(&with_nul), Err(KeyError::Length(41)));
        let mut bad = SERVER_PUBLIC.to_owned();
        bad.replace_range(3..4, " ");
        assert!(matches!(
            CurvePublicKey::parse(&bad),
            Err(KeyError::Z85(Z85Error::Character { position: 3, .. }))
        ));
        let not_utf8 = [0xFFu8; 40];
        assert!(matches!(
            CurveSecretKey::parse(not_utf8),
            Err(KeyError::Z85(Z85Error::Character { position: 0, .. }))
        ));
        assert!(matches!(
            CurvePublicKey::parse("#".repeat(40)),
            Err(KeyError::Z85(Z85Error::Overflow { .. }))
        ));
    }

    fn hex32(text: &str) -> [u8; KEY_LEN] {
        let mut out = [0u8; KEY_LEN];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn diffie_hellman_matches_rfc_7748() {
        // RFC 7748 section 6.1.
        let alice = CurveSecretKey::from_bytes(hex32(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ));
        let bob = CurveSecretKey::from_bytes(hex32(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        ));
        assert_eq!(
            alice.public_key().as_bytes(),
            &hex32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        );
        assert_eq!(
            bob.public_key().as_bytes(),
            &hex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        );
        let shared = hex32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assert_eq!(*alice.diffie_hellman(&bob.public_key()), shared);
        assert_eq!(*bob.diffie_hellman(&alice.public_key()), shared);
    }

    #[test]
    fn low_order_points_give_an_all_zero_secret() {
        let ours = curve_keypair().secret;
        // u = 0 and u = 1 (points of order 2 and 4), and the same two
        // written as p and p + 1 (p = 2^255 - 19).
        let mut p = [0xffu8; KEY_LEN];
        p[0] = 0xed;
        p[31] = 0x7f;
        let mut p_plus_1 = p;
        p_plus_1[0] = 0xee;
        let mut one = [0u8; KEY_LEN];
        one[0] = 1;
        for low in [[0u8; KEY_LEN], one, p, p_plus_1] {
            let shared = ours.diffie_hellman(&CurvePublicKey::from_bytes(low));
            assert_eq!(*shared, [0u8; KEY_LEN], "{low:?}");
        }
        let other = curve_keypair().public;
        assert_ne!(*ours.diffie_hellman(&other), [0u8; KEY_LEN]);
    }

    #[test]
    fn secret_keys_compare_by_value() {
        let a = CurveSecretKey::parse(SERVER_SECRET).unwrap();
        assert_eq!(a.clone(), a);
        assert_ne!(a, CurveSecretKey::parse(CLIENT_SECRET).unwrap());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let s = CurveSecretKey::parse(SERVER_SECRET).unwrap();
        let shown = format!("{s:?} {:?}", curve_keypair());
        assert!(!shown.contains(SERVER_SECRET), "{shown}");
        assert!(shown.contains("CurveSecretKey(..)"));
        let p = format!("{:?}", s.public_key());
        assert!(p.contains(SERVER_PUBLIC), "{p}");
    }
}
