//! The two sides of an interop scenario behind one interface ([`Peer`]):
//! oxmq sockets ([`Ox`], driven in blocking or async form) and sockets of
//! another library ([`Foreign`]), made by a [`Library`]: libzmq 4.3.5
//! through the dev-only `oxmq_interop` wrapper, or zmq.rs (the `zeromq`
//! crate, 0.7), driven from a tokio runtime of its own.

use bytes::Bytes;
use oxmq::{
    Dealer, Error, Message, Pair, Pub, RecvSocket, Rep, Req, Router, SendSocket, Socket,
    SocketOptions, Sub, XPub, XSub,
};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Hang guard for every wait.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// How long a receive waits per round of a polling loop.
pub const POLL: Duration = Duration::from_millis(100);

/// A socket type, as both sides name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Pub,
    Sub,
    XPub,
    XSub,
    Req,
    Rep,
    Dealer,
    Router,
    Pair,
}

/// What a scenario does with either side of a connection.
pub trait Peer {
    /// Sends one message (frames in order).
    fn send(&self, ctx: &str, frames: &[Bytes]);
    /// The next message, or `None` if none came within `wait`.
    fn recv_within(&self, ctx: &str, wait: Duration) -> Option<Vec<Bytes>>;
    /// SUB: subscribes as the library's API does; XSUB: sends `\x01topic`.
    fn subscribe(&self, topic: &str);
    /// SUB: unsubscribes; XSUB: sends `\x00topic`.
    fn unsubscribe(&self, topic: &str);

    /// The next message, within the hang guard.
    fn recv(&self, ctx: &str) -> Vec<Bytes> {
        self.recv_within(ctx, TIMEOUT)
            .unwrap_or_else(|| panic!("{ctx}: nothing received within {TIMEOUT:?}"))
    }
}

/// A socket of another library.
pub trait Foreign: Peer {
    /// Binds `endpoint` (tcp port 0 for an ephemeral port) and returns the
    /// endpoint to connect to.
    fn bind(&self, endpoint: &str) -> String;
    /// After [`bind`](Self::bind) and the oxmq side's connect: returns once
    /// the library has the connection where it matters (zmq.rs: some of
    /// its sockets fail sends while they have no peer).
    fn accepted(&self) {}
    /// Connects (zmq.rs: returns after the handshake).
    fn connect(&self, endpoint: &str);
    /// Lets the socket do its pending connection work. A libzmq socket
    /// acts on its I/O thread's news only inside an API call (SPEC §5.5:
    /// a bound SUB sends its subscriptions to a newly accepted connection
    /// only at its next call); reading `ZMQ_EVENTS` is such a call.
    fn poke(&self) {}
}

/// A library that makes [`Foreign`] sockets.
pub trait Library {
    /// Its name in messages and test paths.
    fn name(&self) -> &'static str;
    /// A socket of `kind`; `identity` is its routing id (DEALER).
    fn socket(&self, kind: Kind, identity: Option<&'static [u8]>) -> Box<dyn Foreign>;
    /// Whether its XPUB hands over a repeated subscription (zmq.rs) or
    /// only the first of a topic (libzmq).
    fn xpub_passes_repeats(&self) -> bool;
    /// How the oxmq side of a scenario with this library is driven.
    fn form(&self) -> Form;
}

// ---------------------------------------------------------------------------
// oxmq

/// Which form of oxmq's calls a scenario uses (SPEC §6.3).
#[derive(Clone)]
pub enum Form {
    /// `blocking_send` / `blocking_recv` (with `rcvtimeo` = `POLL`).
    Blocking,
    /// `send().await` / `recv().await` on this runtime, under timeouts
    /// (a timed-out receive is dropped: cancel-safe, nothing is lost).
    Async(Arc<Runtime>),
}

/// Options of every oxmq socket here: no linger; sends guarded by the
/// hang guard, blocking receives polling (loops add up to their wait).
pub fn ox_opts() -> SocketOptions {
    SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .sndtimeo(Some(TIMEOUT))
        .rcvtimeo(Some(POLL))
}

/// An oxmq socket of any pattern type.
pub enum OxSocket {
    Pub(Pub),
    Sub(Sub),
    XPub(XPub),
    XSub(XSub),
    Req(Req),
    Rep(Rep),
    Dealer(Dealer),
    Router(Router),
    Pair(Pair),
}

/// An oxmq socket and the form its calls take.
pub struct Ox {
    pub socket: OxSocket,
    form: Form,
}

impl Ox {
    pub fn new(kind: Kind, form: &Form) -> Ox {
        Ox::with_options(kind, form, ox_opts())
    }

