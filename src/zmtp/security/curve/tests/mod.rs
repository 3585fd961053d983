//! The CURVE mechanisms on their own (SPEC §9.5): the commands' layout
//! and numbering and the order of the steps here; every refusal, with the
//! far side forged by the test where the real one would never send it, in
//! [`forged`].

use bytes::{BufMut, Bytes, BytesMut};

use super::client::{initiate_data, InitiateParts};
use super::wire::*;
use super::*;
use crate::curve::{curve_keypair, CurveKeypair, CurvePublicKey};
use crate::zmtp::error::{CurveBox, CurveCommand, CurveKey, ProtocolError};
use crate::zmtp::frame::FrameDecoder;
use crate::zmtp::mechanism::Mechanism;
use crate::zmtp::metadata::Metadata;
use crate::zmtp::security::{Security, SecurityMechanism, Step};
use crate::zmtp::transform::nacl::{long_nonce, short_nonce, BoxKey};
use crate::zmtp::transform::Transform;

/// The command bodies in `out`, which it leaves empty.
fn bodies(out: &mut BytesMut) -> Vec<Bytes> {
    let mut decoder = FrameDecoder::new(None);
    let mut v = Vec::new();
    while let Some(frame) = decoder.decode(out).unwrap() {
        assert!(frame.command && !frame.more);
        v.push(frame.body);
    }
    assert!(out.is_empty());
    v
}

/// The one command `out` holds.
fn one(out: &mut BytesMut) -> Bytes {
    let mut v = bodies(out);
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0)
}

fn props(socket_type: &'static str) -> Metadata {
    let mut m = Metadata::new();
    m.insert("Socket-Type", Bytes::from_static(socket_type.as_bytes()));
    m
}

fn flipped(body: &Bytes, at: usize) -> Bytes {
    let mut v = body.to_vec();
    v[at] ^= 0x01;
    Bytes::from(v)
}

/// A client and a server with fresh long-term keys.
struct Peers {
    client: CurveClient,
    server: CurveServer,
    client_keys: CurveKeypair,
    server_keys: CurveKeypair,
}

fn peers() -> Peers {
    let (client_keys, server_keys) = (curve_keypair(), curve_keypair());
    Peers {
        client: CurveClient::new(CurveClientKeys::new(
            client_keys.secret.clone(),
            server_keys.public,
        )),
        server: CurveServer::new(server_keys.secret.clone()),
        client_keys,
        server_keys,
    }
}

impl Peers {
    /// The client's HELLO, its server started.
    fn hello(&mut self) -> Bytes {
        let mut out = BytesMut::new();
        self.server.start(&props("ROUTER"), &mut out).unwrap();
        assert!(out.is_empty(), "the server speaks second");
        self.client.start(&props("DEALER"), &mut out).unwrap();
        one(&mut out)
    }

    /// The server's WELCOME to `hello`.
    fn welcome(&mut self, hello: Bytes) -> Bytes {
        let mut out = BytesMut::new();
        let step = self.server.on_command_frame(hello, &mut out).unwrap();
        assert!(matches!(step, Step::Continue));
        one(&mut out)
    }

    /// The client's INITIATE to `welcome`.
    fn initiate(&mut self, welcome: Bytes) -> Bytes {
        let mut out = BytesMut::new();
        let step = self.client.on_command_frame(welcome, &mut out).unwrap();
        assert!(matches!(step, Step::Continue));
        one(&mut out)
    }

    /// Up to the client's INITIATE, not yet fed to the server.
    fn to_initiate() -> (Peers, Bytes) {
        let mut p = peers();
        let hello = p.hello();
        let welcome = p.welcome(hello);
        let initiate = p.initiate(welcome);
        (p, initiate)
    }

    fn feed_server(&mut self, body: Bytes) -> Result<Step, ProtocolError> {
        self.server.on_command_frame(body, &mut BytesMut::new())
    }
}

#[test]
fn hello_is_laid_out_as_libzmq_lays_it_out() {
    let mut p = peers();
    let hello = p.hello();
    assert_eq!(hello.len(), HELLO_LEN);
    assert_eq!(&hello[..6], b"\x05HELLO");
    assert_eq!(&hello[6..8], &[1, 0], "version 1.0");
    assert!(hello[8..80].iter().all(|&b| b == 0), "72 bytes of padding");
    assert_eq!(
        &hello[112..120],
        &1u64.to_be_bytes(),
        "libzmq's first nonce"
    );
    let client_transient = key_at(&hello, 80).unwrap();
    assert_ne!(client_transient, p.client_keys.public, "a transient key");
    let signature = BoxKey::precompute(&p.server_keys.secret, &client_transient)
        .unwrap()
        .open(&short_nonce(HELLO_PREFIX, 1), &hello[120..])
        .unwrap();
    assert_eq!(&signature[..], &[0u8; 64][..]);
    // Each connection has its own transient key.
    assert_ne!(key_at(&peers().hello(), 80), Some(client_transient));
}

