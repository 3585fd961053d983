//! CURVE through the handshake (SPEC §9.5), with the ZAP verdict played
//! by the test (SPEC §9.2), then the data phase through the transforms
//! the handshake hands over: bytes in, bytes out, no sockets.

use super::super::command::Command;
use super::super::error::{CurveBox, CurveCommand};
use super::super::frame::{Frame, FrameDecoder};
use super::super::mechanism::Mechanism;
use super::super::security::curve::CurveClientKeys;
use super::super::security::zap::ZapOutcome;
use super::*;
use crate::curve::{curve_keypair, CurveKeypair, CurvePublicKey};

fn client_cfg(keys: &CurveKeypair, server: CurvePublicKey) -> HandshakeConfig {
    HandshakeConfig {
        socket_type: SocketType::Dealer,
        identity: None,
        security: Security::CurveClient(CurveClientKeys::new(keys.secret.clone(), server)),
        peer_address: Bytes::new(),
        zap: ZapConfig::default(),
    }
}

fn server_cfg(keys: &CurveKeypair) -> HandshakeConfig {
    HandshakeConfig {
        socket_type: SocketType::Router,
        identity: Some(Bytes::from_static(b"srv")),
        security: Security::CurveServer {
            secret: keys.secret.clone(),
        },
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
        self.status = self.hs.zap_answer(
            ZapOutcome::Reply(frames.to_vec()),
            &mut self.inbox,
            &mut self.out,
        );
    }
}

/// Moves what each side writes to the other, `chunk` bytes at a time,
/// feeding after each move, until neither writes more.
fn pump(a: &mut Side, b: &mut Side, chunk: usize) {
    for _ in 0..100_000 {
        if a.out.is_empty() && b.out.is_empty() {
            return;
        }
        deliver(a, b, chunk);
        deliver(b, a, chunk);
    }
    panic!("the handshake never settled");
}

fn deliver(from: &mut Side, to: &mut Side, chunk: usize) {
    let n = chunk.min(from.out.len());
    to.inbox.extend_from_slice(&from.out.split_to(n));
    if matches!(to.status, Ok(HandshakeStatus::InProgress)) {
        to.status = to.hs.feed(&mut to.inbox, &mut to.out);
    }
}

fn reply(code: &str, user: &str) -> Vec<Bytes> {
    [
        "", "1.0", "1", code, "text", user, "", // no properties
    ]
    .map(|s| Bytes::copy_from_slice(s.as_bytes()))
    .to_vec()
}

struct Connection {
    client: Side,
    server: Side,
    client_keys: CurveKeypair,
    request: ZapRequest,
}

/// A client and a server, pumped `chunk` bytes at a time up to the
/// server's ZAP request.
fn to_verdict(chunk: usize) -> Connection {
    let (client_keys, server_keys) = (curve_keypair(), curve_keypair());
    let mut client = Side::new(client_cfg(&client_keys, server_keys.public));
    let mut server = Side::new(server_cfg(&server_keys));
    pump(&mut client, &mut server, chunk);
    assert!(server.hs.is_authenticating());
    let request = server.hs.take_zap_request().expect("a ZAP request");
    Connection {
        client,
        server,
        client_keys,
        request,
    }
}

/// The frames in `wire`.
fn frames(mut wire: BytesMut) -> Vec<Frame> {
    let mut d = FrameDecoder::new(None);
    let mut v = Vec::new();
    while let Some(f) = d.decode(&mut wire).unwrap() {
        v.push(f);
    }
    v
}

#[test]
fn greetings_name_curve_and_the_roles() {
    let keys = curve_keypair();
    for (cfg, as_server) in [(client_cfg(&keys, keys.public), 0), (server_cfg(&keys), 1)] {
        let mut out = BytesMut::new();
        Handshake::new(cfg, &mut out);
        let g = Greeting::decode(&mut out).unwrap().unwrap();
        assert_eq!(g.mechanism, Mechanism::Curve);
        assert_eq!(u8::from(g.as_server), as_server);
    }
}