    pub fn with_options(kind: Kind, form: &Form, o: SocketOptions) -> Ox {
        let socket = match kind {
            Kind::Pub => OxSocket::Pub(Pub::with_options(o)),
            Kind::Sub => OxSocket::Sub(Sub::with_options(o)),
            Kind::XPub => OxSocket::XPub(XPub::with_options(o)),
            Kind::XSub => OxSocket::XSub(XSub::with_options(o)),
            Kind::Req => OxSocket::Req(Req::with_options(o)),
            Kind::Rep => OxSocket::Rep(Rep::with_options(o)),
            Kind::Dealer => OxSocket::Dealer(Dealer::with_options(o)),
            Kind::Router => OxSocket::Router(Router::with_options(o)),
            Kind::Pair => OxSocket::Pair(Pair::with_options(o)),
        };
        Ox {
            socket,
            form: form.clone(),
        }
    }

    fn endpoints(&self) -> &dyn Socket {
        match &self.socket {
            OxSocket::Pub(s) => s,
            OxSocket::Sub(s) => s,
            OxSocket::XPub(s) => s,
            OxSocket::XSub(s) => s,
            OxSocket::Req(s) => s,
            OxSocket::Rep(s) => s,
            OxSocket::Dealer(s) => s,
            OxSocket::Router(s) => s,
            OxSocket::Pair(s) => s,
        }
    }

    pub fn bind(&self, ep: &str) -> String {
        self.endpoints()
            .bind(ep)
            .unwrap_or_else(|e| panic!("oxmq bind {ep}: {e}"))
    }

    pub fn connect(&self, ep: &str) {
        self.endpoints()
            .connect(ep)
            .unwrap_or_else(|e| panic!("oxmq connect {ep}: {e}"))
    }

    fn send_on<S: SendSocket<Item = Message>>(&self, s: &S, ctx: &str, m: Message) {
        let r = match &self.form {
            Form::Blocking => s.blocking_send(m),
            Form::Async(rt) => rt.block_on(guard(ctx, s.send(m))),
        };
        r.unwrap_or_else(|e| panic!("{ctx}: oxmq send: {e}"));
    }

    fn recv_on<R: RecvSocket<Item = Message>>(
        &self,
        r: &R,
        ctx: &str,
        wait: Duration,
    ) -> Option<Message> {
        match &self.form {
            Form::Blocking => {
                let deadline = Instant::now() + wait;
                loop {
                    match r.blocking_recv() {
                        Ok(m) => return Some(m),
                        Err(Error::Timeout { .. }) if Instant::now() < deadline => {}
                        Err(Error::Timeout { .. }) => return None,
                        Err(e) => panic!("{ctx}: oxmq recv: {e}"),
                    }
                }
            }
            Form::Async(rt) => rt
                .block_on(async { tokio::time::timeout(wait, r.recv()).await })
                .ok()
                .map(|r| r.unwrap_or_else(|e| panic!("{ctx}: oxmq recv: {e}"))),
        }
    }
}

impl Peer for Ox {
    fn send(&self, ctx: &str, frames: &[Bytes]) {
        let m = Message::from_frames(frames.to_vec());
        match &self.socket {
            OxSocket::Pub(s) => self.send_on(s, ctx, m),
            OxSocket::XPub(s) => self.send_on(s, ctx, m),
            OxSocket::XSub(s) => self.send_on(s, ctx, m),
            OxSocket::Req(s) => self.send_on(s, ctx, m),
            OxSocket::Rep(s) => self.send_on(s, ctx, m),
            OxSocket::Dealer(s) => self.send_on(s, ctx, m),
            OxSocket::Router(s) => self.send_on(s, ctx, m),
            OxSocket::Pair(s) => self.send_on(s, ctx, m),
            OxSocket::Sub(_) => panic!("{ctx}: SUB cannot send"),
        }
    }

