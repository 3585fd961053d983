//! `Command::parse` on arbitrary command bodies.
//!
//! Input: the body of a command frame (after the frame header).
//!
//! Checks: no panic; whatever parses re-encodes into one command frame that
//! parses again; the result is equal unless the first parse had to decode a
//! name or reason lossily (it then contains U+FFFD and may have grown past
//! 255 bytes, which encoding truncates), in which case one more round trip
//! must be a fixed point.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::MAX_PING_CONTEXT;
use oxmq::__internal::zmtp::{Command, FrameDecoder};

/// Encodes `cmd` and parses it back, checking the frame around it.
fn round_trip(cmd: &Command) -> Command {
    let mut out = BytesMut::new();
    cmd.encode(&mut out);
    let frame = FrameDecoder::new(None)
        .decode(&mut out)
        .expect("an encoded command is a valid frame")
        .expect("an encoded command is a complete frame");
    assert!(
        out.is_empty(),
        "command encoding left bytes after the frame"
    );
    assert!(frame.command && !frame.more);
    Command::parse(frame.body).expect("an encoded command parses")
}

/// Whether the first parse decoded a string lossily.
fn lossy(cmd: &Command) -> bool {
    const R: char = char::REPLACEMENT_CHARACTER;
    match cmd {
        Command::Ready(md) => md.iter().any(|(name, _)| name.contains(R)),
        Command::Error { reason } => reason.contains(R),
        Command::Unknown { name, .. } => name.contains(R),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(cmd) = Command::parse(Bytes::copy_from_slice(data)) else {
        return;
    };
    match &cmd {
        Command::Ping { context, .. } => assert!(context.len() <= MAX_PING_CONTEXT),
        Command::Error { reason } => assert!(reason.len() <= 3 * 255),
        Command::Unknown { name, .. } => {
            assert!(!name.is_empty());
            assert!(!["READY", "ERROR", "PING", "PONG", "SUBSCRIBE", "CANCEL"].contains(&&**name));
        }
        _ => {}
    }
    let again = round_trip(&cmd);
    if lossy(&cmd) {
        assert_eq!(round_trip(&again), again);
    } else {
        assert_eq!(again, cmd);
        // A lossless command encodes back to the input bytes exactly, except
        // that ERROR ignores (and so drops) bytes after its reason.
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        let body = FrameDecoder::new(None)
            .decode(&mut out)
            .unwrap()
            .unwrap()
            .body;
        if matches!(cmd, Command::Error { .. }) {
            assert!(
                data.starts_with(&body),
                "ERROR did not re-encode as a prefix"
            );
        } else {
            assert_eq!(
                &body[..],
                data,
                "lossless command did not re-encode byte-exact"
            );
        }
    }
});
