//! A fault-injecting proxy on loopback, tcp or ipc, for tests (issue 5).
//!
//! `FaultProxy::start(upstream)` listens on `127.0.0.1:0` and forwards
//! every accepted connection to `upstream`; `FaultProxy::start_unix(path)`
//! does the same for Unix stream sockets (oxmq's `ipc://` transport),
//! listening on a fresh socket file of its own in the temporary directory
//! (removed on drop). [`FaultProxy::in_front_of`] takes an oxmq endpoint,
//! `tcp://host:port` or `ipc://PATH`, and [`FaultProxy::endpoint`] is the
//! proxy's own, of the same transport. Each connection is forwarded by one
//! thread per direction (plain blocking `std::net` / `std::os::unix::net`).
//! What happens to the bytes is decided by a [`Fault`] mode shared by all
//! connections and changeable at any time:
//!
//! - [`Fault::Pass`]: forwarded as read;
//! - [`Fault::Fragment`]: written in random pieces of 1..=`max_chunk`
//!   bytes (TCP_NODELAY on tcp, so each piece is a segment of its own),
//!   now and then followed by a short random pause;
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
//! Cuts at exact byte offsets: [`FaultProxy::cut_next_at`] arms the next
//! connection the proxy accepts (only that one) with a limit per
//! direction, [`FaultProxy::cut_at`] sets limits on every current
//! connection. Offsets count each direction of a connection from its first
//! byte. Once a direction has forwarded exactly its limit, the proxy
//! forwards nothing more and closes the connection like `cut_all` does
//! (both ends, counted in [`ProxyStats::cut`]): a read that brings bytes
//! past the limit is written only up to it (in `Fragment` mode the pieces
//! stop there too), and a direction that is already at or past its limit
//! when `cut_at` sets it is cut as soon as it next has bytes to forward
//! (none of them is written). Whichever direction reaches its limit first
//! cuts the connection. [`FaultProxy::connection_bytes`] tells how far
//! each current connection is, e.g. the length of its handshake once it
//! is idle.
//!
//! [`FaultProxy::record`] keeps a copy of every byte forwarded each way
//! (after any corruption), for tests that look at what the wire carried.
//!
//! Dropping the proxy stops the listener and every connection, and joins
//! all threads (each blocks at most `POLL` in a read, and a blocked write
//! is ended by the shutdown of its socket).
#![allow(dead_code)]

use rand::Rng;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
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
    /// Connections closed by `cut_all` or by a byte limit (`cut_at`,
    /// `cut_next_at`).
    pub cut: u64,
    /// Bytes overwritten (by `Fault::Corrupt` or `corrupt_next_c2s_byte`).
    pub corrupted: u64,
}

/// A connected stream of either transport.
enum Sock {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Sock {
    fn try_clone(&self) -> io::Result<Sock> {
        Ok(match self {
            Sock::Tcp(s) => Sock::Tcp(s.try_clone()?),
            Sock::Unix(s) => Sock::Unix(s.try_clone()?),
        })
    }

    fn shutdown(&self) {
        let _ = match self {
            Sock::Tcp(s) => s.shutdown(Shutdown::Both),
            Sock::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }

    /// Read timeout `POLL`, and TCP_NODELAY on tcp.
    fn configure(&self) {
        match self {
            Sock::Tcp(s) => {
                let _ = s.set_nodelay(true);
                let _ = s.set_read_timeout(Some(POLL));
            }
            Sock::Unix(s) => {
                let _ = s.set_read_timeout(Some(POLL));
            }
        }
    }

    /// (peer, local) addresses of a tcp stream; `None` for Unix.
    fn tcp_addrs(&self) -> Option<(SocketAddr, SocketAddr)> {
        match self {
            Sock::Tcp(s) => Some((s.peer_addr().ok()?, s.local_addr().ok()?)),
            Sock::Unix(_) => None,
        }
    }
}

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Tcp(s) => s.read(buf),
            Sock::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Sock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Tcp(s) => s.write(buf),
            Sock::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sock::Tcp(s) => s.flush(),
            Sock::Unix(s) => s.flush(),
        }
    }
}

