//! Simple Pirate worker (zguide chapter 4, "Basic Reliable Queuing
//! (Simple Pirate Pattern)"): a REQ worker for spqueue. It takes a random
//! printable identity, says READY, then answers each request, which comes
//! in its client's envelope, by sending the message back after some work.
//! Now and then it "crashes" (exits with a request in hand) or is
//! "overloaded" (answers late).
//!
//! `cargo run --example spworker -- [--connect tcp://localhost:5556]
//! [--work-ms 1000] [--crash-after random] [--overload-after random]
//! [--overload-ms 3000] [--cycles N]`
//!
//! `--crash-after` and `--overload-after` say when it crashes or is
//! overloaded (for `--overload-ms`): `random`, the default, as the
//! zguide's (after three requests, each further one crashes it one time
//! in 5, else is slow one time in 5); `never`; or a number N, for a test:
//! request N + 1 is the one. The crash is a normal exit. With `--cycles
//! N` it also exits after answering N requests; the zguide's never does.

mod args;
mod trouble;

use bytes::Bytes;
use oxmq::{Req, SocketOptions};

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let trouble = trouble::Trouble::from_args(&args, 5, 3000);
    let cycles_max: u64 = args.num("cycles", u64::MAX);

    // A random identity makes the traffic easier to follow.
    let identity = format!(
        "{:04X}-{:04X}",
        rand::random::<u16>(),
        rand::random::<u16>()
    );
    let options = SocketOptions::default().routing_id(Some(Bytes::from(identity.clone())));
    let worker = Req::with_options(options);
    worker.connect(&args.get("connect", "tcp://localhost:5556"))?;

    // Tell the queue we're ready for work.
    println!("I: ({identity}) worker ready");
    worker.blocking_send(&b"\x01"[..])?;

    let mut cycles = 0;
    while cycles < cycles_max {
        // [client, empty, request]
        let msg = worker.blocking_recv()?;
        cycles += 1;
        if !trouble.serve(cycles, &format!("({identity}) "), "normal reply") {
            return Ok(());
        }
        worker.blocking_send(msg)?;
    }
    Ok(())
}
