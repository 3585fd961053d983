//! Drives a CURVE `Handshake` (client or server side, fixed long-term
//! keys) with arbitrary peer bytes in arbitrary chunks, optionally behind
//! genuine commands from a real in-memory peer, and, on the server side,
//! answers its ZAP request (SPEC §9.2, §9.5).
//!
//! The fuzzer cannot forge a CURVE box, and every box but a HELLO depends
//! on keys made at random for the connection, so a real peer runs beside
//! ours: it reads what ours writes, and the units it writes back (its
//! greeting, then one command frame each) go into our stream, one of them
//! possibly altered, before the fuzzer's own bytes.
//!
//! Input: see `oxmq_fuzz::Input`. `mode`:
//!
//! * bit 0: we are the server (the real peer a client), else the client
//!   (the real peer a server);
//! * bits 1-2: how many units of the real peer come first: 0 none, 1 its
//!   greeting, 2 and its first command (a server's WELCOME, a client's
//!   HELLO), 3 and its second (READY, INITIATE);
//! * bit 3: alter one of those units: the stream's first 4 bytes are the
//!   unit (modulo the count), an offset in it (16 bits, modulo its length)
//!   and a byte, XORed in there, or, if 0, the unit is cut at the offset;
//! * bits 4-6: our server's ZAP answer: 0 status 200, 1 300, 2 400, 3 500,
//!   4 arbitrary frames (the stream's last 96 bytes, each frame a length
//!   byte and its bytes), 5 no handler bound, 6 a handler that closed,
//!   7 none at all;
//! * bit 7: the real peer is a PUB (which our DEALER refuses), else a
//!   ROUTER.
//!
//! `param` bits 0-7: the answer comes once the handshake has asked and
//! this many chunks are fed (at the latest after the last one); bit 8:
//! `zap_enforce_domain`.
//!
//! Checks: no panic; we write our greeting and then only whole, valid
//! command frames: a client HELLO (200 bytes) then INITIATE (at least
//! 257) only after the real WELCOME came intact; a server WELCOME (168)
//! first, then READY (at least 30) only once it is done or ERROR only
//! after 400 or 500 or for a refused socket type; a server asks for at
//! most one verdict, only after the real INITIATE came intact and whole,
//! and the request carries the client's 32-byte key; the answer's outcome
//! is exactly the one SPEC §9.2 gives; after `Done` or an error, later
//! calls return the same result and consume and write nothing; once
//! `Done`, the peer's type is compatible with ours, its properties are the
//! real peer's with the handler's (and only the handler's) `User-Id` and
//! metadata; the real peer with all its units intact makes the handshake
//! reach the verdict (server) or the end (client). A finished handshake's
//! transform then decodes the frames that follow in the stream, all of
//! which must fail (nobody else has the key), without panic, and still
//! opens a genuine MESSAGE of the real peer, and its MESSAGE opens there.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::security::zap::{ZapConfig, ZapOutcome, ZapReply, ZapStatus};
use oxmq::__internal::zmtp::{
    FrameDecoder, Greeting, Handshake, HandshakeConfig, HandshakeStatus, Mechanism, Metadata,
    ProtocolError, SocketType, GREETING_LEN,
};
use oxmq_fuzz::curve::{client_keys, client_security, server_security};
use oxmq_fuzz::Input;

type Outcome = Result<HandshakeStatus, ProtocolError>;

/// The real peer's identity, which its properties carry.
const PEER_IDENTITY: &[u8] = b"peer";
/// Our socket type (DEALER) and identity (a server's goes into the ZAP
/// request).
const OURS: SocketType = SocketType::Dealer;
const OUR_IDENTITY: &[u8] = b"srv";

fn verdict(code: &[u8]) -> Vec<Bytes> {
    [b"" as &[u8], b"1.0", b"1", code, b"ok", b"user", b""]
        .into_iter()
        .map(Bytes::copy_from_slice)
        .collect()
}

/// Frames each made of a length byte and that many bytes (fewer at the
/// end).
fn length_prefixed(mut data: &[u8]) -> Vec<Bytes> {
    let mut frames = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        let (frame, tail) = rest.split_at(usize::from(len).min(rest.len()));
        frames.push(Bytes::copy_from_slice(frame));
        data = tail;
    }
    frames
}

/// The real peer: a genuine handshake of the other role, which reads what
/// ours writes.
struct Peer {
    hs: Handshake,
    out: BytesMut,
    inbox: BytesMut,
    status: Outcome,
    /// How much of `out` went out as units already.
    taken: usize,
    /// How much of our output it has read.
    read: usize,
}

