//! Commands after the handshake (SPEC §3.4): PING and PONG, ERROR,
//! SUBSCRIBE and CANCEL for a publisher, ACK and BYE between resuming peers
//! (SPEC §3.7); others are ignored (RFC 37).

use bytes::Bytes;

use super::inbound::subscription_message;
use super::types::SessionEnd;
use super::{Phase, Session};
use crate::zmtp::command::Command;
use crate::zmtp::error::ProtocolError;
use crate::zmtp::socket_type::SocketType;

impl Session {
    /// A command after the handshake (SPEC §3.4).
    pub(super) fn command(&mut self, body: Bytes) {
        let takes_subscriptions =
            matches!(self.config.socket_type, SocketType::Pub | SocketType::XPub);
        match Command::parse(body) {
            Ok(Command::Ping {
                ttl_deciseconds,
                context,
            }) => {
                if let Phase::Established { heartbeat, .. } = &mut self.phase {
                    heartbeat.peer_ping(ttl_deciseconds);
                }
                let pong = Command::Pong { context };
                self.outbound.command(&pong, &mut self.transform);
            }
            Ok(Command::Error { reason }) => {
                self.fail(SessionEnd::Protocol(ProtocolError::PeerError(reason)))
            }
            Ok(Command::Bye) if self.link.is_active() => self.link.farewell(),
            Ok(Command::Ack(count)) if self.link.is_active() => {
                if let Err(e) = self.link.acknowledged(count) {
                    self.fail(SessionEnd::Protocol(e));
                }
            }
            Ok(Command::Unknown { name, .. }) if name == "ACK" && self.link.is_active() => self
                .fail(SessionEnd::Protocol(ProtocolError::MalformedCommand(
                    "an ACK whose count is not 8 bytes".to_owned(),
                ))),
            Ok(Command::Subscribe(topic)) if takes_subscriptions => self.subscription(true, &topic),
            Ok(Command::Cancel(topic)) if takes_subscriptions => self.subscription(false, &topic),
            // RFC 37: other commands (PONG, unknown ones) are ignored.
            Ok(_) => {}
            Err(e) => self.fail(SessionEnd::Protocol(e)),
        }
    }

    /// A SUBSCRIBE or CANCEL for a PUB or XPUB: queued as the message a
    /// ZMTP 3.0 peer would send, within the same byte limit as any other
    /// message (SPEC §6.1).
    fn subscription(&mut self, subscribe: bool, topic: &[u8]) {
        let max = self.config.limits.max_message_bytes;
        if max != 0 && 1 + topic.len() > max {
            return self.fail(SessionEnd::Protocol(ProtocolError::MessageTooLarge {
                size: 1 + topic.len() as u64,
                max: max as u64,
            }));
        }
        self.received
            .push_back(subscription_message(subscribe, topic));
    }
}
