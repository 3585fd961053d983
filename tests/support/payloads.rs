//! Test payloads whose content depends on the message index, direction
//! and frame, so corruption, loss or reordering shows up byte for byte.

use std::sync::OnceLock;

/// First-frame sizes, cycled over by message index.
pub const SIZES: [usize; 6] = [0, 1, 255, 256, 64 * 1024, 1024 * 1024];

/// 1 MiB + 4 KiB of pseudo-random bytes (xorshift), built once.
pub fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut v = Vec::with_capacity(SIZES[5] + 4096 + 8);
        while v.len() < SIZES[5] + 4096 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.extend_from_slice(&x.to_le_bytes());
        }
        v
    })
}

/// `size` bytes derived from message index `i`, stream tag `stream` and
/// frame number `frame`: a slice of the pattern at an offset depending on
/// all three, stamped with the index at the start and (if it fits) the end.
pub fn payload(i: usize, stream: u8, frame: u8, size: usize) -> Vec<u8> {
    let off = (i * 131 + usize::from(stream) * 977 + usize::from(frame) * 313) % 4096;
    let mut v = pattern()[off..off + size].to_vec();
    let stamp = [i as u8, (i >> 8) as u8, stream, frame];
    let n = stamp.len().min(size);
    v[..n].copy_from_slice(&stamp[..n]);
    if size >= 8 {
        v[size - 4..].copy_from_slice(&stamp);
    }
    v
}

/// The frames of message `i` on a PUSH/PULL stream: one frame of
/// `SIZES[i % 6]` bytes, or for every 7th message three frames (that one,
/// an empty frame and a 255-byte frame). Since 7 and 6 are coprime the
/// 3-frame messages cover every first-frame size.
pub fn frames_for(i: usize, stream: u8) -> Vec<Vec<u8>> {
    let first = payload(i, stream, 0, SIZES[i % SIZES.len()]);
    if i % 7 == 3 {
        vec![first, payload(i, stream, 1, 0), payload(i, stream, 2, 255)]
    } else {
        vec![first]
    }
}

/// [`frames_for`] as `Bytes`.
pub fn frames_bytes(i: usize, stream: u8) -> Vec<bytes::Bytes> {
    frames_for(i, stream)
        .into_iter()
        .map(bytes::Bytes::from)
        .collect()
}

/// Byte-for-byte comparison of one frame that reports where it differs,
/// without dumping megabytes.
pub fn check_bytes(ctx: &str, i: usize, frame: usize, got: &[u8], want: &[u8]) {
    if got != want {
        let first_diff = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{ctx}: message {i} frame {frame}: got {} bytes, want {}; first differing byte at \
             {first_diff:?}; got starts {:02x?}, want starts {:02x?}",
            got.len(),
            want.len(),
            &got[..got.len().min(16)],
            &want[..want.len().min(16)],
        );
    }
}

/// [`check_bytes`] for every frame of a message, and its frame count.
pub fn check_frames<G: AsRef<[u8]>, W: AsRef<[u8]>>(ctx: &str, i: usize, got: &[G], want: &[W]) {
    assert_eq!(
        got.len(),
        want.len(),
        "{ctx}: message {i}: frame count (got {}, want {})",
        got.len(),
        want.len()
    );
    for (f, (g, w)) in got.iter().zip(want).enumerate() {
        check_bytes(ctx, i, f, g.as_ref(), w.as_ref());
    }
}
