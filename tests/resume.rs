//! Resumable sessions (issue 12, SPEC §3.7) beyond the cut tests of
//! tests/faults.rs: a peer that is not oxmq never sees the new commands; a
//! new connection takes over a half-open one and gets what the old one
//! never acknowledged; a close with linger finishes only once the peer
//! has every message; and a peer process killed and restarted gives
//! `SessionReset` with a count, then what `resend_on_reset` says.
//!
//! The restarted peers are child processes: this test binary run again
//! with `OXMQ_RESUME_CHILD` set, executing the ignored `child_peer` test.

mod support;

use bytes::{Bytes, BytesMut};
use oxmq::__internal::zmtp::resume::{ResumeOffer, RESUME_PROPERTY};
use oxmq::__internal::zmtp::{Command, FrameDecoder, Greeting, Mechanism, Metadata};
use oxmq::{Client, DisconnectReason, Error, Monitor, Server, SocketEvent, SocketOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use support::fault_proxy::{Fault, FaultProxy};
use support::{wait_event, GUARD};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(GUARD))
        .sndtimeo(Some(GUARD))
        .reconnect_ivl(Duration::from_millis(10))
}

fn numbered(i: u64) -> Vec<u8> {
    i.to_be_bytes().to_vec()
}

fn number(b: &[u8]) -> u64 {
    u64::from_be_bytes(b[..8].try_into().expect("an 8-byte number"))
}

// ----- a raw ZMTP peer ------------------------------------------------------

/// A peer speaking ZMTP 3.1 NULL by hand over tcp.
struct Raw {
    stream: TcpStream,
    buf: BytesMut,
    frames: FrameDecoder,
}

/// A frame as the raw peer saw it.
#[derive(Debug)]
enum Seen {
    Message(Bytes),
    Command(Command),
    Eof,
}

impl Raw {
    fn new(stream: TcpStream) -> Raw {
        stream.set_read_timeout(Some(GUARD)).unwrap();
        Raw {
            stream,
            buf: BytesMut::new(),
            frames: FrameDecoder::new(None),
        }
    }

    fn connect(ep: &str) -> Raw {
        Raw::new(TcpStream::connect(ep.strip_prefix("tcp://").unwrap()).unwrap())
    }

    fn write(&mut self, b: &[u8]) {
        self.stream.write_all(b).unwrap();
    }

    /// Reads more bytes; false at the end of the stream.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => false,
            Err(e) => panic!("raw peer read: {e}"),
        }
    }

    /// Our greeting and READY (with `resume` as `OxMQ-Resume` if given);
    /// then the peer's greeting and READY, whose properties it returns.
    fn handshake(&mut self, socket_type: &str, resume: Option<Bytes>) -> Metadata {
        let mut out = BytesMut::new();
        Greeting::ours(Mechanism::Null, false).encode(&mut out);
        let mut md = Metadata::new();
        md.insert(
            "Socket-Type",
            Bytes::copy_from_slice(socket_type.as_bytes()),
        );
        if let Some(v) = resume {
            md.insert(RESUME_PROPERTY, v);
        }
        Command::Ready(md).encode(&mut out);
        self.write(&out);
        while Greeting::decode(&mut self.buf).unwrap().is_none() {
            assert!(self.fill(), "the peer closed during its greeting");
        }
        match self.next() {
            Seen::Command(Command::Ready(md)) => md,
            other => panic!("expected READY, got {other:?}"),
        }
    }

    fn next(&mut self) -> Seen {
        loop {
            if let Some(f) = self.frames.decode(&mut self.buf).unwrap() {
                return if f.command {
                    Seen::Command(Command::parse(f.body).unwrap())
                } else {
                    Seen::Message(f.body)
                };
            }
            if !self.fill() {
                return Seen::Eof;
            }
        }
    }

    /// The next message, skipping commands (ACKs).
    fn next_message(&mut self) -> Bytes {
        loop {
            match self.next() {
                Seen::Message(m) => return m,
                Seen::Command(_) => {}
                Seen::Eof => panic!("the peer closed"),
            }
        }
    }

    fn send(&mut self, body: &[u8]) {
        let mut out = BytesMut::new();
        oxmq::__internal::zmtp::encode_frame(body, false, false, &mut out);
        self.write(&out);
    }
}

