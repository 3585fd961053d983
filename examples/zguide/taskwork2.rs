//! Task worker with a kill signal (zguide chapter 2, "Handling Errors and
//! ETERM"): as taskwork, and also subscribed to the sink's controller;
//! any message there ends it.
//!
//! `cargo run --example taskwork2 -- [--connect tcp://localhost:5557] [--sink tcp://localhost:5558] [--control tcp://localhost:5559]`

mod args;

use std::io::Write;
use std::time::Duration;

use oxmq::{Interest, Poller};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args::Args::parse();
    let receiver = oxmq::Pull::new();
    receiver.connect(&args.get("connect", "tcp://localhost:5557"))?;
    let sender = oxmq::Push::new();
    sender.connect(&args.get("sink", "tcp://localhost:5558"))?;
    let controller = oxmq::Sub::new();
    controller.connect(&args.get("control", "tcp://localhost:5559"))?;
    controller.subscribe("")?;
    let mut poller = Poller::new()?;
    let tasks = poller.add(&receiver, Interest::READABLE);
    let control = poller.add(&controller, Interest::READABLE);
    loop {
        for event in poller.poll(None)?.to_vec() {
            if event.token == tasks {
                if let Ok(task) = receiver.try_recv() {
                    let msec: u64 = String::from_utf8_lossy(&task[0]).parse().unwrap_or(0);
                    std::thread::sleep(Duration::from_millis(msec));
                    sender.blocking_send("")?;
                    print!(".");
                    std::io::stdout().flush()?;
                }
            }
            // Any message from the controller is the signal to stop.
            if event.token == control && controller.try_recv().is_ok() {
                println!();
                return Ok(());
            }
        }
    }
}
