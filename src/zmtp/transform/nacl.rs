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
//!
//! The data phase's MESSAGE boxes ([`StreamKey`]) do not go through the
//! generic secretbox: every MESSAGE of one direction shares the 16-byte
//! nonce prefix, so the XSalsa20 subkey (HSalsa20 of the key and the
//! prefix) is computed once per connection, and each box costs only its
//! Salsa20 keystream and Poly1305 tag (the `salsa20` and `poly1305`
//! crates, which the secretbox itself is made of). Checked against the
//! secretbox, and against NaCl's own test vector, by the tests below.
//!
//! A MESSAGE's tag comes from one of two Poly1305s by its length
//! ([`VECTOR_MAC_MIN`]): the `poly1305` crate picks its AVX2 code at run
//! time wherever the CPU has it, and that code costs some 1.5 µs to set
//! up for each key, ten times the whole tag of a short message in
//! portable code; so boxes shorter than the bound take `orion`'s portable
//! Poly1305 and longer ones the AVX2 code, which is about twice as fast
//! per byte.

use bytes::BytesMut;
use crypto_secretbox::aead::rand_core::RngCore;
use crypto_secretbox::aead::{AeadInPlace, KeyInit, OsRng};
use crypto_secretbox::{Kdf, Key, Tag, XSalsa20Poly1305};
use orion::hazardous::mac::poly1305 as orion_poly1305;
use poly1305::Poly1305;
use salsa20::cipher::{KeyIvInit, StreamCipher};
use zeroize::{Zeroize, Zeroizing};

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
pub(crate) struct BoxKey {
    aead: XSalsa20Poly1305,
    /// The same key's bytes, from which [`StreamKey`]s are made.
    raw: Zeroizing<[u8; 32]>,
}

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
        Some(BoxKey::of(&key))
    }

    fn of(key: &Key) -> BoxKey {
        let mut raw = Zeroizing::new([0u8; 32]);
        raw.copy_from_slice(key);
        BoxKey {
            aead: XSalsa20Poly1305::new(key),
            raw,
        }
    }

    /// A fresh random secretbox key (the server's cookie key).
    pub(crate) fn random() -> BoxKey {
        let mut key = Zeroizing::new(Key::default());
        OsRng.fill_bytes(&mut key[..]);
        BoxKey::of(&key)
    }

    /// The secretbox key of these bytes (known vectors, and the data
    /// phase without a handshake: [`super::Transform::curve_pair`]).
    pub(crate) fn from_key(key: &[u8; 32]) -> BoxKey {
        BoxKey::of(Key::from_slice(key))
    }

    /// The key of this key's boxes whose nonces start with `prefix`
    /// (SPEC §9.5: one direction's MESSAGEs).
    pub(crate) fn stream_key(&self, prefix: &[u8; 16]) -> StreamKey {
        StreamKey::new(&self.raw, prefix)
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
            .aead
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
        self.aead
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

/// The key of the boxes of one direction of a CURVE connection's data
/// phase, whose 24-byte nonces all start with the same 16 bytes (SPEC
/// §9.5): the XSalsa20 subkey of that prefix (HSalsa20 of the box key and
/// the prefix), computed once, then RustCrypto's Salsa20 and Poly1305 per
/// box. Seals and opens exactly as `crypto_secretbox` does with the full
/// nonce. Zeroed when dropped.
pub(crate) struct StreamKey {
    subkey: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for StreamKey {
    /// The key is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamKey(..)")
    }
}

impl StreamKey {
    fn new(key: &[u8; 32], prefix: &[u8; 16]) -> StreamKey {
        let mut sub = salsa20::hsalsa::<salsa20::cipher::consts::U10>(key.into(), prefix.into());
        let mut subkey = Zeroizing::new([0u8; 32]);
        subkey.copy_from_slice(&sub);
        sub.zeroize();
        StreamKey { subkey }
    }

    /// The box's Salsa20 keystream (nonce: the last 8 bytes of the full
    /// nonce, the short nonce big-endian), already past its first 32
    /// bytes, and the Poly1305 key those 32 bytes are.
    fn begin(&self, short: u64) -> (salsa20::Salsa20, Zeroizing<[u8; 32]>) {
        let subkey: &[u8; 32] = &self.subkey;
        let mut stream = salsa20::Salsa20::new(subkey.into(), &short.to_be_bytes().into());
        let mut mac_key = Zeroizing::new([0u8; 32]);
        stream.apply_keystream(&mut mac_key[..]);
        (stream, mac_key)
    }

    /// Seals in place with the nonce `prefix | short` (big-endian):
    /// `buf` is room for the tag, then the plaintext, as for
    /// [`BoxKey::seal_in_place`].
    pub(crate) fn seal_in_place(&self, short: u64, buf: &mut [u8]) {
        let Some((tag_room, text)) = buf.split_at_mut_checked(TAG_LEN) else {
            return;
        };
        let (mut stream, mac_key) = self.begin(short);
        stream.apply_keystream(text);
        tag_room.copy_from_slice(&poly1305_tag(&mac_key, text));
    }

    /// Opens in place the box (tag, then ciphertext) with the nonce
    /// `prefix | short`; on success `buf[TAG_LEN..]` holds the plaintext,
    /// on failure `buf` is left as it was.
    pub(crate) fn open_in_place(&self, short: u64, buf: &mut [u8]) -> Result<(), BoxError> {
        let (tag, text) = buf.split_at_mut_checked(TAG_LEN).ok_or(BoxError)?;
        let (mut stream, mac_key) = self.begin(short);
        let expected = poly1305_tag(&mac_key, text);
        // Every byte is compared, wherever the first difference is.
        let diff = expected
            .iter()
            .zip(tag.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return Err(BoxError);
        }
        stream.apply_keystream(text);
        Ok(())
    }
}

/// From this many bytes on, a MESSAGE's tag is computed by the `poly1305`
/// crate (its AVX2 code where the CPU has it), below by `orion`'s
/// portable Poly1305: about where the two cost the same (benches/README.md,
/// CURVE).
const VECTOR_MAC_MIN: usize = 2048;

/// The Poly1305 tag of `text` under the one-time key `key`, by whichever
/// implementation is faster for its length ([`VECTOR_MAC_MIN`]); both
/// compute the same function.
fn poly1305_tag(key: &[u8; 32], text: &[u8]) -> [u8; TAG_LEN] {
    let mut tag = [0u8; TAG_LEN];
    if text.len() >= VECTOR_MAC_MIN {
        tag.copy_from_slice(&Poly1305::new(poly1305::Key::from_slice(key)).compute_unpadded(text));
    } else {
        // A 32-byte key and a tag of any message: neither call can fail.
        let key = orion_poly1305::OneTimeKey::from(*key);
        if let Ok(t) = orion_poly1305::Poly1305::poly1305(&key, text) {
            tag.copy_from_slice(t.unprotected_as_bytes());
        }
    }
    tag
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
    fn stream_keys_seal_and_open_as_the_secretbox_does() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let prefix = *b"CurveZMQMESSAGEC";
        // Both Poly1305s: each side of VECTOR_MAC_MIN.
        let lens = (0..600).chain([
            1023,
            1024,
            1025,
            2047,
            2048,
            2049,
            4096,
            65536 + 17,
            300_001,
        ]);
        for len in lens {
            let mut key = [0u8; 32];
            key.iter_mut().for_each(|b| *b = next() as u8);
            let boxes = BoxKey::from_key(&key);
            let stream = boxes.stream_key(&prefix);
            // Counters from small to ones whose low word wraps.
            let short = match len % 3 {
                0 => len as u64,
                1 => u64::MAX - 3,
                _ => 0xffff_ffff,
            };
            let plain: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let mut ours = vec![0u8; TAG_LEN + len];
            ours[TAG_LEN..].copy_from_slice(&plain);
            let mut theirs = ours.clone();
            stream.seal_in_place(short, &mut ours);
            boxes.seal_in_place(&short_nonce(&prefix, short), &mut theirs);
            assert_eq!(ours, theirs, "sealed, {len} bytes");
            let mut opened = ours.clone();
            assert_eq!(stream.open_in_place(short, &mut opened), Ok(()));
            assert_eq!(&opened[TAG_LEN..], &plain[..], "opened, {len} bytes");
            if len > 0 {
                let mut bad = ours.clone();
                let at = (next() as usize) % bad.len();
                bad[at] ^= 1 << (next() % 8);
                assert_eq!(stream.open_in_place(short, &mut bad), Err(BoxError));
                assert_eq!(
                    stream.open_in_place(short + 1, &mut ours.clone()),
                    Err(BoxError)
                );
            }
        }
    }

    #[test]
    fn stream_keys_match_nacls_secretbox_vector() {
        // NaCl's secretbox test (tests/secretbox.c): its key, 24-byte
        // nonce, 131-byte message and the first bytes of its box.
        let key: [u8; 32] = hex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389")
            .try_into()
            .unwrap();
        let nonce = hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
        let message = hex(
            "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffc\
             e5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31\
             0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde\
             048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f93776384864\
             5e0705",
        );
        let expected = hex(
            "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce\
             48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972\
             71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae\
             90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b3\
             7973f622a43d14a6599b1f654cb45a74e355a5",
        );
        let prefix: [u8; 16] = nonce[..16].try_into().unwrap();
        let short = u64::from_be_bytes(nonce[16..].try_into().unwrap());
        let stream = BoxKey::from_key(&key).stream_key(&prefix);
        let mut buf = vec![0u8; TAG_LEN];
        buf.extend_from_slice(&message);
        stream.seal_in_place(short, &mut buf);
        assert_eq!(buf, expected);
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
