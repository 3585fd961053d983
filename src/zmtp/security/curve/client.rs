//! The client side of CURVE (SPEC §9.5): HELLO out, WELCOME in, INITIATE
//! out, READY in.

use bytes::{BufMut, Bytes, BytesMut};

use super::keys::CurveClientKeys;
use super::wire::{
    command_body, key_at, long_nonce_at, nonce_at, put_command, split_command, take_nonce,
    unexpected, COOKIE_LEN, HELLO, HELLO_PADDING, HELLO_PREFIX, INITIATE, INITIATE_PREFIX,
    LONG_NONCE_LEN, READY, READY_MIN_LEN, READY_PREFIX, SIGNATURE, VOUCH_PREFIX, WELCOME,
    WELCOME_LEN, WELCOME_PREFIX,
};
use crate::curve::{curve_keypair, CurveKeypair, CurvePublicKey, KEY_LEN};
use crate::zmtp::command::Command;
use crate::zmtp::error::{CurveBox, CurveCommand, CurveKey, ProtocolError};
use crate::zmtp::mechanism::Mechanism;
use crate::zmtp::metadata::Metadata;
use crate::zmtp::security::{SecurityMechanism, Step};
use crate::zmtp::transform::curve::CurveCodec;
use crate::zmtp::transform::nacl::{long_nonce, random_long_nonce, short_nonce, BoxKey, TAG_LEN};
use crate::zmtp::transform::Transform;

/// What a CURVE client waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// `start` has not run.
    Start,
    Welcome,
    Ready,
    Done,
}

/// The client side of CURVE (the greeting's as-server flag clear): it
/// knows the server's long-term key and proves its own (SPEC §9.5).
///
/// Secrets (the transient secret key, the precomputed box keys) are
/// zeroed when dropped; each is dropped as soon as the handshake no longer
/// needs it. `Debug` shows none.
pub struct CurveClient {
    keys: CurveClientKeys,
    ours: Metadata,
    state: State,
    /// Our transient key pair (c', C'), until WELCOME is in.
    transient: Option<CurveKeypair>,
    /// `Box[..](C'->S)` and back: HELLO's signature box, WELCOME's box.
    to_server: Option<BoxKey>,
    /// `Box[..](C'->S')` and back: INITIATE, READY, then the MESSAGEs.
    session: Option<BoxKey>,
    /// The short nonce of our next command.
    next_nonce: u64,
    /// The data phase, once READY is in.
    codec: Option<CurveCodec>,
}

impl std::fmt::Debug for CurveClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurveClient")
            .field("keys", &self.keys)
            .field("state", &self.state)
            .field("next_nonce", &self.next_nonce)
            .finish_non_exhaustive()
    }
}

impl CurveClient {
    /// A client with these long-term keys.
    pub fn new(keys: CurveClientKeys) -> Self {
        CurveClient {
            keys,
            ours: Metadata::new(),
            state: State::Start,
            transient: None,
            to_server: None,
            session: None,
            // libzmq's client numbers its HELLO 1.
            next_nonce: 1,
            codec: None,
        }
    }

    /// HELLO: version 1.0, the padding, C', the short nonce and the
    /// signature box (SPEC §9.5).
    fn hello(&mut self, out: &mut BytesMut) -> Result<(), ProtocolError> {
        let transient = curve_keypair();
        let server = self.keys.server_key();
        let to_server = BoxKey::precompute(&transient.secret, &server)
            .ok_or(ProtocolError::WeakKey(CurveKey::ServerLongTerm))?;
        let nonce = take_nonce(&mut self.next_nonce);
        let mut data = BytesMut::with_capacity(194);
        data.put_slice(&[1, 0]);
        data.put_bytes(0, HELLO_PADDING);
        data.put_slice(transient.public.as_bytes());
        data.put_u64(nonce);
        to_server.seal_into(&short_nonce(HELLO_PREFIX, nonce), &SIGNATURE, &mut data);
        put_command(HELLO, data, out);
        self.transient = Some(transient);
        self.to_server = Some(to_server);
        Ok(())
    }

    /// WELCOME in (exactly 168 bytes): S' and the cookie; INITIATE out.
    fn welcome(&mut self, data: &[u8], out: &mut BytesMut) -> Result<(), ProtocolError> {
        let body_len = 1 + WELCOME.len() + data.len();
        if body_len != WELCOME_LEN {
            return Err(ProtocolError::MalformedCurve {
                command: CurveCommand::Welcome,
                reason: format!("{body_len} bytes; a WELCOME has {WELCOME_LEN}"),
            });
        }
        let (Some(transient), Some(to_server)) = (self.transient.take(), self.to_server.take())
        else {
            return Err(unexpected(WELCOME, Bytes::new()));
        };
        let long = long_nonce_at(data, 0).unwrap_or_default();
        let opened = to_server
            .open(
                &long_nonce(WELCOME_PREFIX, &long),
                data.get(LONG_NONCE_LEN..).unwrap_or_default(),
            )
            .map_err(|_| ProtocolError::CryptoFailure(CurveBox::Welcome))?;
        let server_transient =
            key_at(&opened, 0).ok_or(ProtocolError::CryptoFailure(CurveBox::Welcome))?;
        let cookie = opened
            .get(KEY_LEN..KEY_LEN + COOKIE_LEN)
            .ok_or(ProtocolError::CryptoFailure(CurveBox::Welcome))?;
        let weak = ProtocolError::WeakKey(CurveKey::ServerTransient);
        let session =
            BoxKey::precompute(&transient.secret, &server_transient).ok_or(weak.clone())?;
        let vouch_key = BoxKey::precompute(self.keys.secret(), &server_transient).ok_or(weak)?;
        let body = initiate_data(
            &InitiateParts {
                session: &session,
                vouch_key: &vouch_key,
                client: self.keys.public_key(),
                client_transient: transient.public,
                vouched_server: self.keys.server_key(),
                cookie,
                properties: &self.ours,
            },
            take_nonce(&mut self.next_nonce),
        );
        put_command(INITIATE, body, out);
        self.session = Some(session);
        Ok(())
    }

