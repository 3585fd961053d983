//! libzmq 4.3.5's tests/test_security_curve.cpp, mirrored on an oxmq CURVE
//! server (SPEC §9.5) over tcp, with an oxmq REP as the ZAP handler that
//! lets only the valid client key in. The raw-peer cases build their
//! HELLO and INITIATE with oxmq's own sans-IO CURVE client (as libzmq's
//! test uses its `curve_client_tools_t`) and alter them before sending.
//!
//! Mirrored: `test_curve_security_with_valid_credentials`,
//! `test_null_server_key`, `test_null_client_public_key`,
//! `test_null_client_secret_key`,
//! `test_curve_security_with_bogus_client_credentials`,
//! `..._with_null_client_credentials`, `..._with_plain_client_credentials`,
//! `..._unauthenticated_message`, `..._invalid_hello_wrong_length`,
//! `..._invalid_hello_command_name`, `..._invalid_hello_version`,
//! `..._invalid_initiate_wrong_length`, `..._invalid_initiate_command_name`,
//! `..._invalid_initiate_command_encrypted_cookie`,
//! `..._invalid_initiate_command_encrypted_content`,
//! `test_curve_security_invalid_keysize`; and, beyond libzmq's file, a
//! routing id longer than 255 bytes in INITIATE, and a replayed or
//! reordered MESSAGE.

mod support;

use bytes::{Bytes, BytesMut};
use oxmq::__internal::zmtp::security::curve::CurveClientKeys;
use oxmq::__internal::zmtp::security::zap::ZapConfig;
use oxmq::__internal::zmtp::{Handshake, HandshakeConfig, Security, SocketType};
use oxmq::curve::{curve_keypair, CurveKeypair, CurvePublicKey, CurveSecretKey, KeyError};
use oxmq::{
    CurveBox, CurveCommand, CurveKey, Dealer, DisconnectReason, Error, Mechanism, Message, Monitor,
    ProtocolError, SocketEvent, SocketOptions,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::wait_event;
use support::zap_handler::{turn, Handler};

const TIMEOUT: Duration = Duration::from_secs(10);

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .sndtimeo(Some(TIMEOUT))
        .rcvtimeo(Some(TIMEOUT))
        .reconnect_ivl(Duration::from_secs(60))
}

/// libzmq's test fixture: a CURVE DEALER server with domain `test`, and a
/// ZAP handler that lets only `valid` in.
struct Fixture {
    server: Dealer,
    mon: Monitor,
    ep: String,
    server_keys: CurveKeypair,
    valid: CurveKeypair,
    handler: Option<Handler>,
}

fn fixture() -> Fixture {
    let server_keys = curve_keypair();
    let valid = curve_keypair();
    // The handler is a plain fn: the valid key travels in a static.
    set_allowed(valid.public);
    let handler = Handler::start(|req| {
        let ok = req.len() == 7 && req[5] == "CURVE" && allowed(&req[6]);
        if ok {
            ("200", "valid", Bytes::new())
        } else {
            ("400", "", Bytes::new())
        }
    });
    let server = Dealer::with_options(
        opts()
            .curve_server(true)
            .curve_secretkey(server_keys.secret.clone())
            .zap_domain("test"),
    );
    let ep = server.bind(&support::tcp_ep()).expect("bind");
    let mon = server.monitor();
    Fixture {
        server,
        mon,
        ep,
        server_keys,
        valid,
        handler: Some(handler),
    }
}

static ALLOWED: std::sync::Mutex<Option<[u8; 32]>> = std::sync::Mutex::new(None);

fn set_allowed(key: CurvePublicKey) {
    *ALLOWED.lock().unwrap() = Some(*key.as_bytes());
}

fn allowed(key: &[u8]) -> bool {
    ALLOWED.lock().unwrap().is_some_and(|k| k[..] == *key)
}

/// The first handshake result on `mon`.
fn outcome(mon: &Monitor) -> Result<(), DisconnectReason> {
    match wait_event(mon, "handshake", |e| {
        matches!(
            e,
            SocketEvent::HandshakeFailed { .. } | SocketEvent::HandshakeSucceeded { .. }
        )
    }) {
        SocketEvent::HandshakeFailed { reason, .. } => Err(reason),
        _ => Ok(()),
    }
}

fn protocol(e: ProtocolError) -> Result<(), DisconnectReason> {
    Err(DisconnectReason::Protocol(e))
}

fn curve_client(secret: &CurveSecretKey, server: CurvePublicKey) -> Dealer {
    Dealer::with_options(
        opts()
            .curve_secretkey(secret.clone())
            .curve_serverkey(server),
    )
}

