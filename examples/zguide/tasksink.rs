//! Task sink (zguide chapter 1, "Divide and Conquer"): waits for the
//! start of a batch, collects 100 results over PULL, and prints how long
//! the batch took.
//!
//! `cargo run --example tasksink -- [--bind tcp://*:5558] [--tasks 100]`

mod args;

use std::io::Write;
use std::time::Instant;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let receiver = oxmq::Pull::new();
    receiver.bind(&args.get("bind", "tcp://*:5558"))?;
    // Wait for the start of the batch.
    receiver.blocking_recv()?;
    let start = Instant::now();
    let tasks: u32 = args.num("tasks", 100);
    for n in 0..tasks {
        receiver.blocking_recv()?;
        print!("{}", if n % 10 == 0 { ":" } else { "." });
        let _ = std::io::stdout().flush();
    }
    println!(
        "\nTotal elapsed time: {} msec, {tasks} results",
        start.elapsed().as_millis()
    );
    Ok(())
}
