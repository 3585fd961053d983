//! A fault-injecting TCP proxy on loopback, for tests (issue 5).
//!
//! `FaultProxy::start(upstream)` listens on `127.0.0.1:0` and forwards
//! every accepted connection to `upstream`, one thread per direction
//! (plain blocking `std::net`). What happens to the bytes is decided by a
//! [`Fault`] mode shared by all connections and changeable at any time:
//!
//! - [`Fault::Pass`]: forwarded as read;
//! - [`Fault::Fragment`]: written in random pieces of 1..=`max_chunk`
//!   bytes (TCP_NODELAY, so each piece is a segment of its own), now and
//!   then followed by a short random pause;
//! - [`Fault::Stall`]: nothing is read from either side, so data piles up
//!   in the kernel and back-pressure reaches the senders;
//! - [`Fault::Corrupt`]: every `every_nth` byte of each connection's
//!   client→server stream is overwritten with `value`.
//!
//! Besides the modes: [`FaultProxy::cut_all`] closes every current
//! connection (both ends, `shutdown(Both)`; new connections are still
//! accepted), and [`FaultProxy::corrupt_next_c2s_byte`] overwrites the
//! next client→server byte forwarded, on any connection, once: sent when
//! the stream is idle, that byte is the flags byte of the next frame, and
//! 0xFF there is an invalid flags value (reserved bits set, SPEC §3.3).
//!
//! [`FaultProxy::record`] keeps a copy of every byte forwarded each way
//! (after any corruption), for tests that look at what the wire carried.
//!
//! Dropping the proxy stops the listener and every connection, and joins
//! all threads (each blocks at most `POLL` in a read, and a blocked write
//! is ended by the shutdown of its socket).
#![allow(dead_code)]

use rand::Rng;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often a forwarding thread blocked in a read (or stalled) looks at
/// the stop flag.
const POLL: Duration = Duration::from_millis(20);
/// Bytes read at once from either side.
const BUF: usize = 64 * 1024;

/// What the proxy does to the bytes it forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward as read.
    Pass,
    /// Forward in pieces of random size 1..=`max_chunk` (at least 1),
    /// each written on its own; after a piece, with probability
    /// 1/`delay_one_in` (0 = never), pause for a random 0..=`max_delay`.
    Fragment {
        max_chunk: usize,
        max_delay: Duration,
        delay_one_in: u32,
    },
    /// Read nothing from either side.
    Stall,
    /// Overwrite each connection's client→server bytes at offsets
    /// `every_nth - 1`, `2 * every_nth - 1`, ... (counted from the
    /// connection's first byte) with `value`.
    Corrupt { every_nth: u64, value: u8 },
}

/// Counters, all since the proxy started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted (and forwarded upstream).
    pub accepted: u64,
    /// Bytes written to the upstream side (client→server), counted just
    /// before each write: once the server has a byte, it is counted.
    pub bytes_c2s: u64,
    /// Bytes written to the client side (server→client), counted the same.
    pub bytes_s2c: u64,
    /// Connections closed by `cut_all`.
    pub cut: u64,
    /// Bytes overwritten (by `Fault::Corrupt` or `corrupt_next_c2s_byte`).
    pub corrupted: u64,
}

struct Conn {
    client: TcpStream,
    upstream: TcpStream,
}

impl Conn {
    fn close(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.upstream.shutdown(Shutdown::Both);
    }
}

struct Shared {
    mode: Mutex<Fault>,
    mode_changed: Condvar,
    stop: AtomicBool,
    conns: Mutex<Vec<Arc<Conn>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// One-shot corruption armed: the value to write.
    corrupt_next: Mutex<Option<u8>>,
    /// One-shot flip armed: the index in the next client→server read whose
    /// byte is XORed with 0x01 (the last byte, if the read is shorter).
    flip_next: Mutex<Option<usize>>,
    accepted: AtomicU64,
    bytes_c2s: AtomicU64,
    bytes_s2c: AtomicU64,
    cut: AtomicU64,
    corrupted: AtomicU64,
    /// The bytes forwarded client→server and server→client, when recording.
    recorded: Mutex<Option<(Vec<u8>, Vec<u8>)>>,
}

impl Shared {
    fn mode(&self) -> Fault {
        *self.mode.lock().unwrap()
    }

    /// Waits while the mode is `Stall`; false once the proxy stops.
    fn wait_unstalled(&self) -> bool {
        let mut mode = self.mode.lock().unwrap();
        while *mode == Fault::Stall {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            mode = self.mode_changed.wait_timeout(mode, POLL).unwrap().0;
        }
        !self.stop.load(Ordering::Relaxed)
    }
}

