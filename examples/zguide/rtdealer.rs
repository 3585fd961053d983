//! ROUTER-to-DEALER (zguide chapter 3, "The Load Balancing Pattern"): as
//! rtreq, with DEALER workers, which frame their own envelope (an empty
//! delimiter) as a REQ would. The ROUTER hands out work in the order the
//! workers ask, then fires them all; each says how many tasks it did.
//!
//! `cargo run --example rtdealer -- [--workers 10] [--tasks N | --seconds 5]`
//! (the zguide works for 5 seconds; `--tasks` bounds it by count instead).

mod args;

use std::time::{Duration, Instant};

use oxmq::{Dealer, Message, Router};

fn worker(endpoint: String) -> oxmq::Result<u32> {
    let socket = Dealer::new();
    socket.connect(&endpoint)?;
    let mut total = 0;
    loop {
        // Tell the broker we're ready for work, and get the workload.
        socket.blocking_send(Message::from_frames(vec!["".into(), "Hi Boss".into()]))?;
        let workload = socket.blocking_recv()?;
        // [empty, workload]
        if workload[1] == "Fired!" {
            println!("Completed: {total} tasks");
            return Ok(total);
        }
        total += 1;
        // Do some random work.
        std::thread::sleep(Duration::from_micros(rand::random_range(1..500)));
    }
}

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let broker = Router::new();
    let endpoint = broker.bind(&args.get("bind", "inproc://rtdealer"))?;
    let workers: u32 = args.num("workers", 10);
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let e = endpoint.clone();
            std::thread::spawn(move || worker(e))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(args.num("seconds", 5));
    let tasks: u64 = args.num("tasks", u64::MAX);
    let (mut sent, mut fired) = (0u64, 0u32);
    while fired < workers {
        // The next worker that asks: [identity, empty, "Hi Boss"].
        let request = broker.blocking_recv()?;
        let identity = request[0].clone();
        let work = if sent < tasks && Instant::now() < deadline {
            sent += 1;
            "Work harder"
        } else {
            fired += 1;
            "Fired!"
        };
        broker.blocking_send(Message::from_frames(vec![identity, "".into(), work.into()]))?;
    }
    for t in threads {
        t.join().expect("a worker panicked")?;
    }
    println!("Sent {sent} tasks");
    Ok(())
}
