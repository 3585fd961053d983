//! Accepting connections on a bound tcp or ipc endpoint (SPEC §4).

use crate::driver::core::SocketCore;
use crate::driver::engine::{self, Attach};
use crate::driver::monitor::SocketEvent;
use oxmq_transports::Listener;
use std::sync::Arc;
use std::time::Duration;

/// Accepts until aborted (unbind or close). Each connection gets its own
/// engine task.
pub(crate) async fn accept_loop(core: Arc<SocketCore>, listener: Listener, endpoint: String) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                core.monitor.emit(SocketEvent::Accepted {
                    endpoint: endpoint.clone(),
                    peer: peer.clone(),
                });
                let c = core.clone();
                let ep = endpoint.clone();
                core.spawn_tagged(Some(endpoint.clone()), async move {
                    engine::run(c, stream, ep, peer, Attach::Accepted).await;
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of
                // spinning; the listener stays.
                tracing::warn!(%endpoint, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
