//! The CURVE data phase (SPEC §9.5): a client's and a server's transform
//! under a fixed key, with the nonce counters a handshake leaves them,
//! exchange MESSAGE frames that the input encodes, loses, alters, cuts, extends,
//! duplicates, reorders, splits and delivers, and raw bytes it injects.
//!
//! Input: a sequence of operations, each an opcode byte and its operands
//! (a missing byte reads as 0; the input ends the sequence). Opcode bit 0
//! is the direction (0: client to server, 1: server to client), bits 1-3
//! the operation:
//!
//! * 0 encode a frame: bit 4 MORE, bit 5 COMMAND (without MORE: a command
//!   never has it), bit 6 deliver it at once, unaltered; bit 7: a large
//!   body, the bytes repeated (one more byte: how many times); then a
//!   length byte and the body;
//! * 1 encode a command (PING, PONG, SUBSCRIBE or CANCEL, by the next
//!   byte modulo 4; PING: a 16-bit TTL), a length byte and its topic or
//!   context; bit 6 deliver it at once;
//! * 2 deliver one frame in flight, picked by the next byte (modulo how
//!   many): bit 4 keeps it in flight too (a duplicate, to replay later);
//!   bits 5-6: 0 as it is, 1 one byte XORed (a 16-bit offset, modulo its
//!   length, and the byte; 0 counts as 0xff), 2 cut to a 16-bit length
//!   (modulo its length), 3 with bytes after it (a length byte and the
//!   bytes); bit 7: in two reads (a byte: where it splits, modulo its
//!   length);
//! * 3 deliver every frame in flight, in order, as it is;
//! * 4 inject raw bytes (a length byte and the bytes) into the stream;
//! * 5 lose one frame in flight (the next byte picks it);
//! * 6 toggle whether the receiver copies each frame's body into a buffer
//!   of its own before decoding it (so the box opens in place; otherwise
//!   it shares the receive buffer and is copied once);
//! * 7 encode a multipart message: a byte (1 + modulo 4 frames), each a
//!   length byte and its body; bit 6 deliver it at once.
//!
//! Checks: no panic; every encode writes exactly one well-formed MESSAGE
//! (a data frame without MORE, the name, the next short nonce, counted
//! from libzmq's 3 for the client and 2 for the server, then the box: 33
//! bytes more than the frame); each frame read off the receiver's stream
//! decodes exactly as an oracle says: a genuine MESSAGE (the very body
//! the peer sealed under its nonce) with a nonce above the last one
//! accepted gives back exactly the frame sealed, the same replayed or
//! late gives `InvalidNonce` with both nonces, anything else with such a
//! nonce `CryptoFailure`, and a frame that is not a MESSAGE
//! (`UnexpectedCommand`, `MalformedCurve`) a typed error too: never a
//! frame that was not sent. After an error (of the framing too) the
//! receiver is fed nothing more, as its connection would close; at the
//! end a live receiver that is not in the middle of a frame opens one
//! more fresh frame.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use oxmq::__internal::zmtp::{
    Command, Frame, FrameDecoder, ProtocolError, Transform, MAX_PING_CONTEXT,
};
use oxmq::{CurveBox, CurveCommand};

/// What a MESSAGE body starts with.
const MESSAGE: &[u8] = b"\x07MESSAGE";
/// A MESSAGE body's overhead: name, short nonce, tag, inner flags.
const OVERHEAD: usize = 33;
/// Each side's first MESSAGE nonce and the peer's last handshake nonce
/// (SPEC §9.5, as libzmq 4.3.5 counts): the client's HELLO is 1, its
/// INITIATE 2, its MESSAGEs from 3; the server's READY is 1, its
/// MESSAGEs from 2.
const FIRST_NONCE: [u64; 2] = [3, 2];
/// The largest frame a receiver accepts: past this the framing fails.
const MAX_FRAME: u64 = 1 << 20;

/// Reads operands; past the end every byte is 0.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    /// A length byte and up to that many bytes.
    fn bytes(&mut self) -> Vec<u8> {
        let len = usize::from(self.byte()).min(self.0.len());
        let (b, rest) = self.0.split_at(len);
        self.0 = rest;
        b.to_vec()
    }
}

/// A MESSAGE as its sender sealed it.
struct Sealed {
    /// The body of the frame on the wire (name, nonce, box).
    wire_body: Bytes,
    /// The frame it carries.
    plain: Frame,
}

/// One direction: a sender's transform, what it sealed, what is in
/// flight, and the receiver's stream and state.
struct Direction {
    /// What the sender sealed, by nonce from its first.
    sealed: Vec<Sealed>,
    /// Frames on the wire not yet delivered, as bytes.
    in_flight: Vec<Vec<u8>>,
    /// The receiver's unread bytes.
    inbox: BytesMut,
    decoder: FrameDecoder,
    /// The last nonce the receiver accepted.
    last: u64,
    /// Failed: fed nothing more.
    dead: bool,
    /// Copy bodies before decoding.
    own_bodies: bool,
    first: u64,
}

