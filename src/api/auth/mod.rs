//! A ready-made ZAP handler (RFC 27, SPEC §9.7): what pyzmq's
//! `ThreadAuthenticator` and czmq's `zauth` give, for oxmq's PLAIN, CURVE
//! and NULL servers.
//!
//! ```
//! use oxmq::auth::Authenticator;
//! use oxmq::{Dealer, Router, SocketOptions};
//!
//! let auth = Authenticator::start().unwrap();
//! auth.configure_plain("*", [("admin", "secret")]);
//! let server = Router::with_options(SocketOptions::default().plain_server(true));
//! let endpoint = server.bind("tcp://127.0.0.1:0").unwrap();
//! let client = Dealer::with_options(
//!     SocketOptions::default().plain_username("admin").plain_password("secret"),
//! );
//! client.connect(&endpoint).unwrap();
//! client.blocking_send("hello").unwrap();
//! let msg = server.blocking_recv().unwrap();
//! assert_eq!(msg.property("User-Id").unwrap(), "admin");
//! auth.stop();
//! ```

mod policy;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

pub use policy::{AuthRequest, Verdict, ANY_DOMAIN};
use policy::{CurveKeys, Policy};

use crate::curve::CurvePublicKey;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::options::SocketOptions;
use crate::socket::Rep;
use crate::zmtp::security::zap::{ZAP_ENDPOINT, ZAP_VERSION};
use crate::zmtp::{Mechanism, Metadata};

/// A custom decision: called for every request whose address passed the
/// allow and deny lists, instead of the built-in PLAIN and CURVE checks.
type Callback =
    Arc<dyn Fn(AuthRequest) -> Pin<Box<dyn Future<Output = Verdict> + Send>> + Send + Sync>;

#[derive(Default)]
struct Shared {
    policy: Policy,
    callback: Option<Callback>,
}

