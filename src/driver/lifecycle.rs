//! A socket's lifecycle (SPEC §4, §6.4, §6.5): the endpoints it binds and
//! connects, the tasks that serve them, and closing with linger. The
//! handle applications hold ([`SocketBase`]) closes the socket when
//! dropped.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oxmq_transports::{Endpoint, Listener};

use crate::driver::core::registry::PeerKind;
use crate::driver::core::stats::SocketStats;
use crate::driver::core::{Hooks, SocketCore};
use crate::driver::inproc::{self, InprocOffer};
use crate::driver::monitor::{Monitor, SocketEvent};
use crate::driver::pipe::Pipe;
use crate::driver::{connect, listen, lock, runtime};
use crate::error::{Error, Result};
use crate::options::SocketOptions;
use crate::routing_id::RoutingId;
use crate::zmtp::SocketType;

enum BoundKind {
    /// The accept task, and its handle to wait for the listener's release.
    Listener(u64, tokio::task::JoinHandle<()>),
    Inproc(oxmq_transports::BindingId),
}

struct Bound {
    given: String,
    resolved: String,
    kind: BoundKind,
}

struct Connected {
    given: String,
    task: u64,
    peer: RoutingId,
}

#[derive(Default)]
struct Endpoints {
    bound: Vec<Bound>,
    connected: Vec<Connected>,
}

/// The part of every socket handle that owns the socket: its core and
/// its endpoints. Dropping it closes the socket in the background
/// (SPEC §6.5).
pub(crate) struct SocketBase {
    pub(crate) core: Arc<SocketCore>,
    endpoints: Arc<Mutex<Endpoints>>,
}

impl SocketBase {
    pub(crate) fn new(kind: SocketType, options: SocketOptions) -> SocketBase {
        Self::from_core(SocketCore::new(kind, options))
    }

    /// A socket whose type follows its peers through `hooks`.
    pub(crate) fn with_hooks(
        kind: SocketType,
        options: SocketOptions,
        hooks: Arc<dyn Hooks>,
    ) -> SocketBase {
        Self::from_core(SocketCore::with_hooks(kind, options, hooks))
    }

    fn from_core(core: Arc<SocketCore>) -> SocketBase {
        SocketBase {
            core,
            endpoints: Arc::default(),
        }
    }

    /// Binds `endpoint` (SPEC §4). Returns the resolved endpoint.
    pub(crate) fn bind(&self, endpoint: &str) -> Result<String> {
        let core = &self.core;
        if core.is_closed() {
            return Err(Error::Closed);
        }
        core.options.check()?;
        let ep: Endpoint = endpoint.parse()?;
        let bound = self.bind_endpoint(endpoint, &ep);
        if let Err(Error::Bind { source, .. }) = &bound {
            core.monitor.emit(SocketEvent::BindFailed {
                endpoint: endpoint.to_string(),
                error: source.to_string(),
            });
        }
        let (resolved, kind) = bound?;
        lock(&self.endpoints).bound.push(Bound {
            given: endpoint.to_string(),
            resolved: resolved.clone(),
            kind,
        });
        core.monitor.emit(SocketEvent::Listening {
            endpoint: resolved.clone(),
        });
        Ok(resolved)
    }

    fn bind_endpoint(&self, endpoint: &str, ep: &Endpoint) -> Result<(String, BoundKind)> {
        let core = &self.core;
        let bind_error = |source| Error::Bind {
            endpoint: endpoint.to_string(),
            source,
        };
        Ok(match ep {
            Endpoint::Inproc(name) => {
                let id = inproc::bind(core, name).map_err(bind_error)?;
                (ep.to_string(), BoundKind::Inproc(id))
            }
            _ => {
                let listener = {
                    let _guard = runtime::handle().enter();
                    Listener::bind(ep).map_err(bind_error)?
                };
                let resolved = listener.local_endpoint().to_string();
                let (task, handle) = core.tasks.spawn_tagged(
                    None,
                    listen::accept_loop(core.clone(), listener, resolved.clone()),
                );
                (resolved, BoundKind::Listener(task, handle))
            }
        })
    }

    /// Stops listening on an endpoint bound before (given either as passed
    /// to `bind` or as resolved) and closes the connections it accepted.
    pub(crate) fn unbind(&self, endpoint: &str) -> Result<()> {
        let b = {
            let mut eps = lock(&self.endpoints);
            let i = eps
                .bound
                .iter()
                .position(|b| b.given == endpoint || b.resolved == endpoint)
                .ok_or_else(|| Error::NotBound {
                    endpoint: endpoint.to_string(),
                })?;
            eps.bound.remove(i)
        };
        stop_bound(&self.core, b);
        Ok(())
    }