fn bounce(server: &Dealer, client: &Dealer) {
    client.blocking_send(Message::from("ping")).expect("send");
    assert_eq!(server.blocking_recv().expect("recv"), Message::from("ping"));
    server.blocking_send(Message::from("pong")).expect("send");
    assert_eq!(client.blocking_recv().expect("recv"), Message::from("pong"));
}

#[test]
fn valid_credentials() {
    let _turn = turn();
    let f = fixture();
    let client = curve_client(&f.valid.secret, f.server_keys.public);
    let client_mon = client.monitor();
    client.connect(&f.ep).expect("connect");
    assert_eq!(outcome(&f.mon), Ok(()));
    assert_eq!(outcome(&client_mon), Ok(()));
    bounce(&f.server, &client);
    let _ = &f.handler;
}

/// The key of forty Z85 `0`s: 32 zero bytes, a point of low order.
fn null_key() -> CurvePublicKey {
    CurvePublicKey::parse("0000000000000000000000000000000000000000").expect("Z85")
}

#[test]
fn null_server_key() {
    let _turn = turn();
    let f = fixture();
    // libzmq's server sees a HELLO it cannot open; oxmq's client refuses
    // the low-order key before it writes HELLO.
    let client = curve_client(&f.valid.secret, null_key());
    let client_mon = client.monitor();
    client.connect(&f.ep).expect("connect");
    assert_eq!(
        outcome(&client_mon),
        protocol(ProtocolError::WeakKey(CurveKey::ServerLongTerm))
    );
}

#[test]
fn null_client_public_key() {
    // libzmq sends a vouch that cannot match; oxmq refuses a public key
    // that is not the secret key's before it connects.
    let keys = curve_keypair();
    let client = Dealer::with_options(
        opts()
            .curve_secretkey(keys.secret)
            .curve_publickey(null_key())
            .curve_serverkey(curve_keypair().public),
    );
    assert!(matches!(
        client.connect("tcp://127.0.0.1:1"),
        Err(Error::InvalidOption {
            option: "curve_publickey",
            ..
        })
    ));
}

#[test]
fn null_client_secret_key() {
    let _turn = turn();
    let f = fixture();
    // With the valid client's public key, the zero secret key is refused
    // before connecting (the pair does not match)...
    let zero = CurveSecretKey::from_bytes([0; 32]);
    let mismatched = Dealer::with_options(
        opts()
            .curve_secretkey(zero.clone())
            .curve_publickey(f.valid.public)
            .curve_serverkey(f.server_keys.public),
    );
    assert!(matches!(
        mismatched.connect(&f.ep),
        Err(Error::InvalidOption {
            option: "curve_publickey",
            ..
        })
    ));
    // ...and alone it is another key (X25519 clamps the scalar), which
    // the ZAP handler does not know.
    let client = curve_client(&zero, f.server_keys.public);
    client.connect(&f.ep).expect("connect");
    assert_eq!(
        outcome(&f.mon),
        protocol(ProtocolError::AuthenticationFailed { status: 400 })
    );
}

#[test]
fn bogus_client_credentials() {
    let _turn = turn();
    let f = fixture();
    let bogus = curve_keypair();
    let client = curve_client(&bogus.secret, f.server_keys.public);
    let client_mon = client.monitor();
    client.connect(&f.ep).expect("connect");
    assert_eq!(
        outcome(&f.mon),
        protocol(ProtocolError::AuthenticationFailed { status: 400 })
    );
    assert_eq!(
        outcome(&client_mon),
        protocol(ProtocolError::PeerError("400".to_owned()))
    );
}

fn mechanism_mismatch(client: Dealer, theirs: Mechanism) {
    let _turn = turn();
    let mut f = fixture();
    client.connect(&f.ep).expect("connect");
    assert_eq!(
        outcome(&f.mon),
        protocol(ProtocolError::MechanismMismatch {
            ours: Mechanism::Curve,
            theirs
        })
    );
    let asked = f.handler.take().expect("handler").join();
    assert!(asked.is_empty(), "caught before ZAP: {asked:?}");
}

#[test]
fn null_client_credentials() {
    mechanism_mismatch(Dealer::with_options(opts()), Mechanism::Null);
}

#[test]
fn plain_client_credentials() {
    mechanism_mismatch(
        Dealer::with_options(opts().plain_username("admin").plain_password("password")),
        Mechanism::Plain,
    );
}

