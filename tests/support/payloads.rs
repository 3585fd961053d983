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
