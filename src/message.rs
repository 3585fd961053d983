//! Messages: ordered lists of frames of bytes (SPEC §5.1).

use std::fmt;

use bytes::Bytes;

/// A message: an ordered list of frames (SPEC §5.1).
///
/// Frames are [`Bytes`], so building a message from `Bytes` and sending it
/// does not copy the payload; over inproc the very same `Bytes` reach the
/// receiver. A single-frame message is stored without a separate
/// allocation for the frame list.
///
/// A message is a collection of frames: [`len`](Self::len) counts them,
/// [`is_empty`](Self::is_empty) says there are none, and it can be
/// indexed, iterated, collected and extended. A received message always
/// has at least one frame. One built with no frames
/// ([`Message::new`], or collected from nothing) is sent as a single
/// empty frame, the shortest message ZMTP can carry.
///
/// ```
/// use bytes::Bytes;
/// use oxmq::Message;
///
/// let mut m: Message = ["a", "b"].into_iter().map(Bytes::from).collect();
/// m.extend([Bytes::from("c")]);
/// assert_eq!(m.len(), 3);
/// assert_eq!(m[1], "b");
/// assert_eq!(m.iter().map(|f| f.len()).sum::<usize>(), 3);
/// let copied = String::from("owned");
/// assert_eq!(Message::from(copied.as_str()).first(), "owned");
/// assert!(Message::new().is_empty());
/// ```
///
/// A message received from a peer that the ZAP handler approved carries
/// that peer's [`Properties`] (SPEC §9.2): [`property`](Self::property)
/// reads one, as libzmq's `zmq_msg_gets` does. Equality compares the
/// frames only.
#[derive(Clone, Debug)]
pub struct Message {
    frames: Frames,
    properties: Option<Properties>,
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.frames == other.frames
    }
}

impl Eq for Message {}

/// The properties of the peer a message came from (SPEC §9.2): what it
/// announced in its handshake (`Socket-Type`, `Identity`, ...), the
/// ZAP handler's `User-Id` and metadata, and `Peer-Address`. Names are
/// compared without regard to ASCII case, as ZMTP says. Cloning shares
/// them: every message from one connection holds the same list, behind
/// one thin pointer (a message is moved by value through every pipe).
#[derive(Clone, PartialEq, Eq)]
pub struct Properties(std::sync::Arc<Vec<(String, Bytes)>>);

impl Properties {
    /// Properties from `(name, value)` pairs, in order.
    pub fn new(pairs: impl IntoIterator<Item = (String, Bytes)>) -> Properties {
        Properties(std::sync::Arc::new(pairs.into_iter().collect()))
    }

    /// The value of the property `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every property, in the order they were given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(n, v)| (n, String::from_utf8_lossy(v))))
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Frames {
    One(Bytes),
    /// Zero frames, or two and more.
    Many(Vec<Bytes>),
}

/// What [`Message::first`] gives for a message without frames.
static EMPTY: Bytes = Bytes::new();

impl Message {
    /// A message without frames, to push frames into.
    pub fn new() -> Self {
        Message {
            frames: Frames::Many(Vec::new()),
            properties: None,
        }
    }

    /// Builds a message from its frames, in order. The payloads are not
    /// copied.
    pub fn from_frames(mut frames: Vec<Bytes>) -> Self {
        if frames.len() == 1 {
            if let Some(f) = frames.pop() {
                return Message::from(f);
            }
        }
        Message {
            frames: Frames::Many(frames),
            properties: None,
        }
    }

    /// The frames, in order.
    pub fn frames(&self) -> &[Bytes] {
        match &self.frames {
            Frames::One(b) => std::slice::from_ref(b),
            Frames::Many(v) => v,
        }
    }

    /// An iterator over the frames, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.frames().iter()
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
            Frames::Many(v) if v.is_empty() => self.frames = Frames::One(frame),
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
            Frames::Many(v) if v.is_empty() => self.frames = Frames::One(frame),
            Frames::Many(v) => v.insert(0, frame),
            Frames::One(first) => {
                let first = std::mem::take(first);
                self.frames = Frames::Many(vec![frame, first]);
            }
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames().len()
    }

    /// Whether the message has no frames.
    pub fn is_empty(&self) -> bool {
        self.frames().is_empty()
    }

    /// Total payload bytes over all frames.
    pub fn byte_len(&self) -> usize {
        self.frames().iter().map(Bytes::len).sum()
    }

    /// The single frame of a one-frame message, or `None` otherwise.
    pub fn into_single(self) -> Option<Bytes> {
        self.try_into_single().ok()
    }

    /// The single frame of a one-frame message, or the message back.
    pub(crate) fn try_into_single(self) -> Result<Bytes, Message> {
        match self.frames {
            Frames::One(b) => Ok(b),
            Frames::Many(mut v) if v.len() == 1 => Ok(v.pop().unwrap_or_default()),
            frames => Err(Message {
                frames,
                properties: self.properties,
            }),
        }
    }

    /// The property `name` of the peer this message came from (SPEC §9.2),
    /// such as `User-Id`; `None` for a message from a peer no ZAP handler
    /// approved, or one built here.
    pub fn property(&self, name: &str) -> Option<&Bytes> {
        self.properties.as_ref()?.get(name)
    }

    /// All properties of the peer this message came from (SPEC §9.2).
    pub fn properties(&self) -> Option<&Properties> {
        self.properties.as_ref()
    }

