//! Reading from multiple sockets (zguide chapter 2, "Handling Multiple
//! Sockets"): a PULL of the ventilator's tasks and a SUB of weather
//! updates, read in turn without blocking, with a short sleep when both
//! are idle. The zguide shows it to explain why `zmq_poll` (mspoller) is
//! better.
//!
//! `cargo run --example msreader -- [--tasks-from tcp://localhost:5557] [--weather tcp://localhost:5556] [--tasks N] [--updates M]`
//! stops once it has N tasks and M updates (default: for ever).

mod args;

use std::time::Duration;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let receiver = oxmq::Pull::new();
    receiver.connect(&args.get("tasks-from", "tcp://localhost:5557"))?;
    let subscriber = oxmq::Sub::new();
    subscriber.connect(&args.get("weather", "tcp://localhost:5556"))?;
    subscriber.subscribe("10001 ")?;
    let (want_tasks, want_updates) = (args.num("tasks", u64::MAX), args.num("updates", u64::MAX));
    let (mut tasks, mut updates) = (0u64, 0u64);
    while tasks < want_tasks || updates < want_updates {
        let mut idle = true;
        // Process any waiting tasks, then any waiting weather updates.
        while let Ok(_task) = receiver.try_recv() {
            tasks += 1;
            idle = false;
        }
        while let Ok(_update) = subscriber.try_recv() {
            updates += 1;
            idle = false;
        }
        if idle {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    println!("Processed {tasks} tasks, {updates} updates");
    Ok(())
}
