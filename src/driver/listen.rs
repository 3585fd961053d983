//! Accepting connections on a bound tcp or ipc endpoint (SPEC §4).

use crate::driver::core::{Port, SocketCore};
use crate::driver::engine::{self, Attach};
use crate::driver::monitor::SocketEvent;
use oxmq_transports::Listener;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Accepts until aborted (unbind or close). Each connection gets its own
/// engine task. The listener is released, and `Closed` reported, when the
/// future is dropped, even if it never ran.
pub(crate) fn accept_loop(
    core: Arc<SocketCore>,
    listener: Listener,
    endpoint: String,
) -> impl Future<Output = ()> + Send + 'static {
    let guard = ClosedOnDrop {
        core: core.clone(),
        listener: Some(listener),
        endpoint: endpoint.clone(),
    };
    async move { accept(core, guard, endpoint).await }
}

async fn accept(core: Arc<SocketCore>, guard: ClosedOnDrop, endpoint: String) {
    let Some(listener) = guard.listener.as_ref() else {
        return;
    };
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tracing::debug!(%endpoint, %peer, "accepted");
                core.monitor.emit(SocketEvent::Accepted {
                    endpoint: endpoint.clone(),
                    peer: peer.clone(),
                });
                let port: Arc<dyn Port> = core.clone();
                let ep = endpoint.clone();
                core.tasks.spawn_tagged(Some(endpoint.clone()), async move {
                    engine::run(port, stream, ep, peer, Attach::Accepted).await;
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of
                // spinning; the listener stays.
                tracing::warn!(%endpoint, error = %e, "accept failed");
                core.monitor.emit(SocketEvent::AcceptFailed {
                    endpoint: endpoint.clone(),
                    error: e.to_string(),
                });
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Releases the listener (socket, ipc file) and only then reports `Closed`.
struct ClosedOnDrop {
    core: Arc<SocketCore>,
    listener: Option<Listener>,
    endpoint: String,
}

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        drop(self.listener.take());
        self.core.monitor.emit(SocketEvent::Closed {
            endpoint: std::mem::take(&mut self.endpoint),
        });
    }
}
