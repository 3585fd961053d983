//! The proxy: libzmq's `zmq_proxy` device, moving whole messages between
//! a frontend and a backend socket in both directions, with an optional
//! capture socket that gets a copy of each (SPEC §5.9).

use crate::driver::runtime;
use crate::error::{Error, Result, StateError};
use crate::message::Message;
use event_listener::Event;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};

/// A socket a [`proxy`] can move messages through. Implemented by every
/// socket type whose messages are plain [`Message`]s; a type that cannot
/// receive (PUSH, PUB) never yields from [`proxy_recv`](Self::proxy_recv),
/// and one that cannot send (PULL, SUB) fails
/// [`proxy_send`](Self::proxy_send) with [`Error::State`].
pub trait ProxySocket: Send + Sync {
    /// Receives the next whole message. Must be cancel-safe (every oxmq
    /// socket's `recv` is).
    fn proxy_recv(&self) -> impl Future<Output = Result<Message>> + Send + '_;
    /// Sends a whole message, waiting as the socket's `send` does.
    fn proxy_send(&self, msg: Message) -> impl Future<Output = Result<()>> + Send + '_;
}

/// The capture side of a proxy: any [`ProxySocket`], taken as a trait
/// object so that "no capture" needs no type.
pub trait ProxyCapture: Send + Sync {
    /// Sends a copy of a message that went through the proxy.
    fn capture(&self, msg: Message) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>>;
}

impl<S: ProxySocket> ProxyCapture for S {
    fn capture(&self, msg: Message) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
        Box::pin(self.proxy_send(msg))
    }
}

const RUNNING: u8 = 0;
const PAUSED: u8 = 1;
const TERMINATED: u8 = 2;

/// Steers a running [`proxy_steerable`] from any thread: pause, resume,
/// terminate (libzmq's `zmq_proxy_steerable` commands PAUSE, RESUME and
/// TERMINATE) (SPEC §5.9).
#[derive(Debug, Default)]
pub struct ProxyControl {
    state: AtomicU8,
    changed: Event,
}

impl ProxyControl {
    /// A control in the running state.
    pub fn new() -> ProxyControl {
        ProxyControl::default()
    }

    /// Stops moving messages until [`resume`](Self::resume); messages
    /// wait in the sockets' queues meanwhile.
    pub fn pause(&self) {
        self.set(PAUSED);
    }

    /// Moves messages again after [`pause`](Self::pause).
    pub fn resume(&self) {
        self.set(RUNNING);
    }

    /// Makes the proxy return `Ok(())` after the message it is moving now.
    pub fn terminate(&self) {
        self.set(TERMINATED);
    }

    fn set(&self, s: u8) {
        // Once terminated, stays terminated.
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |old| {
                (old != TERMINATED).then_some(s)
            });
        self.changed.notify(usize::MAX);
    }

    fn get(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    /// Waits until the state differs from `seen`.
    async fn changed_from(&self, seen: u8) {
        loop {
            let listener = self.changed.listen();
            if self.get() != seen {
                return;
            }
            listener.await;
        }
    }
}

/// Moves messages between `frontend` and `backend` in both directions
/// until one of them fails (for instance with [`Error::Closed`]), copying
/// each one to `capture` first if given (SPEC §5.9). The usual pairs are
/// XSUB/XPUB (a pub/sub forwarder), ROUTER/DEALER (a request broker) and
/// PULL/PUSH (a pipeline streamer). Sends wait as the sockets' own `send`
/// does, so a slow side holds the other back (back-pressure). The future
/// runs on any executor; dropping it stops the proxy (nothing is lost:
/// a message is taken from one side only when the other can be offered
/// it). Never returns `Ok`.
pub async fn proxy<F: ProxySocket, B: ProxySocket>(
    frontend: &F,
    backend: &B,
    capture: Option<&dyn ProxyCapture>,
) -> Result<()> {
    let never = ProxyControl::new();
    proxy_steerable(frontend, backend, capture, &never).await
}

/// Blocking form of [`proxy`] for a plain thread (SPEC §5.9).
pub fn blocking_proxy<F: ProxySocket, B: ProxySocket>(
    frontend: &F,
    backend: &B,
    capture: Option<&dyn ProxyCapture>,
) -> Result<()> {
    blocking_proxy_steerable(frontend, backend, capture, &ProxyControl::new())
}