/// The process's ZAP handler, bound at `inproc://zeromq.zap.01` and
/// answering on a thread of its own until [`stop`](Self::stop) or drop
/// (SPEC §9.7). Its configuration can change while it runs; each request
/// is judged by the configuration of the moment.
///
/// A request is judged in two steps, as pyzmq's authenticator does:
/// 1. the address: with an allow list, only the addresses on it pass;
///    otherwise the addresses on the deny list are refused;
/// 2. the mechanism, unless a [callback](Self::set_callback) decides:
///    NULL passes; PLAIN needs a user name and password configured for the
///    domain; CURVE needs the client's key configured for the domain, or
///    "any" ([`ANY_DOMAIN`] serves domains without a configuration of their
///    own, and the empty domain).
///
/// Every decision is logged with `tracing` at debug, refusals with the
/// reason.
pub struct Authenticator {
    shared: Arc<Mutex<Shared>>,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Binds the ZAP endpoint and starts answering. Fails if another
    /// handler is bound there already (`Error::Bind`).
    pub fn start() -> Result<Authenticator> {
        let rep = Rep::with_options(SocketOptions::default().linger(Some(Duration::ZERO)));
        rep.bind(ZAP_ENDPOINT)?;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(Notify::new());
        // The thread and its runtime: failing to make them is as fatal
        // to the handler as failing to bind.
        let failed = |source| Error::Bind {
            endpoint: ZAP_ENDPOINT.to_owned(),
            source,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(failed)?;
        let (s, n) = (shared.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("oxmq-zap".to_owned())
            .spawn(move || runtime.block_on(serve(rep, s, n)))
            .map_err(failed)?;
        Ok(Authenticator {
            shared,
            stop,
            thread: Some(thread),
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut Shared) -> R) -> R {
        f(&mut self.shared.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Lets only the addresses on the allow list in (tcp peers' IP
    /// addresses, such as `127.0.0.1`; ipc peers have the empty address).
    pub fn allow(&self, address: impl Into<String>) {
        self.with(|s| s.policy.allow.insert(address.into()));
    }

    /// Refuses this address (ignored while the allow list is not empty).
    pub fn deny(&self, address: impl Into<String>) {
        self.with(|s| s.policy.deny.insert(address.into()));
    }

    /// The PLAIN users of `domain` and their passwords, replacing any
    /// given before for it.
    pub fn configure_plain<U, P>(&self, domain: &str, users: impl IntoIterator<Item = (U, P)>)
    where
        U: Into<Bytes>,
        P: Into<Bytes>,
    {
        let users = users
            .into_iter()
            .map(|(u, p)| (u.into(), p.into()))
            .collect();
        self.with(|s| s.policy.passwords.insert(domain.to_owned(), users));
    }

    /// The CURVE clients `domain` lets in, by their long-term public keys,
    /// replacing any given before for it.
    pub fn configure_curve(&self, domain: &str, keys: impl IntoIterator<Item = CurvePublicKey>) {
        let keys: HashSet<_> = keys.into_iter().collect();
        self.with(|s| {
            s.policy
                .curve
                .insert(domain.to_owned(), CurveKeys::Keys(keys))
        });
    }

    /// The CURVE clients `domain` lets in: the public keys of the
    /// certificates (`*.key` files) in `dir`, read now (SPEC §9.6); like
    /// pyzmq's `configure_curve(domain, location)`. A file that does not
    /// load fails the call, and the configuration is left as it was.
    pub fn configure_curve_directory(
        &self,
        domain: &str,
        dir: impl AsRef<std::path::Path>,
    ) -> std::result::Result<(), crate::cert::CertError> {
        let keys = crate::cert::load_public_keys(dir)?;
        self.configure_curve(domain, keys);
        Ok(())
    }

    /// Lets any CURVE client into `domain` (encryption without
    /// authentication; pyzmq's `CURVE_ALLOW_ANY`).
    pub fn configure_curve_any(&self, domain: &str) {
        self.with(|s| s.policy.curve.insert(domain.to_owned(), CurveKeys::Any));
    }

    /// Decides every request whose address passed with `callback` instead
    /// of the built-in checks; requests are answered one at a time.
    pub fn set_callback<F, Fut>(&self, callback: F)
    where
        F: Fn(AuthRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Verdict> + Send + 'static,
    {
        let callback: Callback = Arc::new(move |req| Box::pin(callback(req)));
        self.with(|s| s.callback = Some(callback));
    }

    /// Stops answering and unbinds the endpoint; handshakes that ask later
    /// find no handler.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Answers requests until told to stop.
async fn serve(rep: Rep, shared: Arc<Mutex<Shared>>, stop: Arc<Notify>) {
    loop {
        let request = tokio::select! {
            _ = stop.notified() => break,
            r = rep.recv() => match r {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        let reply = answer(&shared, request).await;
        if rep.send(reply).await.is_err() {
            break;
        }
    }
    rep.close().await;
}

/// The request's fields, or why it cannot be judged.
fn parse(frames: &[Bytes]) -> std::result::Result<AuthRequest, &'static str> {
    let [version, _id, domain, address, identity, mechanism, credentials @ ..] = frames else {
        return Err("malformed request");
    };
    if version.as_ref() != ZAP_VERSION {
        return Err("unsupported ZAP version");
    }
    let mechanism = match mechanism.as_ref() {
        b"NULL" => Mechanism::Null,
        b"PLAIN" => Mechanism::Plain,
        b"CURVE" => Mechanism::Curve,
        _ => return Err("unsupported mechanism"),
    };
    Ok(AuthRequest {
        domain: String::from_utf8_lossy(domain).into_owned(),
        address: String::from_utf8_lossy(address).into_owned(),
        identity: identity.clone(),
        mechanism,
        credentials: credentials.to_vec(),
    })
}

/// Judges one request and builds the reply frames.
async fn answer(shared: &Mutex<Shared>, request: Message) -> Message {
    let frames = request.frames();
    let id = frames.get(1).cloned().unwrap_or_default();
    let verdict = match parse(frames) {
        Err(reason) => Verdict::error(reason),
        Ok(req) => {
            let (checked, callback) = {
                let s = shared.lock().unwrap_or_else(|e| e.into_inner());
                (s.policy.address(&req.address), s.callback.clone())
            };
            let verdict = match (checked, callback) {
                (Err(refused), _) => refused,
                (Ok(_), Some(callback)) => callback(req.clone()).await,
                (Ok(_), None) => shared
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .policy
                    .mechanism(&req),
            };
            if verdict.is_allowed() {
                tracing::debug!(mechanism = %req.mechanism, domain = %req.domain,
                    address = %req.address, user = %String::from_utf8_lossy(&verdict.user_id),
                    "ZAP: allowed");
            } else {
                tracing::debug!(mechanism = %req.mechanism, domain = %req.domain,
                    address = %req.address, status = verdict.status, reason = %verdict.text,
                    "ZAP: refused");
            }
            verdict
        }
    };
    let mut metadata = Metadata::new();
    for (name, value) in &verdict.properties {
        metadata.insert(name, value.clone());
    }
    let mut encoded = BytesMut::new();
    metadata.encode(&mut encoded);
    Message::from_frames(vec![
        Bytes::from_static(ZAP_VERSION),
        id,
        Bytes::from(verdict.status.to_string()),
        Bytes::from(verdict.text),
        verdict.user_id,
        encoded.freeze(),
    ])
}
