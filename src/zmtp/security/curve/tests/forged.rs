//! Refusals of malformed, tampered and forged CURVE commands (SPEC §9.5):
//! the far side is the real mechanism with a byte changed, or the test
//! playing it with the same boxes and keys but one thing wrong.

use super::*;

#[test]
fn malformed_hellos_are_refused() {
    let malformed = |r: Result<Step, ProtocolError>| match r {
        Err(ProtocolError::MalformedCurve {
            command: CurveCommand::Hello,
            reason,
        }) => reason,
        other => panic!("{other:?}"),
    };
    let hello = peers().hello();
    let mut long = hello.to_vec();
    long.push(0);
    assert!(malformed(peers().feed_server(Bytes::from(long))).contains("201 bytes"));
    assert!(malformed(peers().feed_server(hello.slice(..199))).contains("199 bytes"));
    for (at, value, why) in [
        (6, 2, "version 2.0"),
        (7, 1, "version 1.1"),
        (40, 1, "padding"),
    ] {
        let mut bad = hello.to_vec();
        bad[at] = value;
        assert!(malformed(peers().feed_server(Bytes::from(bad))).contains(why));
    }
    // Another name, or a command out of turn.
    let mut named = hello.to_vec();
    named[1..6].copy_from_slice(b"HELLP");
    assert_eq!(
        peers().feed_server(Bytes::from(named)),
        Err(ProtocolError::UnexpectedCommand("HELLP".into()))
    );
    let (mut p, initiate) = Peers::to_initiate();
    assert_eq!(
        peers().feed_server(initiate),
        Err(ProtocolError::UnexpectedCommand("INITIATE".into()))
    );
    assert_eq!(
        p.feed_server(hello.clone()),
        Err(ProtocolError::UnexpectedCommand("HELLO".into()))
    );
    assert!(matches!(
        peers().feed_server(Bytes::new()),
        Err(ProtocolError::MalformedCommand(_))
    ));
    // A signature box that opens but does not hold zeros.
    let mut p = peers();
    let transient = curve_keypair();
    let key = BoxKey::precompute(&transient.secret, &p.server_keys.public).unwrap();
    let mut forged = BytesMut::from(&hello[..80]);
    forged.put_slice(transient.public.as_bytes());
    forged.put_u64(1);
    key.seal_into(&short_nonce(HELLO_PREFIX, 1), &[1u8; 64], &mut forged);
    assert!(malformed(p.feed_server(forged.freeze())).contains("64 zero bytes"));
}

/// The four encodings of points of order 1, 2 and 4 whose X25519 product
/// with any key is zero.
fn low_order_keys() -> Vec<CurvePublicKey> {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let mut p1 = p;
    p1[0] = 0xee;
    let mut one = [0u8; 32];
    one[0] = 1;
    [[0u8; 32], one, p, p1]
        .map(CurvePublicKey::from_bytes)
        .to_vec()
}

#[test]
fn low_order_keys_are_refused_everywhere() {
    for weak in low_order_keys() {
        // As the server's key, on the client: before HELLO goes out.
        let mut client = CurveClient::new(CurveClientKeys::new(curve_keypair().secret, weak));
        let mut out = BytesMut::new();
        assert_eq!(
            client.start(&props("DEALER"), &mut out).unwrap_err(),
            ProtocolError::WeakKey(CurveKey::ServerLongTerm)
        );
        assert!(out.is_empty());
        // As the client's transient key in HELLO.
        let mut p = peers();
        let mut hello = p.hello().to_vec();
        hello[80..112].copy_from_slice(weak.as_bytes());
        assert_eq!(
            p.feed_server(Bytes::from(hello)),
            Err(ProtocolError::WeakKey(CurveKey::ClientTransient))
        );
        // As the server's transient key in WELCOME.
        let mut p = peers();
        let hello = p.hello();
        let welcome = forge_welcome(&p.server_keys, &hello, weak, &[0; COOKIE_LEN]);
        assert_eq!(
            p.client
                .on_command_frame(welcome, &mut BytesMut::new())
                .unwrap_err(),
            ProtocolError::WeakKey(CurveKey::ServerTransient)
        );
        // As the client's long-term key in INITIATE.
        let (mut p, _) = Peers::to_initiate();
        let forged = p.forge_initiate(|parts| parts.client = weak);
        assert_eq!(
            p.feed_server(forged),
            Err(ProtocolError::WeakKey(CurveKey::ClientLongTerm))
        );
    }
}

