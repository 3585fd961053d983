//! Feeds arbitrary bytes, cut at fuzzer-chosen points, into `FrameDecoder`.
//!
//! Input: see `oxmq_fuzz::Input`. `mode` bit 0 sets a maximum frame size of
//! `param` bytes (bit 1 additionally multiplies it by 256).
//!
//! Checks: no panic; chunked decoding gives the same frames, error and
//! leftover bytes as decoding the whole stream at once; `bytes_needed` agrees
//! with `decode`; decoded frames re-encoded and decoded again are equal.
//!
//! Cost: an empty chunk appends nothing, so feeding one only calls the
//! decoder again on the buffer it just found incomplete. Of a run of empty
//! chunks, the first is fed; each further one only while the one before
//! changed the decoder or the buffer: otherwise it would make the very same
//! calls on the very same state. Runs are skipped in constant time
//! (`Input::chunk_runs`): an input can ask for 30 empty chunks per stream
//! byte, and the fuzzer favoured such inputs (every empty chunk raised hit
//! counts without reaching a new state).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::{encode_frame, frame_header, Frame, FrameDecoder, ProtocolError};
use oxmq_fuzz::Input;

/// Decodes every complete frame of `buf`, checking `bytes_needed` before each
/// call; stops at the first incomplete frame or error.
fn drain(
    decoder: &mut FrameDecoder,
    buf: &mut BytesMut,
    frames: &mut Vec<Frame>,
) -> Result<(), ProtocolError> {
    loop {
        let needed = decoder.bytes_needed(buf);
        match decoder.decode(buf) {
            Ok(Some(frame)) => {
                assert_eq!(needed, Some(0), "a complete frame needs no more bytes");
                assert!(!(frame.command && frame.more), "COMMAND with MORE accepted");
                if let Some(max) = decoder.max_frame() {
                    assert!(frame.body.len() as u64 <= max, "frame above the maximum");
                }
                frames.push(frame);
            }
            Ok(None) => {
                if let Some(n) = needed {
                    assert!(n > 0, "incomplete frame with bytes_needed == 0");
                }
                return Ok(());
            }
            Err(e) => {
                assert_eq!(needed, None, "bytes_needed on an invalid header");
                return Err(e);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let input = Input::parse(data);
    let max = (input.mode & 1 != 0).then(|| {
        let max = u64::from(input.param);
        if input.mode & 2 != 0 {
            max * 256
        } else {
            max
        }
    });

    // Reference: the whole stream in one buffer.
    let mut whole = BytesMut::from(input.stream);
    let mut whole_frames = Vec::new();
    let whole_result = drain(&mut FrameDecoder::new(max), &mut whole, &mut whole_frames);

    // The same stream in fuzzer-chosen chunks. The buffer is allocated once:
    // grown chunk by chunk, it would be reallocated for nearly every frame
    // (the decoded bodies keep the old allocation alive), which only
    // exercises `bytes` and its allocator.
    let mut decoder = FrameDecoder::new(max);
    assert_eq!(decoder.max_frame(), max);
    let mut buf = BytesMut::with_capacity(input.stream.len());
    let mut frames = Vec::new();
    let mut result = Ok(());
    for (chunk, times) in input.chunk_runs() {
        if chunk.is_empty() {
            // A run of `times` empty chunks (see the top of this file).
            for _ in 0..times {
                let before = (decoder.clone(), buf.as_ptr(), buf.len());
                result = drain(&mut decoder, &mut buf, &mut frames);
                if result.is_err() || (decoder.clone(), buf.as_ptr(), buf.len()) == before {
                    break;
                }
            }
        } else {
            buf.extend_from_slice(chunk);
            result = drain(&mut decoder, &mut buf, &mut frames);
        }
        if result.is_err() {
            break;
        }
    }
    // The decoder keeps no state between calls: chunking changes nothing.
    assert_eq!(frames, whole_frames);
    assert_eq!(result, whole_result);
    if result.is_ok() {
        assert_eq!(buf, whole);
    }

    // Re-encode the decoded frames and decode them again.
    let mut encoded = BytesMut::new();
    for frame in &frames {
        let before = encoded.len();
        encode_frame(&frame.body, frame.more, frame.command, &mut encoded);
        let (header, header_len) = frame_header(frame.body.len(), frame.more, frame.command);
        assert_eq!(header_len, if frame.body.len() <= 255 { 2 } else { 9 });
        assert_eq!(&encoded[before..before + header_len], &header[..header_len]);
        assert_eq!(encoded.len() - before, header_len + frame.body.len());
    }
    let mut again = Vec::new();
    drain(&mut FrameDecoder::new(max), &mut encoded, &mut again)
        .expect("re-encoded frames must decode");
    assert!(encoded.is_empty(), "re-encoded frames left bytes over");
    assert_eq!(again, frames);
});