    fn recv_within(&self, ctx: &str, wait: Duration) -> Option<Vec<Bytes>> {
        let m = match &self.socket {
            OxSocket::Sub(s) => self.recv_on(s, ctx, wait),
            OxSocket::XPub(s) => self.recv_on(s, ctx, wait),
            OxSocket::XSub(s) => self.recv_on(s, ctx, wait),
            OxSocket::Req(s) => self.recv_on(s, ctx, wait),
            OxSocket::Rep(s) => self.recv_on(s, ctx, wait),
            OxSocket::Dealer(s) => self.recv_on(s, ctx, wait),
            OxSocket::Router(s) => self.recv_on(s, ctx, wait),
            OxSocket::Pair(s) => self.recv_on(s, ctx, wait),
            OxSocket::Pub(_) => panic!("{ctx}: PUB cannot receive"),
        };
        m.map(Message::into_frames)
    }

    fn subscribe(&self, topic: &str) {
        match &self.socket {
            OxSocket::Sub(s) => s.subscribe(topic).expect("oxmq subscribe"),
            OxSocket::XSub(_) => self.send("oxmq XSUB subscribe", &sub_msg(1, topic)),
            _ => panic!("not a subscriber"),
        }
    }

    fn unsubscribe(&self, topic: &str) {
        match &self.socket {
            OxSocket::Sub(s) => s.unsubscribe(topic).expect("oxmq unsubscribe"),
            OxSocket::XSub(_) => self.send("oxmq XSUB unsubscribe", &sub_msg(0, topic)),
            _ => panic!("not a subscriber"),
        }
    }
}

/// `\x01topic` (subscribe) or `\x00topic` (cancel) as one frame.
pub fn sub_msg(flag: u8, topic: &str) -> Vec<Bytes> {
    vec![Bytes::from([&[flag], topic.as_bytes()].concat())]
}

/// Awaits `fut` under the hang guard.
async fn guard<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {TIMEOUT:?}"))
}

// ---------------------------------------------------------------------------
// libzmq

/// libzmq 4.3.5: blocking sockets, used from the test's thread, with
/// linger 0 and the hang guard as send timeout; oxmq is driven in its
/// blocking form against it.
pub struct Libzmq(oxmq_interop::Context);

impl Libzmq {
    pub fn new() -> Libzmq {
        Libzmq(oxmq_interop::Context::new())
    }
}

struct Zsock(oxmq_interop::Socket);

impl Library for Libzmq {
    fn name(&self) -> &'static str {
        "libzmq"
    }

    fn socket(&self, kind: Kind, identity: Option<&'static [u8]>) -> Box<dyn Foreign> {
        use oxmq_interop::{opt, SocketKind as K};
        let k = match kind {
            Kind::Pub => K::Pub,
            Kind::Sub => K::Sub,
            Kind::XPub => K::XPub,
            Kind::XSub => K::XSub,
            Kind::Req => K::Req,
            Kind::Rep => K::Rep,
            Kind::Dealer => K::Dealer,
            Kind::Router => K::Router,
            Kind::Pair => K::Pair,
        };
        let s = self.0.socket(k).expect("libzmq socket");
        s.set_linger_ms(0).expect("linger");
        s.set_sndtimeo_ms(TIMEOUT.as_millis() as i32)
            .expect("sndtimeo");
        if let Some(id) = identity {
            s.set_bytes(opt::ROUTING_ID, id).expect("ROUTING_ID");
        }
        if kind == Kind::Router {
            // Replies to an identity it does not know fail loudly.
            s.set_int(opt::ROUTER_MANDATORY, 1)
                .expect("ROUTER_MANDATORY");
        }
        Box::new(Zsock(s))
    }

    fn xpub_passes_repeats(&self) -> bool {
        false
    }

    fn form(&self) -> Form {
        Form::Blocking
    }
}

impl Peer for Zsock {
    fn send(&self, ctx: &str, frames: &[Bytes]) {
        let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
        self.0
            .send_multipart(&refs)
            .unwrap_or_else(|e| panic!("{ctx}: libzmq send: {e}"));
    }

