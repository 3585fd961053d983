//! Connected byte streams over tcp (SPEC §4.2) and ipc (SPEC §4.3), and the
//! client side that creates them.

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{tcp, unix, TcpStream, UnixStream};

use crate::endpoint::{Endpoint, IpcEndpoint, TcpEndpoint, TcpHost};

/// A connected tcp (SPEC §4.2) or ipc (SPEC §4.3) byte stream.
///
/// Implements [`AsyncRead`] and [`AsyncWrite`] (including vectored writes) by
/// forwarding to the underlying tokio socket, so reads and writes wait for
/// readiness without blocking the thread and report the socket's I/O errors
/// unchanged. tcp streams made by this crate have `TCP_NODELAY` set.
#[derive(Debug)]
pub enum Stream {
    /// A tcp connection.
    Tcp(TcpStream),
    /// A unix-domain stream connection (filesystem path or abstract name).
    Ipc(UnixStream),
}

/// The owned read half of a [`Stream`], from [`Stream::into_split`].
///
/// Implements [`AsyncRead`]; reading returns `Ok(0)` once the peer has shut
/// down its write direction or closed the connection.
#[derive(Debug)]
pub enum ReadHalf {
    /// Read half of a tcp connection.
    Tcp(tcp::OwnedReadHalf),
    /// Read half of a unix-domain connection.
    Ipc(unix::OwnedReadHalf),
}

/// The owned write half of a [`Stream`], from [`Stream::into_split`].
///
/// Implements [`AsyncWrite`], including vectored writes. Shutting it down (or
/// dropping it) shuts down the write direction of the connection, so the peer
/// reads end-of-stream; the read half stays usable.
#[derive(Debug)]
pub enum WriteHalf {
    /// Write half of a tcp connection.
    Tcp(tcp::OwnedWriteHalf),
    /// Write half of a unix-domain connection.
    Ipc(unix::OwnedWriteHalf),
}

impl WriteHalf {
    /// Writes as much of `bufs` as the kernel takes now, through `&self`, so
    /// any thread may write on a connection without waiting for the task
    /// that owns it (SPEC §6.1). Never blocks: `ErrorKind::WouldBlock` when
    /// the socket is not known to be writable (wait with
    /// [`writable`](Self::writable)). Works from threads outside any tokio
    /// runtime.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            WriteHalf::Tcp(s) => s.try_write_vectored(bufs),
            WriteHalf::Ipc(s) => s.try_write_vectored(bufs),
        }
    }

    /// Waits until the socket may be writable (it can still turn out not
    /// to be: retry `try_write_vectored`). Must be awaited on the runtime
    /// the stream belongs to.
    pub async fn writable(&self) -> io::Result<()> {
        match self {
            WriteHalf::Tcp(s) => s.writable().await,
            WriteHalf::Ipc(s) => s.writable().await,
        }
    }
}

impl ReadHalf {
    /// Waits until the socket may be readable (it can still turn out not
    /// to be: [`try_read_buf`](Self::try_read_buf) then gives
    /// `WouldBlock`). Must be awaited on the runtime the stream belongs to.
    pub async fn readable(&self) -> io::Result<()> {
        match self {
            ReadHalf::Tcp(s) => s.readable().await,
            ReadHalf::Ipc(s) => s.readable().await,
        }
    }

    /// Reads what the kernel has now into the spare capacity of `buf`,
    /// without waiting: `Ok(0)` at end of stream, `ErrorKind::WouldBlock`
    /// when nothing is there (or the runtime has not seen the socket become
    /// readable yet).
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        match self {
            ReadHalf::Tcp(s) => s.try_read_buf(buf),
            ReadHalf::Ipc(s) => s.try_read_buf(buf),
        }
    }
}

/// The connection's file descriptor, for waiting on it with poll(2) from a
/// thread outside the runtime (SPEC §6.1). Reading from it directly
/// bypasses the runtime's readiness tracking, which stays correct: the
/// runtime only ever reads after retrying on `WouldBlock`.
impl AsFd for ReadHalf {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            ReadHalf::Tcp(s) => AsRef::<TcpStream>::as_ref(s).as_fd(),
            ReadHalf::Ipc(s) => AsRef::<UnixStream>::as_ref(s).as_fd(),
        }
    }
}

