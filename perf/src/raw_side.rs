//! The floors: what the kernel (or a plain channel) does with no messaging
//! library on top.
//!
//! - Throughput (`local_thr` / `remote_thr`, tcp or ipc): a plain framed
//!   stream. Frames look like ZMTP's: a flags byte, then a 1-byte size
//!   (short) or an 8-byte big-endian size (long, flag `0x02`), then the
//!   payload. The sender writes them through a 64 KiB `BufWriter`, so many
//!   messages go out per `write` syscall; the receiver reads 256 KiB chunks
//!   and walks every frame header, counting messages.
//! - Latency (`local_lat` / `remote_lat`): a plain blocking ping-pong
//!   (`TCP_NODELAY`), one framed message each way per round trip.
//! - inproc: one `std::sync::mpsc::sync_channel` send per message (bounded
//!   at 1000, like a HWM), and a two-channel ping-pong whose receivers poll
//!   for up to 50 µs before parking.

use crate::{check_size, join, Config, LatResult, LatTimer, PerfResult, ThrResult};
use bytes::Bytes;
use std::io::{BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

const WRITE_BUF: usize = 64 * 1024;
const READ_BUF: usize = 256 * 1024;

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Stream {
    fn connect(endpoint: &str) -> PerfResult<Stream> {
        if let Some(addr) = endpoint.strip_prefix("tcp://") {
            let s = TcpStream::connect(addr)?;
            s.set_nodelay(true)?;
            Ok(Stream::Tcp(s))
        } else if let Some(path) = endpoint.strip_prefix("ipc://") {
            Ok(Stream::Unix(UnixStream::connect(path)?))
        } else {
            Err(format!("raw: unsupported endpoint {endpoint} (tcp:// or ipc:// paths)").into())
        }
    }

    fn set_timeout(&self, cfg: &Config) -> PerfResult<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(cfg.timeout)?;
                s.set_write_timeout(cfg.timeout)?;
            }
            Stream::Unix(s) => {
                s.set_read_timeout(cfg.timeout)?;
                s.set_write_timeout(cfg.timeout)?;
            }
        }
        Ok(())
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds and returns the listener with the endpoint it really has.
    fn bind(endpoint: &str) -> PerfResult<(Listener, String)> {
        if let Some(addr) = endpoint.strip_prefix("tcp://") {
            let l = TcpListener::bind(addr)?;
            let ep = format!("tcp://{}", l.local_addr()?);
            Ok((Listener::Tcp(l), ep))
        } else if let Some(path) = endpoint.strip_prefix("ipc://") {
            if path.starts_with('@') {
                return Err("raw: abstract ipc names are not supported".into());
            }
            let l = UnixListener::bind(path)?;
            Ok((Listener::Unix(l, PathBuf::from(path)), endpoint.to_owned()))
        } else {
            Err(format!("raw: unsupported endpoint {endpoint} (tcp:// or ipc:// paths)").into())
        }
    }

    fn accept(&self) -> PerfResult<Stream> {
        Ok(match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept()?;
                s.set_nodelay(true)?;
                Stream::Tcp(s)
            }
            Listener::Unix(l, _) => Stream::Unix(l.accept()?.0),
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One whole frame (header + zeroed payload) of `size` bytes.
fn frame(size: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(size + 9);
    if size <= 255 {
        f.extend_from_slice(&[0x00, size as u8]);
    } else {
        f.push(0x02);
        f.extend_from_slice(&(size as u64).to_be_bytes());
    }
    f.resize(f.len() + size, 0);
    f
}

/// Walks frames across arbitrary chunk boundaries, counting complete ones
/// and checking each one's size.
struct FrameWalker {
    expect: usize,
    hdr: [u8; 9],
    hdr_len: usize,
    skip: usize,
}

impl FrameWalker {
    fn new(expect: usize) -> FrameWalker {
        FrameWalker {
            expect,
            hdr: [0; 9],
            hdr_len: 0,
            skip: 0,
        }
    }

    /// Returns the number of frames completed in `buf`.
    fn feed(&mut self, mut buf: &[u8]) -> PerfResult<u64> {
        let mut done = 0;
        loop {
            if self.skip > 0 {
                let n = self.skip.min(buf.len());
                buf = &buf[n..];
                self.skip -= n;
                if self.skip > 0 {
                    return Ok(done);
                }
                done += 1;
            }
            if buf.is_empty() {
                return Ok(done);
            }
            // Header: the flags byte says how long it is.
            let first = if self.hdr_len > 0 {
                self.hdr[0]
            } else {
                buf[0]
            };
            let hlen = if first & 0x02 != 0 { 9 } else { 2 };
            let take = (hlen - self.hdr_len).min(buf.len());
            self.hdr[self.hdr_len..self.hdr_len + take].copy_from_slice(&buf[..take]);
            self.hdr_len += take;
            buf = &buf[take..];
            if self.hdr_len < hlen {
                return Ok(done);
            }
            let size = if hlen == 2 {
                usize::from(self.hdr[1])
            } else {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.hdr[1..9]);
                u64::from_be_bytes(b) as usize
            };
            self.hdr_len = 0;
            check_size(size, self.expect)?;
            if size == 0 {
                done += 1;
            } else {
                self.skip = size;
            }
        }
    }
}

