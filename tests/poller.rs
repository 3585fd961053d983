//! The blocking poller (SPEC §6.9): readiness for read and write over each
//! transport, the timeout, a raw descriptor, a socket closed while
//! registered, and 1000 sockets.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use oxmq::{Interest, PollEvent, Poller, Pull, Push, SocketOptions};

const LONG: Option<Duration> = Some(Duration::from_secs(10));

fn endpoints(name: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("oxmq-poller-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    vec![
        "tcp://127.0.0.1:0".to_string(),
        format!("ipc://{}", dir.display()),
        format!("inproc://poller-{name}"),
    ]
}

fn ready(p: &mut Poller, timeout: Option<Duration>) -> Vec<PollEvent> {
    p.poll(timeout).unwrap().to_vec()
}

#[test]
fn readable_when_a_message_arrives_over_each_transport() {
    for (i, ep) in endpoints("read").into_iter().enumerate() {
        let pull = Pull::new();
        let bound = pull.bind(&ep).unwrap();
        let push = Push::new();
        push.connect(&bound).unwrap();
        let mut p = Poller::new().unwrap();
        let t = p.add(&pull, Interest::READABLE);
        assert!(ready(&mut p, Some(Duration::ZERO)).is_empty(), "{ep}");
        // A thread sends while the poller sleeps.
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            push.blocking_send(format!("m{i}")).unwrap();
            push
        });
        let ev = ready(&mut p, LONG);
        assert_eq!(ev.len(), 1, "{ep}");
        assert!(ev[0].token == t && ev[0].readable && !ev[0].writable && !ev[0].closed);
        assert_eq!(
            pull.try_recv().unwrap(),
            oxmq::Message::from(format!("m{i}"))
        );
        // Taken, it is no longer readable.
        assert!(ready(&mut p, Some(Duration::ZERO)).is_empty());
        drop(sender.join().unwrap());
    }
}

#[test]
fn writable_while_the_peer_has_room_over_each_transport() {
    for ep in endpoints("write") {
        let pull = Pull::with_options(SocketOptions::default().rcvhwm(2));
        let bound = pull.bind(&ep).unwrap();
        let push = Push::with_options(SocketOptions::default().sndhwm(2));
        let mut p = Poller::new().unwrap();
        let t = p.add(&push, Interest::WRITABLE);
        // No peer yet: nowhere to send.
        assert!(ready(&mut p, Some(Duration::from_millis(20))).is_empty());
        push.connect(&bound).unwrap();
        let ev = ready(&mut p, LONG);
        assert!(ev.len() == 1 && ev[0].token == t && ev[0].writable, "{ep}");
        // Fill every queue on the way: then not writable, until the
        // receiver takes one.
        let mut sent = 0;
        while push.try_send("x").is_ok() {
            sent += 1;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready(&mut p, Some(Duration::ZERO)).is_empty() {
            // The I/O thread may still be moving messages into the kernel.
            while push.try_send("x").is_ok() {
                sent += 1;
            }
            assert!(Instant::now() < deadline, "{ep}: never full");
            std::thread::yield_now();
        }
        assert!(sent >= 2);
        let receiver = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            pull.blocking_recv().unwrap();
            pull
        });
        let ev = ready(&mut p, LONG);
        assert!(ev.len() == 1 && ev[0].writable, "{ep}");
        let pull = receiver.join().unwrap();
        drop(pull);
    }
}

#[test]
fn a_poll_with_nothing_ready_returns_after_its_timeout() {
    let pull = Pull::new();
    pull.bind("inproc://poller-timeout").unwrap();
    let mut p = Poller::new().unwrap();
    p.add(&pull, Interest::READABLE);
    let start = Instant::now();
    assert!(ready(&mut p, Some(Duration::from_millis(50))).is_empty());
    assert!(start.elapsed() >= Duration::from_millis(50));
}

#[test]
fn a_raw_descriptor_beside_a_socket() {
    let pull = Pull::new();
    pull.bind("inproc://poller-fd").unwrap();
    let (mut a, b) = UnixStream::pair().unwrap();
    let mut p = Poller::new().unwrap();
    let ts = p.add(&pull, Interest::READABLE);
    let tf = p.add_fd(&b, Interest::READABLE).unwrap();
    assert!(ready(&mut p, Some(Duration::ZERO)).is_empty());
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        a.write_all(b"!").unwrap();
        a
    });
    let ev = ready(&mut p, LONG);
    assert_eq!(ev.len(), 1);
    assert!(ev[0].token == tf && ev[0].readable && ev[0].token != ts);
    // Its other end closed: a hang-up.
    drop(writer.join().unwrap());
    let ev = ready(&mut p, LONG);
    assert!(ev[0].token == tf && ev[0].closed);
    p.remove(tf);
    assert!(ready(&mut p, Some(Duration::ZERO)).is_empty());
}

#[test]
fn a_socket_closed_while_registered_is_reported_closed() {
    let pull = Pull::new();
    pull.bind("inproc://poller-closed").unwrap();
    let mut p = Poller::new().unwrap();
    let t = p.add(&pull, Interest::READABLE);
    let closer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        pull.blocking_close();
    });
    let ev = ready(&mut p, LONG);
    assert!(ev.len() == 1 && ev[0].token == t && ev[0].closed && ev[0].readable);
    closer.join().unwrap();
}

#[test]
fn one_ready_socket_among_a_thousand() {
    let socks: Vec<Pull> = (0..1000)
        .map(|i| {
            let s = Pull::new();
            s.bind(&format!("inproc://poller-many-{i}")).unwrap();
            s
        })
        .collect();
    let mut p = Poller::new().unwrap();
    let tokens: Vec<usize> = socks.iter().map(|s| p.add(s, Interest::READABLE)).collect();
    assert!(ready(&mut p, Some(Duration::ZERO)).is_empty());
    let push = Push::new();
    push.connect("inproc://poller-many-737").unwrap();
    push.blocking_send("hi").unwrap();
    let ev = ready(&mut p, LONG);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].token, tokens[737]);
    assert_eq!(socks[737].try_recv().unwrap(), oxmq::Message::from("hi"));
    // Removed, a socket is no longer watched.
    p.remove(tokens[737]);
    push.blocking_send("again").unwrap();
    assert!(ready(&mut p, Some(Duration::from_millis(20))).is_empty());
}