#[test]
fn the_whole_exchange_and_its_nonces() {
    let mut p = peers();
    let hello = p.hello();
    let welcome = p.welcome(hello);
    assert_eq!(welcome.len(), WELCOME_LEN);
    assert_eq!(&welcome[..8], b"\x07WELCOME");
    let initiate = p.initiate(welcome);
    let mut properties = BytesMut::new();
    props("DEALER").encode(&mut properties);
    assert_eq!(initiate.len(), INITIATE_MIN_LEN + properties.len());
    assert_eq!(&initiate[..9], b"\x08INITIATE");
    assert_eq!(&initiate[105..113], &2u64.to_be_bytes(), "HELLO was 1");

    let mut out = BytesMut::new();
    let step = p.server.on_command_frame(initiate, &mut out).unwrap();
    let Step::Authenticate(credentials) = step else {
        panic!("{step:?}");
    };
    assert_eq!(
        credentials,
        [Bytes::copy_from_slice(p.client_keys.public.as_bytes())]
    );
    assert!(out.is_empty(), "nothing before the verdict");
    let Step::Done(theirs) = p.server.approved(&mut out).unwrap() else {
        panic!("no Done");
    };
    assert_eq!(theirs, props("DEALER"));
    assert!(out.is_empty(), "READY waits for the socket-type check");
    p.server.accepted(&mut out);
    let ready = one(&mut out);
    assert_eq!(&ready[..6], b"\x05READY");
    assert_eq!(
        &ready[6..14],
        &1u64.to_be_bytes(),
        "the server counts from 1"
    );
    let Step::Done(theirs) = p.client.on_command_frame(ready, &mut out).unwrap() else {
        panic!("no Done");
    };
    assert_eq!(theirs, props("ROUTER"));
    assert!(out.is_empty());

    // The data phase goes on counting: the client's MESSAGEs from 3, the
    // server's from 2.
    let (mut c, mut s) = (p.client.transform(), p.server.transform());
    one_message(&mut c, &mut s, 3);
    one_message(&mut s, &mut c, 2);
    one_message(&mut c, &mut s, 4);
}

/// Sends a MESSAGE numbered `nonce` from one transform to the other.
fn one_message(from: &mut Transform, to: &mut Transform, nonce: u64) {
    let mut wire = BytesMut::new();
    from.encode(b"data", false, false, &mut wire);
    let frame = FrameDecoder::new(None).decode(&mut wire).unwrap().unwrap();
    assert_eq!(&frame.body[8..16], &nonce.to_be_bytes());
    assert_eq!(to.decode(frame).unwrap().body, "data");
}

#[test]
fn a_client_with_the_wrong_server_key_fails_at_hello() {
    let mut p = peers();
    p.client = CurveClient::new(CurveClientKeys::new(
        p.client_keys.secret.clone(),
        curve_keypair().public,
    ));
    let hello = p.hello();
    assert_eq!(
        p.feed_server(hello),
        Err(ProtocolError::CryptoFailure(CurveBox::Hello))
    );
}

/// A fresh pair up to the server's WELCOME, not yet fed to the client.
fn welcome_of_fresh_pair() -> (Peers, Bytes) {
    let mut p = peers();
    let hello = p.hello();
    let welcome = p.welcome(hello);
    (p, welcome)
}

/// A fresh pair up to the server's READY, not yet fed to the client.
fn ready_of_fresh_pair() -> (Peers, Bytes) {
    let (mut p, initiate) = Peers::to_initiate();
    let mut out = BytesMut::new();
    p.server.on_command_frame(initiate, &mut out).unwrap();
    p.server.approved(&mut out).unwrap();
    p.server.accepted(&mut out);
    let ready = one(&mut out);
    (p, ready)
}

