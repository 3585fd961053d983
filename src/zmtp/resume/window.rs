//! The window of unacknowledged messages (SPEC §3.7), kept as the encoded
//! bytes that went on the wire: the write buffer's chunks are shared with
//! the window, not copied, and nothing is cloned per message. Each message
//! is a range of the window's byte stream; the commands that went out
//! between messages (ACKs, heartbeats) are in the chunks too, outside every
//! range, and are never sent again.
//!
//! Resumption happens only under NULL, whose bytes on the wire are the
//! frames themselves, so a range is sent again as it is; the frames can
//! also be read back as messages (for a peer that does not resume).

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};

use crate::message::Message;
use crate::zmtp::frame::{encode_message, FLAG_LONG, FLAG_MORE};

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Window {
    /// Retained bytes, in stream order. Invariant: none is empty.
    chunks: VecDeque<Bytes>,
    /// Stream offset of the first byte of `chunks`.
    start: u64,
    /// Stream offset just past the last byte of `chunks`.
    end: u64,
    /// Each unacknowledged message: the stream offsets of its first byte
    /// and just past its last, in order.
    msgs: VecDeque<(u64, u64)>,
    /// The bytes of the kept messages, commands between them not counted.
    bytes: u64,
}

impl Window {
    /// An empty window.
    pub fn new() -> Window {
        Window::default()
    }

    /// A window holding `msgs`, encoded, in order.
    pub fn from_messages<'a>(msgs: impl IntoIterator<Item = &'a Message>) -> Window {
        let mut w = Window::new();
        for m in msgs {
            w.push(m);
        }
        w
    }

    /// Encodes `msg` and keeps it as the newest unacknowledged message.
    pub fn push(&mut self, msg: &Message) {
        let mut b = BytesMut::new();
        // A message without frames goes as one empty frame (SPEC §5.1).
        match msg.frames() {
            [] => encode_message(&[Bytes::new()], &mut b),
            frames => encode_message(frames, &mut b),
        }
        let start = self.end;
        self.retain(b.freeze());
        self.record(start, self.end);
    }

    /// Messages kept.
    pub fn len(&self) -> usize {
        self.msgs.len()
    }

    /// Whether no message is kept.
    pub fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }

    /// The bytes of the kept messages as they went on the wire.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Forgets every message.
    pub fn clear(&mut self) {
        self.msgs.clear();
        self.bytes = 0;
        self.chunks.clear();
        self.start = self.end;
    }

    /// Stream offset just past the last byte retained: where the next
    /// retained byte goes.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Keeps `chunk`, the next bytes of the stream.
    pub(crate) fn retain(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        if self.chunks.is_empty() {
            self.start = self.end;
        }
        self.end += chunk.len() as u64;
        self.chunks.push_back(chunk);
    }

    /// A message went out as the stream's bytes `start..end` (retained, or
    /// to be retained next).
    pub(crate) fn record(&mut self, start: u64, end: u64) {
        self.bytes += end - start;
        self.msgs.push_back((start, end));
    }

    /// The oldest `n` messages were acknowledged: drops them, and the
    /// chunks no kept message needs.
    pub fn drop_front(&mut self, n: usize) {
        let n = n.min(self.msgs.len());
        for (s, e) in self.msgs.drain(..n) {
            self.bytes -= e - s;
        }
        // Bytes before the oldest kept message are no longer needed; with
        // none kept, everything retained so far is not.
        let keep_from = self.msgs.front().map_or(self.end, |&(s, _)| s);
        while let Some(front) = self.chunks.front() {
            let front_end = self.start + front.len() as u64;
            if front_end > keep_from {
                break;
            }
            self.start = front_end;
            self.chunks.pop_front();
        }
    }

    /// The bytes of the kept messages, in order, as slices of the retained
    /// chunks (adjacent messages as one run): what is sent again.
    pub fn resend(&self) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut run: Option<(u64, u64)> = None;
        for &(s, e) in &self.msgs {
            match &mut run {
                Some((_, end)) if *end == s => *end = e,
                _ => {
                    if let Some((a, b)) = run.take() {
                        self.slices(a, b, &mut out);
                    }
                    run = Some((s, e));
                }
            }
        }
        if let Some((a, b)) = run {
            self.slices(a, b, &mut out);
        }
        out
    }

    /// Appends the retained bytes `from..to` to `out`, one slice per chunk
    /// they touch.
    fn slices(&self, from: u64, to: u64, out: &mut Vec<Bytes>) {
        let mut at = self.start;
        for c in &self.chunks {
            let c_end = at + c.len() as u64;
            if c_end > from && at < to {
                let a = from.saturating_sub(at) as usize;
                let b = (to.min(c_end) - at) as usize;
                out.push(c.slice(a..b));
            }
            if c_end >= to {
                break;
            }
            at = c_end;
        }
    }

    /// The kept messages read back from their frames, in order; the frames
    /// share the retained chunks' memory.
    pub fn messages(&self) -> VecDeque<Message> {
        let mut out = VecDeque::with_capacity(self.msgs.len());
        let mut one = Vec::new();
        for &(s, e) in &self.msgs {
            one.clear();
            self.slices(s, e, &mut one);
            out.push_back(read_frames(one.drain(..).collect()));
        }
        out
    }
}

