//! What both session targets check, whatever the peer sends.

use bytes::{Bytes, BytesMut};
use oxmq::__internal::zmtp::{
    Command, FrameDecoder, Greeting, Limits, Mechanism, Session, SessionEnd, SessionEvent,
    SocketType, GREETING_LEN,
};
use oxmq::Message;
use std::io::IoSlice;
use std::time::Instant;

/// Everything a session gave out so far, checked as it comes.
pub struct Observer {
    ours: SocketType,
    limits: Limits,
    /// Every byte we were asked to write.
    pub written: Vec<u8>,
    /// Messages handed out.
    pub messages: Vec<Message>,
    established: bool,
    end: Option<SessionEnd>,
}

impl Observer {
    pub fn new(ours: SocketType, limits: Limits) -> Observer {
        Observer {
            ours,
            limits,
            written: Vec::new(),
            messages: Vec::new(),
            established: false,
            end: None,
        }
    }

    /// Takes what the session has for us: up to `budget` bytes of output
    /// (the rest stays, as when a socket buffer is full), every message
    /// and every event, checking each.
    pub fn collect(&mut self, s: &mut Session, mut budget: usize) {
        while budget > 0 {
            let mut iov = [IoSlice::new(&[]); 8];
            let n = s.poll_transmit(&mut iov);
            if n == 0 {
                break;
            }
            let mut took = 0;
            for slice in &iov[..n] {
                let k = slice.len().min(budget - took);
                self.written.extend_from_slice(&slice[..k]);
                took += k;
                if took == budget {
                    break;
                }
            }
            assert!(took > 0, "poll_transmit offered only empty slices");
            s.transmitted(took);
            budget -= took;
        }
        // Events first (the messages of this step may have come after the
        // handshake finished in it); an end seen in an earlier step means
        // no message may come now.
        let ended_before = self.end.is_some();
        while let Some(ev) = s.poll_event() {
            match ev {
                SessionEvent::Established(info) => {
                    assert!(!self.established, "established twice");
                    assert!(self.end.is_none(), "established after the end");
                    assert!(self.ours.is_compatible_with(info.socket_type));
                    assert!(info.minor_version <= 1);
                    assert_eq!(info.identity.as_ref(), info.metadata.identity());
                    self.established = true;
                }
                SessionEvent::MultipartDropped => {
                    assert!(matches!(self.ours, SocketType::Client | SocketType::Server));
                }
                SessionEvent::ZapRequest(_) => panic!("a NULL session asked for a ZAP verdict"),
                SessionEvent::ResumeLookup(_) | SessionEvent::Resumed(_) => {
                    panic!("a session that does not offer resumption resumed")
                }
                SessionEvent::Closed(end) => {
                    assert!(self.end.is_none(), "closed twice");
                    assert_eq!(s.end(), Some(&end), "the event and end() disagree");
                    self.end = Some(end);
                }
            }
        }
        while let Some(m) = s.poll_message() {
            assert!(self.established, "a message before the handshake finished");
            assert!(!ended_before, "a message decoded after the end");
            self.check_message(&m);
            self.messages.push(m);
        }
        // Once set, the end never changes, and nothing times out after it.
        assert_eq!(s.end(), self.end.as_ref());
        if self.end.is_some() {
            assert_eq!(s.poll_timeout(), None);
            assert!(!s.is_established());
        }
        assert_eq!(s.is_established(), self.established && self.end.is_none());
    }

    fn check_message(&self, m: &Message) {
        assert!(!m.is_empty(), "a received message has a frame");
        if let Some(max) = self.limits.max_frames {
            assert!(m.len() <= max, "{} frames above max_frames {max}", m.len());
        }
        if self.limits.max_message_bytes != 0 {
            assert!(m.byte_len() <= self.limits.max_message_bytes);
        }
        if let Some(max) = self.limits.max_frame {
            assert!(m.iter().all(|f| f.len() as u64 <= max));
        }
        if matches!(self.ours, SocketType::Client | SocketType::Server) {
            assert_eq!(m.len(), 1, "CLIENT/SERVER took a multipart message");
        }
    }

    /// Whether the session has ended.
    pub fn ended(&self) -> bool {
        self.end.is_some()
    }

    /// Whether the handshake has finished.
    pub fn established(&self) -> bool {
        self.established
    }

    /// Checks everything we wrote: our greeting, our READY first, then
    /// valid frames only (commands we know how to send, and messages once
    /// established), and at most an ERROR last.
    pub fn check_written(&self, sent: &[Message]) {
        let mut out = BytesMut::from(&self.written[..]);
        if out.len() < GREETING_LEN {
            return;
        }
        let g = Greeting::decode(&mut out).unwrap().unwrap();
        assert_eq!(g, Greeting::ours(Mechanism::Null, false));
        let mut decoder = FrameDecoder::new(None);
        let mut frames = Vec::new();
        while let Some(f) = decoder.decode(&mut out).expect("we write valid frames") {
            frames.push(f);
        }
        // Whatever is left is the start of a frame cut by the budget.
        let mut iter = frames.into_iter().peekable();
        if let Some(first) = iter.next() {
            assert!(first.command, "our first frame is READY");
            match Command::parse(first.body).unwrap() {
                Command::Ready(md) => assert_eq!(md.socket_type(), Ok(self.ours)),
                other => panic!("our first command is {other:?}"),
            }
        }
        let mut msgs: Vec<Message> = Vec::new();
        let mut parts: Vec<Bytes> = Vec::new();
        let mut error_seen = false;
        for f in iter {
            assert!(!error_seen, "we wrote after our ERROR");
            if f.command {
                match Command::parse(f.body).expect("we write valid commands") {
                    Command::Pong { .. } | Command::Ping { .. } => {}
                    Command::Error { .. } => error_seen = true,
                    Command::Subscribe(t) => msgs.push(Message::from_frames(vec![sub(1, &t)])),
                    Command::Cancel(t) => msgs.push(Message::from_frames(vec![sub(0, &t)])),
                    other => panic!("we wrote {other:?}"),
                }
                continue;
            }
            parts.push(f.body);
            if !f.more {
                msgs.push(Message::from_frames(std::mem::take(&mut parts)));
            }
        }
        // The messages written are the ones offered, in order (a message
        // of no frames goes as one empty frame).
        let offered: Vec<Message> = sent
            .iter()
            .map(|m| {
                if m.is_empty() {
                    Message::from(Bytes::new())
                } else {
                    m.clone()
                }
            })
            .collect();
        assert!(
            msgs.len() <= offered.len(),
            "we wrote more messages than offered"
        );
        assert_eq!(
            msgs[..],
            offered[..msgs.len()],
            "written out of order or changed"
        );
    }
}

fn sub(flag: u8, topic: &[u8]) -> Bytes {
    let mut v = vec![flag];
    v.extend_from_slice(topic);
    Bytes::from(v)
}

/// Fake time: starts at `now`, moves only when told.
pub struct Clock {
    start: Instant,
    ms: u64,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            start: Instant::now(),
            ms: 0,
        }
    }

    pub fn now(&self) -> Instant {
        self.start + std::time::Duration::from_millis(self.ms)
    }

    pub fn advance_ms(&mut self, ms: u64) -> Instant {
        self.ms += ms;
        self.now()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}