/// [`proxy`] that `control` can pause, resume and terminate; returns
/// `Ok(())` when terminated (SPEC §5.9).
pub async fn proxy_steerable<F: ProxySocket, B: ProxySocket>(
    frontend: &F,
    backend: &B,
    capture: Option<&dyn ProxyCapture>,
    control: &ProxyControl,
) -> Result<()> {
    let mut front_first = true;
    loop {
        match control.get() {
            TERMINATED => return Ok(()),
            PAUSED => {
                control.changed_from(PAUSED).await;
                continue;
            }
            _ => {}
        }
        // Alternate which side is looked at first, so a busy side cannot
        // starve the other.
        let step = if front_first {
            tokio::select! {
                biased;
                m = frontend.proxy_recv() => Step::Forward(m?),
                m = backend.proxy_recv() => Step::Backward(m?),
                _ = control.changed_from(RUNNING) => Step::Control,
            }
        } else {
            tokio::select! {
                biased;
                m = backend.proxy_recv() => Step::Backward(m?),
                m = frontend.proxy_recv() => Step::Forward(m?),
                _ = control.changed_from(RUNNING) => Step::Control,
            }
        };
        front_first = !front_first;
        match step {
            Step::Forward(m) => {
                if let Some(c) = capture {
                    c.capture(m.clone()).await?;
                }
                backend.proxy_send(m).await?;
            }
            Step::Backward(m) => {
                if let Some(c) = capture {
                    c.capture(m.clone()).await?;
                }
                frontend.proxy_send(m).await?;
            }
            Step::Control => {}
        }
    }
}

/// Blocking form of [`proxy_steerable`] (SPEC §5.9).
pub fn blocking_proxy_steerable<F: ProxySocket, B: ProxySocket>(
    frontend: &F,
    backend: &B,
    capture: Option<&dyn ProxyCapture>,
    control: &ProxyControl,
) -> Result<()> {
    runtime::block_on(proxy_steerable(frontend, backend, capture, control), None)
        .unwrap_or(Err(Error::Closed))
}

enum Step {
    Forward(Message),
    Backward(Message),
    Control,
}

/// A side that cannot receive: never yields.
pub(crate) async fn never_receives() -> Result<Message> {
    std::future::pending().await
}

/// A side that cannot send.
pub(crate) async fn cannot_send() -> Result<()> {
    Err(Error::State(StateError::CannotSend))
}

/// Implements [`ProxySocket`] for socket types whose `recv` and `send`
/// take and give [`Message`]s; `recv: none` / `send: none` for one-way
/// types.
macro_rules! proxy_socket {
    ($t:ty, recv, send) => {
        impl $crate::api::proxy::ProxySocket for $t {
            fn proxy_recv(
                &self,
            ) -> impl std::future::Future<Output = $crate::error::Result<$crate::message::Message>>
                   + Send
                   + '_ {
                $crate::api::RecvSocket::recv(self)
            }
            fn proxy_send(
                &self,
                msg: $crate::message::Message,
            ) -> impl std::future::Future<Output = $crate::error::Result<()>> + Send + '_ {
                async move { Ok($crate::api::SendSocket::send(self, msg).await?) }
            }
        }
    };
    ($t:ty, recv, none) => {
        impl $crate::api::proxy::ProxySocket for $t {
            fn proxy_recv(
                &self,
            ) -> impl std::future::Future<Output = $crate::error::Result<$crate::message::Message>>
                   + Send
                   + '_ {
                $crate::api::RecvSocket::recv(self)
            }
            fn proxy_send(
                &self,
                _msg: $crate::message::Message,
            ) -> impl std::future::Future<Output = $crate::error::Result<()>> + Send + '_ {
                $crate::api::proxy::cannot_send()
            }
        }
    };
    ($t:ty, none, send) => {
        impl $crate::api::proxy::ProxySocket for $t {
            fn proxy_recv(
                &self,
            ) -> impl std::future::Future<Output = $crate::error::Result<$crate::message::Message>>
                   + Send
                   + '_ {
                $crate::api::proxy::never_receives()
            }
            fn proxy_send(
                &self,
                msg: $crate::message::Message,
            ) -> impl std::future::Future<Output = $crate::error::Result<()>> + Send + '_ {
                async move { Ok($crate::api::SendSocket::send(self, msg).await?) }
            }
        }
    };
}

proxy_socket!(crate::socket::Pull, recv, none);
proxy_socket!(crate::socket::Push, none, send);
proxy_socket!(crate::socket::Dealer, recv, send);
proxy_socket!(crate::socket::Router, recv, send);
proxy_socket!(crate::socket::Pair, recv, send);
proxy_socket!(crate::socket::XPub, recv, send);
proxy_socket!(crate::socket::XSub, recv, send);
proxy_socket!(crate::socket::Sub, recv, none);
proxy_socket!(crate::socket::Pub, none, send);