    /// READY in (at least 30 bytes): the server's properties.
    fn ready(&mut self, data: &[u8]) -> Result<Metadata, ProtocolError> {
        let body_len = 1 + READY.len() + data.len();
        if body_len < READY_MIN_LEN {
            return Err(ProtocolError::MalformedCurve {
                command: CurveCommand::Ready,
                reason: format!("{body_len} bytes; a READY has at least {READY_MIN_LEN}"),
            });
        }
        let Some(session) = self.session.take() else {
            return Err(unexpected(READY, Bytes::new()));
        };
        let nonce = nonce_at(data, 0).unwrap_or_default();
        let properties = session
            .open(
                &short_nonce(READY_PREFIX, nonce),
                data.get(8..).unwrap_or_default(),
            )
            .map_err(|_| ProtocolError::CryptoFailure(CurveBox::Ready))?;
        let metadata = Metadata::decode(&properties)?;
        self.codec = Some(CurveCodec::new(session, false, self.next_nonce, nonce));
        Ok(metadata)
    }
}

/// What INITIATE is made of.
pub(super) struct InitiateParts<'a> {
    /// `Box[..](C'->S')`.
    pub(super) session: &'a BoxKey,
    /// `Box[..](C->S')`.
    pub(super) vouch_key: &'a BoxKey,
    /// C.
    pub(super) client: CurvePublicKey,
    /// C'.
    pub(super) client_transient: CurvePublicKey,
    /// The S the vouch names (the server's; another one only in tests).
    pub(super) vouched_server: CurvePublicKey,
    /// The cookie from WELCOME.
    pub(super) cookie: &'a [u8],
    pub(super) properties: &'a Metadata,
}

/// INITIATE's data: the cookie, the short nonce, and
/// `Box[C + vouch + properties](C'->S')`, the vouch being its long nonce
/// and `Box[C' + S](C->S')`.
pub(super) fn initiate_data(parts: &InitiateParts<'_>, nonce: u64) -> BytesMut {
    let mut vouched = [0u8; 2 * KEY_LEN];
    vouched[..KEY_LEN].copy_from_slice(parts.client_transient.as_bytes());
    vouched[KEY_LEN..].copy_from_slice(parts.vouched_server.as_bytes());
    let vouch_long = random_long_nonce();
    let mut plain = BytesMut::with_capacity(
        KEY_LEN + LONG_NONCE_LEN + TAG_LEN + vouched.len() + parts.properties.encoded_len(),
    );
    plain.put_slice(parts.client.as_bytes());
    plain.put_slice(&vouch_long);
    parts
        .vouch_key
        .seal_into(&long_nonce(VOUCH_PREFIX, &vouch_long), &vouched, &mut plain);
    parts.properties.encode(&mut plain);
    let mut data = BytesMut::with_capacity(parts.cookie.len() + 8 + TAG_LEN + plain.len());
    data.put_slice(parts.cookie);
    data.put_u64(nonce);
    parts
        .session
        .seal_into(&short_nonce(INITIATE_PREFIX, nonce), &plain, &mut data);
    data
}

impl SecurityMechanism for CurveClient {
    fn name(&self) -> Mechanism {
        Mechanism::Curve
    }

    fn as_server(&self) -> bool {
        false
    }

    fn start(&mut self, ours: &Metadata, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        if self.state != State::Start {
            return Err(ProtocolError::UnexpectedCommand("greeting".to_owned()));
        }
        self.ours = ours.clone();
        self.hello(out)?;
        self.state = State::Welcome;
        Ok(Step::Continue)
    }

    /// Re-encodes `command` and takes it as [`on_command_frame`] does;
    /// a READY's properties decoded lossily (not UTF-8 names) then no
    /// longer open. The handshake uses `on_command_frame`.
    ///
    /// [`on_command_frame`]: SecurityMechanism::on_command_frame
    fn on_command(&mut self, command: Command, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        self.on_command_frame(command_body(&command), out)
    }

    fn on_command_frame(&mut self, body: Bytes, out: &mut BytesMut) -> Result<Step, ProtocolError> {
        let (name, data) = split_command(&body)?;
        match (self.state, name) {
            (State::Welcome, WELCOME) => {
                self.welcome(&data, out)?;
                self.state = State::Ready;
                Ok(Step::Continue)
            }
            (State::Ready, READY) => {
                let metadata = self.ready(&data)?;
                self.state = State::Done;
                Ok(Step::Done(metadata))
            }
            (_, name) => Err(unexpected(name, body.clone())),
        }
    }

    /// The MESSAGE codec, once; a transform that can neither be read nor
    /// read anything before READY or a second time.
    fn transform(&mut self) -> Transform {
        let codec = self
            .codec
            .take()
            .unwrap_or_else(|| CurveCodec::sealed_shut(false));
        Transform::Curve(Box::new(codec))
    }
}