impl Peer {
    fn new(config: HandshakeConfig) -> Peer {
        let mut out = BytesMut::new();
        let hs = Handshake::new(config, &mut out);
        Peer {
            hs,
            out,
            inbox: BytesMut::new(),
            status: Ok(HandshakeStatus::InProgress),
            taken: 0,
            read: 0,
        }
    }

    /// Reads what we wrote since the last call; a server peer's ZAP
    /// request is answered at once: no handler (CURVE goes on).
    fn read(&mut self, ours: &[u8]) {
        self.inbox.extend_from_slice(&ours[self.read..]);
        self.read = ours.len();
        if matches!(self.status, Ok(HandshakeStatus::InProgress)) {
            self.status = self.hs.feed(&mut self.inbox, &mut self.out);
        }
        if self.hs.take_zap_request().is_some() {
            self.status = self
                .hs
                .zap_answer(ZapOutcome::NoHandler, &mut self.inbox, &mut self.out);
        }
    }

    /// Its next unit: its greeting first, then one frame.
    fn next_unit(&mut self) -> Option<Vec<u8>> {
        let rest = &self.out[self.taken..];
        let len = if self.taken == 0 {
            GREETING_LEN
        } else {
            let mut buf = BytesMut::from(rest);
            let before = buf.len();
            FrameDecoder::new(None)
                .decode(&mut buf)
                .expect("the real peer writes valid frames")?;
            before - buf.len()
        };
        let unit = rest.get(..len)?.to_vec();
        self.taken += len;
        Some(unit)
    }

    fn is_done(&self) -> bool {
        matches!(self.status, Ok(HandshakeStatus::Done(_)))
    }
}

/// Cuts what is queued into chunks of the input's split sizes, cycling
/// (everything at once when there are none but zeros); a run of zero
/// sizes feeds one empty chunk.
struct Chunker<'a> {
    sizes: &'a [u8],
    cycling: bool,
    index: usize,
}

impl Chunker<'_> {
    fn next(&mut self, queued: usize) -> usize {
        if !self.cycling {
            return queued;
        }
        let size = usize::from(self.sizes[self.index % self.sizes.len()]);
        self.index += 1;
        if size == 0 {
            while self.sizes[self.index % self.sizes.len()] == 0 {
                self.index += 1;
            }
        }
        size.min(queued)
    }
}

/// The name and body length of each command we wrote after our greeting.
fn sent_commands(mut out: BytesMut, server: bool) -> Vec<(Vec<u8>, usize, Bytes)> {
    let g = Greeting::decode(&mut out)
        .expect("our greeting is valid")
        .expect("our greeting is complete");
    assert_eq!(g, Greeting::ours(Mechanism::Curve, server));
    let mut d = FrameDecoder::new(None);
    let mut sent = Vec::new();
    while let Some(f) = d.decode(&mut out).expect("we write valid frames") {
        assert!(f.command && !f.more, "a handshake writes commands only");
        let len = usize::from(*f.body.first().expect("a command has a name"));
        assert!(len > 0);
        let name = f.body.get(1..1 + len).expect("a whole name").to_vec();
        sent.push((name, f.body.len(), f.body));
    }
    assert!(out.is_empty(), "we wrote a partial frame");
    sent
}

