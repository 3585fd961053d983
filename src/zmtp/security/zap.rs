//! ZAP, the ZeroMQ Authentication Protocol (RFC 27, SPEC §9.2), as data:
//! the request a server-side mechanism asks for, and the check of the
//! handler's reply. Sending and receiving them (a DEALER connected to
//! `inproc://zeromq.zap.01`, where RFC 27 has the handler bind) is the
//! driver's part.

use bytes::Bytes;

pub use crate::zmtp::error::ZapError;
use crate::zmtp::mechanism::Mechanism;
use crate::zmtp::metadata::Metadata;

/// Which connections ask the ZAP handler, under which domain (SPEC §9.2):
/// the `zap_domain` and `zap_enforce_domain` options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZapConfig {
    /// Sent in every request. A non-empty domain also makes NULL
    /// connections ask the handler, as in libzmq.
    pub domain: Bytes,
    /// With no handler bound, fail every handshake that would ask one;
    /// without it only PLAIN fails, and NULL and CURVE go on
    /// unauthenticated (libzmq's `ZMQ_ZAP_ENFORCE_DOMAIN`).
    pub enforce: bool,
}

/// What became of a ZAP request, as the driver hands it back to the
/// handshake (SPEC §9.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZapOutcome {
    /// The handler's reply, as a DEALER receives it (delimiter first).
    Reply(Vec<Bytes>),
    /// No handler is bound at [`ZAP_ENDPOINT`].
    NoHandler,
    /// The handler went away before it replied.
    HandlerClosed,
}

/// Where RFC 27 has the handler bind.
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// The protocol version frame of every request and reply (RFC 27).
pub const ZAP_VERSION: &[u8] = b"1.0";

/// One authentication request (RFC 27 "Message Format").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZapRequest {
    /// Echoed by the handler: which request a reply answers.
    pub request_id: Bytes,
    /// The server socket's `zap_domain` (may be empty).
    pub domain: Bytes,
    /// The client's network address: its IP address for tcp (no port, as
    /// libzmq sends it), empty for ipc.
    pub address: Bytes,
    /// The server socket's own routing id, as libzmq sends it (may be
    /// empty).
    pub identity: Bytes,
    /// The mechanism authenticating.
    pub mechanism: Mechanism,
    /// The mechanism's credentials: none for NULL, user name and password
    /// for PLAIN, the client's long-term public key for CURVE.
    pub credentials: Vec<Bytes>,
}

impl ZapRequest {
    /// The request's frames as a DEALER sends them: the empty delimiter,
    /// version, request id, domain, address, identity, mechanism, then the
    /// credentials.
    pub fn to_frames(&self) -> Vec<Bytes> {
        let mut frames = Vec::with_capacity(7 + self.credentials.len());
        frames.push(Bytes::new());
        frames.push(Bytes::from_static(ZAP_VERSION));
        frames.push(self.request_id.clone());
        frames.push(self.domain.clone());
        frames.push(self.address.clone());
        frames.push(self.identity.clone());
        frames.push(Bytes::from_static(self.mechanism.as_str().as_bytes()));
        frames.extend(self.credentials.iter().cloned());
        frames
    }
}

/// A handler's verdict (RFC 27 "status code").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZapStatus {
    /// 200: authenticated.
    Success,
    /// 300: a temporary failure; the client may try again later.
    TemporaryFailure,
    /// 400: authentication failed.
    Failure,
    /// 500: the handler failed (internal error).
    InternalError,
}

impl ZapStatus {
    /// The numeric status code: 200, 300, 400 or 500.
    pub fn code(self) -> u16 {
        match self {
            ZapStatus::Success => 200,
            ZapStatus::TemporaryFailure => 300,
            ZapStatus::Failure => 400,
            ZapStatus::InternalError => 500,
        }
    }

    fn parse(code: &[u8]) -> Option<ZapStatus> {
        Some(match code {
            b"200" => ZapStatus::Success,
            b"300" => ZapStatus::TemporaryFailure,
            b"400" => ZapStatus::Failure,
            b"500" => ZapStatus::InternalError,
            _ => return None,
        })
    }
}

/// A well-formed reply from the ZAP handler (RFC 27).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZapReply {
    /// The verdict.
    pub status: ZapStatus,
    /// Explanation of the status (may be empty).
    pub status_text: Bytes,
    /// The authenticated user (with [`ZapStatus::Success`]; may be empty).
    pub user_id: Bytes,
    /// Properties the handler attaches to the peer's messages.
    pub metadata: Metadata,
}