/// Checks that the raw peer gets `n` messages equal to `expect(i)` and
/// no command at all, then (after `close`) the end of the stream.
fn only_messages(raw: &mut Raw, n: u64, expect: impl Fn(u64) -> Vec<u8>, close: impl FnOnce()) {
    for i in 0..n {
        match raw.next() {
            Seen::Message(m) => assert_eq!(m, expect(i), "message {i}"),
            other => panic!("a non-oxmq peer got {other:?}"),
        }
    }
    close();
    match raw.next() {
        Seen::Eof => {}
        other => panic!("a non-oxmq peer got {other:?} at the end"),
    }
}

/// An oxmq SERVER and a peer that does not offer resumption: nothing in
/// oxmq's READY or afterwards is new to it, even with 1 000 messages each
/// way (beyond half a window) and a close with linger.
#[test]
fn a_peer_that_does_not_resume_sees_plain_zmtp_from_an_accepting_socket() {
    let _s = serial();
    let server = Server::with_options(opts().linger(Some(GUARD)));
    let ep = server.bind("tcp://127.0.0.1:0").unwrap();
    let mut raw = Raw::connect(&ep);
    let theirs = raw.handshake("CLIENT", None);
    assert!(theirs.get(RESUME_PROPERTY).is_none(), "{theirs:?}");
    for i in 0..1000u64 {
        raw.send(&numbered(i));
    }
    for _ in 0..1000 {
        let (id, m) = server.blocking_recv().unwrap();
        server.blocking_send(id, m).unwrap();
    }
    only_messages(&mut raw, 1000, numbered, || drop(server));
}

/// An oxmq CLIENT connecting to a peer that does not answer the offer:
/// the CLIENT's READY offers (harmless: ZeroMQ peers ignore unknown
/// properties), and nothing after it is new.
#[test]
fn a_peer_that_does_not_resume_sees_plain_zmtp_from_a_connecting_socket() {
    let _s = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = Client::with_options(opts().linger(Some(GUARD)));
    client
        .connect(&format!("tcp://{}", listener.local_addr().unwrap()))
        .unwrap();
    let mut raw = Raw::new(listener.accept().unwrap().0);
    let ours = raw.handshake("SERVER", None);
    let offer = ResumeOffer::decode(ours.get(RESUME_PROPERTY).expect("an offer")).unwrap();
    assert_eq!((offer.peer_seen, offer.received), (None, 0));
    for i in 0..1000u64 {
        client.blocking_send(numbered(i)).unwrap();
        raw.send(&numbered(i));
    }
    for i in 0..1000u64 {
        assert_eq!(number(&client.blocking_recv().unwrap()), i);
    }
    only_messages(&mut raw, 1000, numbered, || drop(client));
}

