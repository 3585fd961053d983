//! Interoperability with zmq.rs (the `zeromq` crate, 0.7, on tokio).
//!
//! oxmq PUSH → zmq.rs PULL and zmq.rs PUSH → oxmq PULL (two socket pairs
//! running at once), with oxmq binding and with oxmq connecting, over tcp
//! and ipc: 1000 messages each way, some of them 3-frame messages.
//!
//! Message `i` has a first frame of `SIZES[i % 6]` bytes whose content is
//! derived from `i` and the direction, so corruption, truncation, loss and
//! reordering are all detected; every frame is compared byte for byte.
//! Every wait is bounded by a 30 s hang guard.

mod support;

use oxmq::{Message, Pull, Push, SocketOptions};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::payloads::{check_frames, frames_bytes as frames_for};
use tokio::task::JoinHandle;
use zeromq::{PullSocket, PushSocket, Socket, SocketEvent, SocketRecv, SocketSend, ZmqMessage};

/// Messages each way in every case.
const COUNT: usize = 1000;
/// Hang guard for every wait.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Stream tags: the same index gives different content per direction.
const TO_PEER: u8 = 3;
const FROM_PEER: u8 = 4;

#[derive(Clone, Copy, Debug)]
enum Transport {
    Tcp,
    Ipc,
}

// ---------------------------------------------------------------------------
// Payloads

// ---------------------------------------------------------------------------
// Helpers

fn ipc_path() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("oxmq-izr-{}-{n}.sock", std::process::id()));
    p.to_str().expect("utf-8 temp dir").to_owned()
}

/// Removes an ipc socket file when dropped (tests pass or fail).
struct IpcCleanup(Option<String>);

impl Drop for IpcCleanup {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// An endpoint to bind (port 0 for tcp, a fresh path for ipc).
fn bind_endpoint(t: Transport) -> (String, IpcCleanup) {
    match t {
        Transport::Tcp => ("tcp://127.0.0.1:0".to_owned(), IpcCleanup(None)),
        Transport::Ipc => {
            let p = ipc_path();
            (format!("ipc://{p}"), IpcCleanup(Some(p)))
        }
    }
}

fn opts() -> SocketOptions {
    SocketOptions::default().linger(Some(Duration::ZERO))
}

/// Awaits `fut` under the hang guard.
async fn guard<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {TIMEOUT:?}"))
}

async fn join<T>(h: JoinHandle<T>) -> T {
    match h.await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

// ---------------------------------------------------------------------------
// PUSH / PULL

/// Two pairs at once: oxmq PUSH → zmq.rs PULL and zmq.rs PUSH → oxmq PULL,
/// 1000 messages each; `we_bind` says whether the oxmq sockets bind (and
/// zmq.rs connects) or the other way round.
async fn push_pull(we_bind: bool, t: Transport) {
    let name = format!("PUSH/PULL oxmq-binds={we_bind} {t:?}");
    let opush = Push::with_options(opts());
    let opull = Pull::with_options(opts());
    let mut zpush = PushSocket::new();
    let mut zpull = PullSocket::new();
    let (ep1, _c1) = bind_endpoint(t);
    let (ep2, _c2) = bind_endpoint(t);
    if we_bind {
        let ep1 = opush.bind(&ep1).expect("oxmq push bind");
        guard("zmq.rs pull connect", zpull.connect(&ep1))
            .await
            .expect("zmq.rs pull connect");
        let ep2 = opull.bind(&ep2).expect("oxmq pull bind");
        guard("zmq.rs push connect", zpush.connect(&ep2))
            .await
            .expect("zmq.rs push connect");
    } else {
        let ep1 = zpull.bind(&ep1).await.expect("zmq.rs pull bind");
        opush.connect(&ep1.to_string()).expect("oxmq push connect");
        let mut mon = zpush.monitor();
        let ep2 = zpush.bind(&ep2).await.expect("zmq.rs push bind");
        opull.connect(&ep2.to_string()).expect("oxmq pull connect");
        // A zmq.rs PUSH with no peer fails sends instead of queueing them:
        // wait until it reports the accepted (and handshaken) peer.
        loop {
            match guard("zmq.rs Accepted event", mon.recv()).await {
                Ok(SocketEvent::Accepted(..)) => break,
                Ok(SocketEvent::AcceptFailed(e)) => panic!("zmq.rs accept failed: {e}"),
                Ok(_) => continue,
                Err(e) => panic!("zmq.rs monitor ended: {e}"),
            }
        }
    }

    // zmq.rs PULL: receives the oxmq → zmq.rs stream.
    let ctx = format!("{name} oxmq→zmq.rs");
    let zpull_task = tokio::spawn(async move {
        for i in 0..COUNT {
            let msg = guard(&ctx, zpull.recv())
                .await
                .unwrap_or_else(|e| panic!("{ctx}: zmq.rs pull recv {i}: {e}"));
            check_frames(&ctx, i, &msg.into_vec(), &frames_for(i, TO_PEER));
        }
        zpull
    });
    // zmq.rs PUSH: sends the zmq.rs → oxmq stream.
    let ctx = format!("{name} zmq.rs→oxmq");
    let zpush_task = tokio::spawn(async move {
        for i in 0..COUNT {
            let msg = ZmqMessage::try_from(frames_for(i, FROM_PEER)).expect("non-empty");
            guard(&ctx, zpush.send(msg))
                .await
                .unwrap_or_else(|e| panic!("{ctx}: zmq.rs push send {i}: {e}"));
        }
        zpush
    });
    // oxmq PUSH: sends the oxmq → zmq.rs stream.
    let ctx = format!("{name} oxmq→zmq.rs");
    let opush_task = tokio::spawn(async move {
        for i in 0..COUNT {
            let msg = Message::from_frames(frames_for(i, TO_PEER));
            guard(&ctx, opush.send(msg))
                .await
                .unwrap_or_else(|e| panic!("{ctx}: oxmq push send {i}: {e}"));
        }
        opush
    });
    // oxmq PULL, here: receives the zmq.rs → oxmq stream.
    let ctx = format!("{name} zmq.rs→oxmq");
    for i in 0..COUNT {
        let msg = guard(&ctx, opull.recv())
            .await
            .unwrap_or_else(|e| panic!("{ctx}: oxmq pull recv {i}: {e}"));
        check_frames(&ctx, i, msg.frames(), &frames_for(i, FROM_PEER));
    }
    // Senders stay open (they were returned by their tasks) until both
    // receivers have everything: oxmq's linger is 0.
    let _zpull = join(zpull_task).await;
    let _zpush = join(zpush_task).await;
    let _opush = join(opush_task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_oxmq_binds_tcp() {
    push_pull(true, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_oxmq_binds_ipc() {
    push_pull(true, Transport::Ipc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_oxmq_connects_tcp() {
    push_pull(false, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_oxmq_connects_ipc() {
    push_pull(false, Transport::Ipc).await;
}