impl Direction {
    fn new(dir: usize) -> Direction {
        Direction {
            sealed: Vec::new(),
            in_flight: Vec::new(),
            inbox: BytesMut::new(),
            decoder: FrameDecoder::new(Some(MAX_FRAME)),
            // The sender's last handshake nonce: INITIATE's, READY's.
            last: FIRST_NONCE[dir] - 1,
            dead: false,
            own_bodies: false,
            first: FIRST_NONCE[dir],
        }
    }

    /// Records what `encode` wrote to `wire` (exactly one MESSAGE
    /// carrying `plain`) and puts it in flight.
    fn sent(&mut self, wire: BytesMut, plain: Frame) {
        let mut w = wire.clone();
        let frame = FrameDecoder::new(None)
            .decode(&mut w)
            .expect("we write valid frames")
            .expect("a whole frame");
        assert!(w.is_empty(), "one encode, one frame");
        assert!(!frame.more && !frame.command, "a MESSAGE is a data frame");
        assert_eq!(
            wire.len() - frame.body.len(),
            if frame.body.len() > 255 { 9 } else { 2 },
            "the shortest header"
        );
        let body = frame.body;
        assert_eq!(body.len(), OVERHEAD + plain.body.len());
        assert_eq!(&body[..8], MESSAGE);
        let nonce = u64::from_be_bytes(body[8..16].try_into().unwrap());
        assert_eq!(
            nonce,
            self.first + self.sealed.len() as u64,
            "nonces count up by one"
        );
        self.sealed.push(Sealed {
            wire_body: body,
            plain,
        });
        self.in_flight.push(wire.to_vec());
    }

    /// What decoding `frame` must give (SPEC §9.5), with the nonce of a
    /// MESSAGE that opens.
    fn oracle(&self, frame: &Frame) -> Result<(Frame, u64), ProtocolError> {
        let malformed = Err(ProtocolError::MalformedCurve {
            command: CurveCommand::Message,
            reason: String::new(),
        });
        if frame.command {
            return Err(ProtocolError::UnexpectedCommand(String::new()));
        }
        let body = &frame.body;
        if frame.more || !body.starts_with(MESSAGE) || body.len() < OVERHEAD {
            return malformed;
        }
        let nonce = u64::from_be_bytes(body[8..16].try_into().unwrap());
        if nonce <= self.last {
            return Err(ProtocolError::InvalidNonce {
                command: CurveCommand::Message,
                nonce,
                last: self.last,
            });
        }
        let genuine = nonce
            .checked_sub(self.first)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.sealed.get(i))
            .filter(|s| s.wire_body == *body);
        match genuine {
            Some(s) => Ok((s.plain.clone(), nonce)),
            // Nobody but the sender has the key: no other box opens.
            None => Err(ProtocolError::CryptoFailure(CurveBox::Message)),
        }
    }

    /// Appends `bytes` to the receiver's stream and decodes every whole
    /// frame in it, each checked against the oracle; the first error kills
    /// the receiver.
    fn receive(&mut self, receiver: &mut Transform, bytes: &[u8]) {
        if self.dead {
            return;
        }
        self.inbox.extend_from_slice(bytes);
        loop {
            let frame = match self.decoder.decode(&mut self.inbox) {
                Ok(Some(frame)) => frame,
                Ok(None) => return,
                Err(_) => {
                    self.dead = true;
                    return;
                }
            };
            let want = self.oracle(&frame);
            let frame = if self.own_bodies {
                Frame {
                    body: Bytes::from(frame.body.to_vec()),
                    ..frame
                }
            } else {
                frame
            };
            let got = receiver.decode(frame);
            match (&want, &got) {
                (Ok((w, nonce)), Ok(g)) => {
                    assert_eq!(w, g, "a genuine MESSAGE opened to another frame");
                    self.last = *nonce;
                    continue;
                }
                (_, Ok(g)) => panic!("decoded {g:?}; wanted {want:?}"),
                (Ok(_), Err(e)) => panic!("a genuine, fresh MESSAGE failed: {e}"),
                // The reason is free text.
                (
                    Err(ProtocolError::MalformedCurve { command: w, .. }),
                    Err(ProtocolError::MalformedCurve { command: g, .. }),
                ) => assert_eq!(w, g),
                (
                    Err(ProtocolError::UnexpectedCommand(_)),
                    Err(ProtocolError::UnexpectedCommand(_)),
                ) => {}
                (Err(w), Err(g)) => assert_eq!(w, g),
            }
            self.dead = true;
            return;
        }
    }
}

/// The key of the pair's boxes. A handshake per input (the first runs)
/// spent most of each execution in instrumented X25519: about 400
/// executions a second, against some 7,000 now. `curve_handshake` checks
/// that a real handshake's transforms open each other's MESSAGEs.
const KEY: [u8; 32] = [0x4b; 32];