#[test]
fn an_error_from_the_server_is_the_peers_error() {
    let error = |reason: &str| {
        let mut out = BytesMut::new();
        crate::zmtp::command::Command::Error {
            reason: reason.into(),
        }
        .encode(&mut out);
        one(&mut out)
    };
    // Instead of WELCOME.
    let mut p = peers();
    p.hello();
    assert_eq!(
        p.client
            .on_command_frame(error("400"), &mut BytesMut::new()),
        Err(ProtocolError::PeerError("400".into()))
    );
    // Instead of READY.
    let (mut p, _) = Peers::to_initiate();
    assert_eq!(
        p.client
            .on_command_frame(error("500"), &mut BytesMut::new()),
        Err(ProtocolError::PeerError("500".into()))
    );
    // A truncated one is malformed.
    let (mut p, _) = Peers::to_initiate();
    assert!(matches!(
        p.client
            .on_command_frame(Bytes::from_static(b"\x05ERROR\x09ab"), &mut BytesMut::new()),
        Err(ProtocolError::MalformedCommand(_))
    ));
    // Out of turn otherwise.
    let (mut p, initiate) = Peers::to_initiate();
    assert_eq!(
        p.client.on_command_frame(initiate, &mut BytesMut::new()),
        Err(ProtocolError::UnexpectedCommand("INITIATE".into()))
    );
}

#[test]
fn the_server_takes_its_steps_in_order() {
    let mut p = peers();
    let mut out = BytesMut::new();
    assert!(p.server.approved(&mut out).is_err(), "nothing to approve");
    p.server.accepted(&mut out);
    assert!(out.is_empty(), "no READY before the verdict");
    let (mut p, initiate) = Peers::to_initiate();
    p.feed_server(initiate).unwrap();
    p.server.accepted(&mut out);
    assert!(out.is_empty(), "no READY before the approval");
    assert!(p.server.approved(&mut out).is_ok());
    assert!(p.server.approved(&mut out).is_err(), "approved once");
}

#[test]
fn the_parsed_command_path_agrees() {
    let mut p = peers();
    let hello = p.hello();
    let mut out = BytesMut::new();
    let parsed = crate::zmtp::command::Command::parse(hello).unwrap();
    assert!(matches!(
        p.server.on_command(parsed, &mut out),
        Ok(Step::Continue)
    ));
    let parsed = crate::zmtp::command::Command::parse(one(&mut out)).unwrap();
    assert!(matches!(
        p.client.on_command(parsed, &mut out),
        Ok(Step::Continue)
    ));
    assert_eq!(&one(&mut out)[..9], b"\x08INITIATE");
}

#[test]
fn a_transform_is_given_once() {
    let (mut p, ready) = ready_of_fresh_pair();
    p.client
        .on_command_frame(ready, &mut BytesMut::new())
        .unwrap();
    let mut first = p.client.transform();
    let mut second = p.client.transform();
    let mut server = p.server.transform();
    let mut wire = BytesMut::new();
    server.encode(b"x", false, false, &mut wire);
    server.encode(b"y", false, false, &mut wire);
    let mut d = FrameDecoder::new(None);
    let (x, y) = (
        d.decode(&mut wire).unwrap().unwrap(),
        d.decode(&mut wire).unwrap().unwrap(),
    );
    assert_eq!(first.decode(x).unwrap().body, "x");
    assert_eq!(
        second.decode(y),
        Err(ProtocolError::CryptoFailure(CurveBox::Message))
    );
    assert!(matches!(peers().client.transform(), Transform::Curve(_)));
}

#[test]
fn security_names_the_roles_and_hides_the_secrets() {
    let p = peers();
    let client = Security::CurveClient(CurveClientKeys::new(
        p.client_keys.secret.clone(),
        p.server_keys.public,
    ));
    let server = Security::CurveServer {
        secret: p.server_keys.secret.clone(),
    };
    assert_eq!(client.clone(), client);
    assert_ne!(client, server);
    let zap = crate::zmtp::security::zap::ZapConfig::default();
    let (c, s) = (client.mechanism(&zap), server.mechanism(&zap));
    assert_eq!((c.name(), s.name()), (Mechanism::Curve, Mechanism::Curve));
    assert_eq!((c.as_server(), s.as_server()), (false, true));
    let (mut c, mut s) = (p.client, p.server);
    let mut out = BytesMut::new();
    s.start(&props("ROUTER"), &mut out).unwrap();
    c.start(&props("DEALER"), &mut out).unwrap();
    s.on_command_frame(one(&mut out), &mut out).unwrap();
    let shown = format!("{client:?} {server:?} {c:?} {s:?}");
    for secret in [&p.client_keys.secret, &p.server_keys.secret] {
        assert!(!shown.contains(&secret.to_z85()), "{shown}");
        let raw = format!("{:?}", secret.secret_bytes());
        assert!(!shown.contains(&raw[1..raw.len() - 1]), "{shown}");
    }
    assert!(shown.contains(&p.server_keys.public.to_z85()), "{shown}");
    assert!(!shown.contains("BoxKey"), "{shown}");
}

mod forged;
