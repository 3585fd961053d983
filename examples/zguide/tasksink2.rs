//! Task sink with a kill signal (zguide chapter 2, "Handling Errors and
//! ETERM"): as tasksink, then publishes "KILL" to the workers.
//!
//! `cargo run --example tasksink2 -- [--bind tcp://*:5558] [--control tcp://*:5559] [--tasks 100]`

mod args;

use std::io::Write;
use std::time::Instant;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let receiver = oxmq::Pull::new();
    receiver.bind(&args.get("bind", "tcp://*:5558"))?;
    let controller = oxmq::Pub::new();
    controller.bind(&args.get("control", "tcp://*:5559"))?;
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
    // Send the kill signal to the workers.
    controller.blocking_send("KILL")?;
    controller.blocking_close();
    Ok(())
}
