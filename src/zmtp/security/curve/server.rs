//! The server side of CURVE (SPEC §9.5): HELLO in, WELCOME out, INITIATE
//! in, the ZAP verdict, READY out.

use bytes::{BufMut, Bytes, BytesMut};
use zeroize::{Zeroize, Zeroizing};

use super::wire::{
    command_body, key_at, long_nonce_at, nonce_at, put_command, split_command, take_nonce,
    unexpected, COOKIE_LEN, COOKIE_PREFIX, HELLO, HELLO_LEN, HELLO_PADDING, HELLO_PREFIX, INITIATE,
    INITIATE_MIN_LEN, INITIATE_PREFIX, LONG_NONCE_LEN, READY, READY_PREFIX, SIGNATURE,
    VOUCH_PREFIX, WELCOME, WELCOME_PREFIX,
};
use crate::curve::{curve_keypair, CurvePublicKey, CurveSecretKey, KEY_LEN};
use crate::zmtp::command::Command;
use crate::zmtp::error::{CurveBox, CurveCommand, CurveKey, ProtocolError};
use crate::zmtp::mechanism::Mechanism;
use crate::zmtp::metadata::Metadata;
use crate::zmtp::security::{SecurityMechanism, Step};
use crate::zmtp::transform::curve::CurveCodec;
use crate::zmtp::transform::nacl::{long_nonce, random_long_nonce, short_nonce, BoxKey, TAG_LEN};
use crate::zmtp::transform::Transform;

/// What a CURVE server waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Hello,
    Initiate,
    /// The ZAP handler's verdict on the client's key.
    Verdict,
    /// The handshake's check of the client's properties.
    Accepted,
    Done,
}

/// The client's HELLO, kept until its INITIATE: all the server remembers
/// of a client between the two (RFC 26 asks for minimal state).
struct Hello {
    /// C'.
    client_transient: CurvePublicKey,
    /// HELLO's short nonce, which INITIATE's must exceed.
    nonce: u64,
    /// The key of the one cookie sent, made for it.
    cookie_key: BoxKey,
}

/// A client past INITIATE, until READY is sent.
struct Initiated {
    /// `Box[..](S'->C')` and back.
    session: BoxKey,
    /// INITIATE's short nonce.
    nonce: u64,
    /// The client's properties, for [`Step::Done`] after the verdict.
    properties: Option<Metadata>,
}

/// The server side of CURVE (the greeting's as-server flag set), with its
/// long-term secret key (SPEC §9.5).
///
/// After WELCOME it keeps the client's transient public key, HELLO's
/// nonce and the cookie key, not its own transient secret key: that comes
/// back in the cookie. Every secret is zeroed when dropped; `Debug` shows
/// none.
pub struct CurveServer {
    secret: CurveSecretKey,
    public: CurvePublicKey,
    ours: Metadata,
    state: State,
    hello: Option<Hello>,
    initiated: Option<Initiated>,
    /// The short nonce of our next command: READY is 1, as in libzmq.
    next_nonce: u64,
    codec: Option<CurveCodec>,
}

impl std::fmt::Debug for CurveServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurveServer")
            .field("public", &self.public)
            .field("state", &self.state)
            .field("next_nonce", &self.next_nonce)
            .finish_non_exhaustive()
    }
}

impl CurveServer {
    /// A server with this long-term secret key.
    pub fn new(secret: CurveSecretKey) -> Self {
        CurveServer {
            public: secret.public_key(),
            secret,
            ours: Metadata::new(),
            state: State::Hello,
            hello: None,
            initiated: None,
            next_nonce: 1,
            codec: None,
        }
    }

