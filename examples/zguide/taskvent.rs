//! Task ventilator (zguide chapter 1, "Divide and Conquer"): sends 100
//! tasks of random workload to the workers over PUSH, after telling the
//! sink over another PUSH that the batch starts, and prints the total
//! expected cost.
//!
//! `cargo run --example taskvent -- [--bind tcp://*:5557] [--sink tcp://localhost:5558] [--tasks 100]`
//! The zguide waits for Enter once the workers are up; here `--wait-ms`
//! (default 1000) stands in for it.

mod args;

use rand::Rng;
use std::time::Duration;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let sender = oxmq::Push::new();
    sender.bind(&args.get("bind", "tcp://*:5557"))?;
    let sink = oxmq::Push::new();
    sink.connect(&args.get("sink", "tcp://localhost:5558"))?;
    std::thread::sleep(Duration::from_millis(args.num("wait-ms", 1000)));
    println!("Sending tasks to workers...");
    // The first message is "0" and signals the start of the batch.
    sink.blocking_send("0")?;
    let mut rng = rand::rng();
    let mut total_msec = 0u64;
    for _ in 0..args.num("tasks", 100u32) {
        // A random workload from 1 to 100 msecs.
        let workload: u64 = rng.random_range(1..=args.num("max-ms", 100u64));
        total_msec += workload;
        sender.blocking_send(workload.to_string())?;
    }
    println!("Total expected cost: {total_msec} msec");
    sink.blocking_close();
    sender.blocking_close();
    Ok(())
}
