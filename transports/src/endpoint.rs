//! Endpoint strings: parsing and formatting (SPEC §4.1).
//!
//! An endpoint is `scheme://address` with one of three lower-case schemes,
//! matched case-sensitively as libzmq does:
//!
//! * `tcp://host:port` (SPEC §4.2): `host` is `*`, an IPv4 literal, a
//!   bracketed IPv6 literal such as `[::1]`, or a DNS name; `port` is a decimal
//!   number in `0..=65535` or `*`, which means `0` (an ephemeral port).
//! * `ipc://path` (SPEC §4.3): a filesystem path, absolute when it starts with
//!   `/` and relative otherwise, or `ipc://@name` for the Linux abstract socket
//!   namespace.
//! * `inproc://name` (SPEC §4.4): any non-empty name.
//!
//! Parsing never touches the network or the filesystem: host names are kept as
//! they are and resolved later, when connecting or binding.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::str::FromStr;

/// Longest ipc path, in bytes, that fits a `sockaddr_un` together with its
/// terminating NUL byte. The abstract namespace has the same limit because its
/// names are stored after a leading NUL byte.
const MAX_IPC_LEN: usize = 107;

/// Longest DNS name accepted as a tcp host.
const MAX_HOST_NAME_LEN: usize = 253;

/// A parsed transport endpoint (SPEC §4.1).
///
/// Parse one with [`str::parse`] / [`FromStr`]; format it with
/// [`Display`](fmt::Display), which produces a string that parses back to an
/// equal value. Parsing performs no I/O and never fails except with an
/// [`EndpointError`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `tcp://host:port` (SPEC §4.2).
    Tcp(TcpEndpoint),
    /// `ipc://path` or `ipc://@name` (SPEC §4.3).
    Ipc(IpcEndpoint),
    /// `inproc://name` (SPEC §4.4). The name is never empty when parsed.
    Inproc(String),
}

/// The address part of a `tcp://` endpoint (SPEC §4.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TcpEndpoint {
    /// The host: wildcard, IP literal or DNS name (not resolved at parse time).
    pub host: TcpHost,
    /// The port; `0` asks for an ephemeral port when binding (written `0` or
    /// `*` in endpoint strings).
    pub port: u16,
}

/// The host of a [`TcpEndpoint`] (SPEC §4.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TcpHost {
    /// `*`: every IPv4 interface when binding; not a valid connect target.
    Wildcard,
    /// An IPv4 literal, or an IPv6 literal written in brackets (`[::1]`).
    Ip(IpAddr),
    /// A DNS name, resolved when connecting or binding, never while parsing.
    Name(String),
}

/// The address part of an `ipc://` endpoint (SPEC §4.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IpcEndpoint {
    /// A filesystem path: absolute if it starts with `/`, else relative to the
    /// current directory at the time of the bind or connect.
    Path(PathBuf),
    /// A name in the Linux abstract socket namespace, written `ipc://@name`
    /// (the name stored here excludes the `@`).
    Abstract(String),
}

