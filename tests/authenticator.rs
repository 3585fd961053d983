//! The ready-made ZAP handler, `oxmq::auth::Authenticator` (SPEC §9.7),
//! judging oxmq PLAIN and NULL clients over tcp: passwords by domain,
//! allow and deny lists, a custom async callback, start and stop.

mod support;

use bytes::Bytes;
use oxmq::auth::{AuthRequest, Authenticator, Verdict};
use oxmq::{
    Dealer, DisconnectReason, Message, Monitor, ProtocolError, Router, SocketEvent, SocketOptions,
};
use std::time::Duration;
use support::wait_event;
use support::zap_handler::turn;

const TIMEOUT: Duration = Duration::from_secs(10);

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .sndtimeo(Some(TIMEOUT))
        .rcvtimeo(Some(TIMEOUT))
        // A refused client must not try again within a case: the next
        // attempt's outcome would meet its second failure on the monitor.
        .reconnect_ivl(Duration::from_secs(60))
}

fn server(options: SocketOptions) -> (Router, String, Monitor) {
    let s = Router::with_options(options);
    let ep = s.bind(&support::tcp_ep()).expect("bind");
    let mon = s.monitor();
    (s, ep, mon)
}

fn plain(user: &str, password: &str) -> Dealer {
    Dealer::with_options(
        opts()
            .plain_username(user.to_owned())
            .plain_password(password.to_owned()),
    )
}

/// The first handshake result on `mon`: `Ok` or the failure.
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

fn refused(status: u16) -> Result<(), DisconnectReason> {
    Err(DisconnectReason::Protocol(
        ProtocolError::AuthenticationFailed { status },
    ))
}

/// Connects `client` to `ep` and returns the server-side outcome.
fn attempt(client: &Dealer, ep: &str, mon: &Monitor) -> Result<(), DisconnectReason> {
    client.connect(ep).expect("connect");
    outcome(mon)
}

#[test]
fn plain_passwords_by_domain() {
    let _turn = turn();
    let auth = Authenticator::start().expect("start");
    auth.configure_plain("*", [("admin", "secret")]);
    auth.configure_plain("ops", [("root", "toor")]);

    let (srv, ep, mon) = server(opts().plain_server(true));
    let client = plain("admin", "secret");
    assert_eq!(attempt(&client, &ep, &mon), Ok(()));
    client.blocking_send("hi").expect("send");
    let got = srv.blocking_recv().expect("recv");
    assert_eq!(got.property("User-Id").map(|v| &v[..]), Some(&b"admin"[..]));

    let client = plain("admin", "wrong");
    assert_eq!(attempt(&client, &ep, &mon), refused(400));

    let (_ops, ep, mon) = server(opts().plain_server(true).zap_domain("ops"));
    assert_eq!(
        attempt(&plain("admin", "secret"), &ep, &mon),
        refused(400),
        "not in ops"
    );
    assert_eq!(attempt(&plain("root", "toor"), &ep, &mon), Ok(()));
}

#[test]
fn allow_and_deny_lists() {
    let _turn = turn();
    let auth = Authenticator::start().expect("start");
    auth.configure_plain("*", [("admin", "secret")]);
    let (_srv, ep, mon) = server(opts().plain_server(true));

    auth.deny("127.0.0.1");
    assert_eq!(attempt(&plain("admin", "secret"), &ep, &mon), refused(400));

    // An allow list makes the deny list moot, and refuses the rest.
    auth.allow("10.1.2.3");
    assert_eq!(attempt(&plain("admin", "secret"), &ep, &mon), refused(400));
    auth.allow("127.0.0.1");
    assert_eq!(attempt(&plain("admin", "secret"), &ep, &mon), Ok(()));
    // Even an allowed address must give a valid password.
    assert_eq!(attempt(&plain("admin", "nope"), &ep, &mon), refused(400));
}

#[test]
fn null_with_a_domain_is_let_in_unless_denied() {
    let _turn = turn();
    let auth = Authenticator::start().expect("start");
    let (_srv, ep, mon) = server(opts().zap_domain("global"));
    assert_eq!(attempt(&Dealer::with_options(opts()), &ep, &mon), Ok(()));
    auth.deny("127.0.0.1");
    assert_eq!(
        attempt(&Dealer::with_options(opts()), &ep, &mon),
        refused(400)
    );
}

#[test]
fn a_custom_async_callback_decides() {
    let _turn = turn();
    let auth = Authenticator::start().expect("start");
    auth.set_callback(|req: AuthRequest| async move {
        // Any awaiting work (a database, say) may happen here.
        tokio::task::yield_now().await;
        match req.plain() {
            Some((user, _)) if user == b"carol" => {
                Verdict::allow("carol-id").with_property("Role", Bytes::from_static(b"auditor"))
            }
            Some(_) => Verdict::deny("not carol"),
            None => Verdict::error("PLAIN only"),
        }
    });
    let (srv, ep, mon) = server(opts().plain_server(true));
    let carol = plain("carol", "anything");
    assert_eq!(attempt(&carol, &ep, &mon), Ok(()));
    carol.blocking_send(Message::from("x")).expect("send");
    let got = srv.blocking_recv().expect("recv");
    assert_eq!(
        got.property("User-Id").map(|v| &v[..]),
        Some(&b"carol-id"[..])
    );
    assert_eq!(got.property("role").map(|v| &v[..]), Some(&b"auditor"[..]));
    assert_eq!(attempt(&plain("dave", "x"), &ep, &mon), refused(400));
}

#[test]
fn one_handler_at_a_time_and_stop_unbinds() {
    let _turn = turn();
    let auth = Authenticator::start().expect("start");
    assert!(Authenticator::start().is_err(), "the endpoint is taken");
    auth.configure_plain("*", [("admin", "secret")]);
    let (_srv, ep, mon) = server(opts().plain_server(true));
    assert_eq!(attempt(&plain("admin", "secret"), &ep, &mon), Ok(()));
    auth.stop();
    let reason = attempt(&plain("admin", "secret"), &ep, &mon).expect_err("no handler");
    assert!(
        matches!(
            reason,
            DisconnectReason::Protocol(ProtocolError::NoZapHandler(_))
        ),
        "{reason:?}"
    );
    let again = Authenticator::start().expect("the endpoint is free again");
    again.configure_plain("*", [("admin", "secret")]);
    assert_eq!(attempt(&plain("admin", "secret"), &ep, &mon), Ok(()));
}