#[test]
fn an_approved_client_completes_both_sides_then_frames_cross_boxed() {
    for chunk in [1, 7, 200, 100_000] {
        let mut c = to_verdict(chunk);
        let key = Bytes::copy_from_slice(c.client_keys.public.as_bytes());
        assert_eq!(
            c.request.to_frames(),
            ["", "1.0", "1", "global", "127.0.0.1", "srv", "CURVE"]
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .into_iter()
                .chain([key])
                .collect::<Vec<_>>(),
            "the credential is the client's long-term key, 32 raw bytes"
        );
        assert!(matches!(c.client.status, Ok(HandshakeStatus::InProgress)));
        c.server.answer(&reply("200", "joe"));
        pump(&mut c.client, &mut c.server, chunk);
        let seen_by_server = c.server.done().clone();
        assert_eq!(seen_by_server.socket_type, SocketType::Dealer);
        assert_eq!(
            seen_by_server.metadata.get(USER_ID).map(|v| &v[..]),
            Some(&b"joe"[..])
        );
        let seen_by_client = c.client.done().clone();
        assert_eq!(seen_by_client.socket_type, SocketType::Router);
        assert_eq!(seen_by_client.identity.as_deref(), Some(&b"srv"[..]));
        assert!(c.client.inbox.is_empty() && c.server.inbox.is_empty());

        let mut ct = c.client.hs.transform();
        let mut st = c.server.hs.transform();
        assert!(!ct.is_identity() && !st.is_identity());
        let mut wire = BytesMut::new();
        ct.encode(b"part 1", true, false, &mut wire);
        ct.encode(b"part 2", false, false, &mut wire);
        ct.encode_command(&Command::Subscribe(Bytes::from_static(b"news")), &mut wire);
        let got: Vec<Frame> = frames(wire)
            .into_iter()
            .map(|f| st.decode(f).unwrap())
            .collect();
        assert_eq!(
            got.iter().map(|f| (f.more, f.command)).collect::<Vec<_>>(),
            [(true, false), (false, false), (false, true)]
        );
        assert_eq!(got[0].body, "part 1");
        assert_eq!(got[1].body, "part 2");
        assert_eq!(
            Command::parse(got[2].body.clone()).unwrap(),
            Command::Subscribe(Bytes::from_static(b"news"))
        );
        let mut wire = BytesMut::new();
        let ping = Command::Ping {
            ttl_deciseconds: 10,
            context: Bytes::from_static(b"hb"),
        };
        st.encode_command(&ping, &mut wire);
        st.encode(b"reply", false, false, &mut wire);
        let got: Vec<Frame> = frames(wire)
            .into_iter()
            .map(|f| ct.decode(f).unwrap())
            .collect();
        assert_eq!(Command::parse(got[0].body.clone()).unwrap(), ping);
        assert!(got[0].command);
        assert_eq!((got[1].more, got[1].command), (false, false));
        assert_eq!(got[1].body, "reply");
    }
}

#[test]
fn what_the_server_sends_after_ready_waits_for_the_transform() {
    let mut c = to_verdict(100_000);
    c.server.answer(&reply("200", ""));
    // READY and a first MESSAGE reach the client in one read.
    let mut st = c.server.hs.transform();
    st.encode(b"early", false, false, &mut c.server.out);
    deliver(&mut c.server, &mut c.client, usize::MAX);
    assert_eq!(c.client.done().socket_type, SocketType::Router);
    let frame = FrameDecoder::new(None)
        .decode(&mut c.client.inbox)
        .unwrap()
        .unwrap();
    assert_eq!(c.client.hs.transform().decode(frame).unwrap().body, "early");
}

#[test]
fn a_client_with_the_wrong_server_key_is_refused_silently() {
    let (client_keys, server_keys) = (curve_keypair(), curve_keypair());
    let mut client = Side::new(client_cfg(&client_keys, curve_keypair().public));
    let mut server = Side::new(server_cfg(&server_keys));
    pump(&mut client, &mut server, 1000);
    assert_eq!(
        server.status,
        Err(ProtocolError::CryptoFailure(CurveBox::Hello))
    );
    assert!(server.out.is_empty(), "no WELCOME and no ERROR");
    assert!(server.hs.take_zap_request().is_none());
    assert!(matches!(client.status, Ok(HandshakeStatus::InProgress)));
}

