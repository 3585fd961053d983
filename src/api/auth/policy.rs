//! What the authenticator decides (SPEC §9.7): the address lists, the
//! PLAIN passwords and the CURVE keys by domain, and the decision for one
//! request. Pure data and functions: the serving loop is in the parent.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use crate::curve::CurvePublicKey;
use crate::zmtp::Mechanism;

/// The domain whose configuration serves every domain without one of its
/// own, and requests with an empty domain (pyzmq's default domain).
pub const ANY_DOMAIN: &str = "*";

/// One ZAP request, as the authenticator and its callback see it
/// (RFC 27, SPEC §9.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    /// The server socket's `zap_domain` (lossily UTF-8).
    pub domain: String,
    /// The client's IP address; empty for ipc.
    pub address: String,
    /// The server socket's routing id.
    pub identity: Bytes,
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The credentials: PLAIN user name and password; CURVE the client's
    /// long-term public key; none for NULL.
    pub credentials: Vec<Bytes>,
}

impl AuthRequest {
    /// The PLAIN user name and password, for a PLAIN request.
    pub fn plain(&self) -> Option<(&[u8], &[u8])> {
        match (self.mechanism, self.credentials.as_slice()) {
            (Mechanism::Plain, [user, password]) => Some((user, password)),
            _ => None,
        }
    }

    /// The client's long-term public key, for a CURVE request.
    pub fn curve_key(&self) -> Option<CurvePublicKey> {
        match (self.mechanism, self.credentials.as_slice()) {
            (Mechanism::Curve, [key]) => {
                let bytes: [u8; 32] = key.as_ref().try_into().ok()?;
                Some(CurvePublicKey::from_bytes(bytes))
            }
            _ => None,
        }
    }
}

/// The answer to one request (RFC 27 status codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// 200, 300, 400 or 500.
    pub status: u16,
    /// The status text (a reason for a refusal).
    pub text: String,
    /// The user id the server's messages from this peer carry (200 only).
    pub user_id: Bytes,
    /// Properties the server's messages from this peer carry (200 only).
    pub properties: Vec<(String, Bytes)>,
}

impl Verdict {
    /// 200: let the client in as `user_id`.
    pub fn allow(user_id: impl Into<Bytes>) -> Verdict {
        Verdict {
            status: 200,
            text: "OK".to_owned(),
            user_id: user_id.into(),
            properties: Vec::new(),
        }
    }

    /// 400: refuse the client.
    pub fn deny(reason: impl Into<String>) -> Verdict {
        Verdict::refuse(400, reason)
    }

    /// 300: a temporary failure; the server closes the connection without
    /// telling the client why.
    pub fn temporary(reason: impl Into<String>) -> Verdict {
        Verdict::refuse(300, reason)
    }

    /// 500: the handler itself failed.
    pub fn error(reason: impl Into<String>) -> Verdict {
        Verdict::refuse(500, reason)
    }

    fn refuse(status: u16, reason: impl Into<String>) -> Verdict {
        Verdict {
            status,
            text: reason.into(),
            user_id: Bytes::new(),
            properties: Vec::new(),
        }
    }

    /// Adds a property for the server's messages from this peer.
    pub fn with_property(mut self, name: impl Into<String>, value: impl Into<Bytes>) -> Verdict {
        self.properties.push((name.into(), value.into()));
        self
    }

    /// Whether the client is let in.
    pub fn is_allowed(&self) -> bool {
        self.status == 200
    }
}

/// Which CURVE clients a domain lets in.
#[derive(Clone, Debug, Default)]
pub(super) enum CurveKeys {
    /// None configured: every CURVE client is refused.
    #[default]
    None,
    /// Any client with a valid handshake (pyzmq's `CURVE_ALLOW_ANY`).
    Any,
    /// Only these keys.
    Keys(HashSet<CurvePublicKey>),
}

/// Everything the authenticator is configured with.
#[derive(Default)]
pub(super) struct Policy {
    pub(super) allow: HashSet<String>,
    pub(super) deny: HashSet<String>,
    /// Domain → user name → password.
    pub(super) passwords: HashMap<String, HashMap<Bytes, Bytes>>,
    /// Domain → the CURVE clients let in.
    pub(super) curve: HashMap<String, CurveKeys>,
}