/// Why an endpoint string could not be parsed (SPEC §4.1).
///
/// Every variant carries the offending endpoint string; its `Display` is a
/// complete sentence naming that endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The string has no `scheme://` prefix.
    #[error(
        "endpoint `{endpoint}` has no transport scheme; expected `tcp://`, `ipc://` or `inproc://`"
    )]
    MissingScheme {
        /// The endpoint string as given.
        endpoint: String,
    },
    /// The scheme is not `tcp`, `ipc` or `inproc` (schemes are case-sensitive).
    #[error("endpoint `{endpoint}` uses the unsupported transport `{scheme}`; expected `tcp`, `ipc` or `inproc`")]
    UnsupportedScheme {
        /// The endpoint string as given.
        endpoint: String,
        /// The scheme found before `://`.
        scheme: String,
    },
    /// A `tcp://` endpoint whose address is malformed.
    #[error("tcp endpoint `{endpoint}` is invalid: {reason}")]
    InvalidTcp {
        /// The endpoint string as given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An `ipc://` endpoint whose address is malformed.
    #[error("ipc endpoint `{endpoint}` is invalid: {reason}")]
    InvalidIpc {
        /// The endpoint string as given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An `inproc://` endpoint whose name is malformed.
    #[error("inproc endpoint `{endpoint}` is invalid: {reason}")]
    InvalidInproc {
        /// The endpoint string as given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Endpoint {
    /// The scheme of this endpoint: `"tcp"`, `"ipc"` or `"inproc"` (SPEC §4.1).
    /// Never fails.
    pub fn scheme(&self) -> &'static str {
        match self {
            Endpoint::Tcp(_) => "tcp",
            Endpoint::Ipc(_) => "ipc",
            Endpoint::Inproc(_) => "inproc",
        }
    }
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    /// Parses `scheme://address` (SPEC §4.1). Performs no I/O.
    ///
    /// Errors: [`EndpointError::MissingScheme`] without `://`,
    /// [`EndpointError::UnsupportedScheme`] for any scheme other than the
    /// lower-case `tcp`, `ipc` and `inproc`, and the scheme's `Invalid*`
    /// variant when the address part is malformed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((scheme, address)) = s.split_once("://") else {
            return Err(EndpointError::MissingScheme {
                endpoint: s.to_owned(),
            });
        };
        match scheme {
            "tcp" => parse_tcp(s, address).map(Endpoint::Tcp),
            "ipc" => parse_ipc(s, address).map(Endpoint::Ipc),
            "inproc" => parse_inproc(s, address).map(Endpoint::Inproc),
            "" => Err(EndpointError::MissingScheme {
                endpoint: s.to_owned(),
            }),
            other => Err(EndpointError::UnsupportedScheme {
                endpoint: s.to_owned(),
                scheme: other.to_owned(),
            }),
        }
    }
}

fn parse_tcp(endpoint: &str, address: &str) -> Result<TcpEndpoint, EndpointError> {
    let invalid = |reason| EndpointError::InvalidTcp {
        endpoint: endpoint.to_owned(),
        reason,
    };

    let (host, port) = if let Some(bracketed) = address.strip_prefix('[') {
        let (literal, rest) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("the `[` before the IPv6 address has no matching `]`"))?;
        let ip: IpAddr = literal
            .parse()
            .map_err(|_| invalid("the bracketed host is not an IP address literal"))?;
        let port = rest
            .strip_prefix(':')
            .ok_or_else(|| invalid("it has no `:port` after the host"))?;
        (TcpHost::Ip(ip), port)
    } else {
        let (host, port) = address
            .rsplit_once(':')
            .ok_or_else(|| invalid("it has no `:port` after the host"))?;
        if host.is_empty() {
            return Err(invalid("the host is empty"));
        }
        let host = if host == "*" {
            TcpHost::Wildcard
        } else if host.contains(':') {
            return Err(invalid(
                "an IPv6 host must be written in brackets, as in `tcp://[::1]:5555`",
            ));
        } else if let Ok(v4) = host.parse::<Ipv4Addr>() {
            TcpHost::Ip(IpAddr::V4(v4))
        } else if is_host_name(host) {
            TcpHost::Name(host.to_owned())
        } else {
            return Err(invalid(
                "the host is neither `*`, an IP address literal nor a valid host name",
            ));
        };
        (host, port)
    };

    let port = if port == "*" {
        0
    } else if port.is_empty() {
        return Err(invalid("the port is missing"));
    } else if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("the port is not a decimal number or `*`"));
    } else {
        port.parse::<u16>()
            .map_err(|_| invalid("the port is larger than 65535"))?
    };
    Ok(TcpEndpoint { host, port })
}

/// Accepts ASCII letters, digits, `-`, `_` and dots between non-empty labels.
fn is_host_name(host: &str) -> bool {
    host.len() <= MAX_HOST_NAME_LEN
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn parse_ipc(endpoint: &str, address: &str) -> Result<IpcEndpoint, EndpointError> {
    let invalid = |reason| EndpointError::InvalidIpc {
        endpoint: endpoint.to_owned(),
        reason,
    };
    if address.is_empty() {
        return Err(invalid("the path is empty"));
    }
    if let Some(name) = address.strip_prefix('@') {
        if name.is_empty() {
            return Err(invalid("the abstract socket name after `@` is empty"));
        }
        if name.len() > MAX_IPC_LEN {
            return Err(invalid(
                "the abstract socket name is longer than 107 bytes, the most a unix socket address holds",
            ));
        }
        return Ok(IpcEndpoint::Abstract(name.to_owned()));
    }
    if address.contains('\0') {
        return Err(invalid("the path contains a NUL byte"));
    }
    if address.len() > MAX_IPC_LEN {
        return Err(invalid(
            "the path is longer than 107 bytes, the most a unix socket address holds",
        ));
    }
    Ok(IpcEndpoint::Path(PathBuf::from(address)))
}

fn parse_inproc(endpoint: &str, address: &str) -> Result<String, EndpointError> {
    if address.is_empty() {
        return Err(EndpointError::InvalidInproc {
            endpoint: endpoint.to_owned(),
            reason: "the name is empty",
        });
    }
    Ok(address.to_owned())
}

impl fmt::Display for TcpHost {
    /// `*`, an IPv4 literal, a bracketed IPv6 literal (`[::1]`) or the name,
    /// exactly as it appears in a `tcp://` endpoint (SPEC §4.2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpHost::Wildcard => f.write_str("*"),
            TcpHost::Ip(IpAddr::V4(v4)) => write!(f, "{v4}"),
            TcpHost::Ip(IpAddr::V6(v6)) => write!(f, "[{v6}]"),
            TcpHost::Name(name) => f.write_str(name),
        }
    }
}