impl Stream {
    /// Splits the stream into owned halves that can be moved to different
    /// tasks (SPEC §4.2, §4.3). Never blocks or fails.
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Tcp(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Tcp(r), WriteHalf::Tcp(w))
            }
            Stream::Ipc(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Ipc(r), WriteHalf::Ipc(w))
            }
        }
    }

    /// The peer's address as ZAP requests carry it (SPEC §9.2 of oxmq):
    /// for tcp the peer's IP address with no port (`127.0.0.1`, `::1`),
    /// for ipc empty, as libzmq sends them. Empty if it cannot be queried.
    pub fn peer_ip(&self) -> String {
        match self {
            Stream::Tcp(s) => s
                .peer_addr()
                .map_or_else(|_| String::new(), |a| a.ip().to_string()),
            Stream::Ipc(_) => String::new(),
        }
    }

    /// A human-readable description of the peer, for logs and monitoring
    /// (SPEC §4.2, §4.3). Never blocks or fails.
    ///
    /// tcp: the peer's `ip:port` (`127.0.0.1:40000`, `[::1]:40000`). ipc: the
    /// peer's socket path, `@name` for an abstract name, or `unnamed` for a
    /// peer socket without an address (the usual case for the accepting side).
    /// `unknown` if the address cannot be queried (e.g. the connection was
    /// reset).
    pub fn peer_description(&self) -> String {
        match self {
            Stream::Tcp(s) => s
                .peer_addr()
                .map_or_else(|_| "unknown".to_owned(), |a| a.to_string()),
            Stream::Ipc(s) => s
                .peer_addr()
                .map_or_else(|_| "unknown".to_owned(), describe_unix_addr),
        }
    }
}

/// Describes a unix socket address as a path, `@name` or `unnamed`.
pub(crate) fn describe_unix_addr(addr: unix::SocketAddr) -> String {
    if let Some(path) = addr.as_pathname() {
        return path.display().to_string();
    }
    let std_addr: std::os::unix::net::SocketAddr = addr.into();
    if let Some(name) = abstract_name(&std_addr) {
        return format!("@{}", String::from_utf8_lossy(name));
    }
    "unnamed".to_owned()
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_name(addr: &std::os::unix::net::SocketAddr) -> Option<&[u8]> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    addr.as_abstract_name()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_name(_addr: &std::os::unix::net::SocketAddr) -> Option<&[u8]> {
    None
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Opens a connection to `endpoint` (SPEC §4.2, §4.3).
///
/// Waits (asynchronously) until the connection is established or fails; it
/// never blocks the thread, except that tokio resolves host names on its
/// blocking thread pool. Must be polled inside a tokio runtime with I/O
/// enabled. Applies no timeout of its own.
///
/// * tcp: an IP literal is connected to directly; a host name is resolved now
///   (with [`tokio::net::lookup_host`]) and each address is tried in order,
///   returning the first success or else the last error. `TCP_NODELAY` is set
///   on the returned stream.
/// * ipc: connects to the socket file at the path, or to the abstract name.
///
/// Errors: [`io::ErrorKind::InvalidInput`] for an inproc endpoint (inproc is
/// not a stream transport, SPEC §4.4), a wildcard (`*`) tcp host, port 0, or an
/// abstract ipc name on a platform without the abstract namespace;
/// [`io::ErrorKind::NotFound`] if a host name resolves to no address;
/// otherwise the operating system's error, e.g.
/// [`io::ErrorKind::ConnectionRefused`] when nothing listens, or
/// [`io::ErrorKind::WouldBlock`] when an ipc listener's backlog is full.
pub async fn connect(endpoint: &Endpoint) -> io::Result<Stream> {
    match endpoint {
        Endpoint::Tcp(tcp) => connect_tcp(endpoint, tcp).await.map(Stream::Tcp),
        Endpoint::Ipc(ipc) => connect_ipc(ipc).await.map(Stream::Ipc),
        Endpoint::Inproc(_) => Err(invalid_input(format!(
            "cannot open a stream to {endpoint}: inproc is not a stream transport"
        ))),
    }
}

async fn connect_tcp(endpoint: &Endpoint, tcp: &TcpEndpoint) -> io::Result<TcpStream> {
    if tcp.port == 0 {
        return Err(invalid_input(format!(
            "cannot connect to {endpoint}: port 0 is not a connect target"
        )));
    }
    let stream = match &tcp.host {
        TcpHost::Wildcard => {
            return Err(invalid_input(format!(
                "cannot connect to {endpoint}: the wildcard host `*` is only valid for bind"
            )))
        }
        TcpHost::Ip(ip) => TcpStream::connect((*ip, tcp.port)).await?,
        TcpHost::Name(name) => {
            let mut last_error = None;
            let mut connected = None;
            for addr in tokio::net::lookup_host((name.as_str(), tcp.port)).await? {
                match TcpStream::connect(addr).await {
                    Ok(stream) => {
                        connected = Some(stream);
                        break;
                    }
                    Err(e) => last_error = Some(e),
                }
            }
            match (connected, last_error) {
                (Some(stream), _) => stream,
                (None, Some(e)) => return Err(e),
                (None, None) => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("cannot connect to {endpoint}: `{name}` resolved to no address"),
                    ))
                }
            }
        }
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}