impl Policy {
    /// The configuration of `domain`, or of [`ANY_DOMAIN`] without one.
    fn of<'a, T>(map: &'a HashMap<String, T>, domain: &str) -> Option<&'a T> {
        let domain = if domain.is_empty() {
            ANY_DOMAIN
        } else {
            domain
        };
        map.get(domain).or_else(|| map.get(ANY_DOMAIN))
    }

    /// The address check: `Err` with the reason when the address is
    /// refused; `Ok(true)` when an allow list names it.
    pub(super) fn address(&self, address: &str) -> Result<bool, Verdict> {
        if !self.allow.is_empty() {
            return if self.allow.contains(address) {
                Ok(true)
            } else {
                Err(Verdict::deny("address not allowed"))
            };
        }
        if self.deny.contains(address) {
            return Err(Verdict::deny("address denied"));
        }
        Ok(false)
    }

    /// The built-in decision for a request whose address passed: NULL
    /// is let in; PLAIN by its domain's passwords; CURVE by its domain's
    /// keys (the user id is the key in Z85).
    pub(super) fn mechanism(&self, req: &AuthRequest) -> Verdict {
        match req.mechanism {
            Mechanism::Null => Verdict::allow(Bytes::new()),
            Mechanism::Plain => {
                let Some((user, password)) = req.plain() else {
                    return Verdict::deny("malformed PLAIN credentials");
                };
                let Some(users) = Self::of(&self.passwords, &req.domain) else {
                    return Verdict::deny("no passwords for this domain");
                };
                match users.get(user) {
                    Some(p) if p.as_ref() == password => {
                        Verdict::allow(Bytes::copy_from_slice(user))
                    }
                    Some(_) => Verdict::deny("invalid password"),
                    None => Verdict::deny("invalid user name"),
                }
            }
            Mechanism::Curve => {
                let Some(key) = req.curve_key() else {
                    return Verdict::deny("malformed CURVE credentials");
                };
                let allowed = match Self::of(&self.curve, &req.domain) {
                    Some(CurveKeys::Any) => true,
                    Some(CurveKeys::Keys(keys)) => keys.contains(&key),
                    Some(CurveKeys::None) | None => false,
                };
                if allowed {
                    Verdict::allow(key.to_z85())
                } else {
                    Verdict::deny("unknown key")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(mechanism: Mechanism, domain: &str, credentials: &[&[u8]]) -> AuthRequest {
        AuthRequest {
            domain: domain.to_owned(),
            address: "10.0.0.1".to_owned(),
            identity: Bytes::new(),
            mechanism,
            credentials: credentials
                .iter()
                .map(|c| Bytes::copy_from_slice(c))
                .collect(),
        }
    }

    #[test]
    fn allow_list_wins_over_deny_list() {
        let mut p = Policy::default();
        assert_eq!(p.address("10.0.0.1"), Ok(false));
        p.deny.insert("10.0.0.1".into());
        assert!(p.address("10.0.0.1").is_err());
        assert_eq!(p.address("10.0.0.2"), Ok(false));
        p.allow.insert("10.0.0.2".into());
        assert_eq!(p.address("10.0.0.2"), Ok(true));
        assert!(p.address("10.0.0.3").is_err(), "not on the allow list");
    }

    #[test]
    fn plain_by_domain_with_the_wildcard_as_fallback() {
        let mut p = Policy::default();
        let users = |u: &'static [u8], pw: &'static [u8]| {
            HashMap::from([(Bytes::from_static(u), Bytes::from_static(pw))])
        };
        p.passwords
            .insert(ANY_DOMAIN.into(), users(b"admin", b"secret"));
        p.passwords.insert("ops".into(), users(b"root", b"toor"));
        let v = p.mechanism(&req(Mechanism::Plain, "", &[b"admin", b"secret"]));
        assert_eq!((v.status, &v.user_id[..]), (200, &b"admin"[..]));
        assert!(p
            .mechanism(&req(Mechanism::Plain, "web", &[b"admin", b"secret"]))
            .is_allowed());
        assert_eq!(
            p.mechanism(&req(Mechanism::Plain, "ops", &[b"admin", b"secret"]))
                .text,
            "invalid user name"
        );
        assert!(p
            .mechanism(&req(Mechanism::Plain, "ops", &[b"root", b"toor"]))
            .is_allowed());
        assert_eq!(
            p.mechanism(&req(Mechanism::Plain, "", &[b"admin", b"nope"]))
                .text,
            "invalid password"
        );
        assert_eq!(
            p.mechanism(&req(Mechanism::Plain, "", &[b"admin"])).status,
            400
        );
    }

    #[test]
    fn curve_by_keys_or_any() {
        let known = crate::curve::curve_keypair().public;
        let other = crate::curve::curve_keypair().public;
        let mut p = Policy::default();
        let ask = |p: &Policy, k: &CurvePublicKey| {
            p.mechanism(&req(Mechanism::Curve, "", &[k.as_bytes()]))
        };
        assert_eq!(ask(&p, &known).status, 400, "nothing configured");
        p.curve
            .insert(ANY_DOMAIN.into(), CurveKeys::Keys(HashSet::from([known])));
        let v = ask(&p, &known);
        assert_eq!(
            (v.status, v.user_id.clone()),
            (200, Bytes::from(known.to_z85()))
        );
        assert_eq!(ask(&p, &other).text, "unknown key");
        p.curve.insert(ANY_DOMAIN.into(), CurveKeys::Any);
        assert!(ask(&p, &other).is_allowed());
        assert_eq!(
            p.mechanism(&req(Mechanism::Curve, "", &[b"short"])).status,
            400
        );
    }

    #[test]
    fn null_is_let_in() {
        assert!(Policy::default()
            .mechanism(&req(Mechanism::Null, "", &[]))
            .is_allowed());
    }
}
