//! The one socket interface (SPEC §6.3): failed sends hand the message
//! back, state errors are typed, sockets are `Stream`s and `Sink`s, the
//! `poll_*` forms wake their task, monitors are streams, and code can be
//! generic over the traits.

mod support;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use oxmq::{
    Error, Message, Pull, Push, RecvSocket, Rep, Req, RoutingId, SendSocket, Server, Socket,
    SocketEvent, SocketOptions, StateError,
};
use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;
use support::{inproc_ep, tcp_ep, wait_event, Transport, GUARD};

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(GUARD))
        .sndtimeo(Some(GUARD))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn try_send_hands_the_message_back_when_it_would_block() {
    let push = Push::with_options(opts());
    let msg = Message::from_frames(vec![Bytes::from("a"), Bytes::from("b")]);
    let e = push.try_send(msg.clone()).unwrap_err();
    assert!(matches!(e.error, Error::WouldBlock));
    assert!(e.is_retryable());
    assert_eq!(e.into_message(), msg);
}

#[test]
fn blocking_send_hands_the_message_back_on_timeout() {
    let push = Push::with_options(opts().sndtimeo(Some(Duration::from_millis(30))));
    let e = push.blocking_send("kept").unwrap_err();
    assert!(matches!(e.error, Error::Timeout { .. }), "{e}");
    assert_eq!(e.message, Message::from("kept"));
    // Into oxmq::Error with `?`.
    fn send(p: &Push) -> oxmq::Result<()> {
        Ok(p.blocking_send("x")?)
    }
    assert!(matches!(send(&push), Err(Error::Timeout { .. })));
}

#[test]
fn server_gives_back_the_peer_and_payload() {
    let server = Server::with_options(opts());
    let nobody = RoutingId::new(7).unwrap();
    let e = server.try_send(nobody, "reply").unwrap_err();
    assert!(matches!(e.error, Error::HostUnreachable { routing_id } if routing_id == nobody));
    assert_eq!(e.message, (nobody, Bytes::from("reply")));
}

#[test]
fn state_errors_are_typed() {
    let rep = Rep::with_options(opts());
    let ep = rep.bind(&inproc_ep()).unwrap();
    let req = Req::with_options(opts());
    req.connect(&ep).unwrap();
    let state = |r: oxmq::Result<Message>| match r {
        Err(Error::State(s)) => s,
        other => panic!("expected a state error, got {other:?}"),
    };
    assert_eq!(state(req.try_recv()), StateError::NoRequest);
    let e = rep.try_send("early").unwrap_err();
    assert!(matches!(e.error, Error::State(StateError::NothingToAnswer)));
    assert_eq!(e.message, Message::from("early"), "the reply comes back");
    req.blocking_send("q").unwrap();
    let e = req.try_send("again").unwrap_err();
    assert!(matches!(e.error, Error::State(StateError::ReplyPending)));
    assert_eq!(rep.blocking_recv().unwrap(), Message::from("q"));
    assert_eq!(state(rep.try_recv()), StateError::Unanswered);
    rep.blocking_send("a").unwrap();
    assert_eq!(req.blocking_recv().unwrap(), Message::from("a"));
}

#[test]
fn a_cancelled_req_send_leaves_the_turn() {
    let req = Req::with_options(opts());
    rt().block_on(async {
        // No peer: the send waits; dropping it sends nothing.
        let r = tokio::time::timeout(Duration::from_millis(20), req.send("lost")).await;
        assert!(r.is_err(), "no peer, so the send waits");
    });
    assert!(matches!(
        req.try_recv(),
        Err(Error::State(StateError::NoRequest))
    ));
    let e = req.try_send("next").unwrap_err();
    assert!(
        matches!(e.error, Error::WouldBlock),
        "not SendInProgress: {e}"
    );
}

fn sockets_are_streams_and_sinks(t: Transport) {
    let ep = (t.ep)();
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&ep).unwrap();
    let mut push = Push::with_options(opts());
    push.connect(&ep).unwrap();
    rt().block_on(async {
        for i in 0..10u8 {
            push.send(Message::from(vec![i])).await.unwrap();
        }
        push.feed(Message::from("fed")).await.unwrap();
        push.flush().await.unwrap();
        let got: Vec<Message> = (&pull).take(11).map(Result::unwrap).collect().await;
        let mut want: Vec<Message> = (0..10u8).map(|i| Message::from(vec![i])).collect();
        want.push(Message::from("fed"));
        assert_eq!(got, want);
        // The SinkExt path of the owned socket, the stream of the owned one.
        SinkExt::send(&mut push, Message::from("sunk"))
            .await
            .unwrap();
        let mut pull = pull;
        assert_eq!(pull.next().await.unwrap().unwrap(), Message::from("sunk"));
    });
}