fn raw(ep: &str) -> TcpStream {
    let s = TcpStream::connect(ep.trim_start_matches("tcp://")).expect("raw connect");
    s.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    s
}

#[test]
fn unauthenticated_message() {
    let _turn = turn();
    let f = fixture();
    let mut s = raw(&f.ep);
    s.write_all(b"\x01\x00").expect("ZMTP 1.0 greeting");
    s.write_all(b"\x08\x00sneaky\0").expect("message");
    assert_eq!(outcome(&f.mon), protocol(ProtocolError::BadSignature));
    assert!(matches!(f.server.try_recv(), Err(Error::WouldBlock)));
}

/// A raw client speaking through oxmq's own sans-IO CURVE client.
struct RawClient {
    stream: TcpStream,
    hs: Handshake,
    out: BytesMut,
}

impl RawClient {
    /// Connected, greetings exchanged: `out` holds our HELLO frame, unsent.
    fn hello(f: &Fixture, identity: Option<Bytes>) -> RawClient {
        let mut stream = raw(&f.ep);
        let mut out = BytesMut::new();
        let hs = Handshake::new(
            HandshakeConfig {
                socket_type: SocketType::Dealer,
                identity,
                security: Security::CurveClient(CurveClientKeys::new(
                    f.valid.secret.clone(),
                    f.server_keys.public,
                )),
                peer_address: Bytes::new(),
                zap: ZapConfig::default(),
            },
            &mut out,
        );
        stream.write_all(&out).expect("greeting");
        out.clear();
        let mut c = RawClient { stream, hs, out };
        c.read_and_feed(64);
        assert_eq!(c.out.len(), 2 + 200, "our HELLO");
        c
    }

    fn read_and_feed(&mut self, n: usize) {
        let mut buf = vec![0u8; n];
        self.stream.read_exact(&mut buf).expect("read");
        let mut inbox = BytesMut::from(&buf[..]);
        self.hs
            .feed(&mut inbox, &mut self.out)
            .expect("the client's handshake");
    }

    /// HELLO sent, WELCOME read: `out` holds our INITIATE frame, unsent.
    fn initiate(f: &Fixture, identity: Option<Bytes>) -> RawClient {
        let mut c = RawClient::hello(f, identity);
        c.send();
        c.read_and_feed(2 + 168);
        assert!(c.out.len() >= 9 + 257, "our INITIATE");
        c
    }

    fn send(&mut self) {
        self.stream.write_all(&self.out).expect("write");
        self.out.clear();
    }
}

#[test]
fn invalid_hello_wrong_length() {
    let _turn = turn();
    let f = fixture();
    let mut c = RawClient::hello(&f, None);
    c.out.clear();
    c.out.extend_from_slice(b"\x04\x06\x05HELLO");
    c.send();
    assert!(matches!(
        outcome(&f.mon),
        Err(DisconnectReason::Protocol(ProtocolError::MalformedCurve {
            command: CurveCommand::Hello,
            ..
        }))
    ));
}

#[test]
fn invalid_hello_command_name() {
    let _turn = turn();
    let f = fixture();
    let mut c = RawClient::hello(&f, None);
    c.out[2 + 5] = b'X';
    c.send();
    assert_eq!(
        outcome(&f.mon),
        protocol(ProtocolError::UnexpectedCommand("HELLX".to_owned()))
    );
}

#[test]
fn invalid_hello_version() {
    let _turn = turn();
    let f = fixture();
    let mut c = RawClient::hello(&f, None);
    c.out[2 + 6] = 2;
    c.send();
    assert!(matches!(
        outcome(&f.mon),
        Err(DisconnectReason::Protocol(ProtocolError::MalformedCurve {
            command: CurveCommand::Hello,
            ..
        }))
    ));
}

#[test]
fn invalid_initiate_wrong_length() {
    let _turn = turn();
    let f = fixture();
    let mut c = RawClient::initiate(&f, None);
    c.out.clear();
    c.out.extend_from_slice(b"\x04\x09\x08INITIATE");
    c.send();
    assert!(matches!(
        outcome(&f.mon),
        Err(DisconnectReason::Protocol(ProtocolError::MalformedCurve {
            command: CurveCommand::Initiate,
            ..
        }))
    ));
}

/// INITIATE is a long frame: 9 header bytes before its body.
const INITIATE_BODY: usize = 9;

#[test]
fn invalid_initiate_command_name() {
    let _turn = turn();
    let f = fixture();
    let mut c = RawClient::initiate(&f, None);
    c.out[INITIATE_BODY + 5] = b'X';
    c.send();
    assert_eq!(
        outcome(&f.mon),
        protocol(ProtocolError::UnexpectedCommand("INITXATE".to_owned()))
    );
}