fuzz_target!(|data: &[u8]| {
    let (client, server) = Transform::curve_pair(&KEY);
    let mut ends = [client, server];
    let mut dirs = [Direction::new(0), Direction::new(1)];
    let mut r = Reader(data);
    while !r.0.is_empty() {
        let op = r.byte();
        let d = usize::from(op & 1);
        let [a, b] = &mut ends;
        let (sender, receiver) = if d == 0 { (a, b) } else { (b, a) };
        let dir = &mut dirs[d];
        let at_once = op & 0x40 != 0;
        match (op >> 1) & 7 {
            0 => {
                let more = op & 0x10 != 0;
                let command = op & 0x20 != 0 && !more;
                let times = if op & 0x80 != 0 {
                    usize::from(r.byte())
                } else {
                    1
                };
                let body = r.bytes().repeat(times);
                let mut wire = BytesMut::new();
                sender.encode(&body, more, command, &mut wire);
                let plain = Frame {
                    more,
                    command,
                    body: Bytes::from(body),
                };
                dir.sent(wire, plain);
                if at_once {
                    let w = dir.in_flight.pop().unwrap();
                    dir.receive(receiver, &w);
                }
            }
            1 => {
                let command = match r.byte() % 4 {
                    0 => {
                        let ttl_deciseconds = r.u16();
                        let mut context = r.bytes();
                        context.truncate(MAX_PING_CONTEXT);
                        Command::Ping {
                            ttl_deciseconds,
                            context: context.into(),
                        }
                    }
                    1 => {
                        let mut context = r.bytes();
                        context.truncate(MAX_PING_CONTEXT);
                        Command::Pong {
                            context: context.into(),
                        }
                    }
                    2 => Command::Subscribe(r.bytes().into()),
                    _ => Command::Cancel(r.bytes().into()),
                };
                let mut plain = BytesMut::new();
                command.encode(&mut plain);
                let plain = FrameDecoder::new(None).decode(&mut plain).unwrap().unwrap();
                assert_eq!(Command::parse(plain.body.clone()).as_ref(), Ok(&command));
                let mut wire = BytesMut::new();
                sender.encode_command(&command, &mut wire);
                dir.sent(wire, plain);
                if at_once {
                    let w = dir.in_flight.pop().unwrap();
                    dir.receive(receiver, &w);
                }
            }
            2 => {
                let pick = usize::from(r.byte());
                if dir.in_flight.is_empty() {
                    continue;
                }
                let i = pick % dir.in_flight.len();
                let mut w = if op & 0x10 != 0 {
                    dir.in_flight[i].clone()
                } else {
                    dir.in_flight.remove(i)
                };
                match (op >> 5) & 3 {
                    0 => {}
                    1 => {
                        let at = usize::from(r.u16()) % w.len();
                        let x = r.byte();
                        w[at] ^= if x == 0 { 0xff } else { x };
                    }
                    2 => {
                        let keep = usize::from(r.u16()) % w.len();
                        w.truncate(keep);
                    }
                    _ => w.extend_from_slice(&r.bytes()),
                }
                if op & 0x80 != 0 && !w.is_empty() {
                    let at = usize::from(r.byte()) % w.len();
                    dir.receive(receiver, &w[..at]);
                    dir.receive(receiver, &w[at..]);
                } else {
                    dir.receive(receiver, &w);
                }
            }
            3 => {
                for w in std::mem::take(&mut dir.in_flight) {
                    dir.receive(receiver, &w);
                }
            }
            4 => {
                let raw = r.bytes();
                dir.receive(receiver, &raw);
            }
            5 => {
                let pick = usize::from(r.byte());
                if !dir.in_flight.is_empty() {
                    let i = pick % dir.in_flight.len();
                    dir.in_flight.remove(i);
                }
            }
            6 => dir.own_bodies = !dir.own_bodies,
            _ => {
                let parts = 1 + usize::from(r.byte() % 4);
                let bodies: Vec<Vec<u8>> = (0..parts).map(|_| r.bytes()).collect();
                let first_new = dir.in_flight.len();
                for (k, body) in bodies.into_iter().enumerate() {
                    let more = k + 1 < parts;
                    let mut wire = BytesMut::new();
                    sender.encode(&body, more, false, &mut wire);
                    let plain = Frame {
                        more,
                        command: false,
                        body: Bytes::from(body),
                    };
                    dir.sent(wire, plain);
                }
                if at_once {
                    for w in dir.in_flight.split_off(first_new) {
                        dir.receive(receiver, &w);
                    }
                }
            }
        }
    }
    // A receiver that is alive and between frames opens a fresh one.
    for (d, dir) in dirs.iter_mut().enumerate() {
        let [a, b] = &mut ends;
        let (sender, receiver) = if d == 0 { (a, b) } else { (b, a) };
        if dir.dead || !dir.inbox.is_empty() {
            continue;
        }
        let mut wire = BytesMut::new();
        sender.encode(b"fin", false, false, &mut wire);
        let plain = Frame {
            more: false,
            command: false,
            body: Bytes::from_static(b"fin"),
        };
        dir.sent(wire, plain);
        let w = dir.in_flight.pop().unwrap();
        let before = dir.last;
        dir.receive(receiver, &w);
        assert!(!dir.dead, "a live receiver refused a fresh MESSAGE");
        assert!(dir.last > before);
    }
});
