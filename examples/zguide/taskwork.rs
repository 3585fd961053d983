//! Task worker (zguide chapter 1, "Divide and Conquer"): takes workloads
//! from the ventilator over PULL, "works" (sleeps) that long, and tells
//! the sink over PUSH.
//!
//! `cargo run --example taskwork -- [--connect tcp://localhost:5557] [--sink tcp://localhost:5558] [--count N]`
//! handles N tasks (default: for ever), then exits.

mod args;

use std::io::Write;
use std::time::Duration;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let receiver = oxmq::Pull::new();
    receiver.connect(&args.get("connect", "tcp://localhost:5557"))?;
    let sender = oxmq::Push::new();
    sender.connect(&args.get("sink", "tcp://localhost:5558"))?;
    for _ in 0..args.num("count", u64::MAX) {
        let task = receiver.blocking_recv()?;
        let msec: u64 = String::from_utf8_lossy(&task[0]).parse().unwrap_or(0);
        // Simple progress indicator for the viewer.
        print!(".");
        let _ = std::io::stdout().flush();
        std::thread::sleep(Duration::from_millis(msec));
        sender.blocking_send("")?;
    }
    Ok(())
}