/// Shared by the reader threads of one `local_thr` run.
struct Tally {
    target: u64,
    total: AtomicU64,
    start: OnceLock<Instant>,
    end: Mutex<Option<Instant>>,
}

fn read_stream(mut s: Stream, size: usize, tally: &Tally) -> PerfResult<()> {
    let mut buf = vec![0u8; READ_BUF];
    let mut walker = FrameWalker::new(size);
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let frames = walker.feed(&buf[..n])?;
        if frames > 0 {
            let now = Instant::now();
            let _ = tally.start.set(now);
            let before = tally.total.fetch_add(frames, Ordering::AcqRel);
            if before + frames >= tally.target && before < tally.target {
                *tally.end.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
            }
        }
    }
}

/// Binds, accepts `cfg.peers` streams and counts `cfg.count` frames across
/// them, clock from the first frame to the last.
pub fn local_thr(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<ThrResult> {
    let (listener, ep) = Listener::bind(&cfg.endpoint)?;
    on_bound(&ep);
    let tally = Arc::new(Tally {
        target: cfg.count,
        total: AtomicU64::new(0),
        start: OnceLock::new(),
        end: Mutex::new(None),
    });
    let mut readers = Vec::new();
    for _ in 0..cfg.peers.max(1) {
        let s = listener.accept()?;
        s.set_timeout(cfg)?;
        let (tally, size) = (Arc::clone(&tally), cfg.size);
        readers.push(std::thread::spawn(move || read_stream(s, size, &tally)));
    }
    for r in readers {
        join(r)?;
    }
    let total = tally.total.load(Ordering::Acquire);
    if total != cfg.count {
        return Err(format!("raw: streams ended after {total} of {} messages", cfg.count).into());
    }
    let end = tally
        .end
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(Instant::now);
    let start = tally.start.get().copied().unwrap_or(end);
    Ok(ThrResult {
        size: cfg.size,
        count: total,
        elapsed: end - start,
    })
}

fn send_stream(cfg: &Config, n: u64) -> PerfResult<()> {
    let s = Stream::connect(&cfg.endpoint)?;
    s.set_timeout(cfg)?;
    let f = frame(cfg.size);
    let mut w = BufWriter::with_capacity(WRITE_BUF, s);
    for _ in 0..n {
        w.write_all(&f)?;
    }
    w.flush()?;
    // Dropping the stream closes it; the kernel still delivers what is queued.
    Ok(())
}

/// Connects `cfg.peers` streams (one thread each) and writes `cfg.count`
/// frames between them.
pub fn remote_thr(cfg: &Config) -> PerfResult<()> {
    if cfg.peers <= 1 {
        return send_stream(cfg, cfg.count);
    }
    let handles: Vec<_> = (0..cfg.peers)
        .map(|i| {
            let cfg = cfg.clone();
            std::thread::spawn(move || send_stream(&cfg, cfg.share_of(i)))
        })
        .collect();
    for h in handles {
        join(h)?;
    }
    Ok(())
}

fn check_frame(buf: &[u8], size: usize) -> PerfResult<()> {
    let got = if buf[0] & 0x02 == 0 {
        usize::from(buf[1])
    } else {
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[1..9]);
        u64::from_be_bytes(b) as usize
    };
    check_size(got, size)
}

/// Binds, accepts one stream and echoes `cfg.count` frames.
pub fn local_lat(cfg: &Config, on_bound: &mut dyn FnMut(&str)) -> PerfResult<()> {
    let (listener, ep) = Listener::bind(&cfg.endpoint)?;
    on_bound(&ep);
    let mut s = listener.accept()?;
    s.set_timeout(cfg)?;
    let mut buf = frame(cfg.size);
    for _ in 0..cfg.count {
        s.read_exact(&mut buf)?;
        check_frame(&buf, cfg.size)?;
        s.write_all(&buf)?;
    }
    Ok(())
}

