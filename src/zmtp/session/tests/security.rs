//! SPEC §9.2, §9.3: a PLAIN client session and a PLAIN server session
//! talking through memory, the server asking for the ZAP verdict as an
//! event and getting it with `handle_zap`.

use super::*;
use crate::zmtp::security::plain::PlainCredentials;
use crate::zmtp::security::zap::ZapOutcome;

fn plain_pair(clock: &Clock) -> (Session, Session) {
    let mut c = config(SocketType::Dealer);
    c.security = Security::PlainClient(PlainCredentials::new("admin", "secret").unwrap());
    let mut s = config(SocketType::Router);
    s.security = Security::PlainServer;
    s.zap.domain = Bytes::from_static(b"global");
    s.peer_address = Bytes::from_static(b"127.0.0.1");
    (Session::new(c, clock.now()), Session::new(s, clock.now()))
}

/// Moves bytes both ways until neither side writes.
fn pump(a: &mut Session, b: &mut Session, clock: &Clock) {
    for _ in 0..50 {
        let ab = drain(a);
        let ba = drain(b);
        if ab.is_empty() && ba.is_empty() {
            return;
        }
        b.handle_bytes(clock.now(), &ab);
        a.handle_bytes(clock.now(), &ba);
    }
    panic!("never settled");
}

fn zap_reply(code: &str) -> Vec<Bytes> {
    [
        b"" as &[u8],
        b"1.0",
        b"1",
        code.as_bytes(),
        b"",
        b"joe",
        b"",
    ]
    .into_iter()
    .map(Bytes::copy_from_slice)
    .collect()
}

#[test]
fn the_server_asks_for_a_verdict_and_goes_on_with_it() {
    let clock = Clock::new();
    let (mut client, mut server) = plain_pair(&clock);
    // Sent before the handshake: it waits, and goes out once established.
    client.send_message(Message::from_frames(vec![Bytes::from_static(b"hi")]));
    pump(&mut client, &mut server, &clock);
    let request = match &events(&mut server)[..] {
        [SessionEvent::ZapRequest(r)] => r.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(request.mechanism, Mechanism::Plain);
    assert_eq!(request.domain, "global");
    assert_eq!(request.address, "127.0.0.1");
    assert_eq!(request.credentials, ["admin", "secret"]);
    assert!(
        events(&mut client).is_empty(),
        "the client waits for WELCOME"
    );

    server.handle_zap(clock.now(), ZapOutcome::Reply(zap_reply("200")));
    pump(&mut client, &mut server, &clock);
    match &events(&mut server)[..] {
        [SessionEvent::Established(info)] => {
            assert_eq!(info.socket_type, SocketType::Dealer);
            assert_eq!(
                info.metadata.get("User-Id").map(|v| &v[..]),
                Some(&b"joe"[..])
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &events(&mut client)[..],
        [SessionEvent::Established(_)]
    ));
    let got = messages(&mut server);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].frames(), &["hi"]);
}

#[test]
fn a_refusal_ends_both_sessions_with_reasons() {
    let clock = Clock::new();
    let (mut client, mut server) = plain_pair(&clock);
    pump(&mut client, &mut server, &clock);
    events(&mut server);
    server.handle_zap(clock.now(), ZapOutcome::Reply(zap_reply("400")));
    assert_eq!(
        closed(&mut server),
        SessionEnd::Protocol(ProtocolError::AuthenticationFailed { status: 400 })
    );
    pump(&mut client, &mut server, &clock);
    assert_eq!(
        closed(&mut client),
        SessionEnd::Protocol(ProtocolError::PeerError("400".into()))
    );
}

#[test]
fn the_handshake_deadline_runs_while_the_handler_decides() {
    let mut clock = Clock::new();
    let (mut client, mut server) = {
        let (c, _) = plain_pair(&clock);
        let mut s = config(SocketType::Router);
        s.security = Security::PlainServer;
        s.handshake_timeout = Some(Duration::from_secs(1));
        (c, Session::new(s, clock.now()))
    };
    pump(&mut client, &mut server, &clock);
    assert!(matches!(
        &events(&mut server)[..],
        [SessionEvent::ZapRequest(_)]
    ));
    let t = clock.advance(Duration::from_secs(1));
    server.handle_timeout(t);
    assert_eq!(closed(&mut server), SessionEnd::HandshakeTimeout);
    // A reply that comes too late changes nothing.
    server.handle_zap(t, ZapOutcome::Reply(zap_reply("200")));
    assert!(events(&mut server).is_empty());
}

#[test]
fn a_reply_nobody_waits_for_is_ignored() {
    let clock = Clock::new();
    let mut s = established(SocketType::Dealer, "DEALER", &clock);
    s.handle_zap(clock.now(), ZapOutcome::Reply(zap_reply("200")));
    assert!(s.end().is_none());
    assert!(events(&mut s).is_empty());
}
