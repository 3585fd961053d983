//! The ipc transport (SPEC §4.3).

use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use oxmq_transports::{connect, Endpoint, IpcEndpoint, Listener, Stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh socket path in the temp dir, not yet created.
fn unique_path(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("oxmq-t-{}-{n}-{tag}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn path_endpoint(path: &Path) -> Endpoint {
    format!("ipc://{}", path.display()).parse().unwrap()
}

fn unique_abstract(tag: &str) -> Endpoint {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("ipc://@oxmq-t-{}-{n}-{tag}", std::process::id())
        .parse()
        .unwrap()
}

async fn exchange(listener: &Listener, target: &Endpoint) -> (Stream, Stream, String) {
    let (client, accepted) = tokio::join!(connect(target), listener.accept());
    let mut client = client.unwrap();
    let (mut server, peer) = accepted.unwrap();
    client.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 4];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
    server.write_all(b"pong").await.unwrap();
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"pong");
    (client, server, peer)
}

fn is_socket(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_socket())
        .unwrap_or(false)
}

#[tokio::test]
async fn absolute_path_bind_connect_and_cleanup() {
    let path = unique_path("abs");
    let endpoint = path_endpoint(&path);
    assert!(matches!(&endpoint, Endpoint::Ipc(IpcEndpoint::Path(p)) if p.is_absolute()));
    let listener = Listener::bind(&endpoint).unwrap();
    assert_eq!(listener.local_endpoint(), &endpoint);
    assert!(is_socket(&path));

    let (client, server, peer) = exchange(&listener, &endpoint).await;
    assert_eq!(peer, "unnamed");
    assert_eq!(server.peer_description(), "unnamed");
    assert_eq!(client.peer_description(), path.display().to_string());
    assert_eq!(server.peer_ip(), "", "ipc has no address for ZAP");

    // Split halves work over ipc too, vectored writes included.
    let (mut read, _write) = server.into_split();
    let (_client_read, mut client_write) = client.into_split();
    let slices = [std::io::IoSlice::new(b"ab"), std::io::IoSlice::new(b"c")];
    assert_eq!(client_write.write_vectored(&slices).await.unwrap(), 3);
    let mut buf = [0u8; 3];
    read.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"abc");

    drop(listener);
    assert!(!path.exists(), "socket file removed on drop");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn abstract_namespace() {
    let endpoint = unique_abstract("abstract");
    let listener = Listener::bind(&endpoint).unwrap();
    assert_eq!(listener.local_endpoint(), &endpoint);
    let (client, _server, peer) = exchange(&listener, &endpoint).await;
    assert_eq!(peer, "unnamed");
    let Endpoint::Ipc(IpcEndpoint::Abstract(name)) = &endpoint else {
        unreachable!()
    };
    assert_eq!(client.peer_description(), format!("@{name}"));

    let err = Listener::bind(&endpoint).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);

    drop(listener);
    let err = connect(&endpoint).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    // The name is free again once the listener is gone.
    let again = Listener::bind(&endpoint).unwrap();
    exchange(&again, &endpoint).await;
}

#[tokio::test]
async fn stale_socket_file_is_replaced() {
    let path = unique_path("stale");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(is_socket(&path), "std leaves the file behind");
    let endpoint = path_endpoint(&path);
    let listener = Listener::bind(&endpoint).unwrap();
    exchange(&listener, &endpoint).await;
    drop(listener);
    assert!(!path.exists());
}

#[tokio::test]
async fn live_listener_gives_addr_in_use() {
    let path = unique_path("live");
    let endpoint = path_endpoint(&path);
    let first = Listener::bind(&endpoint).unwrap();
    let err = Listener::bind(&endpoint).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&endpoint.to_string()), "{err}");
    // The first listener is untouched: its file is still there and it still
    // accepts (after the probe connection made by the failed bind).
    assert!(is_socket(&path));
    let (probe, _) = first.accept().await.unwrap();
    drop(probe);
    exchange(&first, &endpoint).await;
    drop(first);
    assert!(!path.exists());
}

#[tokio::test]
async fn foreign_live_listener_gives_addr_in_use() {
    let path = unique_path("foreign");
    let foreign = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let err = Listener::bind(&path_endpoint(&path)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    drop(foreign);
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn full_backlog_counts_as_live() {
    // A listener that never accepts and has a tiny backlog: the probe
    // connect must not block, and the file must not be taken over.
    let path = unique_path("backlog");
    let socket = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&socket2::SockAddr::unix(&path).unwrap())
        .unwrap();
    socket.listen(0).unwrap();
    let mut fillers = Vec::new();
    loop {
        let s = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        s.set_nonblocking(true).unwrap();
        match s.connect(&socket2::SockAddr::unix(&path).unwrap()) {
            Ok(()) => fillers.push(s),
            Err(_) => break,
        }
        assert!(fillers.len() < 1000, "backlog never filled");
    }
    let err = Listener::bind(&path_endpoint(&path)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(is_socket(&path));
    drop(socket);
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn non_socket_file_is_never_removed() {
    let path = unique_path("regular");
    std::fs::write(&path, b"not a socket").unwrap();
    let err = Listener::bind(&path_endpoint(&path)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert_eq!(std::fs::read(&path).unwrap(), b"not a socket");
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn drop_leaves_a_replacement_file_alone() {
    let path = unique_path("replaced");
    let endpoint = path_endpoint(&path);
    let first = Listener::bind(&endpoint).unwrap();
    // Someone removes the file and binds the path again.
    std::fs::remove_file(&path).unwrap();
    let second = Listener::bind(&endpoint).unwrap();
    drop(first);
    assert!(is_socket(&path), "the second listener's file survives");
    exchange(&second, &endpoint).await;
    drop(second);
    assert!(!path.exists());
}

#[tokio::test]
async fn connect_to_missing_path_fails() {
    let path = unique_path("missing");
    let err = connect(&path_endpoint(&path)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn bind_outside_a_task_works_under_handle_enter() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let path = unique_path("enter");
    let endpoint = path_endpoint(&path);
    let listener = {
        let _guard = runtime.enter();
        Listener::bind(&endpoint).unwrap()
    };
    runtime.block_on(async {
        exchange(&listener, &endpoint).await;
    });
    drop(listener);
    assert!(!path.exists());
}