#[test]
fn invalid_initiate_encrypted_cookie() {
    let _turn = turn();
    let f = fixture();
    let mut c = RawClient::initiate(&f, None);
    c.out[INITIATE_BODY + 30] ^= 0xff;
    c.send();
    assert_eq!(
        outcome(&f.mon),
        protocol(ProtocolError::CryptoFailure(CurveBox::Cookie))
    );
}

#[test]
fn invalid_initiate_encrypted_content() {
    let _turn = turn();
    let f = fixture();
    let mut c = RawClient::initiate(&f, None);
    c.out[INITIATE_BODY + 150] ^= 0xff;
    c.send();
    assert_eq!(
        outcome(&f.mon),
        protocol(ProtocolError::CryptoFailure(CurveBox::Initiate))
    );
}

#[test]
fn invalid_keysize() {
    let text = curve_keypair().public.to_z85();
    let long = format!("{text}{}", "x".repeat(83));
    assert_eq!(long.len(), 123);
    assert_eq!(CurvePublicKey::parse(&long), Err(KeyError::Length(123)));
    assert_eq!(
        CurveSecretKey::parse(&long[..41]).err(),
        Some(KeyError::Length(41))
    );
    assert_eq!(CurvePublicKey::parse([0u8; 31]), Err(KeyError::Length(31)));
}

#[test]
fn a_routing_id_longer_than_255_bytes_in_initiate() {
    let _turn = turn();
    let f = fixture();
    let mut c = RawClient::initiate(&f, Some(Bytes::from(vec![b'r'; 300])));
    c.send();
    let result = outcome(&f.mon);
    assert!(
        matches!(result, Err(DisconnectReason::Protocol(_))),
        "an Identity of 300 bytes: {result:?}"
    );
    assert!(matches!(f.server.try_recv(), Err(Error::WouldBlock)));
}

/// Beyond libzmq's tests: a replayed or a reordered MESSAGE box closes
/// that connection only, with `InvalidNonce`, and nothing it carried is
/// delivered twice or out of order; a client on another connection is
/// undisturbed.
#[test]
fn a_replayed_or_reordered_message_closes_that_connection_only() {
    let _turn = turn();
    let f = fixture();
    let other = curve_client(&f.valid.secret, f.server_keys.public);
    other.connect(&f.ep).expect("connect");
    assert_eq!(outcome(&f.mon), Ok(()));
    for reorder in [false, true] {
        let mut c = RawClient::initiate(&f, None);
        c.send();
        // The server's READY: a short frame (under 256 bytes).
        let mut head = [0u8; 2];
        c.stream.read_exact(&mut head).expect("READY header");
        let mut body = vec![0u8; usize::from(head[1])];
        c.stream.read_exact(&mut body).expect("READY");
        let mut inbox = BytesMut::from(&[&head[..], &body[..]].concat()[..]);
        let done = c.hs.feed(&mut inbox, &mut c.out).expect("READY accepted");
        assert!(matches!(
            done,
            oxmq::__internal::zmtp::HandshakeStatus::Done(_)
        ));
        assert_eq!(outcome(&f.mon), Ok(()));
        let mut t = c.hs.transform();
        let (mut one, mut two) = (BytesMut::new(), BytesMut::new());
        t.encode(b"one", false, false, &mut one);
        t.encode(b"two", false, false, &mut two);
        let wire = if reorder {
            [&two[..], &one[..]].concat()
        } else {
            [&one[..], &one[..]].concat()
        };
        c.stream.write_all(&wire).expect("write");
        let reason = match wait_event(&f.mon, "Disconnected", |e| {
            matches!(e, SocketEvent::Disconnected { .. })
        }) {
            SocketEvent::Disconnected { reason, .. } => reason,
            _ => unreachable!(),
        };
        assert!(
            matches!(
                reason,
                DisconnectReason::Protocol(ProtocolError::InvalidNonce {
                    command: CurveCommand::Message,
                    ..
                })
            ),
            "reorder={reorder}: {reason:?}"
        );
        let first = f.server.blocking_recv().expect("the first message");
        assert_eq!(first, Message::from(if reorder { "two" } else { "one" }));
        // The other connection carries on, and nothing more came from the
        // closed one.
        other.blocking_send(Message::from("other")).expect("send");
        assert_eq!(
            f.server.blocking_recv().expect("recv"),
            Message::from("other")
        );
    }
}
