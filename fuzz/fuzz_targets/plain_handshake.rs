//! Drives a PLAIN `Handshake` (client or server side) with arbitrary peer
//! bytes in arbitrary chunks, and, on the server side, answers its ZAP
//! request with a verdict or with arbitrary reply frames (SPEC §9.2, §9.3).
//!
//! Input: see `oxmq_fuzz::Input`. `mode` bit 0: we are the server (else
//! the client); bit 7 prepends a valid PLAIN greeting from the peer's side,
//! so the fuzzer can concentrate on the commands. `param` picks the ZAP
//! answer: bits 0-1 = 0: status 200, 1: 300, 2: 400, 3: arbitrary frames
//! (the last 64 bytes of the stream, cut at each 0x00 byte); bits 2-3 = 2:
//! no handler is bound instead, 3: the handler closed before replying
//! (either fails a PLAIN server); bits 8-15: after how many chunks the
//! answer is given (a server that has asked by then).
//!
//! Checks: no panic; a server asks for exactly one verdict, and only after
//! a well-formed HELLO; it sends WELCOME only after a 200, and ERROR only
//! after 400 or 500; the client sends HELLO first and INITIATE only after
//! WELCOME (HELLO only once the server's greeting is in); after `Done` or an error, later calls return the same result;
//! once `Done`, the peer's type is compatible with ours and, for a server,
//! its `User-Id` property is the handler's.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::security::plain::PlainCredentials;
use oxmq::__internal::zmtp::security::zap::{ZapConfig, ZapOutcome};
use oxmq::__internal::zmtp::{
    Command, FrameDecoder, Greeting, Handshake, HandshakeConfig, HandshakeStatus, Mechanism,
    ProtocolError, Security, SocketType,
};
use oxmq_fuzz::Input;

type Outcome = Result<HandshakeStatus, ProtocolError>;

/// The commands in what we sent, after our greeting.
fn sent_commands(mut out: BytesMut) -> Vec<String> {
    let g = Greeting::decode(&mut out)
        .expect("our greeting is valid")
        .expect("our greeting is complete");
    assert_eq!(g.mechanism, Mechanism::Plain);
    let mut d = FrameDecoder::new(None);
    let mut names = Vec::new();
    while let Some(f) = d.decode(&mut out).expect("we send valid frames") {
        assert!(f.command && !f.more);
        let c = Command::parse(f.body).expect("we send valid commands");
        names.push(c.name().to_owned());
    }
    assert!(out.is_empty(), "we sent a partial frame");
    names
}

fn verdict(code: &[u8]) -> Vec<Bytes> {
    [b"" as &[u8], b"1.0", b"1", code, b"ok", b"user", b""]
        .into_iter()
        .map(Bytes::copy_from_slice)
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let input = Input::parse(data);
    let server = input.mode & 1 != 0;
    let security = if server {
        Security::PlainServer
    } else {
        Security::PlainClient(PlainCredentials::new("admin", "secret").expect("short"))
    };
    let config = HandshakeConfig {
        socket_type: SocketType::Dealer,
        identity: None,
        security,
        peer_address: Bytes::from_static(b"127.0.0.1"),
        zap: ZapConfig::default(),
    };
    let mut stream = Vec::new();
    if input.mode & 0x80 != 0 {
        let mut g = BytesMut::new();
        Greeting::ours(Mechanism::Plain, !server).encode(&mut g);
        stream.extend_from_slice(&g);
    }
    stream.extend_from_slice(input.stream);
    let answer: Vec<Bytes> = match input.param & 3 {
        0 => verdict(b"200"),
        1 => verdict(b"300"),
        2 => verdict(b"400"),
        _ => {
            let tail = &input.stream[input.stream.len().saturating_sub(64)..];
            tail.split(|&b| b == 0)
                .map(Bytes::copy_from_slice)
                .collect()
        }
    };
    let answer_at = usize::from(input.param >> 8);

    let mut out = BytesMut::new();
    let mut hs = Handshake::new(config, &mut out);
    let mut inbox = BytesMut::new();
    let mut last: Outcome = Ok(HandshakeStatus::InProgress);
    let mut asked = 0;
    let mut answered = None;
    let mut chunks = if input.mode & 0x80 != 0 {
        vec![&stream[..64]]
    } else {
        Vec::new()
    };
    let rest = &stream[chunks.first().map_or(0, |c| c.len())..];
    let sub = Input {
        stream: rest,
        ..input
    };
    chunks.extend(sub.chunks());
    chunks.push(&[]);
    for (i, chunk) in chunks.iter().enumerate() {
        inbox.extend_from_slice(chunk);
        let terminal = !matches!(last, Ok(HandshakeStatus::InProgress));
        let result = hs.feed(&mut inbox, &mut out);
        if terminal {
            assert_eq!(result, last, "a finished handshake changed its result");
        }
        last = result;
        if hs.take_zap_request().is_some() {
            assert!(server, "a client asked for a verdict");
            asked += 1;
        }
        if hs.is_authenticating() && i >= answer_at && answered.is_none() {
            let outcome = match (input.param >> 2) & 3 {
                2 => ZapOutcome::NoHandler,
                3 => ZapOutcome::HandlerClosed,
                _ => ZapOutcome::Reply(answer.clone()),
            };
            last = hs.zap_answer(outcome, &mut inbox, &mut out);
            answered = Some(i);
        }
    }
    assert!(asked <= 1, "asked {asked} times");
    let names = sent_commands(out);
    if server {
        // No handler, or one that left: neither approves nor refuses.
        let p = if (input.param >> 2) & 3 >= 2 {
            4
        } else {
            input.param & 3
        };
        // Arbitrary frames (3) may happen to form any verdict.
        let approved = answered.is_some() && (p == 0 || p == 3);
        let refused = answered.is_some() && (p == 2 || p == 3);
        for (i, n) in names.iter().enumerate() {
            match n.as_str() {
                "WELCOME" => assert!(i == 0 && approved, "WELCOME without approval"),
                "READY" => assert!(i == 1 && approved, "READY out of turn"),
                // A refusal by the handler, or of the client's socket type
                // (then instead of READY).
                "ERROR" => assert!(
                    (i == 0 && refused) || (i == 1 && approved),
                    "ERROR at {i} without a refusal"
                ),
                other => panic!("a server sent {other}"),
            }
        }
        if let Ok(HandshakeStatus::Done(peer)) = &last {
            assert!(approved, "done without approval");
            if p == 0 {
                assert_eq!(
                    peer.metadata.get("User-Id").map(|v| &v[..]),
                    Some(&b"user"[..])
                );
            }
            assert!(SocketType::Dealer.is_compatible_with(peer.socket_type));
        }
        if asked == 0 {
            assert!(answered.is_none());
        }
    } else {
        // HELLO once the server's greeting is in, then INITIATE only.
        for (i, n) in names.iter().enumerate() {
            let want = if i == 0 { "HELLO" } else { "INITIATE" };
            assert_eq!(n, want, "a client sent {n} at {i}");
        }
        assert!(names.len() <= 2);
        if let Ok(HandshakeStatus::Done(peer)) = &last {
            assert_eq!(names.len(), 2, "done without INITIATE");
            assert!(SocketType::Dealer.is_compatible_with(peer.socket_type));
        }
    }
});
