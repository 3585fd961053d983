//! ZMTP framing: decoder and encoders (SPEC §3.3).

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::error::ProtocolError;

/// Flags bit 0: more frames of the same message follow (SPEC §3.3).
pub const FLAG_MORE: u8 = 0x01;
/// Flags bit 1: the size field is 8 bytes instead of 1 (SPEC §3.3).
pub const FLAG_LONG: u8 = 0x02;
/// Flags bit 2: the frame is a command, not a message frame (SPEC §3.3).
pub const FLAG_COMMAND: u8 = 0x04;

/// All flag bits that have a meaning; the others are reserved and must be 0.
const KNOWN_FLAGS: u8 = FLAG_MORE | FLAG_LONG | FLAG_COMMAND;

/// Size of a short header: flags + 1-byte size.
const SHORT_HEADER_LEN: usize = 2;

/// Size of a long header: flags + 8-byte size.
const LONG_HEADER_LEN: usize = 9;

/// One decoded frame: a message part or a command (SPEC §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The MORE flag: another frame of the same message follows.
    pub more: bool,
    /// The COMMAND flag: this frame is a command (see [`super::Command`]).
    pub command: bool,
    /// The frame body, sharing the receive buffer's memory.
    pub body: Bytes,
}

/// A validated frame header.
struct Header {
    flags: u8,
    header_len: usize,
    body_len: u64,
}

/// Parses and validates the header at the front of `buf`; `Ok(None)` when it
/// is incomplete. Flags are checked as soon as the first byte is present.
fn parse_header(buf: &[u8]) -> Result<Option<Header>, ProtocolError> {
    let Some(&flags) = buf.first() else {
        return Ok(None);
    };
    if flags & !KNOWN_FLAGS != 0 || (flags & FLAG_COMMAND != 0 && flags & FLAG_MORE != 0) {
        return Err(ProtocolError::InvalidFlags(flags));
    }
    if flags & FLAG_LONG == 0 {
        Ok(buf.get(1).map(|&len| Header {
            flags,
            header_len: SHORT_HEADER_LEN,
            body_len: u64::from(len),
        }))
    } else {
        let Some(size) = buf
            .get(1..LONG_HEADER_LEN)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
        else {
            return Ok(None);
        };
        let body_len = u64::from_be_bytes(size);
        if i64::try_from(body_len).is_err() {
            return Err(ProtocolError::InvalidLength(body_len));
        }
        Ok(Some(Header {
            flags,
            header_len: LONG_HEADER_LEN,
            body_len,
        }))
    }
}

/// Incremental frame decoder (SPEC §3.3).
///
/// The decoder keeps no partial state: while a frame is incomplete it
/// consumes nothing and re-reads the (at most 9-byte) header on the next call,
/// so it works equally when fed one byte at a time or many frames at once.
/// It never allocates: the body is split off the caller's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameDecoder {
    max_frame: Option<u64>,
}

impl FrameDecoder {
    /// A decoder refusing frames whose body is larger than `max_frame` bytes
    /// (the `maxmsgsize` option, applied per frame); `None` means unlimited
    /// (SPEC §3.3).
    pub fn new(max_frame: Option<u64>) -> Self {
        FrameDecoder { max_frame }
    }

    /// The per-frame size limit this decoder enforces (SPEC §3.3).
    pub fn max_frame(&self) -> Option<u64> {
        self.max_frame
    }

