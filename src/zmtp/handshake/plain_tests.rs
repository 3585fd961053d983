//! PLAIN through the handshake (SPEC §9.3), with the ZAP verdict played by
//! the test (SPEC §9.2): bytes in, bytes out, no sockets.

use super::super::command::Command;
use super::super::error::ZapError;
use super::super::frame::FrameDecoder;
use super::super::mechanism::Mechanism;
use super::super::security::plain::PlainCredentials;
use super::super::security::zap::ZapOutcome;
use super::*;

fn client_cfg(user: &str, password: &str) -> HandshakeConfig {
    HandshakeConfig {
        socket_type: SocketType::Dealer,
        identity: None,
        security: Security::PlainClient(
            PlainCredentials::new(user.to_owned(), password.to_owned()).unwrap(),
        ),
        peer_address: Bytes::new(),
        zap: ZapConfig::default(),
    }
}

fn server_cfg() -> HandshakeConfig {
    HandshakeConfig {
        socket_type: SocketType::Router,
        identity: Some(Bytes::from_static(b"srv")),
        security: Security::PlainServer,
        peer_address: Bytes::from_static(b"127.0.0.1"),
        zap: ZapConfig {
            domain: Bytes::from_static(b"global"),
            enforce: false,
        },
    }
}

/// One side of an in-memory connection.
struct Side {
    hs: Handshake,
    out: BytesMut,
    inbox: BytesMut,
    status: Result<HandshakeStatus, ProtocolError>,
}

impl Side {
    fn new(cfg: HandshakeConfig) -> Side {
        let mut out = BytesMut::new();
        let hs = Handshake::new(cfg, &mut out);
        Side {
            hs,
            out,
            inbox: BytesMut::new(),
            status: Ok(HandshakeStatus::InProgress),
        }
    }

    fn done(&self) -> &PeerInfo {
        match &self.status {
            Ok(HandshakeStatus::Done(p)) => p,
            other => panic!("not done: {other:?}"),
        }
    }

    fn answer(&mut self, frames: &[Bytes]) {
        self.answer_with(ZapOutcome::Reply(frames.to_vec()));
    }

    fn answer_with(&mut self, outcome: ZapOutcome) {
        self.status = self.hs.zap_answer(outcome, &mut self.inbox, &mut self.out);
    }
}

/// Moves everything written by each side to the other and feeds it, until
/// neither writes more.
fn pump(a: &mut Side, b: &mut Side) {
    for _ in 0..100 {
        if a.out.is_empty() && b.out.is_empty() {
            return;
        }
        deliver(a, b);
        deliver(b, a);
    }
    panic!("the handshake never settled");
}

/// Moves what `from` wrote to `to` and feeds it, unless `to` has
/// finished.
fn deliver(from: &mut Side, to: &mut Side) {
    let bytes = from.out.split();
    to.inbox.extend_from_slice(&bytes);
    if matches!(to.status, Ok(HandshakeStatus::InProgress)) {
        to.status = to.hs.feed(&mut to.inbox, &mut to.out);
    }
}

fn reply(code: &str, user: &str, metadata: Metadata) -> Vec<Bytes> {
    let mut meta = BytesMut::new();
    metadata.encode(&mut meta);
    [
        b"" as &[u8],
        b"1.0",
        b"1",
        code.as_bytes(),
        b"text",
        user.as_bytes(),
    ]
    .into_iter()
    .map(Bytes::copy_from_slice)
    .chain([meta.freeze()])
    .collect()
}

/// Client and server up to the server's ZAP request.
fn to_verdict() -> (Side, Side, ZapRequest) {
    let mut client = Side::new(client_cfg("admin", "secret"));
    let mut server = Side::new(server_cfg());
    pump(&mut client, &mut server);
    assert!(server.hs.is_authenticating());
    let request = server.hs.take_zap_request().expect("a ZAP request");
    assert!(server.hs.take_zap_request().is_none(), "made once");
    (client, server, request)
}

/// The commands in `bytes` (after the greeting, which a side's `out`
/// no longer holds once it was pumped).
fn commands(mut bytes: BytesMut) -> Vec<Command> {
    let mut d = FrameDecoder::new(None);
    let mut v = Vec::new();
    while let Some(f) = d.decode(&mut bytes).unwrap() {
        v.push(Command::parse(f.body).unwrap());
    }
    v
}

#[test]
fn greetings_carry_the_mechanism_and_the_roles() {
    for (cfg, as_server) in [(client_cfg("u", "p"), 0), (server_cfg(), 1)] {
        let mut out = BytesMut::new();
        Handshake::new(cfg, &mut out);
        let g = Greeting::decode(&mut out).unwrap().unwrap();
        assert_eq!(g.mechanism, Mechanism::Plain);
        assert_eq!(u8::from(g.as_server), as_server);
    }
}