/// A WELCOME to `hello` from the server `keys`, naming `transient` as S'.
fn forge_welcome(
    keys: &CurveKeypair,
    hello: &[u8],
    transient: CurvePublicKey,
    cookie: &[u8],
) -> Bytes {
    let key = BoxKey::precompute(&keys.secret, &key_at(hello, 80).unwrap()).unwrap();
    let mut plain = transient.as_bytes().to_vec();
    plain.extend_from_slice(cookie);
    let mut data = BytesMut::from(&[5u8; 16][..]);
    key.seal_into(&long_nonce(WELCOME_PREFIX, &[5; 16]), &plain, &mut data);
    let mut out = BytesMut::new();
    put_command(WELCOME, data, &mut out);
    one(&mut out)
}

/// What a test that plays the client learns of the server's WELCOME.
struct Played {
    client_transient: CurveKeypair,
    server_transient: CurvePublicKey,
    cookie: Vec<u8>,
}

impl Peers {
    /// Plays the client from a fresh HELLO to the WELCOME of the server
    /// (which must be in its first state).
    fn play_client(&mut self) -> Played {
        let mut out = BytesMut::new();
        self.server.start(&props("ROUTER"), &mut out).unwrap();
        let client_transient = curve_keypair();
        let to_server =
            BoxKey::precompute(&client_transient.secret, &self.server_keys.public).unwrap();
        let mut data = BytesMut::new();
        data.put_slice(&[1, 0]);
        data.put_bytes(0, HELLO_PADDING);
        data.put_slice(client_transient.public.as_bytes());
        data.put_u64(1);
        to_server.seal_into(&short_nonce(HELLO_PREFIX, 1), &SIGNATURE, &mut data);
        put_command(HELLO, data, &mut out);
        let welcome = self.welcome(one(&mut out));
        let opened = to_server
            .open(
                &long_nonce(WELCOME_PREFIX, &long_nonce_at(&welcome, 8).unwrap()),
                &welcome[24..],
            )
            .unwrap();
        Played {
            client_transient,
            server_transient: key_at(&opened, 0).unwrap(),
            cookie: opened[32..].to_vec(),
        }
    }

