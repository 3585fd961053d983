//! A CURVE client's long-term keys (SPEC §9.5).

use crate::curve::{CurvePublicKey, CurveSecretKey};

/// A CURVE client's long-term keys: its own key pair and the server's
/// public key, which it must know beforehand (SPEC §9.5). `Debug` shows
/// the two public keys, never the secret one.
#[derive(Clone, PartialEq, Eq)]
pub struct CurveClientKeys {
    secret: CurveSecretKey,
    public: CurvePublicKey,
    server: CurvePublicKey,
}

impl CurveClientKeys {
    /// The client of the key pair of `secret` (its public key derived from
    /// it), talking to the server whose long-term public key is `server`.
    pub fn new(secret: CurveSecretKey, server: CurvePublicKey) -> Self {
        CurveClientKeys {
            public: secret.public_key(),
            secret,
            server,
        }
    }

    /// The client's long-term public key (C), which the server's ZAP
    /// handler sees.
    pub fn public_key(&self) -> CurvePublicKey {
        self.public
    }

    /// The server's long-term public key (S).
    pub fn server_key(&self) -> CurvePublicKey {
        self.server
    }

    pub(crate) fn secret(&self) -> &CurveSecretKey {
        &self.secret
    }
}

impl std::fmt::Debug for CurveClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurveClientKeys")
            .field("public", &self.public)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}
