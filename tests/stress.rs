//! Many threads on one socket, over tcp, ipc and inproc (SPEC §6.1,
//! §6.3): four threads sending on one PUSH and four receiving on one PULL
//! deliver every message exactly once, and a receiver that stops at
//! random moments is never left asleep while messages wait for it. Small
//! high-water marks keep writers filling the pipes and waiting for room,
//! so the sleep and wake paths on both sides run thousands of times.
//!
//! Every loop is bounded by the message count; every blocking call by
//! `GUARD`, which a working library never reaches.

mod support;

use oxmq::{Error, Pull, Push, SocketOptions};
use rand::Rng;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};
use support::{Transport, GUARD};

const SENDERS: usize = 4;
const RECEIVERS: usize = 4;
const PER_SENDER: usize = 20_000;

fn opts() -> SocketOptions {
    SocketOptions::default()
        .sndhwm(16)
        .rcvhwm(16)
        .sndtimeo(Some(GUARD))
        .rcvtimeo(Some(GUARD))
        .linger(Some(GUARD))
}

/// Message `seq` of sender `from`: 8 bytes of sender, 8 of sequence.
fn encode(from: usize, seq: usize) -> Vec<u8> {
    let mut v = (from as u64).to_be_bytes().to_vec();
    v.extend_from_slice(&(seq as u64).to_be_bytes());
    v
}

fn decode(b: &[u8]) -> (usize, usize) {
    assert_eq!(b.len(), 16, "a message of the wrong size: {b:?}");
    let from = u64::from_be_bytes(b[..8].try_into().unwrap()) as usize;
    let seq = u64::from_be_bytes(b[8..].try_into().unwrap()) as usize;
    (from, seq)
}

fn pair(t: Transport, pull_opts: SocketOptions) -> (Push, Pull) {
    let pull = Pull::with_options(pull_opts);
    let ep = pull.bind(&(t.ep)()).unwrap();
    let push = Push::with_options(opts());
    push.connect(&ep).unwrap();
    (push, pull)
}

/// Four senders on one PUSH, four receivers on one PULL: each message
/// arrives once, and each sender's messages arrive in the order it sent
/// them at every receiver that takes them (one peer, one pipe).
fn four_senders_four_receivers_exactly_once(t: Transport) {
    // Receivers wait at most 50 ms at a time, so that each can see when
    // the others have taken the last messages; no progress for GUARD fails.
    let (push, pull) = pair(t, opts().rcvtimeo(Some(Duration::from_millis(50))));
    let total = SENDERS * PER_SENDER;
    let received = AtomicUsize::new(0);
    let seen: Mutex<Vec<Vec<u32>>> = Mutex::new(vec![vec![0; PER_SENDER]; SENDERS]);
    thread::scope(|s| {
        for from in 0..SENDERS {
            let push = &push;
            s.spawn(move || {
                for seq in 0..PER_SENDER {
                    push.blocking_send(encode(from, seq))
                        .unwrap_or_else(|e| panic!("{}: send {from}/{seq}: {e}", t.name));
                }
            });
        }
        for _ in 0..RECEIVERS {
            let (pull, received, seen) = (&pull, &received, &seen);
            s.spawn(move || {
                let mut last = [None::<usize>; SENDERS];
                let mut progress = (received.load(Ordering::SeqCst), Instant::now());
                while received.load(Ordering::SeqCst) < total {
                    let m = match pull.blocking_recv() {
                        Ok(m) => m,
                        Err(Error::Timeout { .. }) => {
                            let now = received.load(Ordering::SeqCst);
                            if now != progress.0 {
                                progress = (now, Instant::now());
                            }
                            assert!(
                                progress.1.elapsed() < GUARD,
                                "{}: stuck at {now} of {total} messages",
                                t.name
                            );
                            continue;
                        }
                        Err(e) => panic!("{}: recv: {e}", t.name),
                    };
                    let (from, seq) = decode(m.first());
                    if let Some(prev) = last[from] {
                        assert!(seq > prev, "{}: sender {from}: {seq} after {prev}", t.name);
                    }
                    last[from] = Some(seq);
                    seen.lock().unwrap()[from][seq] += 1;
                    received.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    let seen = seen.into_inner().unwrap();
    for (from, counts) in seen.iter().enumerate() {
        for (seq, &n) in counts.iter().enumerate() {
            assert_eq!(n, 1, "{}: message {from}/{seq} seen {n} times", t.name);
        }
    }
    assert!(
        matches!(pull.try_recv(), Err(Error::WouldBlock)),
        "{}: a message beyond the count",
        t.name
    );
}

/// A receiver that stops for a random while between receives (the sender
/// meanwhile fills the pipes and waits), then receives again: every
/// message arrives, in order, and no receive waits while one is queued.
/// A wake-up lost anywhere (reader or writer side) shows as a receive or
/// send that runs into GUARD.
fn receiver_pausing_at_random_is_never_left_asleep(t: Transport) {
    let (push, pull) = pair(t, opts());
    const N: usize = 10_000;
    thread::scope(|s| {
        s.spawn(|| {
            for seq in 0..N {
                push.blocking_send(encode(0, seq))
                    .unwrap_or_else(|e| panic!("{}: send {seq}: {e}", t.name));
            }
        });
        let mut rng = rand::rng();
        for seq in 0..N {
            if rng.random_ratio(1, 50) {
                // The behaviour under test: a receiver that is busy
                // elsewhere for up to 2 ms, so it goes to sleep on an
                // empty or a full pipe at unpredictable points.
                thread::sleep(Duration::from_micros(rng.random_range(0..2_000)));
            }
            let m = pull
                .blocking_recv()
                .unwrap_or_else(|e| panic!("{}: recv {seq}: {e}", t.name));
            assert_eq!(decode(m.first()), (0, seq), "{}", t.name);
        }
    });
}

support::transport_cases! {
    fn four_senders_four_receivers_exactly_once: tcp, ipc, inproc;
    fn receiver_pausing_at_random_is_never_left_asleep: tcp, ipc, inproc;
}
