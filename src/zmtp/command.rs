//! ZMTP commands: READY, ERROR, PING, PONG, SUBSCRIBE, CANCEL (SPEC §3.4),
//! and oxmq's ACK and BYE between peers that both offered resumption (SPEC §3.7).

use bytes::{BufMut, Bytes, BytesMut};

use super::error::ProtocolError;
use super::frame::frame_header;
use super::metadata::Metadata;

/// Largest PING/PONG context allowed by RFC 37 (SPEC §3.4).
pub const MAX_PING_CONTEXT: usize = 16;

/// Longest command name or ERROR reason: their lengths are one byte.
const MAX_SHORT_STRING: usize = u8::MAX as usize;

const READY: &[u8] = b"READY";
const ERROR: &[u8] = b"ERROR";
const PING: &[u8] = b"PING";
const PONG: &[u8] = b"PONG";
const SUBSCRIBE: &[u8] = b"SUBSCRIBE";
const CANCEL: &[u8] = b"CANCEL";
const ACK: &[u8] = b"ACK";
const BYE: &[u8] = b"BYE";

/// A command: the body of a frame with the COMMAND flag, made of a 1-byte
/// name length, the name and command-specific data (SPEC §3.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// READY: the NULL handshake's metadata (SPEC §3.2).
    Ready(Metadata),
    /// ERROR: a fatal refusal with a human-readable reason (SPEC §3.4).
    Error {
        /// The reason; at most 255 bytes are sent, cut at a character
        /// boundary. Decoded lossily as UTF-8.
        reason: String,
    },
    /// PING: heartbeat request (SPEC §3.4).
    Ping {
        /// Time-to-live hint in tenths of a second (0 = none).
        ttl_deciseconds: u16,
        /// Opaque context to echo in the PONG; at most 16 bytes (longer is
        /// refused on parse and truncated on encode).
        context: Bytes,
    },
    /// PONG: heartbeat reply echoing the PING context (SPEC §3.4). Its
    /// length is not checked on parse since only the peer's echo is affected.
    Pong {
        /// The echoed context.
        context: Bytes,
    },
    /// SUBSCRIBE (ZMTP 3.1): subscribe to a topic prefix (SPEC §3.4).
    Subscribe(Bytes),
    /// CANCEL (ZMTP 3.1): cancel one subscription to a prefix (SPEC §3.4).
    Cancel(Bytes),
    /// ACK (oxmq, SPEC §3.7): how many messages of the peer's session
    /// the sender has taken in, a big-endian u64. Sent only to a peer that
    /// offered resumption.
    Ack(u64),
    /// BYE (oxmq, SPEC §3.7): the sender's socket is closing or leaving
    /// this peer: the session ends with the connection, not to be
    /// resumed. Sent only to a peer that offered resumption.
    Bye,
    /// Any other command, returned rather than refused so the driver can
    /// ignore it (SPEC §3.4). Encoding truncates the name to 255 bytes.
    Unknown {
        /// The command name, decoded lossily as UTF-8.
        name: String,
        /// The command data.
        data: Bytes,
    },
}

impl Command {
    /// The command name as sent on the wire, e.g. `"READY"` (SPEC §3.4).
    pub fn name(&self) -> &str {
        match self {
            Command::Ready(_) => "READY",
            Command::Error { .. } => "ERROR",
            Command::Ping { .. } => "PING",
            Command::Pong { .. } => "PONG",
            Command::Subscribe(_) => "SUBSCRIBE",
            Command::Cancel(_) => "CANCEL",
            Command::Ack(_) => "ACK",
            Command::Bye => "BYE",
            Command::Unknown { name, .. } => name,
        }
    }