fuzz_target!(|data: &[u8]| {
    let input = Input::parse(data);
    let server = input.mode & 1 != 0;
    let depth = usize::from((input.mode >> 1) & 3);
    let answer_kind = (input.mode >> 4) & 7;
    let peer_type = if input.mode & 0x80 != 0 {
        SocketType::Pub
    } else {
        SocketType::Router
    };
    let enforce = input.param & 0x100 != 0;
    let answer_at = usize::from(input.param & 0xff);

    // The alteration, if any, and the fuzzer's own bytes.
    let (alteration, stream) = if input.mode & 8 != 0 && depth > 0 {
        let head: Vec<u8> = (0..4)
            .map(|i| input.stream.get(i).copied().unwrap_or(0))
            .collect();
        let unit = usize::from(head[0]) % depth;
        let offset = usize::from(u16::from_be_bytes([head[1], head[2]]));
        (
            Some((unit, offset, head[3])),
            input.stream.get(4..).unwrap_or_default(),
        )
    } else {
        (None, input.stream)
    };
    let zap_frames = length_prefixed(&stream[stream.len().saturating_sub(96)..]);

    let zap = ZapConfig {
        domain: Bytes::from_static(b"global"),
        enforce,
    };
    let config = HandshakeConfig {
        socket_type: OURS,
        identity: server.then(|| Bytes::from_static(OUR_IDENTITY)),
        security: if server {
            server_security()
        } else {
            client_security()
        },
        peer_address: Bytes::from_static(b"127.0.0.1"),
        zap: zap.clone(),
    };
    let mut peer = Peer::new(HandshakeConfig {
        socket_type: peer_type,
        identity: Some(Bytes::from_static(PEER_IDENTITY)),
        security: if server {
            client_security()
        } else {
            server_security()
        },
        peer_address: Bytes::from_static(b"127.0.0.1"),
        zap: ZapConfig::default(),
    });

    let mut out = BytesMut::new();
    let mut hs = Handshake::new(config, &mut out);
    assert_eq!(out.len(), GREETING_LEN, "new() writes exactly our greeting");
    let mut inbox = BytesMut::new();
    let mut last: Outcome = Ok(HandshakeStatus::InProgress);
    let mut queued: Vec<u8> = Vec::new();
    let mut fed = 0usize;
    let mut units = 0usize;
    let mut genuine_done = depth == 0;
    let mut fuzz_queued = false;
    // Where each real unit ends in what we were fed, if it came intact.
    let mut intact_end: [Option<usize>; 3] = [None; 3];
    let mut chunker = Chunker {
        sizes: input.splits,
        cycling: input.splits.iter().any(|&s| s != 0),
        index: 0,
    };
    let mut feeds = 0usize;
    let mut request = None;
    let mut asked_at = None;
    let mut answered = false;

    let answer = |hs: &mut Handshake, inbox: &mut BytesMut, out: &mut BytesMut| {
        let outcome = match answer_kind {
            0 => ZapOutcome::Reply(verdict(b"200")),
            1 => ZapOutcome::Reply(verdict(b"300")),
            2 => ZapOutcome::Reply(verdict(b"400")),
            3 => ZapOutcome::Reply(verdict(b"500")),
            4 => ZapOutcome::Reply(zap_frames.clone()),
            5 => ZapOutcome::NoHandler,
            _ => ZapOutcome::HandlerClosed,
        };
        (hs.zap_answer(outcome.clone(), inbox, out), outcome)
    };
    let mut outcome_given = None;

    loop {
        if queued.is_empty() {
            if !genuine_done {
                peer.read(&out);
                match peer.next_unit() {
                    Some(mut unit) => {
                        match alteration {
                            Some((u, offset, x)) if u == units => {
                                let at = offset % unit.len();
                                if x != 0 {
                                    unit[at] ^= x;
                                } else {
                                    unit.truncate(at);
                                }
                            }
                            _ => intact_end[units] = Some(fed + unit.len()),
                        }
                        queued.extend_from_slice(&unit);
                        units += 1;
                        genuine_done = units == depth;
                    }
                    None => genuine_done = true,
                }
                continue;
            } else if !fuzz_queued {
                queued.extend_from_slice(stream);
                fuzz_queued = true;
                continue;
            } else {
                break;
            }
        }
        let n = chunker.next(queued.len());
        inbox.extend_from_slice(&queued[..n]);
        queued.drain(..n);
        fed += n;
        feeds += 1;
        let terminal = !matches!(last, Ok(HandshakeStatus::InProgress));
        let (in_before, out_before) = (inbox.len(), out.len());
        let result = hs.feed(&mut inbox, &mut out);
        if terminal {
            assert_eq!(result, last, "a finished handshake changed its result");
            assert_eq!(inbox.len(), in_before, "a finished handshake read input");
            assert_eq!(out.len(), out_before, "a finished handshake wrote");
        }
        assert_eq!(hs.is_done(), matches!(result, Ok(HandshakeStatus::Done(_))));
        last = result;
        if let Some(r) = hs.take_zap_request() {
            assert!(server, "a client asked for a verdict");
            assert!(request.is_none(), "asked twice");
            request = Some(r);
            asked_at = Some(fed);
        }
        if hs.is_authenticating() && feeds >= answer_at && !answered && answer_kind != 7 {
            let (result, outcome) = answer(&mut hs, &mut inbox, &mut out);
            last = result;
            outcome_given = Some(outcome);
            answered = true;
        }
    }
    if hs.is_authenticating() && !answered && answer_kind != 7 {
        let (result, outcome) = answer(&mut hs, &mut inbox, &mut out);
        last = result;
        outcome_given = Some(outcome);
        answered = true;
    }
    assert_eq!(answered, outcome_given.is_some());
    // Once more, now that nothing is left: the same result.
    {
        let (in_before, out_before) = (inbox.len(), out.len());
        let again = hs.feed(&mut inbox, &mut out);
        if !matches!(last, Ok(HandshakeStatus::InProgress)) {
            assert_eq!(again, last, "a finished handshake changed its result");
            assert_eq!((inbox.len(), out.len()), (in_before, out_before));
        }
        last = again;
    }
    assert_eq!(hs.is_done(), matches!(last, Ok(HandshakeStatus::Done(_))));

    let sent = sent_commands(out.clone(), server);
    let no_alteration = alteration.is_none();
    // The real peer's properties, as they reach us before any verdict.
    let mut theirs = Metadata::new();
    theirs.insert(
        "Socket-Type",
        Bytes::from_static(peer_type.as_str().as_bytes()),
    );
    theirs.insert("Identity", Bytes::from_static(PEER_IDENTITY));

    if server {
        // The client's commands are HELLO (unit 1) and INITIATE (unit 2).
        let initiate_end = intact_end[2];
        let client_key = client_keys().public_key();
        if let Some(r) = &request {
            let at = asked_at.expect("asked");
            assert!(
                initiate_end.is_some_and(|end| at >= end),
                "asked before the real INITIATE came whole and intact"
            );
            assert!(intact_end[1].is_some(), "asked with an altered HELLO");
            assert_eq!(r.mechanism, Mechanism::Curve);
            assert_eq!(
                r.credentials,
                [Bytes::copy_from_slice(client_key.as_bytes())]
            );
            assert_eq!(r.domain, zap.domain);
            assert_eq!(&r.address[..], b"127.0.0.1");
            assert_eq!(&r.identity[..], OUR_IDENTITY);
            assert_eq!(&r.request_id[..], b"1");
        } else if no_alteration && depth == 3 {
            panic!("the real HELLO and INITIATE did not reach the verdict");
        }
        assert!(request.is_some() || !answered);

        // What the answer leads to (SPEC §9.2), and the properties then.
        let expected: Option<Result<Metadata, ProtocolError>> = outcome_given.clone().map(|o| {
            let approval = match o {
                ZapOutcome::Reply(frames) => match ZapReply::parse(&frames, b"1") {
                    Err(e) => return Err(ProtocolError::ZapReply(e)),
                    Ok(r) if r.status == ZapStatus::Success => Some(r),
                    Ok(r) => {
                        return Err(ProtocolError::AuthenticationFailed {
                            status: r.status.code(),
                        })
                    }
                },
                ZapOutcome::HandlerClosed => {
                    return Err(ProtocolError::NoZapHandler(
                        "the handler closed before it replied",
                    ))
                }
                ZapOutcome::NoHandler if enforce => {
                    return Err(ProtocolError::NoZapHandler(
                        "none is bound at inproc://zeromq.zap.01",
                    ))
                }
                ZapOutcome::NoHandler => None,
            };
            let mut md = theirs.clone();
            match approval {
                Some(a) => {
                    md.insert("User-Id", a.user_id.clone());
                    for (name, value) in a.metadata.iter() {
                        md.insert(name, value.clone());
                    }
                }
                None => md.remove("User-Id"),
            }
            match md.socket_type() {
                Ok(t) if OURS.is_compatible_with(t) => Ok(md),
                Ok(t) => Err(ProtocolError::IncompatibleSocketType {
                    ours: OURS,
                    theirs: t,
                }),
                Err(e) => Err(e),
            }
        });
        match (&expected, &last) {
            (None, Ok(HandshakeStatus::Done(_))) => panic!("done without a verdict"),
            (None, _) => {}
            (Some(Ok(md)), Ok(HandshakeStatus::Done(p))) => {
                assert_eq!(&p.metadata, md);
                assert_eq!(p.identity.as_ref(), md.identity());
                assert_eq!(Ok(p.socket_type), md.socket_type());
                assert!(OURS.is_compatible_with(p.socket_type));
                let reply = matches!(outcome_given, Some(ZapOutcome::Reply(_)));
                assert_eq!(p.authenticated, reply);
                if answer_kind == 0 {
                    assert_eq!(
                        p.metadata.get("User-Id").map(|v| &v[..]),
                        Some(&b"user"[..])
                    );
                }
            }
            (Some(Ok(_)), other) => panic!("approved, yet {other:?}"),
            (Some(Err(e)), other) => assert_eq!(other, &Err(e.clone())),
        }
        // WELCOME first; then READY once done, or one ERROR: the
        // handler's refusal or a refused socket type.
        for (i, (name, len, body)) in sent.iter().enumerate() {
            match &name[..] {
                b"WELCOME" => assert!(i == 0 && *len == 168, "WELCOME at {i}, {len} bytes"),
                b"READY" => {
                    assert!(i == 1 && *len >= 30, "READY at {i}, {len} bytes");
                    assert!(hs.is_done(), "READY, and not done");
                }
                b"ERROR" => {
                    assert_eq!(i, 1, "ERROR at {i}");
                    // "\x05ERROR", the reason's length, the reason.
                    let reason = body.get(6..).expect("ERROR has a reason");
                    match &last {
                        Err(ProtocolError::AuthenticationFailed { status }) => {
                            assert!(matches!(status, 400 | 500));
                            assert_eq!(&reason[1..], status.to_string().as_bytes());
                        }
                        Err(ProtocolError::IncompatibleSocketType { .. })
                        | Err(ProtocolError::UnknownSocketType(_))
                        | Err(ProtocolError::MissingSocketType) => {
                            assert_eq!(&reason[1..], b"Invalid socket type");
                        }
                        other => panic!("ERROR sent, and {other:?}"),
                    }
                }
                other => panic!("a server sent {}", String::from_utf8_lossy(other)),
            }
        }
        if matches!(
            last,
            Err(ProtocolError::AuthenticationFailed { status: 400 | 500 })
        ) {
            assert!(
                sent.iter().any(|(n, ..)| n == b"ERROR"),
                "a refusal without ERROR"
            );
        }
    } else {
        // The server's commands are WELCOME (unit 1) and READY (unit 2).
        for (i, (name, len, _)) in sent.iter().enumerate() {
            match (i, &name[..]) {
                (0, b"HELLO") => {
                    assert_eq!(*len, 200);
                    assert!(fed >= GREETING_LEN, "HELLO before the server's greeting");
                }
                (1, b"INITIATE") => {
                    assert!(*len >= 257, "INITIATE of {len} bytes");
                    assert!(intact_end[1].is_some(), "INITIATE after an altered WELCOME");
                }
                (i, other) => panic!("a client sent {} at {i}", String::from_utf8_lossy(other)),
            }
        }
        if let Ok(HandshakeStatus::Done(p)) = &last {
            assert!(intact_end[2].is_some(), "done without the real READY");
            assert_eq!(sent.len(), 2, "done without INITIATE");
            let mut md = theirs.clone();
            md.remove("User-Id");
            assert_eq!(p.metadata, md);
            assert_eq!(p.socket_type, peer_type);
            assert!(OURS.is_compatible_with(p.socket_type));
            assert_eq!(p.identity.as_deref(), Some(PEER_IDENTITY));
            assert!(!p.authenticated);
        }
        if no_alteration && depth == 3 {
            let want = if OURS.is_compatible_with(peer_type) {
                assert!(
                    hs.is_done(),
                    "the real server's units did not finish: {last:?}"
                );
                None
            } else {
                Some(Err(ProtocolError::PeerError("Invalid socket type".into())))
            };
            if let Some(want) = want {
                assert_eq!(last, want);
            }
        }
        if no_alteration && depth >= 2 {
            assert_eq!(sent.len().min(2), 2, "the real WELCOME got no INITIATE");
        }
    }

    // The data phase: what follows in the stream cannot open (nobody else
    // has the key), and a genuine MESSAGE still does after it.
    if let Ok(HandshakeStatus::Done(_)) = &last {
        let mut transform = hs.transform();
        assert!(!transform.is_identity());
        let mut decoder = FrameDecoder::new(Some(64 * 1024));
        while let Ok(Some(frame)) = decoder.decode(&mut inbox) {
            let got = transform.decode(frame);
            assert!(got.is_err(), "a frame nobody sealed opened: {got:?}");
        }
        peer.read(&out);
        if peer.is_done() {
            let mut theirs = peer.hs.transform();
            let mut wire = BytesMut::new();
            theirs.encode(b"genuine", true, false, &mut wire);
            let frame = FrameDecoder::new(None).decode(&mut wire).unwrap().unwrap();
            let got = transform.decode(frame).expect("a genuine MESSAGE opens");
            assert_eq!(
                (&got.body[..], got.more, got.command),
                (&b"genuine"[..], true, false)
            );
            transform.encode(b"back", false, true, &mut wire);
            let frame = FrameDecoder::new(None).decode(&mut wire).unwrap().unwrap();
            let got = theirs.decode(frame).expect("our MESSAGE opens");
            assert_eq!(
                (&got.body[..], got.more, got.command),
                (&b"back"[..], false, true)
            );
        } else {
            // The real peer saw our part intact: it must be done too.
            // (Unless the handler's metadata named another socket type
            // than the real peer's, which then refuses ours.)
            assert!(
                !no_alteration || depth < 3 || !server || !OURS.is_compatible_with(peer_type),
                "the real client did not finish: {:?}",
                peer.status
            );
        }
    }
});
