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
//! prefix) is computed once per connection, and the keystream is made four
//! blocks at a time by a Salsa20 written so that the compiler keeps the
//! four blocks in SIMD lanes; the Poly1305 tag is computed with 44-bit
//! limbs and 128-bit products. Both are checked against the secretbox, and
//! against NaCl's own test vector, by the tests below.

use bytes::BytesMut;
use crypto_secretbox::aead::rand_core::RngCore;
use crypto_secretbox::aead::{AeadInPlace, KeyInit, OsRng};
use crypto_secretbox::{Kdf, Key, Tag, XSalsa20Poly1305};
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

    /// The secretbox key of these bytes (tests against known vectors).
    #[cfg(test)]
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

/// Salsa20's constant words, "expand 32-byte k".
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// Little-endian words of `bytes` (4 × N of them).
fn words<const N: usize>(bytes: &[u8]) -> [u32; N] {
    let mut w = [0u32; N];
    for (w, b) in w.iter_mut().zip(bytes.chunks_exact(4)) {
        *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    w
}

/// One Salsa20 quarter round on words `a b c d` of the state.
#[inline(always)]
fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[b] ^= x[a].wrapping_add(x[d]).rotate_left(7);
    x[c] ^= x[b].wrapping_add(x[a]).rotate_left(9);
    x[d] ^= x[c].wrapping_add(x[b]).rotate_left(13);
    x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
}

/// Salsa20's 20 rounds (10 column rounds, each followed by a row round),
/// without the final addition; written out, so that a loop over several
/// states around it has no inner loop and is vectorized.
#[inline(always)]
fn rounds(x: &mut [u32; 16]) {
    macro_rules! double_round {
        () => {
            quarter(x, 0, 4, 8, 12);
            quarter(x, 5, 9, 13, 1);
            quarter(x, 10, 14, 2, 6);
            quarter(x, 15, 3, 7, 11);
            quarter(x, 0, 1, 2, 3);
            quarter(x, 5, 6, 7, 4);
            quarter(x, 10, 11, 8, 9);
            quarter(x, 15, 12, 13, 14);
        };
    }
    double_round!();
    double_round!();
    double_round!();
    double_round!();
    double_round!();
    double_round!();
    double_round!();
    double_round!();
    double_round!();
    double_round!();
}

/// HSalsa20 of a 32-byte key and a 16-byte input: XSalsa20's subkey.
fn hsalsa20(key: &[u8; 32], input: &[u8; 16]) -> Zeroizing<[u32; 8]> {
    let k: Zeroizing<[u32; 8]> = Zeroizing::new(words(key));
    let n: [u32; 4] = words(input);
    let mut x = Zeroizing::new([
        SIGMA[0], k[0], k[1], k[2], k[3], SIGMA[1], n[0], n[1], n[2], n[3], SIGMA[2], k[4], k[5],
        k[6], k[7], SIGMA[3],
    ]);
    rounds(&mut x);
    Zeroizing::new([0, 5, 10, 15, 6, 7, 8, 9].map(|i| x[i]))
}

/// Blocks made at once by [`xor_wide`].
const LANES: usize = 4;

/// `state` with its counter words (8 and 9) set to `counter`.
#[inline(always)]
fn at_block(state: &[u32; 16], counter: u64) -> [u32; 16] {
    let mut input = *state;
    input[8] = counter as u32;
    input[9] = (counter >> 32) as u32;
    input
}

/// XORs one keystream block's words into up to 64 bytes of `buf`.
#[inline(always)]
fn xor_block_words(block: &mut [u8], word: impl Fn(usize) -> u32) {
    if block.len() == 64 {
        for (i, b) in block.chunks_exact_mut(4).enumerate() {
            let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) ^ word(i);
            b.copy_from_slice(&v.to_le_bytes());
        }
    } else {
        for (j, b) in block.iter_mut().enumerate() {
            *b ^= word(j / 4).to_le_bytes()[j % 4];
        }
    }
}

/// The Salsa20 keystream block `counter` of `state`, XORed into `buf`
/// (at most 64 bytes; the keystream past its end is dropped).
fn xor_one(state: &[u32; 16], counter: u64, buf: &mut [u8]) {
    let input = at_block(state, counter);
    let mut x = input;
    rounds(&mut x);
    xor_block_words(buf, |i| x[i].wrapping_add(input[i]));
    x.zeroize();
}