/// The bytes `msg` takes on the wire under NULL: its frames and their
/// headers (SPEC §3.3).
pub fn wire_len(msg: &Message) -> u64 {
    let frame = |n: usize| n as u64 + if n <= 255 { 2 } else { 9 };
    match msg.frames() {
        [] => 2,
        frames => frames.iter().map(|f| frame(f.len())).sum(),
    }
}

/// The message whose frames (as this side encoded them) are the bytes of
/// `parts`, in order.
fn read_frames(mut parts: VecDeque<Bytes>) -> Message {
    let mut frames = Vec::new();
    while let Some(flags) = take(&mut parts, 1).map(|b| b[0]) {
        let len = if flags & FLAG_LONG == 0 {
            take(&mut parts, 1).map_or(0, |b| u64::from(b[0]))
        } else {
            take(&mut parts, 8).map_or(0, |mut b| b.get_u64())
        };
        frames.push(take(&mut parts, len as usize).unwrap_or_default());
        if flags & FLAG_MORE == 0 {
            break;
        }
    }
    Message::from_frames(frames)
}

/// The next `n` bytes of `parts`: a slice when one part holds them, a copy
/// when they straddle two (only a frame header can).
fn take(parts: &mut VecDeque<Bytes>, n: usize) -> Option<Bytes> {
    while parts.front().is_some_and(Bytes::is_empty) {
        parts.pop_front();
    }
    let front = parts.front_mut()?;
    if front.len() >= n {
        return Some(front.split_to(n));
    }
    let mut b = BytesMut::with_capacity(n);
    while b.len() < n {
        let f = parts.front_mut()?;
        let k = (n - b.len()).min(f.len());
        b.extend_from_slice(&f.split_to(k));
        if f.is_empty() {
            parts.pop_front();
        }
    }
    Some(b.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(parts: &[&str]) -> Message {
        Message::from_frames(parts.iter().map(|p| Bytes::from(p.to_string())).collect())
    }

    #[test]
    fn messages_read_back_as_they_were_pushed() {
        let big = "x".repeat(300);
        let ms = [
            msg(&["a"]),
            msg(&["b", "", "c"]),
            msg(&[&big, "d"]),
            msg(&[]),
        ];
        let w = Window::from_messages(&ms);
        assert_eq!(w.len(), 4);
        let back = w.messages();
        assert_eq!(
            back.iter().take(3).collect::<Vec<_>>(),
            ms.iter().take(3).collect::<Vec<_>>()
        );
        // No frames went as one empty frame.
        assert_eq!(back[3].frames(), &[Bytes::new()]);
    }

    #[test]
    fn bytes_between_messages_are_not_sent_again() {
        let mut w = Window::new();
        // A stream as the write buffer seals it: a command (4 bytes), one
        // message, another command, two messages, the last one's large
        // body in a chunk of its own.
        let mut b = BytesMut::new();
        b.extend_from_slice(&[4, 2, b'h', b'i']);
        let m1 = w.end() + b.len() as u64;
        encode_message(&[Bytes::from_static(b"one")], &mut b);
        let m1_end = w.end() + b.len() as u64;
        b.extend_from_slice(&[4, 1, b'z']);
        let m2 = w.end() + b.len() as u64;
        encode_message(&[Bytes::from_static(b"two")], &mut b);
        let m3 = w.end() + b.len() as u64;
        b.extend_from_slice(&[FLAG_LONG, 0, 0, 0, 0, 0, 0, 1, 0]);
        w.retain(b.freeze());
        w.retain(Bytes::from(vec![7u8; 256]));
        let end = w.end();
        w.record(m1, m1_end);
        w.record(m2, m3);
        w.record(m3, end);
        let again: Vec<u8> = w.resend().iter().flat_map(|b| b.to_vec()).collect();
        let mut expect = BytesMut::new();
        encode_message(&[Bytes::from_static(b"one")], &mut expect);
        encode_message(&[Bytes::from_static(b"two")], &mut expect);
        encode_message(&[Bytes::from(vec![7u8; 256])], &mut expect);
        assert_eq!(again, expect.to_vec());
        let back = w.messages();
        assert_eq!(back[2].frames(), &[Bytes::from(vec![7u8; 256])]);
        // Acknowledged, the first chunk is dropped only once no kept
        // message needs it.
        w.drop_front(2);
        assert_eq!(w.chunks.len(), 2);
        assert_eq!(
            w.resend().concat(),
            [&[FLAG_LONG, 0, 0, 0, 0, 0, 0, 1, 0][..], &[7; 256]].concat()
        );
        w.drop_front(1);
        assert!(w.is_empty() && w.chunks.is_empty());
        assert!(w.resend().is_empty());
        assert_eq!(w.bytes(), 0);
    }
}
