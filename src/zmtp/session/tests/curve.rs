//! SPEC §9.5: two CURVE sessions through memory. After the handshake
//! nothing crosses in clear: messages, subscriptions and heartbeats all
//! travel as MESSAGE boxes in data frames.

use super::*;
use crate::curve::curve_keypair;
use crate::zmtp::error::CurveBox;
use crate::zmtp::security::curve::CurveClientKeys;
use crate::zmtp::security::zap::ZapOutcome;

fn zap_ok() -> Vec<Bytes> {
    ["", "1.0", "1", "200", "", "", ""]
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .to_vec()
}

/// A CURVE client of type `c` and server of type `s`, established (the
/// server's ZAP request approved), with `client_cfg` applied first.
fn curve_pair(
    c: SocketType,
    s: SocketType,
    client_cfg: impl FnOnce(&mut SessionConfig),
    clock: &Clock,
) -> (Session, Session) {
    let (client_keys, server_keys) = (curve_keypair(), curve_keypair());
    let mut cc = config(c);
    cc.security =
        Security::CurveClient(CurveClientKeys::new(client_keys.secret, server_keys.public));
    client_cfg(&mut cc);
    let mut sc = config(s);
    sc.security = Security::CurveServer {
        secret: server_keys.secret,
    };
    let (mut client, mut server) = (Session::new(cc, clock.now()), Session::new(sc, clock.now()));
    pump(&mut client, &mut server, clock.now(), 1000);
    match &events(&mut server)[..] {
        [SessionEvent::ZapRequest(r)] => {
            assert_eq!(r.mechanism, Mechanism::Curve);
            assert_eq!(
                r.credentials,
                [Bytes::copy_from_slice(client_keys.public.as_bytes())]
            );
        }
        other => panic!("{other:?}"),
    }
    server.handle_zap(clock.now(), ZapOutcome::Reply(zap_ok()));
    pump(&mut client, &mut server, clock.now(), 1000);
    for side in [&mut client, &mut server] {
        assert!(matches!(&events(side)[..], [SessionEvent::Established(_)]));
    }
    (client, server)
}

/// What `from` writes, checked to be MESSAGE data frames only and to hold
/// none of `secrets`, then handed to `to`.
fn cross(from: &mut Session, to: &mut Session, now: Instant, secrets: &[&[u8]]) {
    let wire = drain(from);
    for f in frames(&wire) {
        assert!(!f.command && !f.more, "{f:?}");
        assert!(f.body.starts_with(b"\x07MESSAGE"));
    }
    for secret in secrets {
        assert!(
            !wire.windows(secret.len()).any(|w| w == *secret),
            "{secret:?} in clear"
        );
    }
    to.handle_bytes(now, &wire);
}

#[test]
fn subscriptions_and_messages_cross_in_boxes() {
    let clock = Clock::new();
    let (mut sub, mut publisher) = curve_pair(SocketType::Sub, SocketType::Pub, |_| {}, &clock);
    sub.send_message(Message::from(Bytes::from_static(b"\x01weather")));
    cross(
        &mut sub,
        &mut publisher,
        clock.now(),
        &[b"weather", b"SUBSCRIBE"],
    );
    let got = messages(&mut publisher);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].frames(), &["\x01weather"]);

    publisher.send_message(Message::from_frames(vec![
        Bytes::from_static(b"weather"),
        Bytes::from_static(b"sunny, 21 C"),
    ]));
    cross(
        &mut publisher,
        &mut sub,
        clock.now(),
        &[b"weather", b"sunny"],
    );
    let got = messages(&mut sub);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].frames(), &["weather", "sunny, 21 C"]);
    assert!(sub.end().is_none() && publisher.end().is_none());
}

#[test]
fn heartbeats_cross_in_boxes() {
    let mut clock = Clock::new();
    let (mut client, mut server) = curve_pair(
        SocketType::Dealer,
        SocketType::Router,
        |c| {
            c.heartbeat = HeartbeatConfig {
                interval: Some(Duration::from_millis(100)),
                timeout: Some(Duration::from_millis(1000)),
                ttl: None,
            }
        },
        &clock,
    );
    for _ in 0..3 {
        let now = clock.advance(Duration::from_millis(100));
        client.handle_timeout(now);
        cross(&mut client, &mut server, now, &[b"PING"]);
        cross(&mut server, &mut client, now, &[b"PONG"]);
    }
    // The PONGs kept the client alive past its timeout.
    let now = clock.advance(Duration::from_millis(100));
    client.handle_timeout(now);
    assert!(client.end().is_none() && server.end().is_none());
}

#[test]
fn a_byte_changed_on_the_wire_ends_the_session() {
    let clock = Clock::new();
    let (mut client, mut server) =
        curve_pair(SocketType::Dealer, SocketType::Router, |_| {}, &clock);
    client.send_message(Message::from(Bytes::from_static(b"payload")));
    let mut wire = drain(&mut client);
    let last = wire.len() - 1;
    wire[last] ^= 0x40;
    server.handle_bytes(clock.now(), &wire);
    assert_eq!(
        protocol(&mut server),
        ProtocolError::CryptoFailure(CurveBox::Message)
    );
    assert!(messages(&mut server).is_empty());
}

#[test]
fn a_frame_in_clear_ends_the_session() {
    let clock = Clock::new();
    let (mut client, _server) = curve_pair(SocketType::Dealer, SocketType::Router, |_| {}, &clock);
    client.handle_bytes(clock.now(), &msg_bytes(&[b"in clear"]));
    assert!(matches!(
        protocol(&mut client),
        ProtocolError::MalformedCurve { .. }
    ));
}