    /// Decodes at most one frame from the front of `buf` (SPEC §3.3).
    ///
    /// Returns `Ok(None)` if the frame is incomplete; nothing is consumed
    /// then. Header errors are reported as soon as the header bytes are
    /// present, before the body arrives:
    /// reserved flag bits or MORE on a command give
    /// [`ProtocolError::InvalidFlags`], a length with the top bit set or not
    /// fitting `usize` gives [`ProtocolError::InvalidLength`], and a length
    /// above the maximum gives [`ProtocolError::FrameTooLarge`]. The body is
    /// split off `buf` without copying.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        let Some(header) = parse_header(buf)? else {
            return Ok(None);
        };
        let total = self.check(&header)?;
        if buf.len() < total {
            return Ok(None);
        }
        buf.advance(header.header_len);
        let body = buf.split_to(total - header.header_len).freeze();
        Ok(Some(Frame {
            more: header.flags & FLAG_MORE != 0,
            command: header.flags & FLAG_COMMAND != 0,
            body,
        }))
    }

    /// How many more bytes the frame at the front of `buf` needs, once its
    /// header is complete and valid (`Some(0)` if the whole frame is present);
    /// `None` while the header is incomplete or invalid (SPEC §3.3). The value
    /// comes from the peer: callers must cap any reservation based on it.
    pub fn bytes_needed(&self, buf: &BytesMut) -> Option<usize> {
        let header = parse_header(buf).ok().flatten()?;
        let total = self.check(&header).ok()?;
        Some(total.saturating_sub(buf.len()))
    }

    /// Checks the length against the platform and the configured maximum;
    /// returns the total frame size (header + body).
    fn check(&self, header: &Header) -> Result<usize, ProtocolError> {
        let size = header.body_len;
        let total = usize::try_from(size)
            .ok()
            .and_then(|len| len.checked_add(header.header_len))
            .ok_or(ProtocolError::InvalidLength(size))?;
        match self.max_frame {
            Some(max) if size > max => Err(ProtocolError::FrameTooLarge { size, max }),
            _ => Ok(total),
        }
    }
}

/// Builds a frame header (SPEC §3.3): short form for bodies up to 255 bytes,
/// long form above. Returns the header buffer and how many of its bytes are
/// used (2 or 9). Lets a driver write a large body straight from its `Bytes`.
/// A command frame never has MORE set: callers must not pass both flags.
pub fn frame_header(body_len: usize, more: bool, command: bool) -> ([u8; 9], usize) {
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    let mut header = [0u8; LONG_HEADER_LEN];
    match u8::try_from(body_len) {
        Ok(short) => {
            header[0] = flags;
            header[1] = short;
            (header, SHORT_HEADER_LEN)
        }
        Err(_) => {
            header[0] = flags | FLAG_LONG;
            header[1..].copy_from_slice(&(body_len as u64).to_be_bytes());
            (header, LONG_HEADER_LEN)
        }
    }
}

/// Appends one frame (header and body) to `out` (SPEC §3.3): short form for
/// bodies up to 255 bytes, long form above.
pub fn encode_frame(body: &[u8], more: bool, command: bool, out: &mut BytesMut) {
    let (header, len) = frame_header(body.len(), more, command);
    out.reserve(len + body.len());
    out.put_slice(&header[..len]);
    out.put_slice(body);
}