    /// Parses the body of a command frame (SPEC §3.4). Data is shared with
    /// `body`, except READY properties which are copied.
    ///
    /// Errors with [`ProtocolError::MalformedCommand`] on an empty body or
    /// name, a truncated name, an ERROR without its reason, a PING shorter
    /// than its TTL or with a context above 16 bytes; and with
    /// [`ProtocolError::MalformedMetadata`] on a bad READY.
    pub fn parse(body: Bytes) -> Result<Command, ProtocolError> {
        let malformed = |msg: String| Err(ProtocolError::MalformedCommand(msg));
        let Some((&name_len, rest)) = body.split_first() else {
            return malformed("empty command frame".into());
        };
        let name_len = usize::from(name_len);
        if name_len == 0 {
            return malformed("command name has zero length".into());
        }
        let Some(name) = rest.get(..name_len) else {
            return malformed(format!(
                "command name of {name_len} bytes is truncated to {} bytes",
                rest.len()
            ));
        };
        // `1 + name_len <= body.len()` was just checked, so this cannot fail.
        let data = body.slice(1 + name_len..);
        Ok(match name {
            READY => Command::Ready(Metadata::decode(&data)?),
            ERROR => {
                let Some((&len, text)) = data.split_first() else {
                    return malformed("ERROR command has no reason length".into());
                };
                let Some(reason) = text.get(..usize::from(len)) else {
                    return malformed(format!(
                        "ERROR reason of {len} bytes is truncated to {} bytes",
                        text.len()
                    ));
                };
                Command::Error {
                    reason: String::from_utf8_lossy(reason).into_owned(),
                }
            }
            PING => {
                let Some((ttl, _)) = data.split_first_chunk::<2>() else {
                    return malformed(format!("PING of {} bytes has no 2-byte TTL", data.len()));
                };
                let ttl_deciseconds = u16::from_be_bytes(*ttl);
                let context = data.slice(2..);
                if context.len() > MAX_PING_CONTEXT {
                    return malformed(format!(
                        "PING context of {} bytes exceeds {MAX_PING_CONTEXT} bytes",
                        context.len()
                    ));
                }
                Command::Ping {
                    ttl_deciseconds,
                    context,
                }
            }
            PONG => Command::Pong { context: data },
            SUBSCRIBE => Command::Subscribe(data),
            CANCEL => Command::Cancel(data),
            // Of another length it is some other peer's command of that
            // name, which RFC 37 says to ignore: left unknown.
            ACK if data.len() == 8 => {
                let mut count = [0; 8];
                count.copy_from_slice(&data);
                Command::Ack(u64::from_be_bytes(count))
            }
            BYE if data.is_empty() => Command::Bye,
            other => Command::Unknown {
                name: String::from_utf8_lossy(other).into_owned(),
                data,
            },
        })
    }

    /// Appends a complete command frame (header and body) to `out`
    /// (SPEC §3.3, §3.4).
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Command::Ready(metadata) => {
                let mut data = BytesMut::with_capacity(metadata.encoded_len());
                metadata.encode(&mut data);
                put_command(out, READY, &[&data]);
            }
            Command::Error { reason } => {
                let reason = truncate(reason, MAX_SHORT_STRING).as_bytes();
                put_command(out, ERROR, &[&[reason.len() as u8], reason]);
            }
            Command::Ping {
                ttl_deciseconds,
                context,
            } => {
                let context = context.get(..MAX_PING_CONTEXT).unwrap_or(context);
                put_command(out, PING, &[&ttl_deciseconds.to_be_bytes(), context]);
            }
            Command::Pong { context } => put_command(out, PONG, &[context]),
            Command::Subscribe(topic) => put_command(out, SUBSCRIBE, &[topic]),
            Command::Cancel(topic) => put_command(out, CANCEL, &[topic]),
            Command::Ack(count) => put_command(out, ACK, &[&count.to_be_bytes()]),
            Command::Bye => put_command(out, BYE, &[]),
            Command::Unknown { name, data } => {
                put_command(out, truncate(name, MAX_SHORT_STRING).as_bytes(), &[data]);
            }
        }
    }
}

/// Appends a command frame whose body is the name (at most 255 bytes) then
/// the concatenation of `parts`.
fn put_command(out: &mut BytesMut, name: &[u8], parts: &[&[u8]]) {
    let data_len = parts.iter().map(|p| p.len()).fold(0, usize::saturating_add);
    let body_len = data_len.saturating_add(1 + name.len());
    let (header, header_len) = frame_header(body_len, false, true);
    out.reserve(body_len.saturating_add(header_len));
    out.put_slice(&header[..header_len]);
    out.put_u8(name.len() as u8);
    out.put_slice(name);
    for part in parts {
        out.put_slice(part);
    }
}

