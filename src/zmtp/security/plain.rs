//! The PLAIN mechanism (RFC 24, SPEC §9.3): the client sends a user name
//! and password in clear; the server has the ZAP handler judge them.
//!
//! ```text
//! client                      server
//! HELLO(username, password) →
//!                             (ZAP request; 200 from the handler)
//!                           ← WELCOME
//! INITIATE(properties)      →
//!                           ← READY(properties), once they pass
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use super::{SecurityMechanism, Step};
use crate::zmtp::command::Command;
use crate::zmtp::error::ProtocolError;
use crate::zmtp::mechanism::Mechanism;
use crate::zmtp::metadata::Metadata;
use crate::zmtp::transform::Transform;

const HELLO: &str = "HELLO";
const WELCOME: &str = "WELCOME";
const INITIATE: &str = "INITIATE";

/// Longest user name or password: its length is one byte (RFC 24).
pub const MAX_CREDENTIAL: usize = u8::MAX as usize;

/// A PLAIN client's user name and password, each at most
/// [`MAX_CREDENTIAL`] bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainCredentials {
    username: Bytes,
    password: Bytes,
}

impl std::fmt::Debug for PlainCredentials {
    /// The password is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl PlainCredentials {
    /// `None` if either is longer than [`MAX_CREDENTIAL`] bytes.
    pub fn new(username: impl Into<Bytes>, password: impl Into<Bytes>) -> Option<Self> {
        let (username, password) = (username.into(), password.into());
        (username.len() <= MAX_CREDENTIAL && password.len() <= MAX_CREDENTIAL)
            .then_some(PlainCredentials { username, password })
    }

    /// The user name.
    pub fn username(&self) -> &Bytes {
        &self.username
    }
}

/// What a PLAIN client waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientState {
    Welcome,
    Ready,
    Done,
}

/// The client side of PLAIN (the greeting's as-server flag clear).
#[derive(Debug)]
pub struct PlainClient {
    credentials: PlainCredentials,
    ours: Metadata,
    state: ClientState,
}

impl PlainClient {
    /// A client that will log in with `credentials`.
    pub fn new(credentials: PlainCredentials) -> Self {
        PlainClient {
            credentials,
            ours: Metadata::new(),
            state: ClientState::Welcome,
        }
    }
}

/// The error for a command that is not expected now, or the peer's own
/// ERROR.
fn unexpected(command: Command) -> ProtocolError {
    match command {
        Command::Error { reason } => ProtocolError::PeerError(reason),
        other => ProtocolError::UnexpectedCommand(other.name().to_owned()),
    }
}

impl SecurityMechanism for PlainClient {
    fn name(&self) -> Mechanism {
        Mechanism::Plain
    }

    fn as_server(&self) -> bool {
        false
    }

    fn start(&mut self, ours: &Metadata, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        self.ours = ours.clone();
        let (u, p) = (&self.credentials.username, &self.credentials.password);
        let mut data = BytesMut::with_capacity(2 + u.len() + p.len());
        // Both lengths are at most 255: `PlainCredentials::new` checked.
        data.put_u8(u.len() as u8);
        data.put_slice(u);
        data.put_u8(p.len() as u8);
        data.put_slice(p);
        Command::Unknown {
            name: HELLO.to_owned(),
            data: data.freeze(),
        }
        .encode(out);
        Ok(Step::Continue)
    }

    fn on_command(&mut self, command: Command, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        match (self.state, command) {
            (ClientState::Welcome, Command::Unknown { name, data }) if name == WELCOME => {
                if !data.is_empty() {
                    return Err(ProtocolError::MalformedCommand(format!(
                        "WELCOME with {} bytes of data; PLAIN's has none",
                        data.len()
                    )));
                }
                let mut props = BytesMut::with_capacity(self.ours.encoded_len());
                self.ours.encode(&mut props);
                Command::Unknown {
                    name: INITIATE.to_owned(),
                    data: props.freeze(),
                }
                .encode(out);
                self.state = ClientState::Ready;
                Ok(Step::Continue)
            }
            (ClientState::Ready, Command::Ready(metadata)) => {
                self.state = ClientState::Done;
                Ok(Step::Done(metadata))
            }
            (_, other) => Err(unexpected(other)),
        }
    }

    fn transform(&mut self) -> Transform {
        Transform::Identity
    }
}

/// What a PLAIN server waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerState {
    Hello,
    Verdict,
    Initiate,
    Done,
}

