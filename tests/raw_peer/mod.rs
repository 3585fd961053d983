//! A scripted raw ZMTP peer for protocol tests: a plain blocking TCP
//! connection that sends exactly the bytes a test gives it and reads exactly
//! what oxmq sends back, each read bounded by a timeout.
//!
//! The byte builders use `oxmq::zmtp`'s encoders for the well-formed parts
//! (greeting, READY, frames) so a test only spells out by hand the bytes that
//! are meant to be wrong.
//!
//! Used from an integration test with `mod raw_peer;`. Not every test uses
//! every helper.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use oxmq::__internal::zmtp::{
    encode_frame, Command, Frame, FrameDecoder, Greeting, Mechanism, Metadata, FLAG_COMMAND,
    FLAG_LONG, FLAG_MORE, GREETING_LEN,
};
use oxmq::{DisconnectReason, Monitor, SocketEvent, SocketType};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Default bound on every wait of a raw peer: a hang guard, not a timing
/// expectation.
pub const TIMEOUT: Duration = Duration::from_secs(10);

// ----- byte builders -----------------------------------------------------

/// Our (well-formed) ZMTP 3.1 NULL greeting, as oxmq's encoder writes it:
/// 64 bytes.
pub fn null_greeting() -> Vec<u8> {
    let mut out = BytesMut::new();
    Greeting::ours(Mechanism::Null, false).encode(&mut out);
    out.to_vec()
}

/// A greeting spelled out byte by byte: signature `FF 00*8 7F`, `major`,
/// `minor`, `mechanism` zero-padded (or cut) to 20 bytes, as-server 0 and
/// 31 zero bytes of filler. Lets a test pick values the encoder refuses to
/// produce (old versions, unknown mechanisms).
pub fn raw_greeting(major: u8, minor: u8, mechanism: &[u8]) -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, major, minor];
    let mut mech = mechanism.to_vec();
    mech.resize(20, 0);
    g.extend_from_slice(&mech);
    g.push(0);
    g.resize(GREETING_LEN, 0);
    g
}

/// One frame (header and body) as oxmq's encoder writes it.
pub fn frame(body: &[u8], more: bool, command: bool) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_frame(body, more, command, &mut out);
    out.to_vec()
}

/// The frames of a (possibly multipart) message: MORE on all but the last.
pub fn message(frames: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&frame(f, i + 1 < frames.len(), false));
    }
    out
}

/// A long-form frame header (flags with `LONG` forced on, then the 8-byte
/// big-endian `len`), whatever `len` is: for lengths the encoder would
/// never write.
pub fn long_header(flags: u8, len: u64) -> Vec<u8> {
    let mut h = vec![flags | FLAG_LONG];
    h.extend_from_slice(&len.to_be_bytes());
    h
}

/// A command frame.
pub fn command(cmd: &Command) -> Vec<u8> {
    let mut out = BytesMut::new();
    cmd.encode(&mut out);
    out.to_vec()
}

/// A READY command frame with exactly these properties, in order.
pub fn ready(props: &[(&str, &[u8])]) -> Vec<u8> {
    let mut md = Metadata::new();
    for (name, value) in props {
        md.insert(name, Bytes::copy_from_slice(value));
    }
    command(&Command::Ready(md))
}

/// The READY a well-behaved peer of type `t` sends.
pub fn ready_as(t: SocketType) -> Vec<u8> {
    ready(&[("Socket-Type", t.as_str().as_bytes())])
}

/// Splits a byte stream into complete frames; a trailing incomplete frame
/// is returned as the second value (empty when the stream ends on a frame
/// boundary). Panics on bytes that are not valid framing.
pub fn split_frames(bytes: &[u8]) -> (Vec<Frame>, Vec<u8>) {
    let mut buf = BytesMut::from(bytes);
    let mut dec = FrameDecoder::new(None);
    let mut frames = Vec::new();
    while let Some(f) = dec.decode(&mut buf).expect("oxmq sent invalid framing") {
        frames.push(f);
    }
    (frames, buf.to_vec())
}

/// The commands among complete frames of `bytes` (see [`split_frames`]).
pub fn commands_in(bytes: &[u8]) -> Vec<Command> {
    split_frames(bytes)
        .0
        .into_iter()
        .filter(|f| f.command)
        .map(|f| Command::parse(f.body).expect("oxmq sent a malformed command"))
        .collect()
}

// ----- the peer ------------------------------------------------------------

