//! NaCl's `crypto_box` and `crypto_secretbox` as CurveZMQ uses them
//! (RFC 26, SPEC §9.5): XSalsa20Poly1305 boxes laid out as NaCl lays them
//! out (the 16-byte Poly1305 tag, then the ciphertext), with 24-byte
//! nonces made of a fixed prefix and a short (8-byte counter) or long
//! (16 random bytes) part.
//!
//! A box between two key pairs is sealed with the key that
//! `crypto_box_beforenm` precomputes: HSalsa20 of the X25519 secret the
//! pairs share. [`BoxKey::precompute`] computes it the way libsodium does
//! and refuses an all-zero secret, which only a low-order key gives.

use bytes::BytesMut;
use crypto_secretbox::aead::rand_core::RngCore;
use crypto_secretbox::aead::{AeadInPlace, KeyInit, OsRng};
use crypto_secretbox::{Kdf, Key, Tag, XSalsa20Poly1305};
use zeroize::Zeroizing;

use crate::curve::{CurvePublicKey, CurveSecretKey};

/// Length of a box's Poly1305 tag: a box is this much longer than what it
/// holds.
pub(crate) const TAG_LEN: usize = 16;

/// Length of a full nonce.
pub(crate) const NONCE_LEN: usize = 24;

/// A full 24-byte nonce.
pub(crate) type FullNonce = [u8; NONCE_LEN];

/// The nonce of a short-nonce box: a 16-byte prefix then the counter,
/// big-endian.
pub(crate) fn short_nonce(prefix: &[u8; 16], counter: u64) -> FullNonce {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..16].copy_from_slice(prefix);
    nonce[16..].copy_from_slice(&counter.to_be_bytes());
    nonce
}

/// The nonce of a long-nonce box: an 8-byte prefix then 16 bytes, random
/// when sealing.
pub(crate) fn long_nonce(prefix: &[u8; 8], long: &[u8; 16]) -> FullNonce {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..8].copy_from_slice(prefix);
    nonce[8..].copy_from_slice(long);
    nonce
}

/// 16 bytes from the operating system's random source, for a long nonce.
pub(crate) fn random_long_nonce() -> [u8; 16] {
    let mut long = [0u8; 16];
    OsRng.fill_bytes(&mut long);
    long
}

/// The box did not open: forged, altered, or sealed with another key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BoxError;

/// A key that seals and opens boxes: the precomputed key of two key pairs
/// (`crypto_box_beforenm`) or a `crypto_secretbox` key. Its bytes are
/// zeroed when it is dropped.
pub(crate) struct BoxKey(XSalsa20Poly1305);

impl std::fmt::Debug for BoxKey {
    /// The key is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxKey(..)")
    }
}

impl BoxKey {
    /// The key of the boxes between `ours` and `theirs`, the same both
    /// ways; `None` if their X25519 secret is all zero (`theirs` has low
    /// order, or `ours` is zero), as libsodium refuses it too.
    pub(crate) fn precompute(ours: &CurveSecretKey, theirs: &CurvePublicKey) -> Option<BoxKey> {
        let shared = ours.diffie_hellman(theirs);
        // Every byte is looked at, whatever the first nonzero one.
        if shared.iter().fold(0u8, |acc, b| acc | b) == 0 {
            return None;
        }
        let key = Zeroizing::new(XSalsa20Poly1305::kdf(
            Key::from_slice(&shared[..]),
            &Default::default(),
        ));
        Some(BoxKey(XSalsa20Poly1305::new(&key)))
    }

    /// A fresh random secretbox key (the server's cookie key).
    pub(crate) fn random() -> BoxKey {
        let mut key = Zeroizing::new(Key::default());
        OsRng.fill_bytes(&mut key[..]);
        BoxKey(XSalsa20Poly1305::new(&key))
    }

    /// The secretbox key of these bytes (tests against known vectors).
    #[cfg(test)]
    pub(crate) fn from_key(key: &[u8; 32]) -> BoxKey {
        BoxKey(XSalsa20Poly1305::new(Key::from_slice(key)))
    }

    /// Seals in place: `buf` is room for the tag, then the plaintext; the
    /// plaintext becomes ciphertext and the tag is written in front of it.
    /// A `buf` shorter than the tag is left as it is (never the case: the
    /// callers make the room).
    pub(crate) fn seal_in_place(&self, nonce: &FullNonce, buf: &mut [u8]) {
        let Some((tag_room, text)) = buf.split_at_mut_checked(TAG_LEN) else {
            return;
        };
        match self
            .0
            .encrypt_in_place_detached(&(*nonce).into(), b"", text)
        {
            Ok(tag) => tag_room.copy_from_slice(&tag),
            // Only associated data, which is never given, makes it fail;
            // even so no plaintext may go out.
            Err(_) => buf.fill(0),
        }
    }