#[test]
fn approved_credentials_complete_both_sides() {
    let (mut client, mut server, request) = to_verdict();
    assert_eq!(
        request.to_frames(),
        [
            "",
            "1.0",
            "1",
            "global",
            "127.0.0.1",
            "srv",
            "PLAIN",
            "admin",
            "secret"
        ]
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
    );
    assert!(
        matches!(client.status, Ok(HandshakeStatus::InProgress)),
        "no WELCOME before the verdict"
    );
    let mut props = Metadata::new();
    props.insert("Hello", Bytes::from_static(b"World"));
    server.answer(&reply("200", "joe", props));
    pump(&mut client, &mut server);

    let seen_by_server = server.done();
    assert_eq!(seen_by_server.socket_type, SocketType::Dealer);
    assert_eq!(
        seen_by_server.metadata.get(USER_ID).map(|v| &v[..]),
        Some(&b"joe"[..])
    );
    assert_eq!(
        seen_by_server.metadata.get("hello").map(|v| &v[..]),
        Some(&b"World"[..])
    );
    assert_eq!(client.done().socket_type, SocketType::Router);
    assert_eq!(client.done().identity.as_deref(), Some(&b"srv"[..]));
}

/// A client's INITIATE with these properties.
fn initiate(props: &[(&str, &str)]) -> BytesMut {
    let mut m = Metadata::new();
    for (k, v) in props {
        m.insert(k, Bytes::copy_from_slice(v.as_bytes()));
    }
    let mut data = BytesMut::new();
    m.encode(&mut data);
    let mut out = BytesMut::new();
    Command::Unknown {
        name: "INITIATE".into(),
        data: data.freeze(),
    }
    .encode(&mut out);
    out
}

#[test]
fn the_handlers_user_id_wins_over_the_peers_claim() {
    let (_client, mut server, _) = to_verdict();
    server.answer(&reply("200", "", Metadata::new()));
    server.inbox.extend_from_slice(&initiate(&[
        ("Socket-Type", "DEALER"),
        ("User-Id", "mallory"),
    ]));
    server.status = server.hs.feed(&mut server.inbox, &mut server.out);
    assert_eq!(
        server.done().metadata.get(USER_ID).map(|v| &v[..]),
        Some(&b""[..]),
        "the handler's (empty) user id replaces the client's claim"
    );
}

#[test]
fn refusals_send_error_with_the_status_and_fail_both_sides() {
    for code in ["400", "500"] {
        let (mut client, mut server, _) = to_verdict();
        server.answer(&reply(code, "", Metadata::new()));
        let status: u16 = code.parse().unwrap();
        assert_eq!(
            server.status,
            Err(ProtocolError::AuthenticationFailed { status })
        );
        assert_eq!(
            commands(server.out.clone()),
            [Command::Error {
                reason: code.to_owned()
            }]
        );
        pump(&mut client, &mut server);
        assert_eq!(
            client.status,
            Err(ProtocolError::PeerError(code.to_owned()))
        );
    }
}

#[test]
fn a_temporary_failure_closes_without_error() {
    let (_client, mut server, _) = to_verdict();
    server.answer(&reply("300", "", Metadata::new()));
    assert_eq!(
        server.status,
        Err(ProtocolError::AuthenticationFailed { status: 300 })
    );
    assert!(server.out.is_empty(), "no ERROR for 300");
}

#[test]
fn a_malformed_reply_is_a_typed_failure() {
    let (_client, mut server, _) = to_verdict();
    let mut bad = reply("200", "joe", Metadata::new());
    bad[1] = Bytes::from_static(b"2.0");
    server.answer(&bad);
    assert_eq!(
        server.status,
        Err(ProtocolError::ZapReply(ZapError::Version(
            Bytes::from_static(b"2.0")
        )))
    );
    // The failure sticks.
    let again = server.hs.feed(&mut BytesMut::new(), &mut BytesMut::new());
    assert_eq!(again, server.status);
}

#[test]
fn nothing_is_read_while_the_handler_decides() {
    let (_client, mut server, _) = to_verdict();
    // A client that does not wait for WELCOME: its INITIATE arrives
    // before the verdict and must wait for it.
    let early = initiate(&[("Socket-Type", "DEALER")]);
    server.inbox.extend_from_slice(&early);
    let fed = server.hs.feed(&mut server.inbox, &mut server.out);
    assert_eq!(fed, Ok(HandshakeStatus::InProgress));
    assert_eq!(server.inbox.len(), early.len(), "left unread");
    server.answer(&reply("200", "joe", Metadata::new()));
    assert_eq!(server.done().socket_type, SocketType::Dealer);
    assert!(server.inbox.is_empty());
}

#[test]
fn mechanisms_must_match() {
    let mut null = Side::new(HandshakeConfig {
        security: Security::Null,
        ..client_cfg("u", "p")
    });
    let mut server = Side::new(server_cfg());
    pump(&mut null, &mut server);
    assert_eq!(
        server.status,
        Err(ProtocolError::MechanismMismatch {
            ours: Mechanism::Plain,
            theirs: Mechanism::Null
        })
    );
}