async fn connect_ipc(ipc: &IpcEndpoint) -> io::Result<UnixStream> {
    match ipc {
        IpcEndpoint::Path(path) => UnixStream::connect(path).await,
        IpcEndpoint::Abstract(name) => connect_abstract(name).await,
    }
}

/// Connects to an abstract-namespace name without blocking the thread.
///
/// tokio's `UnixStream::connect` (since 1.39.3) treats a path whose first byte
/// is NUL as an abstract name, building the address with std's
/// `SocketAddrExt::from_abstract_name` and connecting a non-blocking socket, so
/// a full backlog yields `WouldBlock` instead of stalling the runtime thread.
/// The ipc tests exercise this.
#[cfg(any(target_os = "linux", target_os = "android"))]
async fn connect_abstract(name: &str) -> io::Result<UnixStream> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let mut raw = Vec::with_capacity(name.len() + 1);
    raw.push(0u8);
    raw.extend_from_slice(name.as_bytes());
    UnixStream::connect(OsStr::from_bytes(&raw)).await
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
async fn connect_abstract(name: &str) -> io::Result<UnixStream> {
    Err(invalid_input(format!(
        "cannot connect to ipc://@{name}: this platform has no abstract socket namespace"
    )))
}

macro_rules! forward_read {
    ($ty:ident) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $ty::Tcp(s) => Pin::new(s).poll_read(cx, buf),
                    $ty::Ipc(s) => Pin::new(s).poll_read(cx, buf),
                }
            }
        }
    };
}

macro_rules! forward_write {
    ($ty:ident) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut() {
                    $ty::Tcp(s) => Pin::new(s).poll_write(cx, buf),
                    $ty::Ipc(s) => Pin::new(s).poll_write(cx, buf),
                }
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut() {
                    $ty::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
                    $ty::Ipc(s) => Pin::new(s).poll_write_vectored(cx, bufs),
                }
            }

            fn is_write_vectored(&self) -> bool {
                match self {
                    $ty::Tcp(s) => s.is_write_vectored(),
                    $ty::Ipc(s) => s.is_write_vectored(),
                }
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $ty::Tcp(s) => Pin::new(s).poll_flush(cx),
                    $ty::Ipc(s) => Pin::new(s).poll_flush(cx),
                }
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $ty::Tcp(s) => Pin::new(s).poll_shutdown(cx),
                    $ty::Ipc(s) => Pin::new(s).poll_shutdown(cx),
                }
            }
        }
    };
}

forward_read!(Stream);
forward_read!(ReadHalf);
forward_write!(Stream);
forward_write!(WriteHalf);