    /// Appends the box of `plaintext` (tag, then ciphertext) to `out`.
    pub(crate) fn seal_into(&self, nonce: &FullNonce, plaintext: &[u8], out: &mut BytesMut) {
        let start = out.len();
        out.reserve(TAG_LEN + plaintext.len());
        out.resize(start + TAG_LEN, 0);
        out.extend_from_slice(plaintext);
        if let Some(boxed) = out.get_mut(start..) {
            self.seal_in_place(nonce, boxed);
        }
    }

    /// Opens in place: `buf` is a box (tag, then ciphertext); on success
    /// `buf[TAG_LEN..]` holds the plaintext. On failure `buf` is left as
    /// it was.
    pub(crate) fn open_in_place(&self, nonce: &FullNonce, buf: &mut [u8]) -> Result<(), BoxError> {
        let (tag, text) = buf.split_at_mut_checked(TAG_LEN).ok_or(BoxError)?;
        let tag = Tag::clone_from_slice(tag);
        self.0
            .decrypt_in_place_detached(&(*nonce).into(), b"", text, &tag)
            .map_err(|_| BoxError)
    }

    /// The plaintext of the box `boxed`, in a buffer zeroed when dropped
    /// (handshake boxes hold keys).
    pub(crate) fn open(
        &self,
        nonce: &FullNonce,
        boxed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, BoxError> {
        let mut buf = Zeroizing::new(boxed.to_vec());
        self.open_in_place(nonce, &mut buf)?;
        buf.drain(..TAG_LEN);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn precompute_is_nacls_beforenm() {
        // The key pairs of RFC 7748 section 6.1, which are also those of
        // NaCl's own box tests; their `crypto_box_beforenm` key.
        let alice = CurveSecretKey::from_bytes(
            hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
                .try_into()
                .unwrap(),
        );
        let bob = CurveSecretKey::from_bytes(
            hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
                .try_into()
                .unwrap(),
        );
        let beforenm: [u8; 32] =
            hex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389")
                .try_into()
                .unwrap();
        let ab = BoxKey::precompute(&alice, &bob.public_key()).unwrap();
        let ba = BoxKey::precompute(&bob, &alice.public_key()).unwrap();
        let known = BoxKey::from_key(&beforenm);
        let nonce = short_nonce(b"0123456789abcdef", 7);
        let mut sealed = [BytesMut::new(), BytesMut::new()];
        ab.seal_into(&nonce, b"attack at dawn", &mut sealed[0]);
        known.seal_into(&nonce, b"attack at dawn", &mut sealed[1]);
        assert_eq!(sealed[0], sealed[1]);
        assert_eq!(sealed[0].len(), TAG_LEN + 14);
        assert_eq!(&ba.open(&nonce, &sealed[0]).unwrap()[..], b"attack at dawn");
    }

    #[test]
    fn low_order_keys_are_refused() {
        let ours = crate::curve::curve_keypair().secret;
        assert!(BoxKey::precompute(&ours, &CurvePublicKey::from_bytes([0; 32])).is_none());
        let zero = CurveSecretKey::from_bytes([0; 32]);
        // A zero secret key clamps to a valid scalar: not refused.
        assert!(BoxKey::precompute(&zero, &ours.public_key()).is_some());
    }

    #[test]
    fn any_change_keeps_a_box_shut() {
        let key = BoxKey::random();
        let nonce = long_nonce(b"COOKIE--", &random_long_nonce());
        let mut sealed = BytesMut::new();
        key.seal_into(&nonce, &[0u8; 64], &mut sealed);
        assert!(key.open(&nonce, &sealed).is_ok());
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(key.open(&nonce, &bad), Err(BoxError), "byte {i}");
        }
        let mut other = nonce;
        other[23] ^= 1;
        assert_eq!(key.open(&other, &sealed), Err(BoxError));
        assert_eq!(BoxKey::random().open(&nonce, &sealed), Err(BoxError));
        assert_eq!(key.open(&nonce, &sealed[..TAG_LEN - 1]), Err(BoxError));
        assert_eq!(
            key.open(&nonce, &sealed[..TAG_LEN]).map(|_| ()),
            Err(BoxError)
        );
    }

    #[test]
    fn nonces_are_prefix_then_counter_or_long_part() {
        let n = short_nonce(b"CurveZMQMESSAGEC", 0x0102);
        assert_eq!(&n[..16], b"CurveZMQMESSAGEC");
        assert_eq!(&n[16..], &[0, 0, 0, 0, 0, 0, 1, 2]);
        let n = long_nonce(b"WELCOME-", &[9; 16]);
        assert_eq!(&n[..8], b"WELCOME-");
        assert_eq!(&n[8..], &[9; 16]);
        assert_ne!(random_long_nonce(), random_long_nonce());
    }
}
