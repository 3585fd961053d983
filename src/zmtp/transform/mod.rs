//! The frame transform of the data phase (SPEC §3.3): what happens to
//! every frame between the wire and message assembly once the handshake
//! is done.
//!
//! NULL and PLAIN send frames as they are ([`Transform::Identity`]).
//! CURVE (RFC 26, SPEC §9.5) seals each frame, flags included, into a
//! MESSAGE box on the way out and opens it on the way in
//! ([`Transform::Curve`], [`curve`]); the session calls nothing else, so
//! that is its whole seam. [`nacl`] has the boxes CURVE's handshake uses
//! too.

pub mod curve;
pub(crate) mod nacl;

use bytes::BytesMut;

use super::command::Command;
use super::error::ProtocolError;
use super::frame::{encode_frame, Frame};
use curve::CurveCodec;

/// How frames are carried after the handshake (SPEC §3.3).
///
/// Not `Clone`: a copy of a CURVE transform would send its short nonces
/// a second time.
#[derive(Debug, Default)]
pub enum Transform {
    /// Frames go on the wire as they are.
    #[default]
    Identity,
    /// Every frame is sealed into a CURVE MESSAGE (SPEC §9.5).
    Curve(Box<CurveCodec>),
}

impl Transform {
    /// A CURVE client's and server's transforms under a key of the
    /// caller's, as a handshake between them leaves them (SPEC §9.5): the
    /// data phase without the handshake's cost, for the fuzz target of
    /// MESSAGE boxes. Not part of the API: a real connection's key is
    /// only ever made by its handshake.
    #[doc(hidden)]
    pub fn curve_pair(key: &[u8; 32]) -> (Transform, Transform) {
        let (client, server) = CurveCodec::pair_after_handshake(key);
        (
            Transform::Curve(Box::new(client)),
            Transform::Curve(Box::new(server)),
        )
    }

    /// The frame carried by a frame read from the wire: itself, or the
    /// frame a CURVE MESSAGE holds (errors: SPEC §9.5).
    #[inline]
    pub fn decode(&mut self, frame: Frame) -> Result<Frame, ProtocolError> {
        match self {
            Transform::Identity => Ok(frame),
            Transform::Curve(codec) => codec.decode(frame),
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
            Transform::Curve(codec) => codec.encode(body, more, command, out),
        }
    }

    /// Appends the wire form of a command to `out`.
    #[inline]
    pub fn encode_command(&mut self, command: &Command, out: &mut BytesMut) {
        match self {
            Transform::Identity => command.encode(out),
            Transform::Curve(codec) => codec.encode_command(command, out),
        }
    }
}

#[cfg(test)]
mod curve_tests;