/// [`LANES`] consecutive keystream blocks from `counter` on, XORed into
/// `buf` (at most `64 × LANES` bytes). The loop over the blocks has a
/// straight body, which the compiler vectorizes: word `i` of every block
/// side by side in one SIMD register (`out[i]`).
fn xor_wide(state: &[u32; 16], counter: u64, buf: &mut [u8]) {
    let mut inputs = [[0u32; 16]; LANES];
    for (l, input) in inputs.iter_mut().enumerate() {
        *input = at_block(state, counter.wrapping_add(l as u64));
    }
    let mut out = [[0u32; LANES]; 16];
    for l in 0..LANES {
        let mut x = inputs[l];
        rounds(&mut x);
        for i in 0..16 {
            out[i][l] = x[i].wrapping_add(inputs[l][i]);
        }
    }
    for (l, block) in buf.chunks_mut(64).take(LANES).enumerate() {
        xor_block_words(block, |i| out[i][l]);
    }
    out.zeroize();
    inputs.zeroize();
}

/// XORs `buf` with the Salsa20 keystream of `state` from block
/// `counter` on: [`LANES`] blocks at a time while more than two are left.
fn xor_stream(state: &[u32; 16], mut counter: u64, buf: &mut [u8]) {
    let mut rest = buf;
    while rest.len() > 128 {
        let (now, later) = rest.split_at_mut(rest.len().min(64 * LANES));
        xor_wide(state, counter, now);
        counter = counter.wrapping_add(LANES as u64);
        rest = later;
    }
    for block in rest.chunks_mut(64) {
        xor_one(state, counter, block);
        counter = counter.wrapping_add(1);
    }
}

/// Poly1305 (the one-time authenticator) of `msg` under `key` (r, then
/// s), in three limbs of 44, 44 and 42 bits.
fn poly1305(key: &[u8; 32], msg: &[u8]) -> [u8; TAG_LEN] {
    const M44: u64 = (1 << 44) - 1;
    const M42: u64 = (1 << 42) - 1;
    let t0 = u64::from_le_bytes(key[0..8].try_into().unwrap_or_default());
    let t1 = u64::from_le_bytes(key[8..16].try_into().unwrap_or_default());
    // r, clamped.
    let r0 = t0 & 0x0ffc_0fff_ffff;
    let r1 = ((t0 >> 44) | (t1 << 20)) & 0x0fff_ffc0_ffff;
    let r2 = (t1 >> 24) & 0x000f_ffff_fc0f;
    // 2^130 = 5 (mod p): a product's parts at 2^132 and 2^176 come back
    // times 20 at 2^0 and 2^44.
    let (s1, s2) = (r1 * 20, r2 * 20);
    let (mut h0, mut h1, mut h2) = (0u64, 0u64, 0u64);
    let mul = |a: u64, b: u64| u128::from(a) * u128::from(b);
    let mut block = |m: &[u8; 16], hibit: u64| {
        let m0 = u64::from_le_bytes(m[0..8].try_into().unwrap_or_default());
        let m1 = u64::from_le_bytes(m[8..16].try_into().unwrap_or_default());
        h0 += m0 & M44;
        h1 += ((m0 >> 44) | (m1 << 20)) & M44;
        h2 += ((m1 >> 24) & M42) | hibit;
        let d0 = mul(h0, r0) + mul(h1, s2) + mul(h2, s1);
        let mut d1 = mul(h0, r1) + mul(h1, r0) + mul(h2, s2);
        let mut d2 = mul(h0, r2) + mul(h1, r1) + mul(h2, r0);
        d1 += d0 >> 44;
        h0 = d0 as u64 & M44;
        d2 += d1 >> 44;
        h1 = d1 as u64 & M44;
        h2 = d2 as u64 & M42;
        h0 += (d2 >> 42) as u64 * 5;
        h1 += h0 >> 44;
        h0 &= M44;
    };
    let mut chunks = msg.chunks_exact(16);
    for m in &mut chunks {
        let mut b = [0u8; 16];
        b.copy_from_slice(m);
        block(&b, 1 << 40);
    }
    let last = chunks.remainder();
    if !last.is_empty() {
        let mut b = [0u8; 16];
        b[..last.len()].copy_from_slice(last);
        b[last.len()] = 1;
        block(&b, 0);
    }
    // Fully carried, then reduced below p = 2^130 - 5.
    let mut c = h1 >> 44;
    h1 &= M44;
    h2 += c;
    c = h2 >> 42;
    h2 &= M42;
    h0 += c * 5;
    c = h0 >> 44;
    h0 &= M44;
    h1 += c;
    c = h1 >> 44;
    h1 &= M44;
    h2 += c;
    c = h2 >> 42;
    h2 &= M42;
    h0 += c * 5;
    c = h0 >> 44;
    h0 &= M44;
    h1 += c;
    let mut g0 = h0 + 5;
    c = g0 >> 44;
    g0 &= M44;
    let mut g1 = h1 + c;
    c = g1 >> 44;
    g1 &= M44;
    let g2 = (h2 + c).wrapping_sub(1 << 42);
    // g = h + 5 - 2^130 is the result unless it is negative.
    let use_g = (g2 >> 63).wrapping_sub(1);
    h0 = (h0 & !use_g) | (g0 & use_g);
    h1 = (h1 & !use_g) | (g1 & use_g);
    h2 = (h2 & !use_g) | (g2 & use_g);
    // h mod 2^128, plus s.
    let lo = h0 | (h1 << 44);
    let hi = (h1 >> 20) | (h2 << 24);
    let s0 = u64::from_le_bytes(key[16..24].try_into().unwrap_or_default());
    let s1 = u64::from_le_bytes(key[24..32].try_into().unwrap_or_default());
    let (lo, carry) = lo.overflowing_add(s0);
    let hi = hi.wrapping_add(s1).wrapping_add(u64::from(carry));
    let mut tag = [0u8; TAG_LEN];
    tag[..8].copy_from_slice(&lo.to_le_bytes());
    tag[8..].copy_from_slice(&hi.to_le_bytes());
    tag
}

