//! What a tracing subscriber sees (SPEC §6.6): a span per connection with
//! the socket type, endpoint, peer address and routing id; connect,
//! accept, handshake, disconnect and reconnect at DEBUG; a protocol error
//! at WARN; one TRACE event per message. One test: the subscriber is the
//! process's global one, as the I/O threads log too.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxmq::{Dealer, Router, SocketEvent, SocketOptions};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Waits (bounded) until a line has every one of `parts`; that line.
    fn line_with(&self, parts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text();
            if let Some(l) = text.lines().find(|l| parts.iter().all(|p| l.contains(p))) {
                return l.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no line with {parts:?} in:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[test]
fn connections_have_spans_and_their_events_have_levels() {
    let out = Captured::default();
    let writer = out.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let router = Router::new();
    let ep = router.bind("tcp://127.0.0.1:0").unwrap();
    let dealer = Dealer::with_options(
        SocketOptions::default().routing_id(Some(Bytes::from_static(b"worker-7"))),
    );
    let monitor = dealer.monitor();
    dealer.connect(&ep).unwrap();
    dealer.blocking_send("hello").unwrap();
    router.blocking_recv().unwrap();

    // Connect and accept, then the handshake inside each side's span.
    out.line_with(&["DEBUG", "connected", &ep]);
    out.line_with(&["DEBUG", "accepted", &ep]);
    let router_side = out.line_with(&["connection{socket=ROUTER", "ZMTP handshake succeeded"]);
    assert!(
        router_side.contains(&format!("endpoint={ep}")),
        "{router_side}"
    );
    assert!(router_side.contains("peer=127.0.0.1:"), "{router_side}");
    // The routing id the DEALER announced, recorded once known.
    let later = out.line_with(&["connection{socket=ROUTER", "routing_id=", "message in"]);
    assert!(
        later.contains("worker-7") || later.contains("[119, 111, 114"),
        "{later}"
    );
    // One TRACE event per message, each way.
    out.line_with(&[
        "TRACE",
        "connection{socket=DEALER",
        "message out",
        "frames=1",
        "bytes=5",
    ]);
    out.line_with(&["TRACE", "connection{socket=ROUTER", "message in", "bytes=5"]);

    // A disconnect says why, and the reconnection follows.
    let port = ep.rsplit(':').next().unwrap().to_string();
    drop(router);
    out.line_with(&[
        "DEBUG",
        "connection{socket=DEALER",
        "disconnected",
        "reason=",
    ]);
    out.line_with(&["DEBUG", "reconnecting", &port]);
    let again = Router::new();
    again.bind(&ep).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(
        monitor.blocking_next(Some(Duration::from_millis(100))),
        Some(SocketEvent::HandshakeSucceeded { .. })
    ) {
        assert!(Instant::now() < deadline, "no reconnection");
    }

    // A peer that sends no greeting but garbage: a protocol error, WARN.
    let mut raw = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    raw.write_all(&[0x01; 64]).unwrap();
    out.line_with(&["WARN", "connection{socket=ROUTER", "ZMTP handshake failed"]);
    // Nothing routine is above DEBUG.
    for l in out.text().lines() {
        if l.contains(" INFO ") || l.contains(" WARN ") || l.contains(" ERROR ") {
            assert!(
                l.contains("handshake failed") || l.contains("session changed"),
                "{l}"
            );
        }
    }
}
