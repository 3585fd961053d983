//! Endpoint parsing and formatting (SPEC §4.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use oxmq_transports::{Endpoint, EndpointError, IpcEndpoint, TcpEndpoint, TcpHost};

fn parse(s: &str) -> Result<Endpoint, EndpointError> {
    s.parse()
}

#[test]
fn every_form_round_trips_through_display() {
    for s in [
        "tcp://127.0.0.1:5555",
        "tcp://[::1]:5555",
        "tcp://[fe80::1:2]:1",
        "tcp://*:0",
        "tcp://*:65535",
        "tcp://host.name:80",
        "tcp://localhost:1",
        "ipc:///abs/path",
        "ipc://rel/path",
        "ipc://sock",
        "ipc://@name",
        "inproc://name",
        "inproc://with spaces/and:colons",
    ] {
        let e = parse(s).unwrap_or_else(|err| panic!("{s}: {err}"));
        assert_eq!(e.to_string(), s);
        assert_eq!(parse(&e.to_string()).unwrap(), e);
    }
}

#[test]
fn parsed_structure() {
    let tcp = |host, port| Endpoint::Tcp(TcpEndpoint { host, port });
    assert_eq!(
        parse("tcp://127.0.0.1:5555").unwrap(),
        tcp(TcpHost::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)), 5555)
    );
    assert_eq!(
        parse("tcp://[::1]:5555").unwrap(),
        tcp(TcpHost::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)), 5555)
    );
    assert_eq!(parse("tcp://*:0").unwrap(), tcp(TcpHost::Wildcard, 0));
    assert_eq!(parse("tcp://*:*").unwrap(), tcp(TcpHost::Wildcard, 0));
    assert_eq!(
        parse("tcp://host.name:80").unwrap(),
        tcp(TcpHost::Name("host.name".into()), 80)
    );
    // A bracketed IPv4 literal is accepted and normalised.
    assert_eq!(
        parse("tcp://[127.0.0.1]:1").unwrap().to_string(),
        "tcp://127.0.0.1:1"
    );
    assert_eq!(
        parse("ipc:///abs/path").unwrap(),
        Endpoint::Ipc(IpcEndpoint::Path(PathBuf::from("/abs/path")))
    );
    assert_eq!(
        parse("ipc://rel/path").unwrap(),
        Endpoint::Ipc(IpcEndpoint::Path(PathBuf::from("rel/path")))
    );
    assert_eq!(
        parse("ipc://@name").unwrap(),
        Endpoint::Ipc(IpcEndpoint::Abstract("name".into()))
    );
    assert_eq!(
        parse("inproc://name").unwrap(),
        Endpoint::Inproc("name".into())
    );
}

#[test]
fn scheme_names() {
    assert_eq!(parse("tcp://*:1").unwrap().scheme(), "tcp");
    assert_eq!(parse("ipc://x").unwrap().scheme(), "ipc");
    assert_eq!(parse("inproc://x").unwrap().scheme(), "inproc");
}

#[test]
fn missing_and_unsupported_schemes() {
    for s in ["127.0.0.1:5555", "tcp:/x:1", "", "://x"] {
        assert!(
            matches!(parse(s), Err(EndpointError::MissingScheme { ref endpoint }) if endpoint == s),
            "{s}: {:?}",
            parse(s)
        );
    }
    for (s, scheme) in [
        ("udp://1.2.3.4:5", "udp"),
        ("TCP://1.2.3.4:5", "TCP"),
        ("Inproc://x", "Inproc"),
        ("pgm://eth0;239.192.1.1:5555", "pgm"),
    ] {
        match parse(s) {
            Err(EndpointError::UnsupportedScheme {
                endpoint,
                scheme: got,
            }) => {
                assert_eq!(endpoint, s);
                assert_eq!(got, scheme);
            }
            other => panic!("{s}: {other:?}"),
        }
    }
}

#[test]
fn invalid_tcp() {
    for s in [
        "tcp://127.0.0.1",
        "tcp://127.0.0.1:",
        "tcp://127.0.0.1:abc",
        "tcp://127.0.0.1:65536",
        "tcp://127.0.0.1:-1",
        "tcp://127.0.0.1:+1",
        "tcp://127.0.0.1:5555/",
        "tcp://:5555",
        "tcp://",
        "tcp://::1:5555",
        "tcp://fe80::1:5555",
        "tcp://[::1]",
        "tcp://[::1]5555",
        "tcp://[::1:5555",
        "tcp://[nothex]:5555",
        "tcp://[fe80::1%eth0]:5555",
        "tcp://bad host:5555",
        "tcp://a..b:5555",
        "tcp://eth0;192.168.1.1:5555",
    ] {
        match parse(s) {
            Err(EndpointError::InvalidTcp { endpoint, reason }) => {
                assert_eq!(endpoint, s);
                assert!(!reason.is_empty());
            }
            other => panic!("{s}: {other:?}"),
        }
    }
}

#[test]
fn invalid_ipc() {
    let too_long = format!("ipc:///{}", "x".repeat(107));
    let abstract_too_long = format!("ipc://@{}", "x".repeat(108));
    for s in [
        "ipc://",
        "ipc://@",
        too_long.as_str(),
        abstract_too_long.as_str(),
        "ipc://a\0b",
    ] {
        match parse(s) {
            Err(EndpointError::InvalidIpc { endpoint, .. }) => assert_eq!(endpoint, s),
            other => panic!("{s}: {other:?}"),
        }
    }
    // The longest path that fits a sockaddr_un (107 bytes plus NUL) is accepted.
    let longest = format!("ipc:///{}", "x".repeat(106));
    assert!(parse(&longest).is_ok());
    let longest_abstract = format!("ipc://@{}", "x".repeat(107));
    assert!(parse(&longest_abstract).is_ok());
}

#[test]
fn invalid_inproc() {
    assert_eq!(
        parse("inproc://"),
        Err(EndpointError::InvalidInproc {
            endpoint: "inproc://".into(),
            reason: "the name is empty"
        })
    );
}

#[test]
fn error_messages_name_the_endpoint() {
    for s in [
        "nowhere",
        "udp://x:1",
        "tcp://x",
        "ipc://",
        "inproc://",
        "tcp://::1:5",
    ] {
        let message = parse(s).unwrap_err().to_string();
        assert!(message.contains(&format!("`{s}`")), "{message}");
    }
    assert_eq!(
        parse("tcp://127.0.0.1").unwrap_err().to_string(),
        "tcp endpoint `tcp://127.0.0.1` is invalid: it has no `:port` after the host"
    );
}
