//! Drives the sans-IO `Handshake` with arbitrary peer bytes in arbitrary
//! chunks.
//!
//! Input: see `oxmq_fuzz::Input`. `mode` bits 0-4 pick our socket type
//! (modulo the 19 types), bit 5 is unused (the greeting's role is the mechanism's), bit 6 gives us an identity
//! of `param & 0xff` bytes (each `param >> 8`), bit 7 prepends a valid
//! ZMTP 3.1 NULL greeting to the peer's stream so the fuzzer can concentrate
//! on the READY phase.
//!
//! Checks: no panic; we send exactly our greeting and then at most our READY
//! and one ERROR; once `Done`, the peer info is consistent with its metadata
//! and our socket type; after `Done` or an error, further calls return the
//! same result and consume nothing; chunking does not change the outcome.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::{
    Command, FrameDecoder, Greeting, Handshake, HandshakeConfig, HandshakeStatus, Mechanism,
    ProtocolError, SocketType, GREETING_LEN,
};
use oxmq_fuzz::Input;

type Outcome = Result<HandshakeStatus, ProtocolError>;

/// Feeds `chunks` in order; returns the last result, what is left in the
/// input buffer and everything we sent.
fn drive(config: &HandshakeConfig, chunks: &[&[u8]]) -> (Outcome, BytesMut, BytesMut) {
    let mut out = BytesMut::new();
    let mut hs = Handshake::new(config.clone(), &mut out);
    assert_eq!(out.len(), GREETING_LEN, "new() queues exactly our greeting");
    assert!(!hs.is_done());
    let mut inbox = BytesMut::new();
    let mut last: Outcome = Ok(HandshakeStatus::InProgress);
    for chunk in chunks {
        inbox.extend_from_slice(chunk);
        let terminal = !matches!(last, Ok(HandshakeStatus::InProgress));
        let (in_before, out_before) = (inbox.len(), out.len());
        let result = hs.feed(&mut inbox, &mut out);
        assert!(inbox.len() <= in_before, "feed grew the input");
        if terminal {
            assert_eq!(result, last, "a finished handshake changed its result");
            assert_eq!(
                inbox.len(),
                in_before,
                "a finished handshake consumed input"
            );
            assert_eq!(out.len(), out_before, "a finished handshake sent bytes");
        }
        assert_eq!(hs.is_done(), matches!(result, Ok(HandshakeStatus::Done(_))));
        last = result;
    }
    (last, inbox, out)
}

/// Checks what we sent: our greeting, then our READY once the peer's
/// greeting was accepted, then at most an ERROR.
fn check_output(config: &HandshakeConfig, mut out: BytesMut, outcome: &Outcome) {
    let greeting = Greeting::decode(&mut out)
        .expect("our greeting is valid")
        .expect("our greeting is complete");
    assert_eq!(greeting, Greeting::ours(Mechanism::Null, false));
    let mut decoder = FrameDecoder::new(None);
    let mut commands = Vec::new();
    while let Some(frame) = decoder.decode(&mut out).expect("we send valid frames") {
        assert!(frame.command && !frame.more);
        commands.push(Command::parse(frame.body).expect("we send valid commands"));
    }
    assert!(out.is_empty(), "we sent a partial frame");
    if let Some(Command::Ready(md)) = commands.first() {
        assert_eq!(md.socket_type(), Ok(config.socket_type));
        let identity = config.identity.clone().filter(|id| !id.is_empty());
        assert_eq!(md.identity(), identity.as_ref());
    } else {
        assert!(
            commands.is_empty(),
            "first command is not READY: {commands:?}"
        );
    }
    match commands.get(1) {
        None => {}
        Some(Command::Error { .. }) => assert!(
            matches!(
                outcome,
                Err(ProtocolError::MissingSocketType
                    | ProtocolError::UnknownSocketType(_)
                    | ProtocolError::IncompatibleSocketType { .. })
            ),
            "ERROR sent for {outcome:?}"
        ),
        Some(other) => panic!("unexpected command sent: {other:?}"),
    }
    assert!(commands.len() <= 2);
    if matches!(outcome, Ok(HandshakeStatus::Done(_))) {
        assert_eq!(commands.len(), 1, "Done without exactly our READY");
    }
}

fuzz_target!(|data: &[u8]| {
    let input = Input::parse(data);
    let socket_type = SocketType::ALL[usize::from(input.mode & 0x1f) % SocketType::ALL.len()];
    let identity = (input.mode & 0x40 != 0).then(|| {
        let [fill, len] = input.param.to_be_bytes();
        Bytes::from(vec![fill; usize::from(len)])
    });
    let config = HandshakeConfig {
        socket_type,
        identity,
        security: Default::default(),
        peer_address: Default::default(),
        zap: Default::default(),
    };
    let mut stream = Vec::new();
    if input.mode & 0x80 != 0 {
        let mut greeting = BytesMut::new();
        Greeting::ours(Mechanism::Null, false).encode(&mut greeting);
        stream.extend_from_slice(&greeting);
    }
    stream.extend_from_slice(input.stream);

    let chunks = input.chunks();
    let mut chunks: Vec<&[u8]> = if input.mode & 0x80 != 0 {
        std::iter::once(&stream[..GREETING_LEN])
            .chain(chunks)
            .collect()
    } else {
        chunks
    };
    // One more empty feed checks that a finished handshake stays put.
    chunks.push(&[]);
    let (outcome, rest, out) = drive(&config, &chunks);
    // The same bytes at once give the same outcome, leftover and output.
    let (whole_outcome, whole_rest, whole_out) = drive(&config, &[&stream, &[]]);
    match (&outcome, &whole_outcome) {
        // An old major version is refused as soon as byte 10 arrives, with
        // minor 0 if byte 11 was not in yet (documented on the error).
        (
            Err(ProtocolError::UnsupportedVersion { major, minor: 0 }),
            Err(ProtocolError::UnsupportedVersion {
                major: whole_major, ..
            }),
        ) => assert_eq!(major, whole_major),
        _ => assert_eq!(outcome, whole_outcome),
    }
    assert_eq!(rest, whole_rest);
    assert_eq!(out, whole_out);

    if let Ok(HandshakeStatus::Done(peer)) = &outcome {
        assert!(socket_type.is_compatible_with(peer.socket_type));
        assert_eq!(peer.metadata.socket_type(), Ok(peer.socket_type));
        assert_eq!(peer.identity.as_ref(), peer.metadata.identity());
        assert!(peer.identity.as_ref().is_none_or(|id| !id.is_empty()));
        assert!(peer.minor_version <= 1);
        // The bytes after the peer's READY are left for the frame decoder.
        assert!(rest.len() < stream.len());
    }
    check_output(&config, out, &outcome);
});
