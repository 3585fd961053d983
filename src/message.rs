//! Messages: one or more frames of bytes (SPEC §5.1).

use bytes::Bytes;

/// A message: an ordered list of one or more frames (SPEC §5.1).
///
/// Frames are [`Bytes`], so building a message from `Bytes` and sending it
/// does not copy the payload; over inproc the very same `Bytes` reach the
/// receiver. A single-frame message is stored without a separate allocation
/// for the frame list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    frames: Frames,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Frames {
    One(Bytes),
    Many(Vec<Bytes>),
}

impl Message {
    /// A message of one empty frame.
    pub fn new() -> Self {
        Message {
            frames: Frames::One(Bytes::new()),
        }
    }

    /// Builds a message from its frames. An empty list gives a message of
    /// one empty frame, since a ZeroMQ message always has at least one.
    pub fn from_frames(frames: Vec<Bytes>) -> Self {
        match frames.len() {
            0 => Message::new(),
            1 => {
                let mut frames = frames;
                Message {
                    frames: Frames::One(frames.pop().unwrap_or_default()),
                }
            }
            _ => Message {
                frames: Frames::Many(frames),
            },
        }
    }

    /// The frames, in order (never empty).
    pub fn frames(&self) -> &[Bytes] {
        match &self.frames {
            Frames::One(b) => std::slice::from_ref(b),
            Frames::Many(v) => v,
        }
    }

    /// Consumes the message, returning its frames.
    pub fn into_frames(self) -> Vec<Bytes> {
        match self.frames {
            Frames::One(b) => vec![b],
            Frames::Many(v) => v,
        }
    }

    /// Appends a frame at the end.
    pub fn push_back(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        match &mut self.frames {
            Frames::Many(v) => v.push(frame),
            Frames::One(first) => {
                let first = std::mem::take(first);
                self.frames = Frames::Many(vec![first, frame]);
            }
        }
    }

    /// Inserts a frame at the front (used for envelopes).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        match &mut self.frames {
            Frames::Many(v) => v.insert(0, frame),
            Frames::One(first) => {
                let first = std::mem::take(first);
                self.frames = Frames::Many(vec![frame, first]);
            }
        }
    }

    /// Number of frames (at least 1).
    pub fn len(&self) -> usize {
        self.frames().len()
    }

    /// Always false: a message has at least one frame. Present for clippy's
    /// `len_without_is_empty` and for symmetry with collections.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Total payload bytes over all frames.
    pub fn byte_len(&self) -> usize {
        self.frames().iter().map(Bytes::len).sum()
    }

    /// The single frame of a one-frame message, or `None` for multipart.
    pub fn into_single(self) -> Option<Bytes> {
        match self.frames {
            Frames::One(b) => Some(b),
            Frames::Many(_) => None,
        }
    }

    /// The single frame of a one-frame message, or the message back.
    pub(crate) fn try_into_single(self) -> Result<Bytes, Message> {
        match self.frames {
            Frames::One(b) => Ok(b),
            Frames::Many(mut v) if v.len() == 1 => Ok(v.pop().unwrap_or_default()),
            frames => Err(Message { frames }),
        }
    }

    /// The first frame.
    pub fn first(&self) -> &Bytes {
        &self.frames()[0]
    }
}

impl Default for Message {
    fn default() -> Self {
        Message::new()
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message {
            frames: Frames::One(b),
        }
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Self {
        Message::from(Bytes::from(v))
    }
}

impl From<&'static str> for Message {
    fn from(s: &'static str) -> Self {
        Message::from(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Message {
    fn from(s: &'static [u8]) -> Self {
        Message::from(Bytes::from_static(s))
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::from(Bytes::from(s))
    }
}

impl From<Vec<Bytes>> for Message {
    fn from(v: Vec<Bytes>) -> Self {
        Message::from_frames(v)
    }
}

impl<const N: usize> From<[Bytes; N]> for Message {
    fn from(a: [Bytes; N]) -> Self {
        Message::from_frames(a.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multipart() {
        let m = Message::from(Bytes::from_static(b"a"));
        assert_eq!(m.len(), 1);
        assert_eq!(m.clone().into_single().unwrap(), Bytes::from_static(b"a"));
        let mut m2 = m.clone();
        m2.push_back(Bytes::from_static(b"b"));
        m2.push_front(Bytes::from_static(b"0"));
        assert_eq!(m2.frames(), &[&b"0"[..], b"a", b"b"]);
        assert_eq!(m2.byte_len(), 3);
        assert!(m2.into_single().is_none());
        assert_eq!(Message::from_frames(vec![]).frames(), &[Bytes::new()]);
    }

    #[test]
    fn bytes_are_not_copied() {
        let b = Bytes::from(vec![7u8; 1000]);
        let p = b.as_ptr();
        let m = Message::from(b);
        assert_eq!(m.first().as_ptr(), p);
    }
}