    fn recv_within(&self, ctx: &str, wait: Duration) -> Option<Vec<Bytes>> {
        self.0
            .set_rcvtimeo_ms(wait.as_millis() as i32)
            .expect("rcvtimeo");
        match self.0.recv_multipart() {
            Ok(m) => Some(m.into_iter().map(Bytes::from).collect()),
            Err(e) if e.is_again() => None,
            Err(e) => panic!("{ctx}: libzmq recv: {e}"),
        }
    }

    /// SUB: the `ZMQ_SUBSCRIBE` option; XSUB: a `\x01topic` message.
    fn subscribe(&self, topic: &str) {
        match self.0.kind() {
            oxmq_interop::SocketKind::Sub => self
                .0
                .set_bytes(oxmq_interop::opt::SUBSCRIBE, topic.as_bytes()),
            _ => self.0.send(&sub_msg(1, topic)[0], false),
        }
        .expect("libzmq subscribe");
    }

    fn unsubscribe(&self, topic: &str) {
        match self.0.kind() {
            oxmq_interop::SocketKind::Sub => self
                .0
                .set_bytes(oxmq_interop::opt::UNSUBSCRIBE, topic.as_bytes()),
            _ => self.0.send(&sub_msg(0, topic)[0], false),
        }
        .expect("libzmq unsubscribe");
    }
}

impl Foreign for Zsock {
    fn bind(&self, endpoint: &str) -> String {
        // libzmq spells an ephemeral tcp port `*`.
        let ep = match endpoint.strip_suffix(":0") {
            Some(host) if endpoint.starts_with("tcp://") => format!("{host}:*"),
            _ => endpoint.to_owned(),
        };
        self.0
            .bind(&ep)
            .unwrap_or_else(|e| panic!("libzmq bind {ep}: {e}"));
        self.0.last_endpoint().expect("last_endpoint")
    }

    fn connect(&self, endpoint: &str) {
        self.0
            .connect(endpoint)
            .unwrap_or_else(|e| panic!("libzmq connect {endpoint}: {e}"));
    }

    fn poke(&self) {
        /// `ZMQ_EVENTS`: reading it makes the socket process the commands
        /// its I/O thread sent it.
        const ZMQ_EVENTS: i32 = 15;
        self.0.get_int(ZMQ_EVENTS).expect("ZMQ_EVENTS");
    }
}

// ---------------------------------------------------------------------------
// zmq.rs

/// zmq.rs 0.7: async sockets on a multi-thread tokio runtime of their own
/// (their background tasks run there while the test waits on oxmq); oxmq
/// is driven in its async form, on the same runtime, against it. It greets
/// as ZMTP 3.0, so oxmq subscribers send it subscriptions as messages
/// rather than SUBSCRIBE / CANCEL commands.
pub struct ZmqRs(Arc<Runtime>);

impl ZmqRs {
    pub fn new() -> ZmqRs {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        ZmqRs(Arc::new(rt))
    }
}

enum ZrsSocket {
    Pub(zeromq::PubSocket),
    Sub(zeromq::SubSocket),
    XPub(zeromq::XPubSocket),
    XSub(zeromq::XSubSocket),
    Req(zeromq::ReqSocket),
    Rep(zeromq::RepSocket),
    Dealer(zeromq::DealerSocket),
    Router(zeromq::RouterSocket),
}

/// `$body` with `$s` bound to the socket, whatever its type.
macro_rules! any_zrs {
    ($sock:expr, $s:ident => $body:expr) => {
        match $sock {
            ZrsSocket::Pub($s) => $body,
            ZrsSocket::Sub($s) => $body,
            ZrsSocket::XPub($s) => $body,
            ZrsSocket::XSub($s) => $body,
            ZrsSocket::Req($s) => $body,
            ZrsSocket::Rep($s) => $body,
            ZrsSocket::Dealer($s) => $body,
            ZrsSocket::Router($s) => $body,
        }
    };
}

struct Zrs {
    rt: Arc<Runtime>,
    /// `None` once dropped (inside the runtime).
    socket: Mutex<Option<ZrsSocket>>,
    monitor: Mutex<Option<futures::channel::mpsc::Receiver<zeromq::SocketEvent>>>,
}

