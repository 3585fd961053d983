//! The session's sending half: encoding into a transmit queue of byte
//! chunks, written out with vectored writes (SPEC §3.3), and the record of
//! which messages have not been completely written (SPEC §6.4).

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use crate::message::Message;
use crate::zmtp::command::Command;
use crate::zmtp::frame::frame_header;
use crate::zmtp::resume::Window;
use crate::zmtp::transform::Transform;

/// Frames up to this size are copied into the write buffer; larger ones
/// are written from their own `Bytes` (SPEC §3.3).
pub(super) const INLINE_MAX: usize = 8 * 1024;

/// Encoded bytes waiting for the transport, and the messages they carry.
#[derive(Debug, Default)]
pub(super) struct Outbound {
    /// Sealed chunks, in wire order. Invariant: none is empty.
    chunks: VecDeque<Bytes>,
    /// Bytes being encoded, not yet sealed into `chunks`.
    scratch: BytesMut,
    /// Messages not yet completely written, each with the stream offset
    /// just past its last byte; kept only when `keep_unsent` (a connected
    /// endpoint, whose next connection sends them again).
    msgs: VecDeque<(Message, u64)>,
    keep_unsent: bool,
    /// Stream offset just past the last byte queued (sealed or not).
    queued_end: u64,
    /// Bytes the transport has taken so far.
    written: u64,
}

impl Outbound {
    pub(super) fn new(keep_unsent: bool) -> Outbound {
        Outbound {
            keep_unsent,
            ..Outbound::default()
        }
    }

    /// Stops keeping the record of messages not completely written (the
    /// window of unacknowledged ones keeps them instead, SPEC §3.7).
    pub(super) fn stop_keeping(&mut self) {
        self.keep_unsent = false;
        self.msgs.clear();
    }

    /// Lets `f` append raw bytes (the greeting, handshake commands).
    pub(super) fn raw(&mut self, f: impl FnOnce(&mut BytesMut)) {
        let before = self.scratch.len();
        f(&mut self.scratch);
        self.queued_end += (self.scratch.len() - before) as u64;
    }

    /// Queues a command.
    pub(super) fn command(&mut self, c: &Command, transform: &mut Transform) {
        self.raw(|out| transform.encode_command(c, out));
    }

    /// Queues the frames of `msg`: small frames are copied into the write
    /// buffer, a large one (with the identity transform) is queued as its
    /// own chunk after its header, so it is written without a copy. With a
    /// `window` (resumption, SPEC §3.7), the bytes are kept there until
    /// acknowledged: the chunks are shared with it as they are sealed.
    pub(super) fn message(
        &mut self,
        msg: Message,
        transform: &mut Transform,
        mut window: Option<&mut Window>,
    ) {
        // Where the message starts in the window's stream: past what it
        // retained and what waits to be sealed into it.
        let start = window.as_ref().map(|w| w.end() + self.scratch.len() as u64);
        let frames = msg.frames();
        // A message without frames goes on the wire as one empty frame,
        // the shortest message ZMTP can carry (SPEC §5.1).
        if frames.is_empty() {
            self.raw(|out| transform.encode(&[], false, false, out));
        }
        let last = frames.len().saturating_sub(1);
        for (i, f) in frames.iter().enumerate() {
            let more = i < last;
            if f.len() <= INLINE_MAX || !transform.is_identity() {
                self.raw(|out| transform.encode(f, more, false, out));
            } else {
                let (hdr, n) = frame_header(f.len(), more, false);
                self.raw(|out| out.extend_from_slice(&hdr[..n]));
                self.seal(window.as_deref_mut());
                if let Some(w) = window.as_deref_mut() {
                    w.retain(f.clone());
                }
                self.chunks.push_back(f.clone());
                self.queued_end += f.len() as u64;
            }
        }
        if let (Some(w), Some(start)) = (window, start) {
            w.record(start, w.end() + self.scratch.len() as u64);
        } else if self.keep_unsent {
            self.msgs.push_back((msg, self.queued_end));
        }
    }

    /// Queues bytes already encoded and kept in the window (messages sent
    /// again on resumption, SPEC §3.7), after what is queued.
    pub(super) fn resend(&mut self, bytes: Vec<Bytes>, window: Option<&mut Window>) {
        self.seal(window);
        for b in bytes.into_iter().filter(|b| !b.is_empty()) {
            self.queued_end += b.len() as u64;
            self.chunks.push_back(b);
        }
    }

    /// Moves the bytes encoded so far into the chunk queue, and into
    /// `window` when there is one.
    pub(super) fn seal(&mut self, window: Option<&mut Window>) {
        if !self.scratch.is_empty() {
            let chunk = self.scratch.split().freeze();
            if let Some(w) = window {
                w.retain(chunk.clone());
            }
            self.chunks.push_back(chunk);
        }
    }

    /// Whether anything waits to be written.
    pub(super) fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.scratch.is_empty()
    }

    /// Fills `iov` with the next chunks to write, in order; returns how
    /// many slices were filled.
    pub(super) fn slices<'a>(
        &'a mut self,
        iov: &mut [IoSlice<'a>],
        window: Option<&mut Window>,
    ) -> usize {
        self.seal(window);
        let mut n = 0;
        for (slot, c) in iov.iter_mut().zip(self.chunks.iter()) {
            *slot = IoSlice::new(c);
            n += 1;
        }
        n
    }

    /// The transport took `n` more bytes.
    pub(super) fn advance(&mut self, n: usize) {
        self.written += n as u64;
        let mut left = n;
        while left > 0 {
            let Some(front) = self.chunks.front_mut() else {
                // Sealed before `slices`; more than was offered cannot be
                // written.
                break;
            };
            if front.len() <= left {
                left -= front.len();
                self.chunks.pop_front();
            } else {
                front.advance(left);
                left = 0;
            }
        }
        while self
            .msgs
            .front()
            .is_some_and(|(_, end)| *end <= self.written)
        {
            self.msgs.pop_front();
        }
    }

    /// Takes the messages not completely written (a partly written one
    /// included: the peer discards a frame cut short by a lost
    /// connection), leaving nothing to write.
    pub(super) fn take_unsent(&mut self) -> VecDeque<Message> {
        let keep = self.keep_unsent;
        let msgs = std::mem::take(&mut self.msgs);
        *self = Outbound::new(keep);
        msgs.into_iter().map(|(m, _)| m).collect()
    }
}