    /// Gives the message its sender's properties (the session, on receipt).
    pub(crate) fn set_properties(&mut self, properties: Properties) {
        self.properties = Some(properties);
    }

    /// The message with `properties` (those of the message it was cut
    /// from, for a socket that strips an envelope).
    pub(crate) fn with_properties(mut self, properties: Option<Properties>) -> Message {
        self.properties = properties;
        self
    }

    /// The first frame (the topic of a pub/sub message); an empty one for
    /// a message without frames.
    pub fn first(&self) -> &Bytes {
        self.frames().first().unwrap_or(&EMPTY)
    }
}

impl Default for Message {
    fn default() -> Self {
        Message::new()
    }
}

impl std::ops::Index<usize> for Message {
    type Output = Bytes;

    /// The frame at `index`. Panics if there is no such frame, as slices
    /// do.
    fn index(&self, index: usize) -> &Bytes {
        &self.frames()[index]
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_frames().into_iter()
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Into<Bytes>> FromIterator<T> for Message {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Message::from_frames(iter.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Bytes>> Extend<T> for Message {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for f in iter {
            self.push_back(f);
        }
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message {
            frames: Frames::One(b),
            properties: None,
        }
    }
}

impl From<Vec<u8>> for Message {
    /// One frame owning the vector (no copy).
    fn from(v: Vec<u8>) -> Self {
        Message::from(Bytes::from(v))
    }
}

impl From<String> for Message {
    /// One frame owning the string's bytes (no copy).
    fn from(s: String) -> Self {
        Message::from(Bytes::from(s))
    }
}

impl From<&str> for Message {
    /// One frame, a copy of the string's bytes.
    fn from(s: &str) -> Self {
        Message::from(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<&[u8]> for Message {
    /// One frame, a copy of the bytes.
    fn from(s: &[u8]) -> Self {
        Message::from(Bytes::copy_from_slice(s))
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    /// One frame, a copy of the bytes.
    fn from(s: &[u8; N]) -> Self {
        Message::from(&s[..])
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

    /// Messages move through every pipe by value: the properties (a thin
    /// pointer, `None` for most) add 8 bytes to the frames, not a fat
    /// pointer's 16. At 48 bytes (on x86-64) inproc 32 B PUSH/PULL ran about
    /// a fifth slower than at 32, before properties (benches/README.md).
    #[test]
    fn a_message_is_one_frame_and_one_pointer() {
        assert_eq!(
            std::mem::size_of::<Message>(),
            std::mem::size_of::<Bytes>() + std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn single_and_multipart() {
        let m = Message::from(Bytes::from_static(b"a"));
        assert_eq!(m.len(), 1);
        assert!(!m.is_empty());
        assert_eq!(m.clone().into_single().unwrap(), Bytes::from_static(b"a"));
        let mut m2 = m.clone();
        m2.push_back(Bytes::from_static(b"b"));
        m2.push_front(Bytes::from_static(b"0"));
        assert_eq!(m2.frames(), &[&b"0"[..], b"a", b"b"]);
        assert_eq!(m2.byte_len(), 3);
        assert_eq!(m2[2], "b");
        assert!(m2.into_single().is_none());
    }

    #[test]
    fn a_message_without_frames_is_empty_and_grows() {
        let mut m = Message::new();
        assert!(m.is_empty());
        assert_eq!((m.len(), m.first()), (0, &Bytes::new()));
        assert_eq!(Message::from_frames(vec![]), m);
        m.push_back("x");
        assert_eq!(m, Message::from("x"));
        let mut n = Message::default();
        n.push_front("y");
        assert_eq!(n.frames(), &["y"]);
        let collected: Message = Vec::<Bytes>::new().into_iter().collect();
        assert!(collected.is_empty());
    }

    #[test]
    fn collections_of_frames() {
        let m: Message = vec![Bytes::from("a"), Bytes::from("b")]
            .into_iter()
            .collect();
        let lens: Vec<usize> = (&m).into_iter().map(Bytes::len).collect();
        assert_eq!(lens, [1, 1]);
        let mut grown = Message::from("a");
        grown.extend(["b", "c"]);
        assert_eq!(grown.iter().collect::<Vec<_>>(), [&"a", &"b", &"c"]);
        let owned: Vec<Bytes> = grown.into_iter().collect();
        assert_eq!(owned.len(), 3);
    }

    #[test]
    fn conversions() {
        let s = String::from("text");
        let borrowed = Message::from(s.as_str());
        assert_eq!(borrowed.first(), "text");
        assert_ne!(
            borrowed.first().as_ptr(),
            s.as_ptr(),
            "a borrowed str is copied"
        );
        let v = [1u8, 2];
        assert_eq!(Message::from(&v[..]).first(), &v[..]);
        assert_eq!(Message::from(b"ab").first(), "ab");
        assert_eq!(Message::from(String::from("x")).first(), "x");
    }

    #[test]
    fn bytes_are_not_copied() {
        let b = Bytes::from(vec![7u8; 1000]);
        let p = b.as_ptr();
        let m = Message::from(b);
        assert_eq!(m.first().as_ptr(), p);
        let v = vec![3u8; 100];
        let pv = v.as_ptr();
        assert_eq!(Message::from(v).first().as_ptr(), pv);
    }
}