/// Where connections are accepted, or forwarded to.
#[derive(Clone, Debug)]
enum Addr {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Addr {
    fn connect(&self) -> io::Result<Sock> {
        match self {
            Addr::Tcp(a) => TcpStream::connect(a).map(Sock::Tcp),
            Addr::Unix(p) => UnixStream::connect(p).map(Sock::Unix),
        }
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    fn accept(&self) -> io::Result<Sock> {
        match self {
            Listener::Tcp(l) => l.accept().map(|(s, _)| Sock::Tcp(s)),
            Listener::Unix(l) => l.accept().map(|(s, _)| Sock::Unix(s)),
        }
    }
}

/// Direction indices into a connection's per-direction state.
const C2S: usize = 0;
const S2C: usize = 1;

/// One direction's byte count and cut limit, changed together.
#[derive(Default)]
struct Flow {
    /// Bytes forwarded so far (counted just before each write).
    sent: u64,
    /// Cut once `sent` reaches this.
    limit: Option<u64>,
}

/// What a forwarding thread may write of a piece of `want` bytes.
struct Grant {
    /// Bytes to write (a prefix of the piece).
    len: usize,
    /// The limit is reached once they are written: cut after.
    cut: bool,
}

struct Conn {
    client: Sock,
    upstream: Sock,
    /// `[C2S]` and `[S2C]`.
    flows: [Mutex<Flow>; 2],
    /// Closed by a cut (so a cut is counted once).
    cut: AtomicBool,
}

impl Conn {
    fn close(&self) {
        self.client.shutdown();
        self.upstream.shutdown();
    }

    /// Reserves up to `want` bytes of direction `dir` under its limit.
    fn grant(&self, dir: usize, want: usize) -> Grant {
        let mut f = self.flows[dir].lock().unwrap();
        let len = match f.limit {
            Some(limit) => (limit.saturating_sub(f.sent)).min(want as u64) as usize,
            None => want,
        };
        f.sent += len as u64;
        Grant {
            len,
            cut: f.limit.is_some_and(|limit| f.sent >= limit),
        }
    }

    fn sent(&self, dir: usize) -> u64 {
        self.flows[dir].lock().unwrap().sent
    }

    /// Marks the connection cut; true the first time.
    fn mark_cut(&self) -> bool {
        !self.cut.swap(true, Ordering::Relaxed)
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
    /// One-shot limits armed for the next connection: c2s, s2c.
    cut_next: Mutex<Option<[Option<u64>; 2]>>,
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

    /// Cuts `conn` at a byte limit: closes both ends, drops it from the
    /// current connections, counts it (once).
    fn cut_conn(&self, conn: &Arc<Conn>) {
        if conn.mark_cut() {
            self.cut.fetch_add(1, Ordering::Relaxed);
        }
        conn.close();
        self.conns.lock().unwrap().retain(|c| !Arc::ptr_eq(c, conn));
    }
}

/// A running fault-injecting proxy; see the module documentation.
pub struct FaultProxy {
    shared: Arc<Shared>,
    /// The proxy's own listening address (for ipc, its socket file).
    local: Addr,
    acceptor: Option<JoinHandle<()>>,
}

static NEXT_PATH: AtomicU64 = AtomicU64::new(0);

/// A fresh socket path in the temporary directory.
fn unique_socket_path() -> PathBuf {
    std::env::temp_dir().join(format!(
        "oxmq-fault-proxy-{}-{}-{:08x}.sock",
        std::process::id(),
        NEXT_PATH.fetch_add(1, Ordering::Relaxed),
        rand::rng().random::<u32>()
    ))
}

impl FaultProxy {
    /// Starts a proxy on `127.0.0.1:0` forwarding to `upstream`, in
    /// `Fault::Pass` mode.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let addr = listener.local_addr().unwrap();
        FaultProxy::run(
            Listener::Tcp(listener),
            Addr::Tcp(addr),
            Addr::Tcp(upstream),
        )
    }

    /// Starts a proxy forwarding to the Unix stream socket at `upstream`,
    /// in `Fault::Pass` mode, listening on a fresh socket file of its own
    /// in the temporary directory (removed when the proxy is dropped).
    pub fn start_unix(upstream: &Path) -> FaultProxy {
        let path = unique_socket_path();
        let listener = UnixListener::bind(&path).expect("proxy bind (unix)");
        FaultProxy::run(
            Listener::Unix(listener),
            Addr::Unix(path),
            Addr::Unix(upstream.to_path_buf()),
        )
    }

