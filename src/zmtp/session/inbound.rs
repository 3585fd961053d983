//! Message assembly and the per-peer receive limits (SPEC §6.1): frames
//! in, whole messages out.

use bytes::{Bytes, BytesMut};

use crate::message::Message;
use crate::zmtp::error::ProtocolError;

/// What one peer may make a socket hold (SPEC §6.1, §7). The frame size
/// limit is checked by the frame decoder, from the header alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// `maxmsgsize`: the largest frame body; `None`: no limit.
    pub max_frame: Option<u64>,
    /// `max_frames`: the most frames in one message; `None`: no limit.
    pub max_frames: Option<usize>,
    /// `rcvhwm_bytes`: the largest message, all frames together; 0: no
    /// limit.
    pub max_message_bytes: usize,
}

/// What became of one frame given to [`Assembler::push`].
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Assembled {
    /// The message is not complete yet.
    Partial,
    /// A complete message.
    Message(Message),
    /// A complete multipart message on a socket type that takes single
    /// frames only (CLIENT, SERVER: RFC 41), discarded whole.
    DroppedMultipart,
}

/// The frames of a message still arriving.
#[derive(Debug)]
pub(super) struct Assembler {
    limits: Limits,
    /// CLIENT and SERVER: discard multipart messages (RFC 41).
    single_frame: bool,
    /// Frames received so far of the message being assembled.
    parts: Vec<Bytes>,
    /// Bytes in `parts`, checked against `limits.max_message_bytes`.
    parts_bytes: usize,
}

impl Assembler {
    pub(super) fn new(limits: Limits, single_frame: bool) -> Assembler {
        Assembler {
            limits,
            single_frame,
            parts: Vec::new(),
            parts_bytes: 0,
        }
    }

    /// Adds one message frame. Errors when the message breaks `max_frames`
    /// or `rcvhwm_bytes` (SPEC §6.1): the connection must then close.
    #[inline]
    pub(super) fn push(&mut self, body: Bytes, more: bool) -> Result<Assembled, ProtocolError> {
        if !more && self.parts.is_empty() {
            // A single-frame message: the common case, without the list.
            self.check(body.len())?;
            return Ok(Assembled::Message(Message::from(body)));
        }
        self.push_part(body, more)
    }

    /// Whether one more frame of `len` bytes keeps the message being
    /// assembled within the limits.
    #[inline]
    fn check(&self, len: usize) -> Result<(), ProtocolError> {
        if let Some(max) = self.limits.max_frames {
            if self.parts.len() >= max {
                return Err(ProtocolError::TooManyFrames { max });
            }
        }
        let max = self.limits.max_message_bytes;
        if max != 0 {
            let size = self.parts_bytes + len;
            if size > max {
                return Err(ProtocolError::MessageTooLarge {
                    size: size as u64,
                    max: max as u64,
                });
            }
        }
        Ok(())
    }

    /// A frame of a multipart message.
    fn push_part(&mut self, body: Bytes, more: bool) -> Result<Assembled, ProtocolError> {
        self.check(body.len())?;
        if more {
            self.parts_bytes += body.len();
            self.parts.push(body);
            return Ok(Assembled::Partial);
        }
        self.parts.push(body);
        self.parts_bytes = 0;
        let frames = std::mem::take(&mut self.parts);
        if self.single_frame {
            return Ok(Assembled::DroppedMultipart);
        }
        Ok(Assembled::Message(Message::from_frames(frames)))
    }
}

/// The message form of a subscription (`\x01topic`) or cancellation
/// (`\x00topic`), as ZMTP 3.0 carries them (RFC 29, SPEC §5.5).
pub fn subscription_message(subscribe: bool, topic: &[u8]) -> Message {
    let mut b = BytesMut::with_capacity(1 + topic.len());
    b.extend_from_slice(&[u8::from(subscribe)]);
    b.extend_from_slice(topic);
    Message::from(b.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[test]
    fn frames_make_messages() {
        let mut a = Assembler::new(Limits::default(), false);
        assert_eq!(a.push(b("x"), false), Ok(Assembled::Message("x".into())));
        assert_eq!(a.push(b("a"), true), Ok(Assembled::Partial));
        assert_eq!(a.push(b("b"), true), Ok(Assembled::Partial));
        let m = a.push(b("c"), false).unwrap();
        assert_eq!(
            m,
            Assembled::Message(Message::from_frames(vec![b("a"), b("b"), b("c")]))
        );
    }

    #[test]
    fn single_frame_sockets_drop_multipart_whole() {
        let mut a = Assembler::new(Limits::default(), true);
        assert_eq!(a.push(b("a"), true), Ok(Assembled::Partial));
        assert_eq!(a.push(b("b"), false), Ok(Assembled::DroppedMultipart));
        assert_eq!(a.push(b("c"), false), Ok(Assembled::Message("c".into())));
    }

    #[test]
    fn frame_count_limit() {
        let limits = Limits {
            max_frames: Some(2),
            ..Limits::default()
        };
        let mut a = Assembler::new(limits, false);
        a.push(b("1"), true).unwrap();
        assert!(matches!(a.push(b("2"), false), Ok(Assembled::Message(_))));
        a.push(b("1"), true).unwrap();
        a.push(b("2"), true).unwrap();
        assert_eq!(
            a.push(b("3"), false),
            Err(ProtocolError::TooManyFrames { max: 2 })
        );
    }

    #[test]
    fn message_byte_limit_counts_every_frame() {
        let limits = Limits {
            max_message_bytes: 5,
            ..Limits::default()
        };
        let mut a = Assembler::new(limits, false);
        assert!(matches!(
            a.push(b("12345"), false),
            Ok(Assembled::Message(_))
        ));
        a.push(b("123"), true).unwrap();
        assert_eq!(
            a.push(b("456"), false),
            Err(ProtocolError::MessageTooLarge { size: 6, max: 5 })
        );
    }
}
