//! Reading from multiple sockets with a poller (zguide chapter 2,
//! "Handling Multiple Sockets"): the ventilator's tasks and weather
//! updates, handled as each arrives.
//!
//! `cargo run --example mspoller -- [--tasks-from tcp://localhost:5557] [--weather tcp://localhost:5556] [--tasks N] [--updates M]`
//! stops once it has N tasks and M updates (default: for ever).

mod args;

use oxmq::{Interest, Poller};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args::Args::parse();
    let receiver = oxmq::Pull::new();
    receiver.connect(&args.get("tasks-from", "tcp://localhost:5557"))?;
    let subscriber = oxmq::Sub::new();
    subscriber.connect(&args.get("weather", "tcp://localhost:5556"))?;
    subscriber.subscribe("10001 ")?;
    let mut poller = Poller::new()?;
    let task_token = poller.add(&receiver, Interest::READABLE);
    let weather_token = poller.add(&subscriber, Interest::READABLE);
    let (want_tasks, want_updates) = (args.num("tasks", u64::MAX), args.num("updates", u64::MAX));
    let (mut tasks, mut updates) = (0u64, 0u64);
    while tasks < want_tasks || updates < want_updates {
        for event in poller.poll(None)?.to_vec() {
            if event.token == task_token && receiver.try_recv().is_ok() {
                tasks += 1;
            }
            if event.token == weather_token && subscriber.try_recv().is_ok() {
                updates += 1;
            }
        }
    }
    println!("Processed {tasks} tasks, {updates} updates");
    Ok(())
}