    fn run(listener: Listener, local: Addr, upstream: Addr) -> FaultProxy {
        let shared = Arc::new(Shared {
            mode: Mutex::new(Fault::Pass),
            mode_changed: Condvar::new(),
            stop: AtomicBool::new(false),
            conns: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            corrupt_next: Mutex::new(None),
            flip_next: Mutex::new(None),
            cut_next: Mutex::new(None),
            accepted: AtomicU64::new(0),
            bytes_c2s: AtomicU64::new(0),
            bytes_s2c: AtomicU64::new(0),
            cut: AtomicU64::new(0),
            corrupted: AtomicU64::new(0),
            recorded: Mutex::new(None),
        });
        let sh = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("fault-proxy-accept".into())
            .spawn(move || accept_loop(listener, upstream, sh))
            .unwrap();
        FaultProxy {
            shared,
            local,
            acceptor: Some(acceptor),
        }
    }

    /// Starts a proxy in front of an oxmq endpoint: tcp (`tcp://host:port`,
    /// resolved) or ipc (`ipc://PATH`, a Unix stream socket's path).
    pub fn in_front_of(endpoint: &str) -> FaultProxy {
        if let Some(path) = endpoint.strip_prefix("ipc://") {
            return FaultProxy::start_unix(Path::new(path));
        }
        let addr = endpoint
            .strip_prefix("tcp://")
            .expect("a tcp or ipc endpoint")
            .parse()
            .expect("a resolved tcp endpoint");
        FaultProxy::start(addr)
    }

    /// The proxy's own endpoint: `tcp://127.0.0.1:port`, or `ipc://PATH`
    /// for a Unix proxy.
    pub fn endpoint(&self) -> String {
        match &self.local {
            Addr::Tcp(a) => format!("tcp://{a}"),
            Addr::Unix(p) => format!("ipc://{}", p.display()),
        }
    }

    /// The proxy's listening address. Panics for a Unix proxy (see
    /// [`ipc_path`](Self::ipc_path)).
    pub fn addr(&self) -> SocketAddr {
        match &self.local {
            Addr::Tcp(a) => *a,
            Addr::Unix(p) => panic!(
                "FaultProxy::addr: an ipc proxy (listening on {}) has no socket \
                 address; use ipc_path() or endpoint()",
                p.display()
            ),
        }
    }

    /// The path of a Unix proxy's listening socket; `None` for tcp.
    pub fn ipc_path(&self) -> Option<PathBuf> {
        match &self.local {
            Addr::Tcp(_) => None,
            Addr::Unix(p) => Some(p.clone()),
        }
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
        let mut n = 0;
        for c in &conns {
            if c.mark_cut() {
                n += 1;
            }
            c.close();
        }
        self.shared.cut.fetch_add(n, Ordering::Relaxed);
        n as usize
    }

    /// Arms the next connection the proxy accepts (only that one, and
    /// replacing any earlier arming not yet used): once it has forwarded
    /// exactly `c2s` bytes client→server, or `s2c` bytes server→client
    /// (counted from its first byte; `None`: no limit that way), whichever
    /// comes first, it forwards nothing more and is closed, both ends, as
    /// by `cut_all`. A limit of 0 cuts it when that direction first has
    /// bytes to forward.
    pub fn cut_next_at(&self, c2s: Option<u64>, s2c: Option<u64>) {
        *self.shared.cut_next.lock().unwrap() = Some([c2s, s2c]);
    }

    /// Sets the limits of [`cut_next_at`](Self::cut_next_at) on every
    /// current connection, replacing any it had (`None`: no limit that
    /// way), with offsets counted from each connection's first byte. A
    /// direction already at or past its new limit is cut when it next has
    /// bytes to forward, without forwarding any of them.
    pub fn cut_at(&self, c2s: Option<u64>, s2c: Option<u64>) {
        for c in self.shared.conns.lock().unwrap().iter() {
            c.flows[C2S].lock().unwrap().limit = c2s;
            c.flows[S2C].lock().unwrap().limit = s2c;
        }
    }