impl ZapReply {
    /// Checks a reply, as a DEALER receives it (delimiter first), against
    /// the request it should answer (RFC 27).
    pub fn parse(frames: &[Bytes], request_id: &[u8]) -> Result<ZapReply, ZapError> {
        let [delimiter, version, id, code, text, user, metadata] = frames else {
            return Err(ZapError::FrameCount(frames.len()));
        };
        if !delimiter.is_empty() {
            return Err(ZapError::Delimiter);
        }
        if version.as_ref() != ZAP_VERSION {
            return Err(ZapError::Version(version.clone()));
        }
        if id.as_ref() != request_id {
            return Err(ZapError::RequestId {
                expected: Bytes::copy_from_slice(request_id),
                got: id.clone(),
            });
        }
        let status = ZapStatus::parse(code).ok_or_else(|| ZapError::Status(code.clone()))?;
        let metadata = Metadata::decode(metadata).map_err(|e| ZapError::Metadata(e.to_string()))?;
        Ok(ZapReply {
            status,
            status_text: text.clone(),
            user_id: user.clone(),
            metadata,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use proptest::prelude::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn reply(code: &str, meta: Bytes) -> Vec<Bytes> {
        vec![
            Bytes::new(),
            b("1.0"),
            b("7"),
            b(code),
            b("OK"),
            b("joe"),
            meta,
        ]
    }

    #[test]
    fn request_frames_follow_rfc_27() {
        let r = ZapRequest {
            request_id: b("0001"),
            domain: b("test"),
            address: b("192.168.55.1"),
            identity: b("BOB"),
            mechanism: Mechanism::Plain,
            credentials: vec![b("admin"), b("secret")],
        };
        let want: Vec<Bytes> = [
            "",
            "1.0",
            "0001",
            "test",
            "192.168.55.1",
            "BOB",
            "PLAIN",
            "admin",
            "secret",
        ]
        .into_iter()
        .map(b)
        .collect();
        assert_eq!(r.to_frames(), want);
    }

    #[test]
    fn each_status_code_is_read() {
        for (code, status) in [
            ("200", ZapStatus::Success),
            ("300", ZapStatus::TemporaryFailure),
            ("400", ZapStatus::Failure),
            ("500", ZapStatus::InternalError),
        ] {
            let r = ZapReply::parse(&reply(code, Bytes::new()), b"7").unwrap();
            assert_eq!(r.status, status);
            assert_eq!(r.status.code().to_string(), code);
            assert_eq!(r.user_id, "joe");
            assert!(r.metadata.is_empty());
        }
    }

    #[test]
    fn metadata_reaches_the_reply() {
        let mut m = Metadata::new();
        m.insert("Hello", b("World"));
        let mut wire = BytesMut::new();
        m.encode(&mut wire);
        let r = ZapReply::parse(&reply("200", wire.freeze()), b"7").unwrap();
        assert_eq!(
            r.metadata.get("hello").map(|v| v.as_ref()),
            Some(&b"World"[..])
        );
    }

    #[test]
    fn malformed_replies_are_typed_errors() {
        let ok = reply("200", Bytes::new());
        assert_eq!(
            ZapReply::parse(&ok[..6], b"7"),
            Err(ZapError::FrameCount(6))
        );
        let mut long = ok.clone();
        long.push(Bytes::new());
        assert_eq!(ZapReply::parse(&long, b"7"), Err(ZapError::FrameCount(8)));
        let mut m = ok.clone();
        m[0] = b("x");
        assert_eq!(ZapReply::parse(&m, b"7"), Err(ZapError::Delimiter));
        let mut m = ok.clone();
        m[1] = b("2.0");
        assert_eq!(ZapReply::parse(&m, b"7"), Err(ZapError::Version(b("2.0"))));
        assert_eq!(
            ZapReply::parse(&ok, b"8"),
            Err(ZapError::RequestId {
                expected: b("8"),
                got: b("7")
            })
        );
        for bad in ["201", "20", "2000", "", "abc"] {
            assert_eq!(
                ZapReply::parse(&reply(bad, Bytes::new()), b"7"),
                Err(ZapError::Status(b(bad)))
            );
        }
        assert!(matches!(
            ZapReply::parse(&reply("200", Bytes::from_static(&[5, b'a'])), b"7"),
            Err(ZapError::Metadata(_))
        ));
    }

    proptest! {
        #[test]
        fn parse_never_panics(frames in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..12), 0..10)
        ) {
            let frames: Vec<Bytes> = frames.into_iter().map(Bytes::from).collect();
            let _ = ZapReply::parse(&frames, b"1");
        }
    }
}