/// A connection that names a session another connection still serves (a
/// half-open one) takes it over: the old one is closed with `Replaced`,
/// the new one gets what the old one never acknowledged, under the same
/// routing id.
#[test]
fn a_new_connection_takes_over_a_half_open_session() {
    let _s = serial();
    let server = Server::with_options(opts());
    let mon = server.monitor();
    let ep = server.bind("tcp://127.0.0.1:0").unwrap();
    let me = [7u8; 16];
    let offer = |seen, received| {
        ResumeOffer {
            session: me,
            peer_seen: seen,
            received,
            window: 1000,
            window_bytes: 1 << 20,
        }
        .encode()
    };
    let mut old = Raw::connect(&ep);
    let answer = ResumeOffer::decode(
        old.handshake("CLIENT", Some(offer(None, 0)))
            .get(RESUME_PROPERTY)
            .expect("the SERVER resumes with an oxmq peer"),
    )
    .unwrap();
    assert_eq!((answer.peer_seen, answer.received), (Some(me), 0));
    old.send(b"hello");
    let (id, _) = server.blocking_recv().unwrap();
    for i in 0..3u64 {
        server.blocking_send(id, numbered(i)).unwrap();
    }
    for i in 0..3u64 {
        assert_eq!(number(&old.next_message()), i);
    }
    // The old connection stays open and says nothing more; a new one
    // resumes, having taken in only the first of the three.
    let mut new = Raw::connect(&ep);
    let back = ResumeOffer::decode(
        new.handshake("CLIENT", Some(offer(Some(answer.session), 1)))
            .get(RESUME_PROPERTY)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(back.session, answer.session, "the same session");
    assert_eq!(back.received, 1, "the SERVER had our hello");
    assert_eq!(number(&new.next_message()), 1);
    assert_eq!(number(&new.next_message()), 2);
    loop {
        match old.next() {
            Seen::Eof => break,
            Seen::Command(_) => {}
            Seen::Message(m) => panic!("the replaced connection got {m:?}"),
        }
    }
    wait_event(&mon, "the old connection's end", |e| {
        matches!(
            e,
            SocketEvent::Disconnected {
                reason: DisconnectReason::Replaced,
                ..
            }
        )
    });
    match wait_event(&mon, "resumption", |e| {
        matches!(e, SocketEvent::SessionResumed { .. })
    }) {
        SocketEvent::SessionResumed { resent, .. } => assert_eq!(resent, 2),
        _ => unreachable!(),
    }
    new.send(b"again");
    let (again, m) = server.blocking_recv().unwrap();
    assert_eq!((again, &m[..]), (id, &b"again"[..]), "the same peer");
}

/// With linger, a close finishes only once the peer has every message:
/// messages sitting in a stalled path when the connection is cut are
/// sent again on the next connection before the close completes.
#[test]
fn a_close_with_linger_waits_until_the_peer_has_every_message() {
    let _s = serial();
    let server = Server::with_options(opts().rcvhwm(0));
    let ep = server.bind("tcp://127.0.0.1:0").unwrap();
    let proxy = FaultProxy::in_front_of(&ep);
    let client = Client::with_options(opts().linger(Some(GUARD)));
    let cmon = client.monitor();
    client.connect(&proxy.endpoint()).unwrap();
    wait_event(&cmon, "handshake", |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    });
    proxy.set(Fault::Stall);
    for i in 0..100u64 {
        client.blocking_send(numbered(i)).unwrap();
    }
    // All of them written, none acknowledged: the window in use.
    let deadline = Instant::now() + GUARD;
    while client.stats().peers[0].unacknowledged != 100 {
        assert!(Instant::now() < deadline, "{:?}", client.stats().peers);
        std::thread::yield_now();
    }
    let closer = std::thread::spawn(move || client.blocking_close());
    // Whatever the kernel held is gone with the connection.
    proxy.cut_all();
    proxy.set(Fault::Pass);
    closer.join().unwrap();
    for i in 0..100u64 {
        match server.try_recv() {
            Ok((_, m)) => assert_eq!(number(&m), i),
            Err(e) => panic!("message {i} was not there when the close finished: {e}"),
        }
    }
}

// ----- a peer process killed and restarted -----------------------------------

/// A child process running [`child_peer`] as `spec` says; lines it prints
/// start with `child: `.
struct ChildPeer {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl ChildPeer {
    fn spawn(spec: &str) -> ChildPeer {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_peer", "--nocapture", "--ignored"])
            .env("OXMQ_RESUME_CHILD", spec)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut c = ChildPeer { child, out };
        assert_eq!(c.line(), "ready");
        c
    }