    /// HELLO in (exactly 200 bytes, version 1.0, zero padding, a
    /// signature box of 64 zeros); WELCOME out.
    fn hello(&mut self, data: &[u8], out: &mut BytesMut) -> Result<(), ProtocolError> {
        let malformed = |reason: String| ProtocolError::MalformedCurve {
            command: CurveCommand::Hello,
            reason,
        };
        let body_len = 1 + HELLO.len() + data.len();
        if body_len != HELLO_LEN {
            return Err(malformed(format!(
                "{body_len} bytes; a HELLO has {HELLO_LEN}"
            )));
        }
        if let Some(&[major, minor]) = data.get(..2) {
            if (major, minor) != (1, 0) {
                return Err(malformed(format!(
                    "version {major}.{minor}; CurveZMQ 1.0 is spoken"
                )));
            }
        }
        let padding = data.get(2..2 + HELLO_PADDING).unwrap_or_default();
        if padding.iter().any(|&b| b != 0) {
            return Err(malformed(
                "the anti-amplification padding is not zero".into(),
            ));
        }
        let at = 2 + HELLO_PADDING;
        let client_transient = key_at(data, at).ok_or_else(|| malformed("no key".into()))?;
        let nonce = nonce_at(data, at + KEY_LEN).unwrap_or_default();
        let from_client = BoxKey::precompute(&self.secret, &client_transient)
            .ok_or(ProtocolError::WeakKey(CurveKey::ClientTransient))?;
        let signature = from_client
            .open(
                &short_nonce(HELLO_PREFIX, nonce),
                data.get(at + KEY_LEN + 8..).unwrap_or_default(),
            )
            .map_err(|_| ProtocolError::CryptoFailure(CurveBox::Hello))?;
        if signature[..] != SIGNATURE {
            return Err(malformed(
                "the signature box does not hold 64 zero bytes".into(),
            ));
        }

        // A transient pair for this client, whose secret half leaves in
        // the cookie and is forgotten here.
        let transient = curve_keypair();
        let cookie_key = BoxKey::random();
        let cookie_long = random_long_nonce();
        let mut in_cookie = Zeroizing::new([0u8; 2 * KEY_LEN]);
        in_cookie[..KEY_LEN].copy_from_slice(client_transient.as_bytes());
        in_cookie[KEY_LEN..].copy_from_slice(transient.secret.secret_bytes());
        let mut welcomed = BytesMut::with_capacity(KEY_LEN + COOKIE_LEN);
        welcomed.put_slice(transient.public.as_bytes());
        welcomed.put_slice(&cookie_long);
        cookie_key.seal_into(
            &long_nonce(COOKIE_PREFIX, &cookie_long),
            &in_cookie[..],
            &mut welcomed,
        );
        let welcome_long = random_long_nonce();
        let mut body = BytesMut::with_capacity(LONG_NONCE_LEN + TAG_LEN + welcomed.len());
        body.put_slice(&welcome_long);
        from_client.seal_into(
            &long_nonce(WELCOME_PREFIX, &welcome_long),
            &welcomed,
            &mut body,
        );
        put_command(WELCOME, body, out);
        self.hello = Some(Hello {
            client_transient,
            nonce,
            cookie_key,
        });
        Ok(())
    }

    /// INITIATE in (at least 257 bytes): the cookie, then the box with
    /// the client's long-term key, its vouch and its properties.
    fn initiate(&mut self, data: &[u8]) -> Result<CurvePublicKey, ProtocolError> {
        let body_len = 1 + INITIATE.len() + data.len();
        if body_len < INITIATE_MIN_LEN {
            return Err(ProtocolError::MalformedCurve {
                command: CurveCommand::Initiate,
                reason: format!("{body_len} bytes; an INITIATE has at least {INITIATE_MIN_LEN}"),
            });
        }
        // The cookie key goes now, whatever follows: a cookie opens once.
        let Some(hello) = self.hello.take() else {
            return Err(unexpected(INITIATE, Bytes::new()));
        };
        let cookie_long = long_nonce_at(data, 0).unwrap_or_default();
        let cookie = hello
            .cookie_key
            .open(
                &long_nonce(COOKIE_PREFIX, &cookie_long),
                data.get(LONG_NONCE_LEN..COOKIE_LEN).unwrap_or_default(),
            )
            .map_err(|_| ProtocolError::CryptoFailure(CurveBox::Cookie))?;
        if key_at(&cookie, 0) != Some(hello.client_transient) {
            return Err(ProtocolError::KeyMismatch {
                key: CurveKey::ClientTransient,
                within: CurveBox::Cookie,
            });
        }
        let transient = cookie
            .get(KEY_LEN..2 * KEY_LEN)
            .and_then(|s| <[u8; KEY_LEN]>::try_from(s).ok())
            .map(|mut s| {
                let key = CurveSecretKey::from_bytes(s);
                s.zeroize();
                key
            })
            .ok_or(ProtocolError::CryptoFailure(CurveBox::Cookie))?;
        let nonce = nonce_at(data, COOKIE_LEN).unwrap_or_default();
        if nonce <= hello.nonce {
            return Err(ProtocolError::InvalidNonce {
                command: CurveCommand::Initiate,
                nonce,
                last: hello.nonce,
            });
        }
        let session = BoxKey::precompute(&transient, &hello.client_transient)
            .ok_or(ProtocolError::WeakKey(CurveKey::ClientTransient))?;
        let plain = session
            .open(
                &short_nonce(INITIATE_PREFIX, nonce),
                data.get(COOKIE_LEN + 8..).unwrap_or_default(),
            )
            .map_err(|_| ProtocolError::CryptoFailure(CurveBox::Initiate))?;
        let vouch_err = ProtocolError::CryptoFailure(CurveBox::Vouch);
        let client = key_at(&plain, 0).ok_or(vouch_err.clone())?;
        let vouch_long = long_nonce_at(&plain, KEY_LEN).ok_or(vouch_err.clone())?;
        let vouch_end = KEY_LEN + LONG_NONCE_LEN + TAG_LEN + 2 * KEY_LEN;
        let vouch_box = plain
            .get(KEY_LEN + LONG_NONCE_LEN..vouch_end)
            .ok_or(vouch_err.clone())?;
        let vouch_key = BoxKey::precompute(&transient, &client)
            .ok_or(ProtocolError::WeakKey(CurveKey::ClientLongTerm))?;
        let vouched = vouch_key
            .open(&long_nonce(VOUCH_PREFIX, &vouch_long), vouch_box)
            .map_err(|_| vouch_err)?;
        if key_at(&vouched, 0) != Some(hello.client_transient) {
            return Err(ProtocolError::KeyMismatch {
                key: CurveKey::ClientTransient,
                within: CurveBox::Vouch,
            });
        }
        if key_at(&vouched, KEY_LEN) != Some(self.public) {
            return Err(ProtocolError::KeyMismatch {
                key: CurveKey::ServerLongTerm,
                within: CurveBox::Vouch,
            });
        }
        let properties = Metadata::decode(plain.get(vouch_end..).unwrap_or_default())?;
        self.initiated = Some(Initiated {
            session,
            nonce,
            properties: Some(properties),
        });
        Ok(client)
    }
}

