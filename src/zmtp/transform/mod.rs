//! The frame transform of the data phase (SPEC §3.3): what happens to
//! every frame between the wire and message assembly once the handshake
//! is done.
//!
//! NULL and PLAIN send frames as they are ([`Transform::Identity`]).
//! CURVE (RFC 26) will add a variant that seals each frame, flags
//! included, into a MESSAGE command box on the way out and opens it on the
//! way in; the session calls nothing else, so that is its whole seam.

use bytes::BytesMut;

use super::command::Command;
use super::error::ProtocolError;
use super::frame::{encode_frame, Frame};

/// How frames are carried after the handshake (SPEC §3.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Transform {
    /// Frames go on the wire as they are.
    #[default]
    Identity,
}

impl Transform {
    /// The frame carried by a frame read from the wire.
    #[inline]
    pub fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        match self {
            Transform::Identity => Ok(frame),
        }
    }

    /// Whether frames are sent unchanged, so that a large body may be
    /// written from the caller's own buffer after its header
    /// ([`super::frame_header`]) instead of being copied.
    #[inline]
    pub fn is_identity(&self) -> bool {
        matches!(self, Transform::Identity)
    }

    /// Appends the wire form of one frame to `out`.
    #[inline]
    pub fn encode(&mut self, body: &[u8], more: bool, command: bool, out: &mut BytesMut) {
        match self {
            Transform::Identity => encode_frame(body, more, command, out),
        }
    }

    /// Appends the wire form of a command to `out`.
    #[inline]
    pub fn encode_command(&mut self, command: &Command, out: &mut BytesMut) {
        match self {
            Transform::Identity => command.encode(out),
        }
    }
}