/// The longest prefix of `s` of at most `max` bytes ending on a character
/// boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::frame::FrameDecoder;
    use super::*;
    use proptest::prelude::*;

    fn round_trip(cmd: &Command) -> Command {
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        let frame = FrameDecoder::new(None).decode(&mut out).unwrap().unwrap();
        assert!(out.is_empty());
        assert!(frame.command && !frame.more);
        Command::parse(frame.body).unwrap()
    }

    #[test]
    fn ready_wire_format() {
        let mut md = Metadata::new();
        md.insert("Socket-Type", Bytes::from_static(b"ROUTER"));
        let mut out = BytesMut::new();
        Command::Ready(md.clone()).encode(&mut out);
        let mut expected = vec![0x04, 28, 5];
        expected.extend_from_slice(b"READY");
        expected.push(11);
        expected.extend_from_slice(b"Socket-Type");
        expected.extend_from_slice(&[0, 0, 0, 6]);
        expected.extend_from_slice(b"ROUTER");
        assert_eq!(&out[..], &expected[..]);
        md.insert("Identity", Bytes::from_static(b"\x01peer"));
        md.insert("X-Custom", Bytes::from(vec![7u8; 300]));
        let cmd = Command::Ready(md);
        assert_eq!(round_trip(&cmd), cmd);
        assert_eq!(cmd.name(), "READY");
    }

    #[test]
    fn simple_round_trips() {
        let cmds = [
            Command::Error {
                reason: "Invalid socket type".into(),
            },
            Command::Error {
                reason: String::new(),
            },
            Command::Ping {
                ttl_deciseconds: 300,
                context: Bytes::from_static(b"0123456789abcdef"),
            },
            Command::Ping {
                ttl_deciseconds: 0,
                context: Bytes::new(),
            },
            Command::Pong {
                context: Bytes::from_static(b"ctx"),
            },
            Command::Subscribe(Bytes::from_static(b"topic")),
            Command::Subscribe(Bytes::new()),
            Command::Cancel(Bytes::from(vec![0u8; 1000])),
            Command::Ack(0),
            Command::Ack(u64::MAX - 1),
            Command::Bye,
            Command::Unknown {
                name: "JOIN".into(),
                data: Bytes::from_static(b"group"),
            },
        ];
        for cmd in &cmds {
            assert_eq!(&round_trip(cmd), cmd);
        }
        let mut out = BytesMut::new();
        Command::Subscribe(Bytes::from_static(b"A")).encode(&mut out);
        assert_eq!(&out[..], b"\x04\x0b\x09SUBSCRIBEA");
        out.clear();
        Command::Ping {
            ttl_deciseconds: 0x0102,
            context: Bytes::from_static(b"x"),
        }
        .encode(&mut out);
        assert_eq!(&out[..], b"\x04\x08\x04PING\x01\x02x");
    }

    #[test]
    fn encode_truncates_overlong_fields() {
        let long = "é".repeat(200); // 400 bytes
        match round_trip(&Command::Error { reason: long }) {
            Command::Error { reason } => assert_eq!(reason, "é".repeat(127)),
            other => panic!("{other:?}"),
        }
        let ping = Command::Ping {
            ttl_deciseconds: 1,
            context: Bytes::from(vec![9u8; 40]),
        };
        assert_eq!(
            round_trip(&ping),
            Command::Ping {
                ttl_deciseconds: 1,
                context: Bytes::from(vec![9u8; 16]),
            }
        );
    }

    #[test]
    fn malformed_commands() {
        let cases: &[&[u8]] = &[
            b"",
            b"\x00",
            b"\x05REA",
            b"\x05ERROR",
            b"\x05ERROR\x05abc",
            b"\x04PING",
            b"\x04PING\x00",
            b"\x04PING\x00\x0100000000000000000",
        ];
        for case in cases {
            assert!(
                matches!(
                    Command::parse(Bytes::copy_from_slice(case)),
                    Err(ProtocolError::MalformedCommand(_))
                ),
                "{case:?}"
            );
        }
        assert!(matches!(
            Command::parse(Bytes::from_static(b"\x05READY\x00")),
            Err(ProtocolError::MalformedMetadata(_))
        ));
        // Lenient: trailing bytes after an ERROR reason are ignored, and a
        // lowercase name is an unknown command.
        assert_eq!(
            Command::parse(Bytes::from_static(b"\x05ERROR\x02nope")),
            Ok(Command::Error {
                reason: "no".into()
            })
        );
        assert!(matches!(
            Command::parse(Bytes::from_static(b"\x05ready")),
            Ok(Command::Unknown { .. })
        ));
        // An ACK of any length but 8 is another peer's command.
        for odd in [
            &b"\x03ACK"[..],
            b"\x03ACK\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert!(matches!(
                Command::parse(Bytes::copy_from_slice(odd)),
                Ok(Command::Unknown { .. })
            ));
        }
    }

    fn arb_command() -> impl Strategy<Value = Command> {
        let bytes = |max: usize| prop::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from);
        let metadata = prop::collection::vec(("[A-Za-z][A-Za-z0-9._+-]{0,30}", bytes(300)), 0..6)
            .prop_map(|props| {
                let mut md = Metadata::new();
                for (name, value) in props {
                    md.insert(&name, value);
                }
                md
            });
        prop_oneof![
            metadata.prop_map(Command::Ready),
            "[ -~]{0,255}".prop_map(|reason| Command::Error { reason }),
            (any::<u16>(), bytes(17)).prop_map(|(ttl_deciseconds, context)| Command::Ping {
                ttl_deciseconds,
                context
            }),
            bytes(17).prop_map(|context| Command::Pong { context }),
            bytes(400).prop_map(Command::Subscribe),
            bytes(400).prop_map(Command::Cancel),
            any::<u64>().prop_map(Command::Ack),
            Just(Command::Bye),
            ("[A-Z]{1,40}", bytes(300))
                .prop_filter("not a known command", |(name, _)| {
                    ![
                        "READY",
                        "ERROR",
                        "PING",
                        "PONG",
                        "SUBSCRIBE",
                        "CANCEL",
                        "ACK",
                        "BYE",
                    ]
                    .contains(&name.as_str())
                })
                .prop_map(|(name, data)| Command::Unknown { name, data }),
        ]
    }

    proptest! {
        #[test]
        fn command_round_trip(cmd in arb_command()) {
            prop_assert_eq!(round_trip(&cmd), cmd);
        }

        #[test]
        fn parse_never_panics(data in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = Command::parse(Bytes::from(data));
        }
    }
}
