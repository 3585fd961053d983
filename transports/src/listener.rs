//! The server side of the tcp (SPEC §4.2) and ipc (SPEC §4.3) transports.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixListener as StdUnixListener;
use std::path::{Path, PathBuf};

use socket2::{Domain, SockAddr, Socket, Type};
use tokio::net::{TcpListener, UnixListener};

use crate::endpoint::{Endpoint, IpcEndpoint, TcpEndpoint, TcpHost};
use crate::stream::{describe_unix_addr, Stream};

/// Listen backlog for tcp listeners (the same as tokio's `TcpListener::bind`).
const TCP_BACKLOG: i32 = 1024;

/// A bound tcp (SPEC §4.2) or ipc (SPEC §4.3) listener.
///
/// Created by [`Listener::bind`]; hands out connections with
/// [`Listener::accept`]. Dropping it closes the listening socket and, for a
/// filesystem ipc endpoint, removes the socket file it created, provided that
/// the path still names that same file (so a file re-created by a later bind,
/// in this or another process, is left alone). Abstract ipc names vanish with
/// the socket and need no clean-up.
#[derive(Debug)]
pub struct Listener {
    inner: Inner,
    local: Endpoint,
    ipc_file: Option<IpcFile>,
}

#[derive(Debug)]
enum Inner {
    Tcp(TcpListener),
    Ipc(UnixListener),
}

/// The socket file a listener created, identified by device and inode so that
/// `Drop` only removes that very file.
#[derive(Debug)]
struct IpcFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

/// What currently occupies an ipc path that could not be bound.
enum Occupant {
    /// A listener answered (or its backlog is full): the path is in use.
    Live,
    /// A socket file nobody listens on, left behind by a dead process.
    Stale,
    /// A regular file, directory, symlink, ...: never removed.
    NotASocket,
    /// The file disappeared while we looked at it.
    Gone,
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

impl Listener {
    /// Binds `endpoint` and starts listening (SPEC §4.2, §4.3).
    ///
    /// Binds synchronously. Does not block, except that a tcp host name is
    /// resolved here with the system resolver (std [`ToSocketAddrs`]), which
    /// may block; the first address it returns is used.
    ///
    /// * tcp: `*` binds every IPv4 interface (`0.0.0.0`); bind
    ///   `tcp://[::]:port` for IPv6 (dual-stack unless the system disables
    ///   it). Port 0 asks the system for an ephemeral port. `SO_REUSEADDR` is
    ///   set, as libzmq does on Unix, so a port in `TIME_WAIT` can be re-bound.
    /// * ipc path: creates the socket file. If the path already holds a socket
    ///   file that no process listens on (a stale file from a dead process,
    ///   detected by a non-blocking connect being refused), that file is
    ///   removed and the bind retried. The probe connect to a live listener
    ///   shows up there as a connection that closes at once.
    /// * ipc `@name`: binds the Linux abstract namespace; no file is created.
    ///
    /// Errors: [`io::ErrorKind::AddrInUse`] when the tcp address is taken, when
    /// a live listener answers on the ipc path, or when the ipc path is taken
    /// by something that is not a socket (such files are never removed);
    /// [`io::ErrorKind::InvalidInput`] for inproc endpoints (SPEC §4.4) and,
    /// off Linux, abstract ipc names; [`io::ErrorKind::NotFound`] when a host
    /// name resolves to no address; otherwise the operating system's error
    /// (e.g. `AddrNotAvailable`, `PermissionDenied`).
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime context with I/O enabled
    /// (inside a runtime task, or under [`tokio::runtime::Handle::enter`]).
    pub fn bind(endpoint: &Endpoint) -> io::Result<Listener> {
        match endpoint {
            Endpoint::Tcp(tcp) => bind_tcp(endpoint, tcp),
            Endpoint::Ipc(IpcEndpoint::Path(path)) => bind_ipc_path(endpoint, path),
            Endpoint::Ipc(IpcEndpoint::Abstract(name)) => bind_abstract(endpoint, name),
            Endpoint::Inproc(_) => Err(invalid_input(format!(
                "cannot listen on {endpoint}: inproc is not a stream transport"
            ))),
        }
    }

    /// The endpoint actually bound (SPEC §4.1). Never blocks or fails.
    ///
    /// tcp: the real address, so port 0 is replaced by the assigned port, `*`
    /// by `0.0.0.0` (as libzmq reports it, e.g. `tcp://0.0.0.0:41234`) and a
    /// host name by the IP literal it resolved to. ipc: the endpoint as given.
    pub fn local_endpoint(&self) -> &Endpoint {
        &self.local
    }