impl fmt::Display for Endpoint {
    /// Formats the endpoint so that parsing the output yields an equal
    /// [`Endpoint`] (SPEC §4.1). A wildcard port is shown as `0`; a path that
    /// is not valid UTF-8 is shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(TcpEndpoint { host, port }) => write!(f, "tcp://{host}:{port}"),
            Endpoint::Ipc(IpcEndpoint::Path(path)) => write!(f, "ipc://{}", path.display()),
            Endpoint::Ipc(IpcEndpoint::Abstract(name)) => write!(f, "ipc://@{name}"),
            Endpoint::Inproc(name) => write!(f, "inproc://{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn host_names() {
        assert!(is_host_name("localhost"));
        assert!(is_host_name("a-b.example_1.org"));
        assert!(!is_host_name("a..b"));
        assert!(!is_host_name(".a"));
        assert!(!is_host_name("a b"));
        assert!(!is_host_name("eth0;host"));
        assert!(!is_host_name(&"a".repeat(254)));
    }

    #[test]
    fn port_star_is_zero() {
        let e: Endpoint = "tcp://*:*".parse().unwrap();
        assert_eq!(
            e,
            Endpoint::Tcp(TcpEndpoint {
                host: TcpHost::Wildcard,
                port: 0
            })
        );
        assert_eq!(e.to_string(), "tcp://*:0");
    }

    /// Any endpoint the parser can produce.
    fn any_endpoint() -> impl Strategy<Value = Endpoint> {
        let host = prop_oneof![
            Just(TcpHost::Wildcard),
            any::<IpAddr>().prop_map(TcpHost::Ip),
            "[a-zA-Z0-9_-]{1,20}(\\.[a-zA-Z0-9_-]{1,20}){0,3}"
                .prop_filter("an IPv4 literal parses as an IP", |name| {
                    name.parse::<Ipv4Addr>().is_err()
                })
                .prop_map(TcpHost::Name),
        ];
        let tcp = (host, any::<u16>()).prop_map(|(host, port)| TcpEndpoint { host, port });
        let short = |s: &String| s.len() <= MAX_IPC_LEN;
        prop_oneof![
            tcp.prop_map(Endpoint::Tcp),
            "[^\\x00@][^\\x00]{0,60}"
                .prop_filter("fits sockaddr_un", short)
                .prop_map(|p| Endpoint::Ipc(IpcEndpoint::Path(PathBuf::from(p)))),
            ".{1,60}"
                .prop_filter("fits sockaddr_un", short)
                .prop_map(|n| Endpoint::Ipc(IpcEndpoint::Abstract(n))),
            ".{1,60}".prop_map(Endpoint::Inproc),
        ]
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(endpoint in any_endpoint()) {
            let shown = endpoint.to_string();
            let prefix = format!("{}://", endpoint.scheme());
            prop_assert!(shown.starts_with(&prefix), "{} lacks {}", shown, prefix);
            let back: Endpoint = shown.parse().unwrap();
            prop_assert_eq!(&back, &endpoint);
            prop_assert_eq!(back.to_string(), shown);
        }

        #[test]
        fn parse_never_panics_and_round_trips(text in "(tcp|ipc|inproc|udp|)(://)?[ -~]{0,40}") {
            if let Ok(endpoint) = text.parse::<Endpoint>() {
                let back: Endpoint = endpoint.to_string().parse().unwrap();
                prop_assert_eq!(back, endpoint);
            }
        }
    }
}