/// Appends all frames of a multipart message to `out`, with MORE set on every
/// frame but the last (SPEC §3.3). An empty slice appends nothing.
pub fn encode_message(frames: &[Bytes], out: &mut BytesMut) {
    let total: usize = frames
        .iter()
        .map(|f| f.len().saturating_add(LONG_HEADER_LEN))
        .fold(0, usize::saturating_add);
    out.reserve(total);
    let last = frames.len().saturating_sub(1);
    for (i, frame) in frames.iter().enumerate() {
        encode_frame(frame, i != last, false, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(decoder: &mut FrameDecoder, buf: &mut BytesMut) -> Vec<Frame> {
        let mut frames = Vec::new();
        while let Some(f) = decoder.decode(buf).unwrap() {
            frames.push(f);
        }
        frames
    }

    #[test]
    fn boundaries_encode_and_decode() {
        for len in [0usize, 1, 255, 256, 65536] {
            let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut out = BytesMut::new();
            encode_frame(&body, true, false, &mut out);
            let header_len = if len <= 255 { 2 } else { 9 };
            assert_eq!(out.len(), header_len + len);
            if len <= 255 {
                assert_eq!(&out[..2], &[FLAG_MORE, len as u8]);
            } else {
                assert_eq!(out[0], FLAG_MORE | FLAG_LONG);
                assert_eq!(&out[1..9], &(len as u64).to_be_bytes());
            }
            let expected = Frame {
                more: true,
                command: false,
                body: Bytes::from(body.clone()),
            };

            // All at once, followed by a second frame.
            let mut buf = out.clone();
            encode_frame(b"tail", false, true, &mut buf);
            let mut dec = FrameDecoder::new(None);
            let frames = decode_all(&mut dec, &mut buf);
            assert_eq!(frames.len(), 2);
            assert_eq!(frames[0], expected);
            assert_eq!(&frames[1].body[..], b"tail");
            assert!(frames[1].command && !frames[1].more);
            assert!(buf.is_empty());

            // Byte by byte.
            let mut buf = BytesMut::new();
            let mut got = None;
            for (i, b) in out.iter().enumerate() {
                buf.put_u8(*b);
                let needed = dec.bytes_needed(&buf);
                if i + 1 >= header_len {
                    assert_eq!(needed, Some(out.len() - i - 1));
                } else {
                    assert_eq!(needed, None);
                }
                if let Some(f) = dec.decode(&mut buf).unwrap() {
                    assert_eq!(i + 1, out.len());
                    got = Some(f);
                }
            }
            assert_eq!(got, Some(expected));
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn long_form_with_small_length_is_accepted() {
        let mut buf = BytesMut::from(&[FLAG_LONG, 0, 0, 0, 0, 0, 0, 0, 3, b'a', b'b', b'c'][..]);
        let f = FrameDecoder::new(None).decode(&mut buf).unwrap().unwrap();
        assert_eq!(&f.body[..], b"abc");
        assert!(!f.more && !f.command);
        let mut buf = BytesMut::from(&[FLAG_LONG | FLAG_COMMAND, 0, 0, 0, 0, 0, 0, 0, 0][..]);
        let f = FrameDecoder::new(None).decode(&mut buf).unwrap().unwrap();
        assert!(f.command && f.body.is_empty());
    }

    #[test]
    fn header_helper() {
        assert_eq!(
            frame_header(0, false, true),
            ([4, 0, 0, 0, 0, 0, 0, 0, 0], 2)
        );
        assert_eq!(frame_header(255, true, false).1, 2);
        let (h, n) = frame_header(256, false, false);
        assert_eq!(&h[..n], &[2, 0, 0, 0, 0, 0, 0, 1, 0]);
    }

    #[test]
    fn flag_errors() {
        let mut dec = FrameDecoder::new(None);
        for flags in [0x08u8, 0x10, 0x80, 0xFF, 0x0F] {
            let mut buf = BytesMut::from(&[flags][..]);
            assert_eq!(
                dec.decode(&mut buf),
                Err(ProtocolError::InvalidFlags(flags))
            );
        }
        for flags in [
            FLAG_COMMAND | FLAG_MORE,
            FLAG_COMMAND | FLAG_MORE | FLAG_LONG,
        ] {
            let mut buf = BytesMut::from(&[flags, 0][..]);
            assert_eq!(
                dec.decode(&mut buf),
                Err(ProtocolError::InvalidFlags(flags))
            );
        }
    }

    #[test]
    fn too_large_is_refused_from_the_header() {
        let mut dec = FrameDecoder::new(Some(10));
        let mut buf = BytesMut::from(&[0u8, 11][..]);
        assert_eq!(
            dec.decode(&mut buf),
            Err(ProtocolError::FrameTooLarge { size: 11, max: 10 })
        );
        assert_eq!(dec.bytes_needed(&buf), None);
        let mut buf = BytesMut::from(&[0u8, 10][..]);
        assert_eq!(dec.decode(&mut buf), Ok(None));
        assert_eq!(dec.bytes_needed(&buf), Some(10));
        let (h, n) = frame_header(1 << 40, false, false);
        let mut buf = BytesMut::from(&h[..n]);
        assert_eq!(
            dec.decode(&mut buf),
            Err(ProtocolError::FrameTooLarge {
                size: 1 << 40,
                max: 10
            })
        );
    }

    #[test]
    fn huge_lengths_are_invalid_without_allocating() {
        for len in [1u64 << 63, u64::MAX] {
            let mut buf = BytesMut::with_capacity(9);
            buf.put_u8(FLAG_LONG);
            buf.put_u64(len);
            let cap = buf.capacity();
            for max in [None, Some(1000)] {
                let mut dec = FrameDecoder::new(max);
                assert_eq!(dec.decode(&mut buf), Err(ProtocolError::InvalidLength(len)));
                assert_eq!(dec.bytes_needed(&buf), None);
            }
            assert_eq!(buf.capacity(), cap);
            assert_eq!(buf.len(), 9);
        }
        // i64::MAX itself is a legal length: just incomplete.
        let mut buf = BytesMut::new();
        buf.put_u8(FLAG_LONG);
        buf.put_u64(i64::MAX as u64);
        let mut dec = FrameDecoder::new(None);
        if usize::BITS >= 64 {
            assert_eq!(dec.decode(&mut buf), Ok(None));
        }
    }

    #[test]
    fn encode_message_sets_more() {
        let mut out = BytesMut::new();
        encode_message(&[], &mut out);
        assert!(out.is_empty());
        let parts = [
            Bytes::from_static(b"a"),
            Bytes::new(),
            Bytes::from_static(b"c"),
        ];
        encode_message(&parts, &mut out);
        assert_eq!(&out[..], &[1, 1, b'a', 1, 0, 0, 1, b'c']);
    }

    proptest! {
        #[test]
        fn message_round_trip_in_chunks(
            messages in prop::collection::vec(
                prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 1..5),
                1..4,
            ),
            chunks in prop::collection::vec(1usize..400, 1..40),
        ) {
            let messages: Vec<Vec<Bytes>> = messages
                .into_iter()
                .map(|m| m.into_iter().map(Bytes::from).collect())
                .collect();
            let mut wire = BytesMut::new();
            for m in &messages {
                encode_message(m, &mut wire);
            }
            let mut dec = FrameDecoder::new(None);
            let mut buf = BytesMut::new();
            let mut got: Vec<Vec<Bytes>> = Vec::new();
            let mut current = Vec::new();
            let mut pos = 0;
            let mut chunk_iter = chunks.iter().cycle();
            while pos < wire.len() {
                let step = (*chunk_iter.next().unwrap()).min(wire.len() - pos);
                buf.extend_from_slice(&wire[pos..pos + step]);
                pos += step;
                while let Some(frame) = dec.decode(&mut buf).unwrap() {
                    prop_assert!(!frame.command);
                    current.push(frame.body);
                    if !frame.more {
                        got.push(std::mem::take(&mut current));
                    }
                }
            }
            prop_assert!(buf.is_empty());
            prop_assert!(current.is_empty());
            prop_assert_eq!(got, messages);
        }

        #[test]
        fn decoder_never_panics(
            data in prop::collection::vec(any::<u8>(), 0..2000),
            max in prop::option::of(0u64..5000),
        ) {
            let mut dec = FrameDecoder::new(max);
            let mut buf = BytesMut::from(&data[..]);
            loop {
                let _ = dec.bytes_needed(&buf);
                match dec.decode(&mut buf) {
                    Ok(Some(f)) => {
                        if let Some(m) = max {
                            prop_assert!(f.body.len() as u64 <= m);
                        }
                    }
                    Ok(None) | Err(_) => break,
                }
            }
        }
    }
}