    /// The child's next line (bounded by the child's own time limit).
    fn line(&mut self) -> String {
        let mut l = String::new();
        loop {
            l.clear();
            assert!(self.out.read_line(&mut l).unwrap() > 0, "the child ended");
            if let Some(rest) = l.trim_end().strip_prefix("child: ") {
                return rest.to_owned();
            }
        }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ChildPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Not a test of its own: the body of the child processes. `server EP K`
/// binds a SERVER (rcvhwm 10) at EP and prints the number of each message
/// it receives, stopping after K; `client EP` connects a CLIENT (rcvhwm 5)
/// to EP, says hello and reads nothing. Either ends by itself after 60 s.
#[test]
#[ignore = "run as a child process by the restart tests"]
fn child_peer() {
    let Ok(spec) = std::env::var("OXMQ_RESUME_CHILD") else {
        return;
    };
    let words: Vec<&str> = spec.split(' ').collect();
    let until = Instant::now() + Duration::from_secs(60);
    match words[..] {
        ["server", ep, take] => {
            let server = Server::with_options(opts().rcvhwm(10).rcvtimeo(Some(GUARD)));
            server.bind(ep).unwrap();
            println!("child: ready");
            let take: u64 = take.parse().unwrap();
            let mut taken = 0;
            while Instant::now() < until {
                if taken < take {
                    if let Ok((_, m)) = server.blocking_recv() {
                        println!("child: {}", number(&m));
                        taken += 1;
                    }
                } else {
                    std::thread::park_timeout(until.saturating_duration_since(Instant::now()));
                }
            }
        }
        ["client", ep] => {
            let client = Client::with_options(opts().rcvhwm(5));
            client.connect(ep).unwrap();
            client.blocking_send(b"hello".to_vec()).unwrap();
            println!("child: ready");
            while Instant::now() < until {
                std::thread::park_timeout(until.saturating_duration_since(Instant::now()));
            }
        }
        _ => panic!("bad child spec {spec:?}"),
    }
}

/// Waits (bounded) until nothing is queued to the CLIENT's peer: every
/// message is in the window, sent.
fn all_sent(client: &Client) {
    let deadline = Instant::now() + GUARD;
    while client.stats().peers.iter().any(|p| p.queued_out > 0) {
        assert!(Instant::now() < deadline, "messages stayed queued");
        std::thread::yield_now();
    }
}

fn session_reset(mon: &Monitor) -> u64 {
    match wait_event(mon, "SessionReset", |e| {
        matches!(e, SocketEvent::SessionReset { .. })
    }) {
        SocketEvent::SessionReset { lost, .. } => lost,
        _ => unreachable!(),
    }
}

/// A CLIENT sends 200 messages to a SERVER process that takes 5 and is
/// killed; a new SERVER process binds the same endpoint. The CLIENT sees
/// `SessionReset` with the number never acknowledged, and sends them (the
/// last ones, in order) to the new process before anything new, unless
/// `resend_on_reset` is off.
fn restarted_server(resend: bool) {
    let _s = serial();
    const M: u64 = 200;
    let ep = support::ipc_ep();
    let first = ChildPeer::spawn(&format!("server {ep} 5"));
    let client = Client::with_options(opts().resend_on_reset(resend));
    let mon = client.monitor();
    client.connect(&ep).unwrap();
    for i in 0..M {
        client.blocking_send(numbered(i)).unwrap();
    }
    let mut first = first;
    for i in 0..5 {
        assert_eq!(first.line(), i.to_string());
    }
    all_sent(&client);
    first.kill();
    let mut second = ChildPeer::spawn(&format!("server {ep} 1000"));
    let lost = session_reset(&mon);
    println!("restarted server: {lost} of {M} unacknowledged, resend_on_reset {resend}");
    // At most 5 taken and 10 queued at the first process were ever
    // acknowledged.
    assert!((M - 15..=M).contains(&lost), "{lost} of {M} unacknowledged");
    for i in M..M + 5 {
        client.blocking_send(numbered(i)).unwrap();
    }
    let expected: Vec<u64> = if resend {
        (M - lost..M + 5).collect()
    } else {
        (M..M + 5).collect()
    };
    let got: Vec<u64> = expected
        .iter()
        .map(|_| second.line().parse().unwrap())
        .collect();
    assert_eq!(got, expected, "resend_on_reset {resend}");
    assert_eq!(client.stats().sessions_reset, 1);
}

#[test]
fn a_restarted_server_gets_what_the_old_one_never_acknowledged() {
    restarted_server(true);
}

#[test]
fn with_resend_on_reset_off_a_restarted_server_gets_only_new_messages() {
    restarted_server(false);
}

/// A CLIENT process that is killed leaves a detached peer at the SERVER;
/// when its `resume_ivl` runs out the SERVER reports `SessionReset` with
/// what was queued for it and never acknowledged, and its routing id
/// gives `HostUnreachable`. The restarted process is a new peer.
#[test]
fn a_killed_client_process_is_given_up_after_resume_ivl() {
    let _s = serial();
    let server = Server::with_options(opts().resume_ivl(Duration::from_millis(300)));
    let mon = server.monitor();
    let ep = server.bind(&support::ipc_ep()).unwrap();
    let first = ChildPeer::spawn(&format!("client {ep}"));
    let (old, m) = server.blocking_recv().unwrap();
    assert_eq!(&m[..], b"hello");
    for i in 0..50u64 {
        server.blocking_send(old, numbered(i)).unwrap();
    }
    first.kill();
    let _second = ChildPeer::spawn(&format!("client {ep}"));
    let (new, m) = server.blocking_recv().unwrap();
    assert_eq!(&m[..], b"hello");
    assert_ne!(new, old, "a new process is a new peer");
    let lost = session_reset(&mon);
    println!("killed client: {lost} messages given up with its session");
    assert!((1..=50).contains(&lost), "{lost}");
    assert!(matches!(
        server.try_send(old, numbered(0)),
        Err(e) if matches!(e.error, Error::HostUnreachable { .. })
    ));
    server.blocking_send(new, b"still here".to_vec()).unwrap();
}