#[test]
fn commands_out_of_order_are_refused() {
    // A server that answers HELLO with READY instead of WELCOME.
    let mut client = Side::new(client_cfg("u", "p"));
    let mut raw = BytesMut::new();
    Greeting::ours(Mechanism::Plain, true).encode(&mut raw);
    Command::Ready(Metadata::new()).encode(&mut raw);
    client.inbox.extend_from_slice(&raw);
    let r = client.hs.feed(&mut client.inbox, &mut client.out);
    assert_eq!(r, Err(ProtocolError::UnexpectedCommand("READY".into())));

    // A client that sends INITIATE first.
    let mut server = Side::new(server_cfg());
    let mut raw = BytesMut::new();
    Greeting::ours(Mechanism::Plain, false).encode(&mut raw);
    Command::Unknown {
        name: "INITIATE".into(),
        data: Bytes::new(),
    }
    .encode(&mut raw);
    server.inbox.extend_from_slice(&raw);
    let r = server.hs.feed(&mut server.inbox, &mut server.out);
    assert_eq!(r, Err(ProtocolError::UnexpectedCommand("INITIATE".into())));
}

#[test]
fn a_zap_reply_nobody_asked_for_is_refused() {
    let mut server = Side::new(server_cfg());
    server.answer(&reply("200", "joe", Metadata::new()));
    assert!(matches!(
        server.status,
        Err(ProtocolError::UnexpectedCommand(_))
    ));
}

#[test]
fn a_refused_socket_type_gets_error_instead_of_ready() {
    let (_client, mut server, _) = to_verdict();
    server.answer(&reply("200", "joe", Metadata::new()));
    let welcome = commands(server.out.split());
    assert!(
        matches!(&welcome[..], [Command::Unknown { name, .. }] if name == "WELCOME"),
        "{welcome:?}"
    );
    // A PUB cannot talk to the ROUTER server.
    server
        .inbox
        .extend_from_slice(&initiate(&[("Socket-Type", "PUB")]));
    server.status = server.hs.feed(&mut server.inbox, &mut server.out);
    assert!(matches!(
        server.status,
        Err(ProtocolError::IncompatibleSocketType { .. })
    ));
    assert_eq!(
        commands(server.out.split()),
        [Command::Error {
            reason: "Invalid socket type".into()
        }],
        "ERROR and no READY"
    );
}

#[test]
fn plain_fails_without_a_handler_and_when_it_leaves() {
    for outcome in [ZapOutcome::NoHandler, ZapOutcome::HandlerClosed] {
        let (_client, mut server, _) = to_verdict();
        server.answer_with(outcome.clone());
        assert!(
            matches!(server.status, Err(ProtocolError::NoZapHandler(_))),
            "{outcome:?}: {:?}",
            server.status
        );
        assert!(server.out.is_empty(), "{outcome:?}: no WELCOME, no ERROR");
    }
}

fn null_cfg(domain: &'static [u8], enforce: bool) -> HandshakeConfig {
    HandshakeConfig {
        security: Security::Null,
        zap: ZapConfig {
            domain: Bytes::from_static(domain),
            enforce,
        },
        ..server_cfg()
    }
}

#[test]
fn null_with_a_domain_sends_ready_only_once_approved() {
    let mut client = Side::new(HandshakeConfig {
        security: Security::Null,
        ..client_cfg("u", "p")
    });
    let mut server = Side::new(null_cfg(b"test", false));
    pump(&mut client, &mut server);
    assert!(server.hs.is_authenticating());
    let request = server.hs.take_zap_request().expect("asked");
    assert_eq!(request.mechanism, Mechanism::Null);
    assert!(request.credentials.is_empty());
    assert_eq!(request.domain, "test");
    assert!(!client.hs.is_done(), "no READY from the server yet");
    server.answer(&reply("200", "anon", Metadata::new()));
    pump(&mut client, &mut server);
    assert_eq!(server.done().socket_type, SocketType::Dealer);
    assert_eq!(
        server.done().metadata.get(USER_ID).map(|v| v.as_ref()),
        Some(&b"anon"[..])
    );
    assert_eq!(client.done().socket_type, SocketType::Router);
}

#[test]
fn null_without_a_handler_goes_on_unless_enforced() {
    for enforce in [false, true] {
        let mut client = Side::new(HandshakeConfig {
            security: Security::Null,
            ..client_cfg("u", "p")
        });
        let mut server = Side::new(null_cfg(b"test", enforce));
        pump(&mut client, &mut server);
        server.answer_with(ZapOutcome::NoHandler);
        pump(&mut client, &mut server);
        if enforce {
            assert!(matches!(server.status, Err(ProtocolError::NoZapHandler(_))));
            assert!(!client.hs.is_done());
        } else {
            assert!(
                server.done().metadata.get(USER_ID).is_none(),
                "not authenticated"
            );
            assert_eq!(client.done().socket_type, SocketType::Router);
        }
    }
}