    /// A fresh server's INITIATE as the real client would make it, after
    /// `change` (nonce 2 unless changed).
    fn forge_initiate(&mut self, change: impl FnOnce(&mut InitiateParts<'_>)) -> Bytes {
        self.forge_initiate_numbered(2, change)
    }

    fn forge_initiate_numbered(
        &mut self,
        nonce: u64,
        change: impl FnOnce(&mut InitiateParts<'_>),
    ) -> Bytes {
        self.server = CurveServer::new(self.server_keys.secret.clone());
        let played = self.play_client();
        let session =
            BoxKey::precompute(&played.client_transient.secret, &played.server_transient).unwrap();
        let vouch_key =
            BoxKey::precompute(&self.client_keys.secret, &played.server_transient).unwrap();
        let properties = props("DEALER");
        let mut parts = InitiateParts {
            session: &session,
            vouch_key: &vouch_key,
            client: self.client_keys.public,
            client_transient: played.client_transient.public,
            vouched_server: self.server_keys.public,
            cookie: &played.cookie,
            properties: &properties,
        };
        change(&mut parts);
        let mut out = BytesMut::new();
        put_command(INITIATE, initiate_data(&parts, nonce), &mut out);
        one(&mut out)
    }
}

#[test]
fn a_forged_initiate_made_right_is_accepted() {
    let (mut p, _) = Peers::to_initiate();
    let initiate = p.forge_initiate(|_| {});
    assert!(matches!(p.feed_server(initiate), Ok(Step::Authenticate(_))));
}

#[test]
fn malformed_or_tampered_initiates_are_refused() {
    let (mut p, initiate) = Peers::to_initiate();
    assert!(matches!(
        p.feed_server(initiate.slice(..INITIATE_MIN_LEN - 1)),
        Err(ProtocolError::MalformedCurve {
            command: CurveCommand::Initiate,
            ..
        })
    ));
    for (at, expected) in [
        (9, ProtocolError::CryptoFailure(CurveBox::Cookie)),
        (60, ProtocolError::CryptoFailure(CurveBox::Cookie)),
        (104, ProtocolError::CryptoFailure(CurveBox::Cookie)),
        (112, ProtocolError::CryptoFailure(CurveBox::Initiate)),
        (113, ProtocolError::CryptoFailure(CurveBox::Initiate)),
        (
            initiate.len() - 1,
            ProtocolError::CryptoFailure(CurveBox::Initiate),
        ),
    ] {
        let (mut p, initiate) = Peers::to_initiate();
        assert_eq!(
            p.feed_server(flipped(&initiate, at)),
            Err(expected),
            "byte {at}"
        );
    }
    // A cookie is good for the one server that made it.
    let (_, initiate) = Peers::to_initiate();
    let (mut other, _) = Peers::to_initiate();
    assert_eq!(
        other.feed_server(initiate),
        Err(ProtocolError::CryptoFailure(CurveBox::Cookie))
    );
}

#[test]
fn the_vouch_must_name_this_server_and_this_transient_key() {
    let (mut p, _) = Peers::to_initiate();
    let other = curve_keypair().public;
    let forged = p.forge_initiate(|parts| parts.vouched_server = other);
    assert_eq!(
        p.feed_server(forged),
        Err(ProtocolError::KeyMismatch {
            key: CurveKey::ServerLongTerm,
            within: CurveBox::Vouch
        })
    );
    let forged = p.forge_initiate(|parts| parts.client_transient = other);
    assert_eq!(
        p.feed_server(forged),
        Err(ProtocolError::KeyMismatch {
            key: CurveKey::ClientTransient,
            within: CurveBox::Vouch
        })
    );
    // A vouch sealed by another long-term key than the one named.
    let forged = p.forge_initiate(|parts| parts.client = other);
    assert_eq!(
        p.feed_server(forged),
        Err(ProtocolError::CryptoFailure(CurveBox::Vouch))
    );
}

#[test]
fn initiate_must_count_past_hello() {
    let (mut p, _) = Peers::to_initiate();
    let forged = p.forge_initiate_numbered(1, |_| {});
    assert_eq!(
        p.feed_server(forged),
        Err(ProtocolError::InvalidNonce {
            command: CurveCommand::Initiate,
            nonce: 1,
            last: 1
        })
    );
    let forged = p.forge_initiate_numbered(u64::MAX, |_| {});
    assert!(matches!(p.feed_server(forged), Ok(Step::Authenticate(_))));
}

#[test]
fn malformed_or_tampered_welcomes_and_readies_are_refused() {
    let err = |p: &mut Peers, body: Bytes| {
        p.client
            .on_command_frame(body, &mut BytesMut::new())
            .unwrap_err()
    };
    let (mut p, welcome) = welcome_of_fresh_pair();
    assert!(matches!(
        err(&mut p, welcome.slice(..167)),
        ProtocolError::MalformedCurve {
            command: CurveCommand::Welcome,
            ..
        }
    ));
    for at in [8, 23, 24, 100, 167] {
        let (mut p, welcome) = welcome_of_fresh_pair();
        assert_eq!(
            err(&mut p, flipped(&welcome, at)),
            ProtocolError::CryptoFailure(CurveBox::Welcome),
            "byte {at}"
        );
    }
    // READY: too short, or tampered.
    let (mut p, ready) = ready_of_fresh_pair();
    assert!(matches!(
        err(&mut p, ready.slice(..29)),
        ProtocolError::MalformedCurve {
            command: CurveCommand::Ready,
            ..
        }
    ));
    let (mut p, ready) = ready_of_fresh_pair();
    for at in [6, 13, 14, ready.len() - 1] {
        let (mut q, ready) = ready_of_fresh_pair();
        assert_eq!(
            err(&mut q, flipped(&ready, at)),
            ProtocolError::CryptoFailure(CurveBox::Ready),
            "byte {at}"
        );
    }
    assert!(matches!(
        p.client.on_command_frame(ready, &mut BytesMut::new()),
        Ok(Step::Done(_))
    ));
}
