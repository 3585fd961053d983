//! Accepting connections on a bound tcp or ipc endpoint (SPEC §4).

use crate::driver::core::{Port, SocketCore};
use crate::driver::engine::{self, Attach};
use crate::driver::monitor::SocketEvent;
use oxmq_transports::Listener;
use std::sync::Arc;
use std::time::Duration;

/// Accepts until aborted (unbind or close). Each connection gets its own
/// engine task.
pub(crate) async fn accept_loop(core: Arc<SocketCore>, listener: Listener, endpoint: String) {
    let guard = ClosedOnDrop {
        core: core.clone(),
        listener: Some(listener),
        endpoint: endpoint.clone(),
    };
    let listener = guard.listener.as_ref().expect("set above");
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
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
