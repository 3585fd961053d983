//! What the CURVE targets share: fixed long-term keys, and a real
//! handshake between a client and a server in memory (SPEC §9.5).
//!
//! Each public key costs a scalar multiplication, most of an execution's
//! time under coverage instrumentation, so the fixed ones are made once.

use std::sync::OnceLock;

use bytes::{Bytes, BytesMut};
use oxmq::__internal::zmtp::security::curve::CurveClientKeys;
use oxmq::__internal::zmtp::security::zap::{ZapConfig, ZapOutcome};
use oxmq::__internal::zmtp::{
    Handshake, HandshakeConfig, HandshakeStatus, ProtocolError, Security, SocketType, Transform,
};
use oxmq::curve::CurveSecretKey;

/// The client's long-term secret key.
pub const CLIENT_SECRET: [u8; 32] = [0x31; 32];
/// The server's long-term secret key.
pub const SERVER_SECRET: [u8; 32] = [0x53; 32];

/// The client's keys (its pair and the server's public key), made once.
pub fn client_keys() -> &'static CurveClientKeys {
    static KEYS: OnceLock<CurveClientKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let server = CurveSecretKey::from_bytes(SERVER_SECRET).public_key();
        CurveClientKeys::new(CurveSecretKey::from_bytes(CLIENT_SECRET), server)
    })
}

/// The client's side of CURVE with the fixed keys.
pub fn client_security() -> Security {
    Security::CurveClient(client_keys().clone())
}

/// The server's side of CURVE with the fixed key.
pub fn server_security() -> Security {
    Security::CurveServer {
        secret: CurveSecretKey::from_bytes(SERVER_SECRET),
    }
}

/// A handshake's configuration with these parts, from `127.0.0.1`.
pub fn config(
    socket_type: SocketType,
    identity: Option<&'static [u8]>,
    security: Security,
    zap: ZapConfig,
) -> HandshakeConfig {
    HandshakeConfig {
        socket_type,
        identity: identity.map(Bytes::from_static),
        security,
        peer_address: Bytes::from_static(b"127.0.0.1"),
        zap,
    }
}

/// One side of an in-memory connection.
pub struct Side {
    pub hs: Handshake,
    /// What it wrote and the other side has not read yet.
    pub out: BytesMut,
    /// What it was given and has not read yet.
    pub inbox: BytesMut,
    pub status: Result<HandshakeStatus, ProtocolError>,
}

impl Side {
    pub fn new(config: HandshakeConfig) -> Side {
        let mut out = BytesMut::new();
        let hs = Handshake::new(config, &mut out);
        Side {
            hs,
            out,
            inbox: BytesMut::new(),
            status: Ok(HandshakeStatus::InProgress),
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self.status, Ok(HandshakeStatus::Done(_)))
    }

    /// Reads what it was given; a ZAP request (a server's) is answered
    /// at once: no handler is bound, so CURVE goes on (SPEC §9.2).
    pub fn step(&mut self) {
        if matches!(self.status, Ok(HandshakeStatus::InProgress)) {
            self.status = self.hs.feed(&mut self.inbox, &mut self.out);
        }
        if self.hs.take_zap_request().is_some() {
            self.status = self
                .hs
                .zap_answer(ZapOutcome::NoHandler, &mut self.inbox, &mut self.out);
        }
    }
}

/// Moves everything `from` wrote to `to`, which reads it.
pub fn deliver(from: &mut Side, to: &mut Side) {
    to.inbox.extend_from_slice(&from.out.split());
    to.step();
}

/// The data-phase transforms of a DEALER client and a ROUTER server
/// after a real handshake between them, which must succeed: the
/// client's, then the server's.
pub fn connected_pair() -> (Transform, Transform) {
    let mut client = Side::new(config(
        SocketType::Dealer,
        None,
        client_security(),
        ZapConfig::default(),
    ));
    let mut server = Side::new(config(
        SocketType::Router,
        None,
        server_security(),
        ZapConfig::default(),
    ));
    // Greetings, HELLO, WELCOME, INITIATE, READY.
    for _ in 0..4 {
        deliver(&mut client, &mut server);
        deliver(&mut server, &mut client);
    }
    assert!(client.is_done(), "client: {:?}", client.status);
    assert!(server.is_done(), "server: {:?}", server.status);
    assert!(client.inbox.is_empty() && server.inbox.is_empty());
    assert!(client.out.is_empty() && server.out.is_empty());
    (client.hs.transform(), server.hs.transform())
}
