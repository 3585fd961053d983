//! # A short guide to oxmq
//!
//! For people who know ZeroMQ, and for people who do not yet. Every
//! example here runs as a doc test. The contract behind each part is in
//! SPEC.md; the zguide's examples, written for oxmq, are in
//! `examples/zguide/` (`cargo run --example hwserver`, and so on).
//!
//! ## The patterns, and when to use each
//!
//! | sockets | use it for | on a full queue |
//! |---|---|---|
//! | [`Client`](crate::Client) / [`Server`](crate::Server) | requests and replies, any number in flight, single-frame messages (RFC 41) | waits (back-pressure); an unknown peer is an error |
//! | [`Req`](crate::Req) / [`Rep`](crate::Rep) | the classic strict request-reply, one at a time | waits |
//! | [`Dealer`](crate::Dealer) / [`Router`](crate::Router) | asynchronous request-reply, brokers, load balancing | waits (ROUTER drops unless `router_mandatory`) |
//! | [`Push`](crate::Push) / [`Pull`](crate::Pull) | pipelines: fan work out, collect results | waits |
//! | [`Pub`](crate::Pub) / [`Sub`](crate::Sub), [`XPub`](crate::XPub) / [`XSub`](crate::XSub) | data distribution by topic prefix | drops for that subscriber only |
//! | [`Pair`](crate::Pair) | one exclusive peer, e.g. between two threads | waits |
//!
//! New code asking "request and reply" should start with CLIENT and
//! SERVER: they never drop, they tell you which client asked, and a
//! reply to a client that left is an error, not a silent loss.
//!
//! ```
//! use oxmq::{Client, Server};
//!
//! let server = Server::new();
//! let endpoint = server.bind("tcp://127.0.0.1:0").unwrap(); // the real port
//! let client = Client::new();
//! client.connect(&endpoint).unwrap();
//! client.blocking_send("ping").unwrap();
//! let (who, msg) = server.blocking_recv().unwrap();
//! assert_eq!(msg, "ping");
//! server.blocking_send(who, "pong").unwrap();
//! assert_eq!(client.blocking_recv().unwrap(), "pong");
//! ```
//!
//! Publish-subscribe, with a topic prefix:
//!
//! ```
//! use oxmq::{Pub, Sub};
//!
//! let publisher = Pub::new();
//! publisher.bind("inproc://guide-weather").unwrap();
//! let subscriber = Sub::new();
//! subscriber.subscribe("10001 ").unwrap();
//! subscriber.connect("inproc://guide-weather").unwrap();
//! // A subscription travels to the publisher; until it has arrived, PUB
//! // sends to nobody (the zguide's "slow joiner"). Send until one lands.
//! loop {
//!     publisher.blocking_send("10001 25C").unwrap();
//!     publisher.blocking_send("90210 30C").unwrap();
//!     if let Ok(m) = subscriber.try_recv() {
//!         assert_eq!(m, oxmq::Message::from("10001 25C"));
//!         break;
//!     }
//!     std::thread::yield_now();
//! }
//! ```
//!
//! ## Three forms of every call
//!
//! Each send and receive comes as `blocking_*` (a plain thread; waits up
//! to `sndtimeo`/`rcvtimeo`), `async` (`send(..).await`, any executor)
//! and `try_*` (never waits: [`Error::WouldBlock`](crate::Error::WouldBlock)).
//! A send that does not happen gives the message back inside its
//! [`SendError`](crate::SendError). Sockets are `Send + Sync`: share one
//! with an `Arc`. Receiving sockets are `futures::Stream`s, sending ones
//! `futures::Sink`s.
//!
//! ```
//! use oxmq::{Error, Pull, Push};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let pull = Pull::new();
//! pull.bind("inproc://guide-forms").unwrap();
//! // Nothing queued: try_recv does not wait.
//! assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
//! let push = Push::new();
//! push.connect("inproc://guide-forms").unwrap();
//! push.send("async").await.unwrap();
//! assert_eq!(pull.recv().await.unwrap(), oxmq::Message::from("async"));
//! # });
//! ```
//!
//! ## Waiting on many sockets
//!
//! In blocking code, a [`Poller`](crate::Poller) is `zmq_poll`: sockets
//! and raw file descriptors, readable or writable, with a timeout. In
//! async code, no poller is needed: `tokio::select!` over `recv()` (it
//! is cancel-safe), or `futures::stream::select_all` over the sockets'
//! streams.
//!
//! ```
//! use std::time::Duration;
//! use oxmq::{Interest, Poller, Pull, Push};
//!
//! let (tasks, control) = (Pull::new(), Pull::new());
//! tasks.bind("inproc://guide-tasks").unwrap();
//! control.bind("inproc://guide-control").unwrap();
//! let mut poller = Poller::new().unwrap();
//! let t = poller.add(&tasks, Interest::READABLE);
//! let c = poller.add(&control, Interest::READABLE);
//! let stop = Push::new();
//! stop.connect("inproc://guide-control").unwrap();
//! stop.blocking_send("KILL").unwrap();
//! let ready = poller.poll(Some(Duration::from_secs(5))).unwrap();
//! assert_eq!(ready[0].token, c);
//! assert_ne!(ready[0].token, t);
//! ```
//!
//! ## Options
//!
//! Options are set when the socket is made, with a builder of
//! [`SocketOptions`](crate::SocketOptions) (SPEC §7); the names are
//! libzmq's.
//!
//! ```
//! use std::time::Duration;
//! use oxmq::{Req, SocketOptions};
//!
//! let req = Req::with_options(
//!     SocketOptions::default()
//!         .sndhwm(10_000)
//!         .rcvtimeo(Some(Duration::from_millis(100)))
//!         .linger(Some(Duration::ZERO)),
//! );
//! req.connect("tcp://127.0.0.1:1").unwrap(); // nobody there: it retries
//! req.blocking_send("anyone?").unwrap(); // queued for when it connects
//! assert!(matches!(req.blocking_recv(), Err(oxmq::Error::Timeout { .. })));
//! ```
//!
//! ## Monitoring
//!
//! [`monitor()`](crate::Socket::monitor) gives a stream of
//! [`SocketEvent`](crate::SocketEvent)s (connected, handshake, disconnected
//! with its reason, …); [`stats()`](crate::Socket::stats) gives counters;
//! and the `tracing` crate gets a span per connection and events at the
//! levels you would expect (SPEC §6.6; `examples/tracing.rs`).
//!
//! ```
//! use std::time::Duration;
//! use oxmq::{Pull, Push, SocketEvent};
//!
//! let pull = Pull::new();
//! let endpoint = pull.bind("tcp://127.0.0.1:0").unwrap();
//! let push = Push::new();
//! let monitor = push.monitor();
//! push.connect(&endpoint).unwrap();
//! loop {
//!     match monitor.blocking_next(Some(Duration::from_secs(10))) {
//!         Some(SocketEvent::HandshakeSucceeded { .. }) => break,
//!         Some(_) => continue,
//!         None => panic!("no handshake"),
//!     }
//! }
//! push.blocking_send("counted").unwrap();
//! pull.blocking_recv().unwrap();
//! assert_eq!(pull.stats().messages_in, 1);
//! ```
//!
//! ## Security
//!
//! PLAIN (user name and password, in the clear) and CURVE (encryption and
//! authentication by public key), as in libzmq; a ZAP handler such as
//! [`auth::Authenticator`](crate::auth::Authenticator) decides who gets
//! in (SPEC §9).
//!
//! ```
//! use oxmq::{curve, Dealer, Router, SocketOptions};
//!
//! let server_keys = curve::curve_keypair();
//! let client_keys = curve::curve_keypair();
//! let server = Router::with_options(
//!     SocketOptions::default()
//!         .curve_server(true)
//!         .curve_secretkey(server_keys.secret.clone()),
//! );
//! let endpoint = server.bind("tcp://127.0.0.1:0").unwrap();
//! let client = Dealer::with_options(
//!     SocketOptions::default()
//!         .curve_serverkey(server_keys.public)
//!         .curve_publickey(client_keys.public)
//!         .curve_secretkey(client_keys.secret.clone()),
//! );
//! client.connect(&endpoint).unwrap();
//! client.blocking_send("secret").unwrap();
//! let msg = server.blocking_recv().unwrap();
//! assert_eq!(msg[1], "secret");
//! ```
//!
//! ## Coming from libzmq or pyzmq
//!
//! | libzmq (C) | pyzmq | oxmq |
//! |---|---|---|
//! | `zmq_ctx_new()` | `zmq.Context()` | nothing: no context; one shared I/O runtime starts on first use |
//! | `zmq_socket(ctx, ZMQ_PUSH)` | `ctx.socket(zmq.PUSH)` | `Push::new()`, or `Push::with_options(..)` |
//! | `zmq_setsockopt(s, ZMQ_SNDHWM, ..)` | `s.setsockopt(zmq.SNDHWM, ..)`, `s.sndhwm = ..` | `SocketOptions::default().sndhwm(..)`, given at creation |
//! | `zmq_bind(s, "tcp://*:0")`, then `ZMQ_LAST_ENDPOINT` | `s.bind_to_random_port(..)` | `let real = s.bind("tcp://*:0")?` |
//! | `zmq_connect`, `zmq_disconnect`, `zmq_unbind` | same names | `connect`, `disconnect`, `unbind` |
//! | `zmq_send(s, .., ZMQ_SNDMORE)` per frame | `s.send_multipart([..])` | `s.blocking_send(vec![a, b])`: a whole `Message` |
//! | `zmq_recv`, `zmq_msg_recv` + `ZMQ_RCVMORE` | `s.recv_multipart()` | `s.blocking_recv()`: a whole `Message` |
//! | `ZMQ_DONTWAIT`, `EAGAIN` | `zmq.NOBLOCK`, `zmq.Again` | `try_send`, `try_recv`, `Error::WouldBlock` |
//! | `zmq_poll`, `zmq_poller_*` | `zmq.Poller()` | [`Poller`](crate::Poller) |
//! | `zmq.asyncio` sockets | `await s.recv()` | `s.recv().await`, and `Stream`/`Sink` |
//! | `zmq_proxy`, `zmq_proxy_steerable` | `zmq.proxy`, `zmq.devices` | [`blocking_proxy`](crate::blocking_proxy), [`proxy`](crate::proxy), `*_steerable` |
//! | `zmq_socket_monitor` | `s.get_monitor_socket()` | `s.monitor()`: typed [`SocketEvent`](crate::SocketEvent)s |
//! | `zmq_setsockopt(ZMQ_SUBSCRIBE)` | `s.subscribe(..)` | `sub.subscribe(..)` |
//! | `ZMQ_ROUTING_ID` | `s.identity = ..` | `SocketOptions::routing_id(..)` |
//! | `zmq_msg_gets(msg, "User-Id")` | `frame.get("User-Id")` | `msg.property("User-Id")` |
//! | `zmq_curve_keypair`, `zmq_z85_encode` | `zmq.curve_keypair()` | [`curve::curve_keypair`](crate::curve::curve_keypair), [`z85`](crate::z85) |
//! | zauth (CZMQ), `zmq.auth.ThreadAuthenticator` | same | [`auth::Authenticator`](crate::auth::Authenticator) |
//! | `zmq_close` + `ZMQ_LINGER` | `s.close(linger=..)` | drop the socket (its linger runs in the background), or `blocking_close()`/`close().await` to wait for it |
//! | `zmq_ctx_term` | `ctx.term()` | nothing to do |
//!
//! Where oxmq differs from libzmq on purpose (for example resumable
//! sessions between oxmq peers, SPEC §3.7, or what a Poller reports for
//! REQ, SPEC §6.9), SPEC.md says so and why.