/// How a connection was found closed by the other side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    /// An orderly end of stream (FIN).
    Eof,
    /// A reset (RST), e.g. oxmq closed with our bytes still unread.
    Reset,
}

/// A raw TCP connection driven byte by byte by a test.
pub struct RawPeer {
    stream: TcpStream,
    /// Bytes read from the socket and not yet handed to the test.
    pending: BytesMut,
    timeout: Duration,
    /// oxmq's greeting, once read.
    greeting: Option<Greeting>,
}

impl RawPeer {
    /// Connects to a `tcp://host:port` endpoint (as returned by `bind`).
    pub fn connect(endpoint: &str) -> RawPeer {
        let addr: SocketAddr = endpoint
            .strip_prefix("tcp://")
            .unwrap_or_else(|| panic!("not a tcp endpoint: {endpoint}"))
            .parse()
            .unwrap_or_else(|e| panic!("bad tcp endpoint {endpoint}: {e}"));
        Self::connect_addr(addr)
    }

    /// Connects to a socket address.
    pub fn connect_addr(addr: SocketAddr) -> RawPeer {
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT)
            .unwrap_or_else(|e| panic!("raw peer cannot connect to {addr}: {e}"));
        stream.set_nodelay(true).expect("set_nodelay");
        RawPeer {
            stream,
            pending: BytesMut::new(),
            timeout: TIMEOUT,
            greeting: None,
        }
    }

    /// Wraps a connection accepted from oxmq (a connecting socket).
    pub fn from_stream(stream: TcpStream) -> RawPeer {
        stream.set_nodelay(true).expect("set_nodelay");
        RawPeer {
            stream,
            pending: BytesMut::new(),
            timeout: TIMEOUT,
            greeting: None,
        }
    }

    /// Changes the bound on each later wait.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// This end's address as oxmq reports it in monitor events (`peer`).
    pub fn local_addr(&self) -> String {
        self.stream.local_addr().expect("local_addr").to_string()
    }

    /// Sends all of `bytes`; errors (oxmq may already have closed) are
    /// returned, not raised.
    pub fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Sends all of `bytes`, panicking on error.
    pub fn send(&mut self, bytes: &[u8]) {
        self.try_send(bytes)
            .unwrap_or_else(|e| panic!("raw peer send of {} bytes failed: {e}", bytes.len()));
    }

    /// Closes our sending direction (the peer reads end of stream) while
    /// still reading.
    pub fn shutdown_write(&mut self) {
        // Fails only if already disconnected, which later reads report.
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads more bytes into `pending` before `deadline`. `Ok(0)` is end of
    /// stream; `TimedOut` when the deadline passes first.
    fn fill(&mut self, deadline: Instant) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            self.stream.set_read_timeout(Some(left))?;
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.pending.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads exactly `n` bytes within the timeout. Errors: `UnexpectedEof`
    /// if the connection ends first, `TimedOut`, or the socket's error.
    pub fn read_exact(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let deadline = Instant::now() + self.timeout;
        while self.pending.len() < n {
            if self.fill(deadline)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("connection ended after {} of {n} bytes", self.pending.len()),
                ));
            }
        }
        Ok(self.pending.split_to(n).to_vec())
    }

    /// Reads and decodes oxmq's 64-byte greeting (once: later calls return
    /// the greeting already read).
    pub fn read_greeting(&mut self) -> Greeting {
        if let Some(g) = self.greeting {
            return g;
        }
        let bytes = self
            .read_exact(GREETING_LEN)
            .unwrap_or_else(|e| panic!("no greeting from oxmq: {e}"));
        let mut buf = BytesMut::from(&bytes[..]);
        let g = Greeting::decode(&mut buf)
            .expect("oxmq sent an invalid greeting")
            .expect("greeting incomplete");
        self.greeting = Some(g);
        g
    }

    /// Reads one complete frame within the timeout.
    pub fn read_frame(&mut self) -> io::Result<Frame> {
        let deadline = Instant::now() + self.timeout;
        let mut dec = FrameDecoder::new(None);
        loop {
            match dec.decode(&mut self.pending) {
                Ok(Some(f)) => return Ok(f),
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
            if self.fill(deadline)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// Reads one frame that must be a command, and parses it.
    pub fn read_command(&mut self) -> Command {
        let f = self
            .read_frame()
            .unwrap_or_else(|e| panic!("no command frame from oxmq: {e}"));
        assert!(f.command, "expected a command frame, got {f:?}");
        Command::parse(f.body).expect("oxmq sent a malformed command")
    }

    /// Reads one frame that must be a message frame; returns its body and
    /// MORE flag.
    pub fn read_message_frame(&mut self) -> (Bytes, bool) {
        let f = self
            .read_frame()
            .unwrap_or_else(|e| panic!("no message frame from oxmq: {e}"));
        assert!(!f.command, "expected a message frame, got {f:?}");
        (f.body, f.more)
    }

    /// Reads oxmq's READY and returns its properties.
    pub fn read_ready(&mut self) -> Metadata {
        match self.read_command() {
            Command::Ready(md) => md,
            other => panic!("expected READY from oxmq, got {other:?}"),
        }
    }

    /// Performs a complete, valid NULL handshake as a peer of type `t`:
    /// sends our greeting, reads oxmq's (unless already read), sends READY, reads oxmq's READY and
    /// returns its properties.
    pub fn handshake(&mut self, t: SocketType) -> Metadata {
        self.send(&null_greeting());
        let g = self.read_greeting();
        assert_eq!(
            (g.major, g.mechanism),
            (3, Mechanism::Null),
            "oxmq greeting"
        );
        self.send(&ready_as(t));
        self.read_ready()
    }

    /// Waits (within the timeout) until the other side closes the
    /// connection, and returns how, with every byte received meanwhile
    /// (including any already buffered). Panics if the connection is still
    /// open when the timeout expires.
    pub fn expect_closed(&mut self) -> (Closed, Vec<u8>) {
        let deadline = Instant::now() + self.timeout;
        let how = loop {
            match self.fill(deadline) {
                Ok(0) => break Closed::Eof,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                    ) =>
                {
                    break Closed::Reset
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => panic!(
                    "connection from {} still open after {:?} ({} bytes received)",
                    self.local_addr(),
                    self.timeout,
                    self.pending.len()
                ),
                Err(e) => panic!("unexpected read error while awaiting close: {e}"),
            }
        };
        (how, self.pending.split().to_vec())
    }
}

// ----- monitor helpers ---------------------------------------------------

/// Waits for the event that ends the connection from `peer` (as given by
/// [`RawPeer::local_addr`]): `HandshakeFailed` or `Disconnected`. Events of
/// other connections, and the other events of this one, are skipped.
/// Panics if none arrives within `timeout`.
pub fn wait_connection_end(monitor: &Monitor, peer: &str, timeout: Duration) -> SocketEvent {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = monitor
            .blocking_next(Some(left))
            .unwrap_or_else(|| panic!("no end event for connection {peer} within {timeout:?}"));
        match &ev {
            SocketEvent::HandshakeFailed { peer: p, .. }
            | SocketEvent::Disconnected { peer: p, .. }
                if p == peer =>
            {
                return ev
            }
            _ => {}
        }
    }
}

/// Waits for `HandshakeSucceeded` from `peer`, skipping other events.
/// Panics if the connection ends first or nothing comes within `timeout`.
pub fn wait_handshake_succeeded(monitor: &Monitor, peer: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = monitor
            .blocking_next(Some(left))
            .unwrap_or_else(|| panic!("no handshake event for {peer} within {timeout:?}"));
        match &ev {
            SocketEvent::HandshakeSucceeded { peer: p, .. } if p == peer => return,
            SocketEvent::HandshakeFailed { peer: p, .. }
            | SocketEvent::Disconnected { peer: p, .. }
                if p == peer =>
            {
                panic!("connection {peer} ended instead: {ev:?}")
            }
            _ => {}
        }
    }
}

/// The reason carried by an end event, and whether the handshake had
/// finished (`Disconnected`) or not (`HandshakeFailed`).
pub fn end_reason(ev: &SocketEvent) -> (bool, DisconnectReason) {
    match ev {
        SocketEvent::HandshakeFailed { reason, .. } => (false, reason.clone()),
        SocketEvent::Disconnected { reason, .. } => (true, reason.clone()),
        other => panic!("not an end event: {other:?}"),
    }
}

/// Flag constants re-exported for tests that spell frames by hand.
pub const MORE: u8 = FLAG_MORE;
/// See [`MORE`].
pub const LONG: u8 = FLAG_LONG;
/// See [`MORE`].
pub const COMMAND: u8 = FLAG_COMMAND;
