//! A ZAP handler (RFC 27) for tests: an oxmq REP bound at
//! `inproc://zeromq.zap.01`, answering with a policy. The endpoint is one
//! per process, so cases that use it take turns ([`turn`]).

use bytes::Bytes;
use oxmq::{Message, Rep, SocketOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Where RFC 27 has the handler bind.
pub const ZAP: &str = "inproc://zeromq.zap.01";

/// One case at a time owns the process's ZAP endpoint.
pub fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the handler answers: status code, user id, metadata frame.
pub type Policy = fn(&[Bytes]) -> (&'static str, &'static str, Bytes);

/// A ZAP handler: a REP bound at the ZAP endpoint answering with `policy`
/// until stopped; `join` gives the requests it saw.
pub struct Handler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Vec<Bytes>>>>,
}

impl Handler {
    pub fn start(policy: Policy) -> Handler {
        let rep = Rep::with_options(
            SocketOptions::default()
                .linger(Some(Duration::ZERO))
                .rcvtimeo(Some(Duration::from_millis(50))),
        );
        rep.bind(ZAP).expect("bind the ZAP endpoint");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let mut seen = Vec::new();
            // Bounded: stops when told, or after 10 s without a request.
            let mut idle = 0;
            while !flag.load(Ordering::Acquire) && idle < 200 {
                let Ok(req) = rep.blocking_recv() else {
                    idle += 1;
                    continue;
                };
                idle = 0;
                let frames = req.frames().to_vec();
                let (status, user, meta) = policy(&frames);
                let id = frames.get(1).cloned().unwrap_or_default();
                let reply = vec![
                    Bytes::from_static(b"1.0"),
                    id,
                    Bytes::from_static(status.as_bytes()),
                    Bytes::from_static(b"status text"),
                    Bytes::from_static(user.as_bytes()),
                    meta,
                ];
                rep.blocking_send(Message::from_frames(reply))
                    .expect("ZAP reply");
                seen.push(frames);
            }
            seen
        });
        Handler {
            stop,
            thread: Some(thread),
        }
    }

    pub fn join(mut self) -> Vec<Vec<Bytes>> {
        self.stop.store(true, Ordering::Release);
        self.thread.take().unwrap().join().expect("handler")
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
