//! The CURVE mechanism (RFC 25, CurveZMQ RFC 26, SPEC §9.5): the client
//! knows the server's long-term public key; each side makes a transient
//! key pair for the connection; the server learns the client's long-term
//! public key, which the ZAP handler judges, and everything after the
//! handshake travels in boxes between the transient keys
//! (`transform::curve`).
//!
//! ```text
//! client                                        server
//! HELLO(C', short nonce, Box[64 zeros](C'->S))  →
//!                    ← WELCOME(long nonce, Box[S' + cookie](S->C'))
//! INITIATE(cookie, short nonce,
//!          Box[C + vouch + properties](C'->S')) →
//!                                                (ZAP request with C; 200)
//!                    ← READY(short nonce, Box[properties](S'->C'))
//! MESSAGE ...                                  ↔ MESSAGE ...
//! ```
//!
//! The cookie is `Box[C' + s'](K)` under a cookie key K made for the one
//! WELCOME; the server keeps K, C' and HELLO's nonce, not s', which it
//! takes back from the cookie. The vouch is `Box[C' + S](C->S')`. The box
//! nonces are a prefix (`CurveZMQHELLO---`, `WELCOME-`, `COOKIE--`,
//! `CurveZMQINITIATE`, `VOUCH---`, `CurveZMQREADY---`) then a short nonce
//! (a counter) or a long one (16 random bytes). Each side counts its short
//! nonces from 1 as libzmq 4.3.5 does: the client's HELLO is 1, its
//! INITIATE 2 and its MESSAGEs go on from 3; the server's READY is 1 and
//! its MESSAGEs go on from 2. A peer's short nonces must strictly
//! increase.
//!
//! Failures are typed [`ProtocolError`](crate::ProtocolError)s and send no
//! ERROR, as in libzmq (RFC 26: a client that fails is disconnected
//! without an answer); the refusal of the ZAP handler sends ERROR, from
//! the handshake (SPEC §9.2).

mod client;
mod keys;
mod server;
mod wire;

pub use client::CurveClient;
pub use keys::CurveClientKeys;
pub use server::CurveServer;

#[cfg(test)]
mod tests;