    /// Waits for the next incoming connection (SPEC §4.2, §4.3).
    ///
    /// Returns the connected [`Stream`] and a description of the peer, the
    /// same string as [`Stream::peer_description`] (`ip:port` for tcp; for
    /// ipc usually `unnamed`, since connecting unix sockets rarely have an
    /// address). tcp streams get `TCP_NODELAY`; a failure to set it is ignored
    /// because it only happens on connections that are already dead, which
    /// then fail on first use.
    ///
    /// Waits asynchronously without blocking the thread; cancel-safe (dropping
    /// the future loses no connection). Errors are the operating system's
    /// accept errors, e.g. `EMFILE` when out of file descriptors; they do not
    /// make the listener unusable.
    pub async fn accept(&self) -> io::Result<(Stream, String)> {
        match &self.inner {
            Inner::Tcp(listener) => {
                let (stream, addr) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                Ok((Stream::Tcp(stream), addr.to_string()))
            }
            Inner::Ipc(listener) => {
                let (stream, addr) = listener.accept().await?;
                Ok((Stream::Ipc(stream), describe_unix_addr(addr)))
            }
        }
    }
}

impl Drop for Listener {
    /// Removes the ipc socket file this listener created, if the path still
    /// names that same file (same device and inode). Errors are ignored.
    fn drop(&mut self) {
        if let Some(file) = &self.ipc_file {
            if let Ok(meta) = fs::symlink_metadata(&file.path) {
                if meta.dev() == file.dev && meta.ino() == file.ino {
                    let _ = fs::remove_file(&file.path);
                }
            }
        }
    }
}

fn bind_tcp(endpoint: &Endpoint, tcp: &TcpEndpoint) -> io::Result<Listener> {
    let addr = match &tcp.host {
        TcpHost::Wildcard => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), tcp.port),
        TcpHost::Ip(ip) => SocketAddr::new(*ip, tcp.port),
        TcpHost::Name(name) => (name.as_str(), tcp.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("cannot bind {endpoint}: `{name}` resolved to no address"),
                )
            })?,
    };
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(TCP_BACKLOG)?;
    socket.set_nonblocking(true)?;
    let listener = TcpListener::from_std(socket.into())?;
    let local = listener.local_addr()?;
    Ok(Listener {
        inner: Inner::Tcp(listener),
        local: Endpoint::Tcp(TcpEndpoint {
            host: TcpHost::Ip(local.ip()),
            port: local.port(),
        }),
        ipc_file: None,
    })
}

fn bind_ipc_path(endpoint: &Endpoint, path: &Path) -> io::Result<Listener> {
    let listener = match StdUnixListener::bind(path) {
        Ok(listener) => listener,
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            match probe(path)? {
                Occupant::Live => {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!("cannot bind {endpoint}: another socket is listening on it"),
                    ))
                }
                Occupant::NotASocket => {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!("cannot bind {endpoint}: the path exists and is not a socket"),
                    ))
                }
                Occupant::Stale => match fs::remove_file(path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                },
                Occupant::Gone => {}
            }
            StdUnixListener::bind(path)?
        }
        Err(e) => return Err(e),
    };
    let meta = fs::symlink_metadata(path)?;
    // Remember an absolute path so that a later change of the current
    // directory cannot make Drop look at the wrong file.
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    listener.set_nonblocking(true)?;
    let listener = UnixListener::from_std(listener)?;
    Ok(Listener {
        inner: Inner::Ipc(listener),
        local: endpoint.clone(),
        ipc_file: Some(IpcFile {
            path: abs,
            dev: meta.dev(),
            ino: meta.ino(),
        }),
    })
}

/// Finds out what holds `path` after a bind failed with `AddrInUse`.
///
/// Uses a non-blocking connect so that a live listener with a full backlog
/// (`EAGAIN`) cannot stall the caller.
fn probe(path: &Path) -> io::Result<Occupant> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Occupant::Gone),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Ok(Occupant::NotASocket);
    }
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    match socket.connect(&SockAddr::unix(path)?) {
        Ok(()) => Ok(Occupant::Live),
        Err(e) => match e.kind() {
            io::ErrorKind::ConnectionRefused => Ok(Occupant::Stale),
            io::ErrorKind::NotFound => Ok(Occupant::Gone),
            io::ErrorKind::PermissionDenied => Err(e),
            // `EAGAIN` (a live listener with a full backlog), `EINPROGRESS` on
            // systems that report it, or anything unexpected: the file is not
            // provably stale, so it is left alone.
            _ => Ok(Occupant::Live),
        },
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn bind_abstract(endpoint: &Endpoint, name: &str) -> io::Result<Listener> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;

    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    let listener = StdUnixListener::bind_addr(&addr)?;
    listener.set_nonblocking(true)?;
    Ok(Listener {
        inner: Inner::Ipc(UnixListener::from_std(listener)?),
        local: endpoint.clone(),
        ipc_file: None,
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn bind_abstract(endpoint: &Endpoint, _name: &str) -> io::Result<Listener> {
    Err(invalid_input(format!(
        "cannot bind {endpoint}: this platform has no abstract socket namespace"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tcp_listener_sets_reuseaddr() {
        let listener = Listener::bind(&"tcp://127.0.0.1:0".parse().unwrap()).unwrap();
        let Inner::Tcp(tcp) = &listener.inner else {
            panic!("not a tcp listener")
        };
        assert!(socket2::SockRef::from(tcp).reuse_address().unwrap());
    }
}