impl Zrs {
    /// Runs `f` on the socket, inside the runtime.
    fn with<T>(&self, f: impl AsyncFnOnce(&mut ZrsSocket) -> T) -> T {
        let mut guard = self.socket.lock().unwrap();
        let s = guard.as_mut().expect("socket");
        self.rt.block_on(f(s))
    }
}

/// How long a zmq.rs socket may take to drop.
const DROP_GUARD: Duration = Duration::from_secs(10);

impl Drop for Zrs {
    /// Drops the socket inside the runtime, on a thread of its own, and
    /// waits at most `DROP_GUARD`. zmq.rs 0.7's PUB can deadlock in its
    /// drop: `PubSocket::drop` clears its subscriber map with blocking
    /// bucket locks while its fan-out task holds an entry of that map
    /// across an await, and a receive task blocks on the same map (seen in
    /// CI as a hang of `pub_to_oxmq_sub`, stacks in `scc`'s `lock_sync`).
    /// Every check of the scenario is done by then, so a stuck drop is
    /// reported and left behind rather than hanging the run; its thread
    /// holds the runtime, which is never dropped then (dropping it would
    /// wait for the stuck worker).
    fn drop(&mut self) {
        let socket = self.socket.lock().unwrap().take();
        let monitor = self.monitor.lock().unwrap().take();
        let rt = self.rt.clone();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _in = rt.enter();
            drop(socket);
            drop(monitor);
            let _ = done.send(());
        });
        if finished.recv_timeout(DROP_GUARD).is_err() {
            eprintln!(
                "zmq.rs socket still dropping after {DROP_GUARD:?} (zmq.rs 0.7 deadlock in \
                 its PUB's drop); leaving it behind"
            );
        }
    }
}

impl Library for ZmqRs {
    fn name(&self) -> &'static str {
        "zmq.rs"
    }

    fn socket(&self, kind: Kind, identity: Option<&'static [u8]>) -> Box<dyn Foreign> {
        use zeromq::Socket as _;
        let _in = self.0.enter();
        let mut o = zeromq::SocketOptions::default();
        if let Some(id) = identity {
            o.peer_identity(id.to_vec().try_into().expect("identity"));
        }
        let s = match kind {
            Kind::Pub => ZrsSocket::Pub(zeromq::PubSocket::with_options(o)),
            Kind::Sub => ZrsSocket::Sub(zeromq::SubSocket::with_options(o)),
            Kind::XPub => ZrsSocket::XPub(zeromq::XPubSocket::with_options(o)),
            Kind::XSub => ZrsSocket::XSub(zeromq::XSubSocket::with_options(o)),
            Kind::Req => ZrsSocket::Req(zeromq::ReqSocket::with_options(o)),
            Kind::Rep => ZrsSocket::Rep(zeromq::RepSocket::with_options(o)),
            Kind::Dealer => ZrsSocket::Dealer(zeromq::DealerSocket::with_options(o)),
            Kind::Router => ZrsSocket::Router(zeromq::RouterSocket::with_options(o)),
            Kind::Pair => panic!("zmq.rs 0.7 has no PAIR"),
        };
        Box::new(Zrs {
            rt: self.0.clone(),
            socket: Mutex::new(Some(s)),
            monitor: Mutex::new(None),
        })
    }

    /// zmq.rs's XPUB passes on every subscription message (repeats too)
    /// and counts repeats.
    fn xpub_passes_repeats(&self) -> bool {
        true
    }

    fn form(&self) -> Form {
        Form::Async(self.0.clone())
    }
}

fn zmsg(frames: &[Bytes]) -> zeromq::ZmqMessage {
    zeromq::ZmqMessage::try_from(frames.to_vec()).expect("non-empty message")
}