impl SecurityMechanism for CurveServer {
    fn name(&self) -> Mechanism {
        Mechanism::Curve
    }

    fn as_server(&self) -> bool {
        true
    }

    fn start(&mut self, ours: &Metadata, _out: &mut BytesMut) -> Result<Step, ProtocolError> {
        self.ours = ours.clone();
        Ok(Step::Continue)
    }

    /// Re-encodes `command` and takes it as [`on_command_frame`] does (the
    /// handshake uses `on_command_frame`).
    ///
    /// [`on_command_frame`]: SecurityMechanism::on_command_frame
    fn on_command(&mut self, command: Command, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        self.on_command_frame(command_body(&command), out)
    }

    fn on_command_frame(&mut self, body: Bytes, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        let (name, data) = split_command(&body)?;
        match (self.state, name) {
            (State::Hello, HELLO) => {
                self.hello(&data, out)?;
                self.state = State::Initiate;
                Ok(Step::Continue)
            }
            (State::Initiate, INITIATE) => {
                let client = self.initiate(&data)?;
                self.state = State::Verdict;
                Ok(Step::Authenticate(vec![Bytes::copy_from_slice(
                    client.as_bytes(),
                )]))
            }
            (_, name) => Err(unexpected(name, body.clone())),
        }
    }

    /// The client's key passed (the ZAP handler's 200, or no handler
    /// where none is required): its properties go to the handshake's
    /// checks.
    fn approved(&mut self, _out: &mut BytesMut) -> Result<Step, ProtocolError> {
        let properties = match (self.state, self.initiated.as_mut()) {
            (State::Verdict, Some(initiated)) => initiated.properties.take(),
            _ => None,
        };
        let Some(properties) = properties else {
            return Err(ProtocolError::UnexpectedCommand("ZAP approval".to_owned()));
        };
        self.state = State::Accepted;
        Ok(Step::Done(properties))
    }

    /// READY, with our properties, once the client's passed: a refused
    /// socket type gets the handshake's ERROR instead.
    fn accepted(&mut self, out: &mut BytesMut) {
        if self.state != State::Accepted {
            return;
        }
        let Some(initiated) = self.initiated.take() else {
            return;
        };
        let nonce = take_nonce(&mut self.next_nonce);
        let mut properties = BytesMut::with_capacity(self.ours.encoded_len());
        self.ours.encode(&mut properties);
        let mut data = BytesMut::with_capacity(8 + TAG_LEN + properties.len());
        data.put_u64(nonce);
        initiated
            .session
            .seal_into(&short_nonce(READY_PREFIX, nonce), &properties, &mut data);
        put_command(READY, data, out);
        self.codec = Some(CurveCodec::new(
            initiated.session,
            true,
            self.next_nonce,
            initiated.nonce,
        ));
        self.state = State::Done;
    }

    /// The MESSAGE codec, once; a transform that can neither be read nor
    /// read anything before READY or a second time.
    fn transform(&mut self) -> Transform {
        let codec = self
            .codec
            .take()
            .unwrap_or_else(|| CurveCodec::sealed_shut(true));
        Transform::Curve(Box::new(codec))
    }
}
