//! Paranoid Pirate worker (zguide chapter 4, "Robust Reliable Queuing
//! (Paranoid Pirate Pattern)"): a DEALER worker for ppqueue. It says
//! READY, answers requests (which come in their client's envelope), and
//! heartbeats the queue every interval. Every message from the queue
//! restores its liveness; each interval without one costs a point, and
//! at zero it takes the queue for dead: it waits, closes its socket,
//! connects a new one and says READY again, doubling the wait each time
//! the queue stays away. Now and then it "crashes" (exits with a request
//! in hand) or is "overloaded" (answers late).
//!
//! `cargo run --example ppworker -- [--connect tcp://localhost:5556]
//! [--heartbeat-ms 1000] [--liveness 3] [--reconnect-ms 1000]
//! [--reconnect-max-ms 32000] [--work-ms 1000] [--crash-after random]
//! [--overload-after random] [--overload-ms 3000] [--cycles N]`
//!
//! `--crash-after` and `--overload-after` say when it crashes or is
//! overloaded (for `--overload-ms`): `random`, the default, as the
//! zguide's (after three requests, each further one crashes it one time
//! in 5, else is slow one time in 5); `never`; or a number N, for a test:
//! request N + 1 is the one. The crash is a normal exit. With `--cycles
//! N` it also exits after answering N requests; the zguide's never does.
//! Unlike the zguide's, each socket has a random printable identity,
//! shown in what the worker prints, and the work is done before the
//! reply, not after.

mod args;
mod trouble;

use std::time::{Duration, Instant};

use bytes::Bytes;
use oxmq::{Dealer, SocketOptions};

/// The Paranoid Pirate Protocol's signals: a worker is ready, is alive.
const READY: &[u8] = b"\x01";
const HEARTBEAT: &[u8] = b"\x02";

/// A new socket to the queue, which has been told we are ready; its
/// identity. A receive waits at most one heartbeat interval.
fn connect(endpoint: &str, heartbeat: Duration) -> oxmq::Result<(Dealer, String)> {
    let identity = format!(
        "{:04X}-{:04X}",
        rand::random::<u16>(),
        rand::random::<u16>()
    );
    let options = SocketOptions::default()
        .routing_id(Some(Bytes::from(identity.clone())))
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(heartbeat));
    let worker = Dealer::with_options(options);
    worker.connect(endpoint)?;
    println!("I: ({identity}) worker ready");
    worker.blocking_send(READY)?;
    Ok((worker, identity))
}

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let endpoint = args.get("connect", "tcp://localhost:5556");
    let heartbeat = Duration::from_millis(args.num("heartbeat-ms", 1000));
    let max_liveness: u32 = args.num("liveness", 3);
    let reconnect = Duration::from_millis(args.num("reconnect-ms", 1000));
    let reconnect_max = Duration::from_millis(args.num("reconnect-max-ms", 32000));
    let trouble = trouble::Trouble::from_args(&args, 5, 3000);
    let cycles_max: u64 = args.num("cycles", u64::MAX);

    let (mut worker, mut identity) = connect(&endpoint, heartbeat)?;
    // At zero the queue is taken for dead.
    let mut liveness = max_liveness;
    let mut interval = reconnect;
    let mut heartbeat_at = Instant::now() + heartbeat;
    let mut cycles = 0;
    while cycles < cycles_max {
        match worker.blocking_recv() {
            // [client, empty, request]: a request.
            Ok(msg) if msg.len() == 3 => {
                cycles += 1;
                if !trouble.serve(cycles, &format!("({identity}) "), "normal reply") {
                    return Ok(());
                }
                worker.blocking_send(msg)?;
                liveness = max_liveness;
                interval = reconnect;
            }
            Ok(msg) if msg.len() == 1 && &msg[0][..] == HEARTBEAT => {
                liveness = max_liveness;
                interval = reconnect;
            }
            Ok(msg) => println!("E: ({identity}) invalid message: {:?}", msg.frames()),
            Err(oxmq::Error::Timeout { .. }) => {
                liveness = liveness.saturating_sub(1);
                if liveness == 0 {
                    println!("W: ({identity}) heartbeat failure, can't reach queue");
                    println!("W: reconnecting in {} msec...", interval.as_millis());
                    std::thread::sleep(interval);
                    interval = (interval * 2).min(reconnect_max);
                    worker.blocking_close();
                    (worker, identity) = connect(&endpoint, heartbeat)?;
                    liveness = max_liveness;
                }
            }
            Err(e) => return Err(e),
        }
        // Heartbeat the queue when it is time.
        if Instant::now() >= heartbeat_at {
            heartbeat_at = Instant::now() + heartbeat;
            println!("I: ({identity}) worker heartbeat");
            worker.blocking_send(HEARTBEAT)?;
        }
    }
    worker.blocking_close();
    Ok(())
}
