//! What the CURVE targets share: fixed long-term keys (SPEC §9.5).
//!
//! Each public key costs a scalar multiplication, most of an execution's
//! time under coverage instrumentation, so the fixed ones are made once.

use std::sync::OnceLock;

use oxmq::__internal::zmtp::security::curve::CurveClientKeys;
use oxmq::__internal::zmtp::Security;
use oxmq::curve::CurveSecretKey;

/// The client's long-term secret key.
pub const CLIENT_SECRET: [u8; 32] = [0x31; 32];
/// The server's long-term secret key.
pub const SERVER_SECRET: [u8; 32] = [0x53; 32];

/// The client's keys (its pair and the server's public key), made once.
pub fn client_keys() -> &'static CurveClientKeys {
    static KEYS: OnceLock<CurveClientKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let server = CurveSecretKey::from_bytes(SERVER_SECRET).public_key();
        CurveClientKeys::new(CurveSecretKey::from_bytes(CLIENT_SECRET), server)
    })
}

/// The client's side of CURVE with the fixed keys.
pub fn client_security() -> Security {
    Security::CurveClient(client_keys().clone())
}

/// The server's side of CURVE with the fixed key.
pub fn server_security() -> Security {
    Security::CurveServer {
        secret: CurveSecretKey::from_bytes(SERVER_SECRET),
    }
}
