//! The tasks a socket runs on the I/O runtime: accept loops, connect
//! loops, connections. Unbind stops those of one listener; close waits
//! for all of them, up to the linger, then stops the rest (SPEC §6.5).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use event_listener::Event;
use tokio::task::{AbortHandle, JoinHandle};

use crate::driver::{lock, runtime};

#[derive(Default)]
struct Registry {
    /// Running tasks by id, each with the listener endpoint that accepted
    /// its connection, if any.
    running: Mutex<HashMap<u64, (Option<String>, AbortHandle)>>,
    next: AtomicU64,
    /// Fired whenever the last task ends.
    idle: Event,
}

impl Registry {
    fn finished(&self, id: u64) {
        lock(&self.running).remove(&id);
        self.notify_if_idle();
    }

    fn notify_if_idle(&self) {
        if lock(&self.running).is_empty() {
            self.idle.notify(usize::MAX);
        }
    }
}

/// A socket's running tasks. Cloning shares the registry.
#[derive(Clone, Default)]
pub(crate) struct Tasks {
    inner: Arc<Registry>,
}

impl Tasks {
    /// Spawns a task on the I/O runtime; it is stopped by close.
    pub(crate) fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) -> u64 {
        self.spawn_tagged(None, fut).0
    }

    /// Spawns a task serving a connection accepted on `listener`;
    /// [`abort_tagged`](Self::abort_tagged) of that endpoint stops it.
    pub(crate) fn spawn_tagged(
        &self,
        listener: Option<String>,
        fut: impl Future<Output = ()> + Send + 'static,
    ) -> (u64, JoinHandle<()>) {
        let mut running = lock(&self.inner.running);
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let registry = self.inner.clone();
        let h = runtime::handle().spawn(async move {
            fut.await;
            registry.finished(id);
        });
        running.insert(id, (listener, h.abort_handle()));
        (id, h)
    }

    /// Stops one task.
    pub(crate) fn abort(&self, id: u64) {
        let removed = lock(&self.inner.running).remove(&id);
        if let Some((_, h)) = removed {
            h.abort();
        }
        self.inner.notify_if_idle();
    }

    /// Stops the tasks of the connections accepted on `listener`.
    pub(crate) fn abort_tagged(&self, listener: &str) {
        let stopped: Vec<AbortHandle> = {
            let mut running = lock(&self.inner.running);
            let ids: Vec<u64> = running
                .iter()
                .filter(|(_, (tag, _))| tag.as_deref() == Some(listener))
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| running.remove(&id))
                .map(|(_, h)| h)
                .collect()
        };
        for h in stopped {
            h.abort();
        }
        self.inner.notify_if_idle();
    }

    /// Waits until every task has ended by itself, or `deadline` passes;
    /// then stops whatever still runs.
    pub(crate) async fn finish(&self, deadline: Option<Instant>) {
        loop {
            let listener = self.inner.idle.listen();
            if lock(&self.inner.running).is_empty() {
                break;
            }
            match deadline {
                None => listener.await,
                Some(d) => {
                    if tokio::time::timeout_at(d.into(), listener).await.is_err() {
                        break;
                    }
                }
            }
        }
        let rest: Vec<AbortHandle> = lock(&self.inner.running)
            .drain()
            .map(|(_, (_, h))| h)
            .collect();
        for h in rest {
            h.abort();
        }
    }
}