    /// Connects to `endpoint` (SPEC §4, §6.4). Returns at once: the
    /// connection is made, and remade after failures, in the background;
    /// messages sent meanwhile queue on the new peer (up to `sndhwm`).
    pub(crate) fn connect(&self, endpoint: &str) -> Result<()> {
        let core = &self.core;
        if core.is_closed() {
            return Err(Error::Closed);
        }
        core.options.check()?;
        let ep: Endpoint = endpoint.parse()?;
        let out = Pipe::new(core.options.sndhwm);
        let inp = Pipe::new(core.options.rcvhwm);
        let peer = core.attach(out.clone(), inp.clone(), PeerKind::Persistent);
        let task = match ep {
            Endpoint::Inproc(name) => {
                let offer = InprocOffer::new(core, out, inp);
                core.tasks
                    .spawn(inproc::connect_loop(core.clone(), name, offer))
            }
            ep => core.tasks.spawn(connect::connect_loop(
                core.clone(),
                ep,
                endpoint.to_string(),
                out,
                inp,
            )),
        };
        lock(&self.endpoints).connected.push(Connected {
            given: endpoint.to_string(),
            task,
            peer,
        });
        Ok(())
    }

    /// Stops connecting to an endpoint and drops its peer with any
    /// messages still queued for it.
    pub(crate) fn disconnect(&self, endpoint: &str) -> Result<()> {
        let c = {
            let mut eps = lock(&self.endpoints);
            let i = eps
                .connected
                .iter()
                .position(|c| c.given == endpoint)
                .ok_or_else(|| Error::NotConnected {
                    endpoint: endpoint.to_string(),
                })?;
            eps.connected.remove(i)
        };
        self.core.tasks.abort(c.task);
        self.core.detach(c.peer);
        Ok(())
    }

    /// A new stream of this socket's events (SPEC §6.6).
    pub(crate) fn monitor(&self) -> Monitor {
        self.core.monitor.subscribe()
    }

    /// The socket's counters (SPEC §6.7).
    pub(crate) fn stats(&self) -> SocketStats {
        self.core.stats()
    }

    /// Closes and waits until queued messages are flushed (bounded by
    /// linger) and every task has stopped. Runs on the I/O runtime, so it
    /// can be awaited from any executor.
    pub(crate) async fn close(self) {
        let h = runtime::handle().spawn(close(&self.core, &self.endpoints));
        let _ = h.await;
    }

    /// [`close`](Self::close) from a plain thread.
    pub(crate) fn blocking_close(self) {
        runtime::block_on(self.close(), None);
    }
}

impl Drop for SocketBase {
    fn drop(&mut self) {
        runtime::handle().spawn(close(&self.core, &self.endpoints));
    }
}

/// Stops a bound endpoint: a listener and the connections it accepted (at
/// unbind; at close they may flush), or an inproc name.
fn stop_bound(core: &SocketCore, b: Bound) {
    match b.kind {
        BoundKind::Listener(task, handle) => {
            core.tasks.abort(task);
            // Wait (briefly: the abort lands at the task's next await)
            // until the listener is dropped, so the port or ipc path is
            // free when unbind returns.
            runtime::block_on(handle, Some(Duration::from_secs(5)));
            if !core.is_closed() {
                // unbind (not close, which lets them flush): drop the
                // connections this endpoint accepted, as libzmq does.
                core.tasks.abort_tagged(&b.resolved);
            }
        }
        BoundKind::Inproc(id) => {
            if let Ok(Endpoint::Inproc(name)) = b.resolved.parse() {
                inproc::unbind(&name, id);
            }
            // (tcp and ipc report Closed from the accept task once the
            // listener is dropped.)
            core.monitor.emit(SocketEvent::Closed {
                endpoint: b.resolved,
            });
        }
    }
}

/// Closes the socket (SPEC §6.5): listeners stop and nothing more is sent
/// or received at once; queued outbound messages keep flowing for up to
/// `linger`; then every task is stopped. The future completes when all
/// tasks have ended.
fn close(
    core: &Arc<SocketCore>,
    endpoints: &Arc<Mutex<Endpoints>>,
) -> impl Future<Output = ()> + Send + 'static {
    let deadline = core.options.linger.map(|l| Instant::now() + l);
    if core.mark_closed() {
        // Release the endpoints before the pipes close: an inproc peer
        // that sees us go then waits for the name's next owner instead of
        // offering itself to us again.
        let bound = std::mem::take(&mut lock(endpoints).bound);
        for b in bound {
            stop_bound(core, b);
        }
        core.shut();
    }
    let core = core.clone();
    async move {
        core.tasks.finish(deadline).await;
        core.finish();
    }
}