/// The key of the boxes of one direction of a CURVE connection's data
/// phase, whose 24-byte nonces all start with the same 16 bytes (SPEC
/// §9.5): the XSalsa20 subkey of that prefix, computed once. Seals and
/// opens exactly as `crypto_secretbox` does with the full nonce. Zeroed
/// when dropped.
pub(crate) struct StreamKey {
    /// Salsa20's input state with the subkey in place and the nonce and
    /// counter words zero.
    state: Zeroizing<[u32; 16]>,
}

impl std::fmt::Debug for StreamKey {
    /// The key is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamKey(..)")
    }
}

impl StreamKey {
    fn new(key: &[u8; 32], prefix: &[u8; 16]) -> StreamKey {
        let k = hsalsa20(key, prefix);
        StreamKey {
            state: Zeroizing::new([
                SIGMA[0], k[0], k[1], k[2], k[3], SIGMA[1], 0, 0, 0, 0, SIGMA[2], k[4], k[5], k[6],
                k[7], SIGMA[3],
            ]),
        }
    }

    /// The Salsa20 state of the box whose nonce ends with `short`, and
    /// the Poly1305 key (the keystream's first 32 bytes). The next 32
    /// bytes of keystream are returned too: they cover the box's first 32
    /// bytes.
    fn begin(&self, short: u64) -> (Zeroizing<[u32; 16]>, Zeroizing<[u8; 64]>) {
        let mut state = Zeroizing::new(*self.state);
        let iv = short.to_be_bytes();
        state[6] = u32::from_le_bytes([iv[0], iv[1], iv[2], iv[3]]);
        state[7] = u32::from_le_bytes([iv[4], iv[5], iv[6], iv[7]]);
        let mut first = Zeroizing::new([0u8; 64]);
        xor_one(&state, 0, &mut first[..]);
        (state, first)
    }

    /// XORs `text` with the keystream past the Poly1305 key.
    fn xor(state: &[u32; 16], first: &[u8; 64], text: &mut [u8]) {
        let (head, tail) = text.split_at_mut(text.len().min(32));
        for (b, k) in head.iter_mut().zip(&first[32..]) {
            *b ^= k;
        }
        xor_stream(state, 1, tail);
    }

    fn mac_key(first: &[u8; 64]) -> Zeroizing<[u8; 32]> {
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&first[..32]);
        key
    }

    /// Seals in place with the nonce `prefix | short` (big-endian):
    /// `buf` is room for the tag, then the plaintext, as for
    /// [`BoxKey::seal_in_place`].
    pub(crate) fn seal_in_place(&self, short: u64, buf: &mut [u8]) {
        let Some((tag_room, text)) = buf.split_at_mut_checked(TAG_LEN) else {
            return;
        };
        let (state, first) = self.begin(short);
        StreamKey::xor(&state, &first, text);
        tag_room.copy_from_slice(&poly1305(&StreamKey::mac_key(&first), text));
    }

    /// Opens in place the box (tag, then ciphertext) with the nonce
    /// `prefix | short`; on success `buf[TAG_LEN..]` holds the plaintext,
    /// on failure `buf` is left as it was.
    pub(crate) fn open_in_place(&self, short: u64, buf: &mut [u8]) -> Result<(), BoxError> {
        let (tag, text) = buf.split_at_mut_checked(TAG_LEN).ok_or(BoxError)?;
        let (state, first) = self.begin(short);
        let expected = poly1305(&StreamKey::mac_key(&first), text);
        // Every byte is compared, wherever the first difference is.
        let diff = expected
            .iter()
            .zip(tag.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return Err(BoxError);
        }
        StreamKey::xor(&state, &first, text);
        Ok(())
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
    fn stream_keys_seal_and_open_as_the_secretbox_does() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let prefix = *b"CurveZMQMESSAGEC";
        let lens = (0..600).chain([1023, 1024, 1025, 4096, 65536 + 17, 300_001]);
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
