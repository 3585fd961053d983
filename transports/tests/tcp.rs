//! The tcp transport (SPEC §4.2).

use std::io::{ErrorKind, IoSlice};
use std::net::{IpAddr, Ipv4Addr};

use oxmq_transports::{connect, Endpoint, Listener, Stream, TcpEndpoint, TcpHost};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn ep(s: &str) -> Endpoint {
    s.parse().unwrap()
}

fn port_of(endpoint: &Endpoint) -> u16 {
    match endpoint {
        Endpoint::Tcp(TcpEndpoint { port, .. }) => *port,
        other => panic!("not tcp: {other}"),
    }
}

fn nodelay(stream: &Stream) -> bool {
    match stream {
        Stream::Tcp(s) => s.nodelay().unwrap(),
        Stream::Ipc(_) => panic!("not tcp"),
    }
}

/// Connects to `target`, accepts on `listener`, and exchanges bytes both ways.
async fn exchange(listener: &Listener, target: &Endpoint) -> (Stream, Stream, String) {
    let (client, accepted) = tokio::join!(connect(target), listener.accept());
    let mut client = client.unwrap();
    let (mut server, peer) = accepted.unwrap();
    client.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 5];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"hello");
    server.write_all(b"world").await.unwrap();
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"world");
    (client, server, peer)
}

#[tokio::test]
async fn bind_port_zero_reports_real_port_and_exchanges_bytes() {
    let listener = Listener::bind(&ep("tcp://127.0.0.1:0")).unwrap();
    let local = listener.local_endpoint().clone();
    let port = port_of(&local);
    assert_ne!(port, 0);
    assert_eq!(local.to_string(), format!("tcp://127.0.0.1:{port}"));

    let (client, server, peer) = exchange(&listener, &local).await;
    assert!(nodelay(&client), "client TCP_NODELAY");
    assert!(nodelay(&server), "server TCP_NODELAY");
    assert_eq!(server.peer_description(), peer);
    assert!(peer.starts_with("127.0.0.1:"), "{peer}");
    assert_eq!(client.peer_description(), format!("127.0.0.1:{port}"));
    assert_eq!(server.peer_ip(), "127.0.0.1");
    assert_eq!(client.peer_ip(), "127.0.0.1");
}

#[tokio::test]
async fn wildcard_binds_all_ipv4_interfaces() {
    let listener = Listener::bind(&ep("tcp://*:0")).unwrap();
    let port = port_of(listener.local_endpoint());
    assert_ne!(port, 0);
    assert_eq!(
        listener.local_endpoint(),
        &Endpoint::Tcp(TcpEndpoint {
            host: TcpHost::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            port
        })
    );
    assert_eq!(
        listener.local_endpoint().to_string(),
        format!("tcp://0.0.0.0:{port}")
    );
    exchange(&listener, &ep(&format!("tcp://127.0.0.1:{port}"))).await;
}

#[tokio::test]
async fn ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipping: no IPv6 loopback on this machine");
        return;
    }
    let listener = Listener::bind(&ep("tcp://[::1]:0")).unwrap();
    let port = port_of(listener.local_endpoint());
    assert_ne!(port, 0);
    assert_eq!(
        listener.local_endpoint().to_string(),
        format!("tcp://[::1]:{port}")
    );
    let (client, _server, peer) = exchange(&listener, listener.local_endpoint()).await;
    assert!(peer.starts_with("[::1]:"), "{peer}");
    assert!(nodelay(&client));
}

#[tokio::test]
async fn host_names_resolve_at_connect_time() {
    let listener = Listener::bind(&ep("tcp://127.0.0.1:0")).unwrap();
    let port = port_of(listener.local_endpoint());
    // `localhost` may resolve to ::1 first, which is refused; the next
    // address must then be tried.
    let (client, _server, _) = exchange(&listener, &ep(&format!("tcp://localhost:{port}"))).await;
    assert!(nodelay(&client));
}

#[tokio::test]
async fn host_names_resolve_at_bind_time() {
    let listener = Listener::bind(&ep("tcp://localhost:0")).unwrap();
    let local = listener.local_endpoint().clone();
    match &local {
        Endpoint::Tcp(TcpEndpoint {
            host: TcpHost::Ip(ip),
            port,
        }) => {
            assert!(ip.is_loopback(), "{ip}");
            assert_ne!(*port, 0);
        }
        other => panic!("{other:?}"),
    }
    exchange(&listener, &local).await;
}

#[tokio::test]
async fn unresolvable_name_is_an_error() {
    let err = connect(&ep("tcp://no-such-host.invalid:5555"))
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn invalid_connect_targets() {
    for s in ["tcp://*:5555", "tcp://127.0.0.1:0", "inproc://x"] {
        let err = connect(&ep(s)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{s}: {err}");
    }
    let err = Listener::bind(&ep("inproc://x")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn refused_and_in_use() {
    let listener = Listener::bind(&ep("tcp://127.0.0.1:0")).unwrap();
    let local = listener.local_endpoint().clone();
    let err = Listener::bind(&local).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    drop(listener);
    let err = connect(&local).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn rebinding_a_port_with_time_wait_connections_succeeds() {
    let listener = Listener::bind(&ep("tcp://127.0.0.1:0")).unwrap();
    let local = listener.local_endpoint().clone();
    let (client, server, _) = exchange(&listener, &local).await;
    // The server side closes first, leaving its end in TIME_WAIT.
    drop(server);
    drop(listener);
    drop(client);
    let again = Listener::bind(&local).unwrap();
    assert_eq!(again.local_endpoint(), &local);
}

#[tokio::test]
async fn split_halves_and_vectored_writes() {
    let listener = Listener::bind(&ep("tcp://127.0.0.1:0")).unwrap();
    let (client, server, _) = exchange(&listener, listener.local_endpoint()).await;
    assert!(tokio::io::AsyncWrite::is_write_vectored(&client));
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    assert!(tokio::io::AsyncWrite::is_write_vectored(&client_write));

    let slices = [
        IoSlice::new(b"ab"),
        IoSlice::new(b"cd"),
        IoSlice::new(b"ef"),
    ];
    // Loopback writes this small complete in one call.
    let n = client_write.write_vectored(&slices).await.unwrap();
    assert_eq!(n, 6);
    let mut buf = [0u8; 6];
    server_read.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"abcdef");

    server_write.write_all(b"xyz").await.unwrap();
    server_write.shutdown().await.unwrap();
    let mut rest = Vec::new();
    client_read.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"xyz");
}