#[test]
fn a_refusal_of_the_handler_reaches_the_client_as_its_error() {
    for code in ["400", "500"] {
        let mut c = to_verdict(100_000);
        c.server.answer(&reply(code, ""));
        assert_eq!(
            c.server.status,
            Err(ProtocolError::AuthenticationFailed {
                status: code.parse().unwrap()
            })
        );
        pump(&mut c.client, &mut c.server, 100_000);
        assert_eq!(
            c.client.status,
            Err(ProtocolError::PeerError(code.to_owned()))
        );
    }
    let mut c = to_verdict(100_000);
    c.server.answer(&reply("300", ""));
    assert!(c.server.out.is_empty(), "300 closes without ERROR");
}

#[test]
fn a_refused_socket_type_gets_error_instead_of_ready() {
    let (client_keys, server_keys) = (curve_keypair(), curve_keypair());
    let mut client = Side::new(HandshakeConfig {
        socket_type: SocketType::Pub,
        ..client_cfg(&client_keys, server_keys.public)
    });
    let mut server = Side::new(server_cfg(&server_keys));
    pump(&mut client, &mut server, 100_000);
    server.hs.take_zap_request().unwrap();
    server.answer(&reply("200", ""));
    assert!(matches!(
        server.status,
        Err(ProtocolError::IncompatibleSocketType { .. })
    ));
    let sent: Vec<Command> = frames(server.out.clone())
        .into_iter()
        .map(|f| Command::parse(f.body).unwrap())
        .collect();
    assert_eq!(
        sent,
        [Command::Error {
            reason: "Invalid socket type".into()
        }]
    );
    pump(&mut client, &mut server, 100_000);
    assert_eq!(
        client.status,
        Err(ProtocolError::PeerError("Invalid socket type".into()))
    );
}

#[test]
fn a_tampered_handshake_command_fails_the_feed() {
    // One byte of WELCOME's box flipped on the way.
    let (client_keys, server_keys) = (curve_keypair(), curve_keypair());
    let mut client = Side::new(client_cfg(&client_keys, server_keys.public));
    let mut server = Side::new(server_cfg(&server_keys));
    deliver(&mut client, &mut server, usize::MAX); // the greetings,
    deliver(&mut server, &mut client, usize::MAX);
    deliver(&mut client, &mut server, usize::MAX); // HELLO
    let last = server.out.len() - 1; // the end of WELCOME's box
    server.out[last] ^= 0x20;
    deliver(&mut server, &mut client, usize::MAX);
    assert_eq!(
        client.status,
        Err(ProtocolError::CryptoFailure(CurveBox::Welcome))
    );
    // A HELLO cut short arrives as a whole, shorter command.
    let mut server = Side::new(server_cfg(&server_keys));
    let mut raw = BytesMut::new();
    Greeting::ours(Mechanism::Curve, false).encode(&mut raw);
    Command::Unknown {
        name: "HELLO".into(),
        data: Bytes::from(vec![0u8; 100]),
    }
    .encode(&mut raw);
    server.inbox.extend_from_slice(&raw);
    let r = server.hs.feed(&mut server.inbox, &mut server.out);
    assert!(matches!(
        r,
        Err(ProtocolError::MalformedCurve {
            command: CurveCommand::Hello,
            ..
        })
    ));
}

#[test]
fn mechanisms_and_roles_must_match() {
    let keys = curve_keypair();
    let mut plain = Side::new(HandshakeConfig {
        security: Security::Null,
        ..client_cfg(&keys, keys.public)
    });
    let mut server = Side::new(server_cfg(&keys));
    pump(&mut plain, &mut server, 1000);
    assert_eq!(
        server.status,
        Err(ProtocolError::MechanismMismatch {
            ours: Mechanism::Curve,
            theirs: Mechanism::Null
        })
    );
    // Two servers: each waits for a HELLO that never comes.
    let mut a = Side::new(server_cfg(&keys));
    let mut b = Side::new(server_cfg(&keys));
    pump(&mut a, &mut b, 1000);
    assert!(matches!(a.status, Ok(HandshakeStatus::InProgress)));
    assert!(matches!(b.status, Ok(HandshakeStatus::InProgress)));
}

#[test]
fn debug_output_hides_the_secret_keys() {
    let c = to_verdict(100_000);
    let shown = format!("{:?} {:?}", c.client.hs, c.server.hs);
    assert!(!shown.contains(&c.client_keys.secret.to_z85()), "{shown}");
    assert!(shown.contains(&c.client_keys.public.to_z85()), "{shown}");
}