/// A running fault-injecting proxy; see the module documentation.
pub struct FaultProxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` forwarding to `upstream`, in
    /// `Fault::Pass` mode.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Fault::Pass),
            mode_changed: Condvar::new(),
            stop: AtomicBool::new(false),
            conns: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            corrupt_next: Mutex::new(None),
            accepted: AtomicU64::new(0),
            bytes_c2s: AtomicU64::new(0),
            bytes_s2c: AtomicU64::new(0),
            cut: AtomicU64::new(0),
            corrupted: AtomicU64::new(0),
            recorded: Mutex::new(None),
            flip_next: Mutex::new(None),
        });
        let sh = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("fault-proxy-accept".into())
            .spawn(move || accept_loop(listener, upstream, sh))
            .unwrap();
        FaultProxy {
            shared,
            addr,
            acceptor: Some(acceptor),
        }
    }

    /// Starts a proxy in front of an oxmq tcp endpoint (`tcp://host:port`).
    pub fn in_front_of(endpoint: &str) -> FaultProxy {
        let addr = endpoint
            .strip_prefix("tcp://")
            .expect("a tcp endpoint")
            .parse()
            .expect("a resolved tcp endpoint");
        FaultProxy::start(addr)
    }

    /// The proxy's own endpoint, `tcp://127.0.0.1:port`.
    pub fn endpoint(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// The proxy's listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets the fault mode for all connections, current and future.
    pub fn set(&self, fault: Fault) {
        *self.shared.mode.lock().unwrap() = fault;
        self.shared.mode_changed.notify_all();
    }

    /// The current fault mode.
    pub fn mode(&self) -> Fault {
        self.shared.mode()
    }

    /// Closes every current connection, both ends (`shutdown(Both)`);
    /// returns how many. New connections are accepted as before.
    pub fn cut_all(&self) -> usize {
        let conns = std::mem::take(&mut *self.shared.conns.lock().unwrap());
        for c in &conns {
            c.close();
        }
        self.shared
            .cut
            .fetch_add(conns.len() as u64, Ordering::Relaxed);
        conns.len()
    }

    /// Flips the lowest bit of byte `index` of the next client→server read
    /// (of its last byte if the read is shorter), once: sent when the
    /// stream is idle, that read starts with the next frame.
    pub fn flip_next_c2s_byte_at(&self, index: usize) {
        *self.shared.flip_next.lock().unwrap() = Some(index);
    }

    /// Starts keeping a copy of every byte forwarded from now on.
    pub fn record(&self) {
        *self.shared.recorded.lock().unwrap() = Some((Vec::new(), Vec::new()));
    }

    /// The bytes forwarded since [`record`](Self::record): client→server
    /// and server→client.
    pub fn recorded(&self) -> (Vec<u8>, Vec<u8>) {
        self.shared
            .recorded
            .lock()
            .unwrap()
            .clone()
            .unwrap_or_default()
    }

    /// Overwrites the next client→server byte forwarded (on whichever
    /// connection forwards one first) with `value`, once.
    pub fn corrupt_next_c2s_byte(&self, value: u8) {
        *self.shared.corrupt_next.lock().unwrap() = Some(value);
    }

    /// Bytes the clients wrote that the proxy has not read yet: for each
    /// open connection, the client socket's send queue plus the proxy
    /// socket's receive queue, as `/proc/net/tcp` shows them (both ends
    /// are on loopback in this network namespace). Exact when nothing
    /// moves (e.g. `Stall` with blocked senders); 0 if unreadable.
    pub fn kernel_backlog_c2s(&self) -> u64 {
        let pairs: Vec<(SocketAddr, SocketAddr)> = self
            .shared
            .conns
            .lock()
            .unwrap()
            .iter()
            .filter_map(|c| Some((c.client.peer_addr().ok()?, c.client.local_addr().ok()?)))
            .collect();
        let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
            return 0;
        };
        let mut total = 0;
        for line in table.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 5 {
                continue;
            }
            let (Some(local), Some(remote)) = (proc_addr(f[1]), proc_addr(f[2])) else {
                continue;
            };
            let Some((tx, rx)) = f[4].split_once(':') else {
                continue;
            };
            let (tx, rx) = (
                u64::from_str_radix(tx, 16).unwrap_or(0),
                u64::from_str_radix(rx, 16).unwrap_or(0),
            );
            for &(client, proxy) in &pairs {
                if (local, remote) == (client, proxy) {
                    total += tx; // the client's unsent and unacknowledged bytes
                } else if (local, remote) == (proxy, client) {
                    total += rx; // arrived at the proxy, not read
                }
            }
        }
        total
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.shared.conns.lock().unwrap().len()
    }

    /// The counters so far.
    pub fn stats(&self) -> ProxyStats {
        let s = &self.shared;
        ProxyStats {
            accepted: s.accepted.load(Ordering::Relaxed),
            bytes_c2s: s.bytes_c2s.load(Ordering::Relaxed),
            bytes_s2c: s.bytes_s2c.load(Ordering::Relaxed),
            cut: s.cut.load(Ordering::Relaxed),
            corrupted: s.corrupted.load(Ordering::Relaxed),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.mode_changed.notify_all();
        // Wake the blocking accept with a connection of our own.
        let _ = TcpStream::connect(self.addr);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        for c in std::mem::take(&mut *self.shared.conns.lock().unwrap()) {
            c.close();
        }
        let threads = std::mem::take(&mut *self.shared.threads.lock().unwrap());
        for t in threads {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, upstream: SocketAddr, sh: Arc<Shared>) {
    for client in listener.incoming() {
        if sh.stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(client) = client else { continue };
        let Ok(up) = TcpStream::connect(upstream) else {
            continue; // the client sees its connection closed
        };
        sh.accepted.fetch_add(1, Ordering::Relaxed);
        for s in [&client, &up] {
            let _ = s.set_nodelay(true);
            let _ = s.set_read_timeout(Some(POLL));
        }
        let (Ok(c2), Ok(u2)) = (client.try_clone(), up.try_clone()) else {
            continue;
        };
        let conn = Arc::new(Conn {
            client,
            upstream: up,
        });
        sh.conns.lock().unwrap().push(conn.clone());
        let mut threads = sh.threads.lock().unwrap();
        threads.retain(|t| !t.is_finished());
        for (src, dst, c2s) in [
            (c2, conn.upstream.try_clone(), true),
            (u2, conn.client.try_clone(), false),
        ] {
            let Ok(dst) = dst else { continue };
            let (sh, conn) = (sh.clone(), conn.clone());
            threads.push(
                std::thread::Builder::new()
                    .name("fault-proxy-fwd".into())
                    .spawn(move || {
                        forward(&sh, src, dst, c2s);
                        conn.close();
                        sh.conns.lock().unwrap().retain(|c| !Arc::ptr_eq(c, &conn));
                    })
                    .unwrap(),
            );
        }
    }
}

/// Forwards `src` to `dst` under the current fault mode until either side
/// ends or the proxy stops.
fn forward(sh: &Shared, mut src: TcpStream, mut dst: TcpStream, c2s: bool) {
    let mut buf = vec![0u8; BUF];
    let mut offset: u64 = 0; // bytes of this direction forwarded so far
    let counter = if c2s { &sh.bytes_c2s } else { &sh.bytes_s2c };
    let mut rng = rand::rng();
    loop {
        if !sh.wait_unstalled() {
            return;
        }
        let n = match src.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        let data = &mut buf[..n];
        let mode = sh.mode();
        if c2s {
            if let Some(v) = sh.corrupt_next.lock().unwrap().take() {
                data[0] = v;
                sh.corrupted.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(i) = sh.flip_next.lock().unwrap().take() {
                data[i.min(n - 1)] ^= 0x01;
                sh.corrupted.fetch_add(1, Ordering::Relaxed);
            }
            if let Fault::Corrupt { every_nth, value } = mode {
                let nth = every_nth.max(1);
                for (i, b) in data.iter_mut().enumerate() {
                    if (offset + i as u64 + 1) % nth == 0 {
                        *b = value;
                        sh.corrupted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        offset += n as u64;
        if let Some((c2s_bytes, s2c_bytes)) = sh.recorded.lock().unwrap().as_mut() {
            if c2s { c2s_bytes } else { s2c_bytes }.extend_from_slice(data);
        }
        match mode {
            Fault::Fragment {
                max_chunk,
                max_delay,
                delay_one_in,
            } => {
                let mut rest = &data[..];
                while !rest.is_empty() {
                    let k = rng.random_range(1..=max_chunk.max(1)).min(rest.len());
                    counter.fetch_add(k as u64, Ordering::Relaxed);
                    if dst.write_all(&rest[..k]).is_err() {
                        return;
                    }
                    rest = &rest[k..];
                    if delay_one_in > 0 && rng.random_range(0..delay_one_in) == 0 {
                        let ns = rng.random_range(0..=max_delay.as_nanos() as u64);
                        std::thread::sleep(Duration::from_nanos(ns));
                    }
                }
            }
            _ => {
                counter.fetch_add(n as u64, Ordering::Relaxed);
                if dst.write_all(data).is_err() {
                    return;
                }
            }
        }
    }
}

/// An IPv4 `/proc/net/tcp` address (`0100007F:1F90`: the address's
/// network-order bytes printed as a native-endian hex word, the port as a
/// number).
fn proc_addr(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.split_once(':')?;
    let ip = u32::from_str_radix(ip, 16).ok()?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = std::net::Ipv4Addr::from(ip.to_ne_bytes());
    Some(SocketAddr::from((ip, port)))
}