/// The server side of PLAIN (the greeting's as-server flag set). It never
/// decides itself: the credentials go to the ZAP handler
/// ([`Step::Authenticate`]), and WELCOME goes out only once the handler
/// approves ([`SecurityMechanism::approved`]).
#[derive(Debug)]
pub struct PlainServer {
    ours: Metadata,
    state: ServerState,
}

impl Default for PlainServer {
    fn default() -> Self {
        PlainServer {
            ours: Metadata::new(),
            state: ServerState::Hello,
        }
    }
}

/// The user name and password of a HELLO's data, which they must fill
/// exactly (RFC 24).
fn parse_hello(data: &[u8]) -> Result<[Bytes; 2], ProtocolError> {
    let malformed = |why: &str| Err(ProtocolError::MalformedCommand(format!("HELLO: {why}")));
    let Some((&ulen, rest)) = data.split_first() else {
        return malformed("no user name length");
    };
    let Some((username, rest)) = rest.split_at_checked(usize::from(ulen)) else {
        return malformed("user name truncated");
    };
    let Some((&plen, rest)) = rest.split_first() else {
        return malformed("no password length");
    };
    let Some((password, rest)) = rest.split_at_checked(usize::from(plen)) else {
        return malformed("password truncated");
    };
    if !rest.is_empty() {
        return malformed("bytes after the password");
    }
    Ok([
        Bytes::copy_from_slice(username),
        Bytes::copy_from_slice(password),
    ])
}

impl SecurityMechanism for PlainServer {
    fn name(&self) -> Mechanism {
        Mechanism::Plain
    }

    fn as_server(&self) -> bool {
        true
    }

    fn start(&mut self, ours: &Metadata, _out: &mut BytesMut) -> Result<Step, ProtocolError> {
        self.ours = ours.clone();
        Ok(Step::Continue)
    }

    fn on_command(&mut self, command: Command, _out: &mut BytesMut) -> Result<Step, ProtocolError> {
        match (self.state, command) {
            (ServerState::Hello, Command::Unknown { name, data }) if name == HELLO => {
                let credentials = parse_hello(&data)?;
                self.state = ServerState::Verdict;
                Ok(Step::Authenticate(credentials.to_vec()))
            }
            (ServerState::Initiate, Command::Unknown { name, data }) if name == INITIATE => {
                let metadata = Metadata::decode(&data)?;
                self.state = ServerState::Done;
                Ok(Step::Done(metadata))
            }
            (_, other) => Err(unexpected(other)),
        }
    }

    fn needs_handler(&self) -> bool {
        true
    }

    fn approved(&mut self, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        if self.state != ServerState::Verdict {
            return Err(ProtocolError::UnexpectedCommand("ZAP approval".to_owned()));
        }
        Command::Unknown {
            name: WELCOME.to_owned(),
            data: Bytes::new(),
        }
        .encode(out);
        self.state = ServerState::Initiate;
        Ok(Step::Continue)
    }

    /// READY goes out once the client's properties are accepted, so a
    /// refused socket type gets ERROR instead.
    fn accepted(&mut self, out: &mut BytesMut) {
        Command::Ready(self.ours.clone()).encode(out);
    }

    fn transform(&mut self) -> Transform {
        Transform::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_longer_than_255_bytes_are_refused() {
        assert!(PlainCredentials::new(vec![b'u'; 255], vec![b'p'; 255]).is_some());
        assert!(PlainCredentials::new(vec![b'u'; 256], "p").is_none());
        assert!(PlainCredentials::new("u", vec![b'p'; 256]).is_none());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let c = PlainCredentials::new("admin", "hunter2").unwrap();
        let shown = format!("{c:?}");
        assert!(
            shown.contains("admin") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn hello_must_be_filled_exactly_by_its_two_strings() {
        assert_eq!(
            parse_hello(b"\x05admin\x06secret").unwrap(),
            [Bytes::from("admin"), Bytes::from("secret")]
        );
        assert_eq!(
            parse_hello(b"\x00\x00").unwrap(),
            [Bytes::new(), Bytes::new()]
        );
        for bad in [
            &b""[..],
            b"\x05adm",
            b"\x05admin",
            b"\x05admin\x06sec",
            b"\x05admin\x06secret!",
        ] {
            assert!(
                matches!(parse_hello(bad), Err(ProtocolError::MalformedCommand(_))),
                "{bad:?}"
            );
        }
    }
}
