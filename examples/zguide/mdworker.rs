//! Majordomo worker (zguide chapter 4, "Service-Oriented Reliable Queuing
//! (Majordomo Pattern)"): serves the "echo" service through the worker
//! API of `mdp`, sending every request back as its reply.
//!
//! `cargo run --example mdworker -- [--connect tcp://localhost:5555] [--service echo] [--count N] [--heartbeat-ms 2500] [--liveness 3] [--reconnect-ms 2500] [--verbose]`
//! The zguide's works for ever and prints nothing; this one prints
//! "Echoed request N" for each, and with `--count` leaves the broker
//! (DISCONNECT) after that many replies and ends with "Handled N requests".

mod args;
mod mdp;

use std::time::Duration;

use mdp::{Error, Heartbeat, Worker};

fn main() -> Result<(), Error> {
    let args = args::Args::parse();
    let verbose = std::env::args().any(|a| a == "--verbose" || a == "-v");
    let heartbeat = Heartbeat::from_args(&args);
    let mut worker = Worker::new(
        &args.get("connect", "tcp://localhost:5555"),
        &args.get("service", "echo"),
        heartbeat,
        Duration::from_millis(args.num("reconnect-ms", 2500)),
        verbose,
    )?;
    let count: u64 = args.num("count", u64::MAX);
    let mut reply = None;
    for n in 1..=count {
        let request = worker.recv(reply.take())?;
        println!("Echoed request {n}");
        // Echo is complex... :-)
        reply = Some(request);
    }
    worker.close(reply)?;
    println!("Handled {count} requests");
    Ok(())
}