/// Connects and times `cfg.count` blocking ping-pongs.
pub fn remote_lat(cfg: &Config) -> PerfResult<LatResult> {
    let mut s = Stream::connect(&cfg.endpoint)?;
    s.set_timeout(cfg)?;
    let out = frame(cfg.size);
    let mut buf = frame(cfg.size);
    let mut timer = LatTimer::start(cfg.count);
    for _ in 0..cfg.count {
        s.write_all(&out)?;
        s.read_exact(&mut buf)?;
        check_frame(&buf, cfg.size)?;
        timer.lap();
    }
    Ok(timer.finish(cfg.size))
}

/// One bounded-channel send per message between two threads.
pub fn inproc_thr(cfg: &Config) -> PerfResult<ThrResult> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Bytes>(1000);
    let payload = crate::static_payload(cfg.size);
    let n = cfg.count;
    let sender = std::thread::spawn(move || -> PerfResult<()> {
        for _ in 0..n {
            tx.send(payload.clone())?;
        }
        Ok(())
    });
    let recv = |rx: &std::sync::mpsc::Receiver<Bytes>| -> PerfResult<usize> {
        Ok(match cfg.timeout {
            Some(t) => rx.recv_timeout(t)?.len(),
            None => rx.recv()?.len(),
        })
    };
    let mut res = ThrResult {
        size: cfg.size,
        count: cfg.count,
        elapsed: Default::default(),
    };
    if cfg.count > 0 {
        check_size(recv(&rx)?, cfg.size)?;
        let start = Instant::now();
        for _ in 1..cfg.count {
            check_size(recv(&rx)?, cfg.size)?;
        }
        res.elapsed = start.elapsed();
    }
    join(sender)?;
    Ok(res)
}

/// How long the inproc ping-pong polls its channel before parking: a
/// park/unpark costs tens of µs on small VMs, which would make the floor
/// measure the scheduler rather than the hand-over.
const SPIN: std::time::Duration = std::time::Duration::from_micros(50);

/// Receives from `rx`, polling for up to [`SPIN`] before blocking (for at
/// most `timeout`, if set).
fn spin_recv(
    rx: &std::sync::mpsc::Receiver<Bytes>,
    timeout: Option<std::time::Duration>,
) -> PerfResult<Bytes> {
    use std::sync::mpsc::TryRecvError;
    let start = Instant::now();
    loop {
        match rx.try_recv() {
            Ok(m) => return Ok(m),
            Err(TryRecvError::Disconnected) => return Err("raw: channel closed".into()),
            Err(TryRecvError::Empty) if start.elapsed() < SPIN => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => break,
        }
    }
    Ok(match timeout {
        Some(t) => rx.recv_timeout(t)?,
        None => rx.recv()?,
    })
}

/// A ping-pong over two one-slot channels between two threads, each side
/// polling up to 50 µs before parking.
pub fn inproc_lat(cfg: &Config) -> PerfResult<LatResult> {
    let (ping_tx, ping_rx) = std::sync::mpsc::sync_channel::<Bytes>(1);
    let (pong_tx, pong_rx) = std::sync::mpsc::sync_channel::<Bytes>(1);
    let (n, timeout) = (cfg.count, cfg.timeout);
    let echo = std::thread::spawn(move || -> PerfResult<()> {
        for _ in 0..n {
            pong_tx.send(spin_recv(&ping_rx, timeout)?)?;
        }
        Ok(())
    });
    let payload = crate::static_payload(cfg.size);
    let mut timer = LatTimer::start(cfg.count);
    for _ in 0..cfg.count {
        ping_tx.send(payload.clone())?;
        let reply = spin_recv(&pong_rx, cfg.timeout)?;
        check_size(reply.len(), cfg.size)?;
        timer.lap();
    }
    join(echo)?;
    Ok(timer.finish(cfg.size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walker_counts_frames_split_anywhere() {
        for size in [0usize, 1, 32, 255, 256, 1000] {
            let mut stream = Vec::new();
            for _ in 0..7 {
                stream.extend_from_slice(&frame(size));
            }
            for chunk in 1..=stream.len().min(40) {
                let mut w = FrameWalker::new(size);
                let total: u64 = stream.chunks(chunk).map(|c| w.feed(c).unwrap()).sum();
                assert_eq!(total, 7, "size {size} chunk {chunk}");
            }
        }
    }

    #[test]
    fn walker_rejects_wrong_size() {
        let mut w = FrameWalker::new(32);
        assert!(w.feed(&frame(31)).is_err());
    }
}