#[test]
fn poll_recv_wakes_the_task_when_a_message_arrives() {
    let pull = Pull::with_options(opts());
    let ep = pull.bind(&inproc_ep()).unwrap();
    let push = Push::with_options(opts());
    push.connect(&ep).unwrap();
    rt().block_on(async {
        let mut polls = 0;
        let waiting = poll_fn(|cx| {
            polls += 1;
            RecvSocket::poll_recv(&pull, cx)
        });
        let sender = async {
            tokio::task::yield_now().await;
            push.send("wake").await.unwrap();
        };
        let (got, ()) = tokio::join!(waiting, sender);
        assert_eq!(got.unwrap(), Message::from("wake"));
        assert!(polls >= 2, "the first poll found nothing ({polls} polls)");
    });
}

#[test]
fn poll_send_waits_for_room_and_keeps_the_message_meanwhile() {
    let pull = Pull::with_options(opts().rcvhwm(1));
    let ep = pull.bind(&inproc_ep()).unwrap();
    let push = Push::with_options(opts().sndhwm(1));
    let events = push.monitor();
    push.connect(&ep).unwrap();
    wait_event(&events, "join", |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    });
    let mut sent = 0;
    while push.try_send(Message::from(vec![0])).is_ok() {
        sent += 1;
        assert!(sent < 100, "never full");
    }
    rt().block_on(async {
        let mut slot = Some(Message::from("last"));
        let pending = poll_fn(|cx| match SendSocket::poll_send(&push, cx, &mut slot) {
            Poll::Pending => Poll::Ready(true),
            Poll::Ready(_) => Poll::Ready(false),
        })
        .await;
        assert!(pending, "the pipe is full");
        assert_eq!(slot, Some(Message::from("last")), "kept while pending");
        let sending = poll_fn(|cx| SendSocket::poll_send(&push, cx, &mut slot));
        let draining = async {
            for _ in 0..sent {
                pull.recv().await.unwrap();
            }
        };
        let (r, ()) = tokio::join!(sending, draining);
        r.unwrap();
        assert!(slot.is_none());
        assert_eq!(pull.recv().await.unwrap(), Message::from("last"));
    });
}

#[test]
fn a_monitor_is_a_stream() {
    let pull = Pull::with_options(opts());
    let events = pull.monitor();
    let ep = pull.bind(&tcp_ep()).unwrap();
    rt().block_on(async {
        let first = tokio::time::timeout(GUARD, events.next()).await.unwrap();
        assert_eq!(first, Some(SocketEvent::Listening { endpoint: ep }));
    });
    drop(pull);
    rt().block_on(async {
        let rest: Vec<SocketEvent> = tokio::time::timeout(GUARD, events.collect())
            .await
            .expect("the stream ends once the socket has closed");
        assert!(
            matches!(rest.last(), Some(SocketEvent::Closed { .. })),
            "{rest:?}"
        );
    });
}

/// Code written once for any pair of sockets.
fn relay<R, S>(from: &R, to: &S, n: usize) -> oxmq::Result<()>
where
    R: RecvSocket<Item = Message>,
    S: SendSocket<Item = Message>,
{
    for _ in 0..n {
        to.blocking_send(from.blocking_recv()?)?;
    }
    Ok(())
}

#[test]
fn code_can_be_generic_over_the_traits() {
    let front = Pull::with_options(opts());
    let fep = front.bind(&inproc_ep()).unwrap();
    let back = Push::with_options(opts());
    let sink = Pull::with_options(opts());
    let bep = sink.bind(&tcp_ep()).unwrap();
    back.connect(&bep).unwrap();
    let src = Push::with_options(opts());
    src.connect(&fep).unwrap();
    assert_eq!(Socket::socket_type(&front), oxmq::SocketType::Pull);
    for i in 0..3u8 {
        src.blocking_send(vec![i]).unwrap();
    }
    relay(&front, &back, 3).unwrap();
    for i in 0..3u8 {
        assert_eq!(sink.blocking_recv().unwrap(), Message::from(vec![i]));
    }
}

// ----- instantiation: one test per case and transport ---------------------------

support::transport_cases! {
    fn sockets_are_streams_and_sinks: tcp, ipc, inproc;
}
