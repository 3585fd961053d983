//! The names of the security mechanisms, as the greeting carries them
//! (SPEC §3.1). The mechanisms themselves are in `super::security`.

use std::fmt;

/// A security mechanism, as named in the greeting (SPEC §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// No authentication and no confidentiality (RFC 23/37).
    Null,
    /// User name and password in clear text (RFC 24).
    Plain,
    /// CurveZMQ authentication and encryption (RFC 25).
    Curve,
}

impl Mechanism {
    /// The mechanism name as sent in the greeting, e.g. `"NULL"` (SPEC §3.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Null => "NULL",
            Mechanism::Plain => "PLAIN",
            Mechanism::Curve => "CURVE",
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