    /// For each current connection, in accept order: the bytes forwarded
    /// so far client→server and server→client (counted like the stats,
    /// just before each write).
    pub fn connection_bytes(&self) -> Vec<(u64, u64)> {
        self.shared
            .conns
            .lock()
            .unwrap()
            .iter()
            .map(|c| (c.sent(C2S), c.sent(S2C)))
            .collect()
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
    /// open tcp connection, the client socket's send queue plus the proxy
    /// socket's receive queue, as `/proc/net/tcp` shows them (both ends
    /// are on loopback in this network namespace). Exact when nothing
    /// moves (e.g. `Stall` with blocked senders); 0 if unreadable. Unix
    /// connections are not measured: they count 0 (always 0 for an ipc
    /// proxy).
    pub fn kernel_backlog_c2s(&self) -> u64 {
        let pairs: Vec<(SocketAddr, SocketAddr)> = self
            .shared
            .conns
            .lock()
            .unwrap()
            .iter()
            .filter_map(|c| c.client.tcp_addrs())
            .collect();
        if pairs.is_empty() {
            return 0;
        }
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
        let _ = self.local.connect();
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
        if let Addr::Unix(path) = &self.local {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn accept_loop(listener: Listener, upstream: Addr, sh: Arc<Shared>) {
    loop {
        let client = listener.accept();
        if sh.stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(client) = client else { continue };
        let Ok(up) = upstream.connect() else {
            continue; // the client sees its connection closed
        };
        sh.accepted.fetch_add(1, Ordering::Relaxed);
        for s in [&client, &up] {
            s.configure();
        }
        let (Ok(c2), Ok(u2)) = (client.try_clone(), up.try_clone()) else {
            continue;
        };
        let [c2s_limit, s2c_limit] = sh.cut_next.lock().unwrap().take().unwrap_or_default();
        let conn = Arc::new(Conn {
            client,
            upstream: up,
            flows: [
                Mutex::new(Flow {
                    sent: 0,
                    limit: c2s_limit,
                }),
                Mutex::new(Flow {
                    sent: 0,
                    limit: s2c_limit,
                }),
            ],
            cut: AtomicBool::new(false),
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
                        forward(&sh, &conn, src, dst, c2s);
                        conn.close();
                        sh.conns.lock().unwrap().retain(|c| !Arc::ptr_eq(c, &conn));
                    })
                    .unwrap(),
            );
        }
    }
}

/// Why writing a piece stopped forwarding.
enum Stop {
    /// A write failed (the connection is closed or closing).
    Failed,
    /// The direction's limit was reached: cut the connection.
    Limit,
}

/// Writes (a prefix of) `piece` of direction `dir` under its limit,
/// counting and recording what is written.
fn write_piece(
    sh: &Shared,
    conn: &Conn,
    dst: &mut Sock,
    dir: usize,
    piece: &[u8],
) -> Result<(), Stop> {
    let grant = conn.grant(dir, piece.len());
    let part = &piece[..grant.len];
    if !part.is_empty() {
        if let Some((c2s_bytes, s2c_bytes)) = sh.recorded.lock().unwrap().as_mut() {
            if dir == C2S { c2s_bytes } else { s2c_bytes }.extend_from_slice(part);
        }
        let counter = if dir == C2S {
            &sh.bytes_c2s
        } else {
            &sh.bytes_s2c
        };
        counter.fetch_add(part.len() as u64, Ordering::Relaxed);
        if dst.write_all(part).is_err() {
            return Err(Stop::Failed);
        }
    }
    if grant.cut {
        return Err(Stop::Limit);
    }
    Ok(())
}

/// Forwards `src` to `dst` under the current fault mode until either side
/// ends, the direction's limit cuts the connection, or the proxy stops.
fn forward(sh: &Shared, conn: &Arc<Conn>, mut src: Sock, mut dst: Sock, c2s: bool) {
    let dir = if c2s { C2S } else { S2C };
    let mut buf = vec![0u8; BUF];
    let mut offset: u64 = 0; // bytes of this direction read so far
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
        let written = match mode {
            Fault::Fragment {
                max_chunk,
                max_delay,
                delay_one_in,
            } => {
                let mut rest = &data[..];
                let mut res = Ok(());
                while !rest.is_empty() {
                    let k = rng.random_range(1..=max_chunk.max(1)).min(rest.len());
                    res = write_piece(sh, conn, &mut dst, dir, &rest[..k]);
                    if res.is_err() {
                        break;
                    }
                    rest = &rest[k..];
                    if delay_one_in > 0 && rng.random_range(0..delay_one_in) == 0 {
                        let ns = rng.random_range(0..=max_delay.as_nanos() as u64);
                        std::thread::sleep(Duration::from_nanos(ns));
                    }
                }
                res
            }
            _ => write_piece(sh, conn, &mut dst, dir, data),
        };
        match written {
            Ok(()) => {}
            Err(Stop::Failed) => return,
            Err(Stop::Limit) => {
                sh.cut_conn(conn);
                return;
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
