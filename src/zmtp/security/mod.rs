//! Security mechanisms: the pluggable part of the handshake (SPEC §3.2).
//!
//! After the greeting, the handshake hands every command frame to the
//! mechanism both sides named, until the mechanism has the peer's
//! properties (its READY, or what CURVE and PLAIN carry instead). The
//! mechanism then gives the frame transform of the data phase
//! ([`Transform`]): identity for NULL (and for PLAIN), a box per frame for
//! CURVE.
//!
//! Only NULL exists today ([`Null`]); PLAIN and CURVE are the next
//! implementations of [`SecurityMechanism`], and the place where a ZAP request
//! would be made is [`SecurityMechanism::on_command`]'s answer.

pub mod null;

use std::fmt;

use bytes::BytesMut;

use super::command::Command;
use super::error::ProtocolError;
use super::mechanism::Mechanism;
use super::metadata::Metadata;
use super::transform::Transform;

/// Where a mechanism's handshake is after an input.
#[derive(Debug)]
pub enum Step {
    /// More commands from the peer are needed.
    Continue,
    /// The handshake is complete: the peer's properties (its `Socket-Type`,
    /// `Identity` and any other), still to be checked against ours.
    Done(Metadata),
}

/// One side's security handshake (SPEC §3.2): a state machine fed the
/// peer's commands, writing its own into the output buffer.
///
/// Errors are fatal for the connection; a mechanism may queue an ERROR
/// command before returning one.
pub trait SecurityMechanism: Send + fmt::Debug {
    /// The name sent in our greeting.
    fn name(&self) -> Mechanism;

    /// The greeting's as-server flag (always false for NULL).
    fn as_server(&self) -> bool;

    /// The peer's greeting has arrived and names our mechanism: queue our
    /// first commands into `out` (`ours` is what we announce: socket type,
    /// identity).
    fn start(&mut self, ours: &Metadata, out: &mut BytesMut) -> Result<Step, ProtocolError>;

    /// A command frame from the peer during the handshake.
    fn on_command(&mut self, command: Command, out: &mut BytesMut) -> Result<Step, ProtocolError>;

    /// Once [`Step::Done`]: the frame transform for everything after the
    /// handshake.
    fn transform(&mut self) -> Transform;
}
