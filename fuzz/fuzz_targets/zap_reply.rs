//! Parses arbitrary frames as a ZAP handler's reply (RFC 27, SPEC §9.2).
//!
//! Input: frames, each a one-byte length then that many bytes (a
//! truncated last frame keeps what there is); the first byte of the input
//! picks the request id the reply must echo (`1` or `7`).
//!
//! Checks: no panic; a reply that parses has 7 frames, the empty
//! delimiter, version `1.0`, the expected request id and a status of 200,
//! 300, 400 or 500 whose code reads back, the user id of its sixth frame;
//! its metadata re-encodes to a frame that parses back equal.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::security::zap::{ZapReply, ZAP_VERSION};

fuzz_target!(|data: &[u8]| {
    let (id, mut rest): (&[u8], &[u8]) = match data.split_first() {
        Some((b, rest)) if b & 1 == 0 => (b"1", rest),
        Some((_, rest)) => (b"7", rest),
        None => (b"1", data),
    };
    let mut frames = Vec::new();
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        frames.push(Bytes::copy_from_slice(&tail[..n]));
        rest = &tail[n..];
    }
    let Ok(reply) = ZapReply::parse(&frames, id) else {
        return;
    };
    assert_eq!(frames.len(), 7);
    assert!(frames[0].is_empty());
    assert_eq!(frames[1], ZAP_VERSION);
    assert_eq!(frames[2], id);
    assert_eq!(frames[3], reply.status.code().to_string().as_bytes());
    assert_eq!(frames[5], reply.user_id);
    let mut again = BytesMut::new();
    reply.metadata.encode(&mut again);
    let reparsed = ZapReply::parse(&[&frames[..6], &[again.freeze()]].concat(), id)
        .expect("re-encoded metadata parses");
    assert_eq!(reparsed.metadata, reply.metadata);
});