impl Peer for Zrs {
    fn send(&self, ctx: &str, frames: &[Bytes]) {
        use zeromq::SocketSend as _;
        let m = zmsg(frames);
        let r = self.with(async |s| match s {
            ZrsSocket::Pub(s) => guard(ctx, s.send(m)).await,
            ZrsSocket::XPub(s) => guard(ctx, s.send(m)).await,
            ZrsSocket::XSub(s) => guard(ctx, s.send(m)).await,
            ZrsSocket::Req(s) => guard(ctx, s.send(m)).await,
            ZrsSocket::Rep(s) => guard(ctx, s.send(m)).await,
            ZrsSocket::Dealer(s) => guard(ctx, s.send(m)).await,
            ZrsSocket::Router(s) => guard(ctx, s.send(m)).await,
            ZrsSocket::Sub(_) => panic!("{ctx}: SUB cannot send"),
        });
        r.unwrap_or_else(|e| panic!("{ctx}: zmq.rs send: {e}"));
    }

    fn recv_within(&self, ctx: &str, wait: Duration) -> Option<Vec<Bytes>> {
        use zeromq::SocketRecv as _;
        // A timed-out receive is dropped; zmq.rs's receives lose nothing
        // that way.
        let r = self.with(async |s| {
            let t = |f| tokio::time::timeout(wait, f);
            match s {
                ZrsSocket::Sub(s) => t(s.recv()).await,
                ZrsSocket::XPub(s) => t(s.recv()).await,
                ZrsSocket::XSub(s) => t(s.recv()).await,
                ZrsSocket::Req(s) => t(s.recv()).await,
                ZrsSocket::Rep(s) => t(s.recv()).await,
                ZrsSocket::Dealer(s) => t(s.recv()).await,
                ZrsSocket::Router(s) => t(s.recv()).await,
                ZrsSocket::Pub(_) => panic!("{ctx}: PUB cannot receive"),
            }
        });
        r.ok().map(|m| {
            m.unwrap_or_else(|e| panic!("{ctx}: zmq.rs recv: {e}"))
                .into_vec()
        })
    }

    /// SUB: its `subscribe` method; XSUB: a `\x01topic` message.
    fn subscribe(&self, topic: &str) {
        let sub = self.with(async |s| match s {
            ZrsSocket::Sub(s) => Some(guard("zmq.rs subscribe", s.subscribe(topic)).await),
            _ => None,
        });
        match sub {
            Some(r) => r.expect("zmq.rs subscribe"),
            None => self.send("zmq.rs XSUB subscribe", &sub_msg(1, topic)),
        }
    }

    fn unsubscribe(&self, topic: &str) {
        let sub = self.with(async |s| match s {
            ZrsSocket::Sub(s) => Some(guard("zmq.rs unsubscribe", s.unsubscribe(topic)).await),
            _ => None,
        });
        match sub {
            Some(r) => r.expect("zmq.rs unsubscribe"),
            None => self.send("zmq.rs XSUB unsubscribe", &sub_msg(0, topic)),
        }
    }
}

impl Foreign for Zrs {
    fn bind(&self, endpoint: &str) -> String {
        use zeromq::Socket as _;
        let (monitor, bound) = self.with(async |s| {
            any_zrs!(s, s => {
                let m = s.monitor();
                (m, guard("zmq.rs bind", s.bind(endpoint)).await)
            })
        });
        *self.monitor.lock().unwrap() = Some(monitor);
        bound
            .unwrap_or_else(|e| panic!("zmq.rs bind {endpoint}: {e}"))
            .to_string()
    }

    fn accepted(&self) {
        let mut monitor = self.monitor.lock().unwrap();
        let mon = monitor.as_mut().expect("bound");
        self.rt.block_on(async {
            loop {
                match guard("zmq.rs Accepted event", mon.recv()).await {
                    Ok(zeromq::SocketEvent::Accepted(..)) => break,
                    Ok(zeromq::SocketEvent::AcceptFailed(e)) => {
                        panic!("zmq.rs accept failed: {e}")
                    }
                    Ok(_) => continue,
                    Err(e) => panic!("zmq.rs monitor ended: {e}"),
                }
            }
        });
    }

    fn connect(&self, endpoint: &str) {
        use zeromq::Socket as _;
        self.with(async |s| any_zrs!(s, s => guard("zmq.rs connect", s.connect(endpoint)).await))
            .unwrap_or_else(|e| panic!("zmq.rs connect {endpoint}: {e}"));
    }
}
