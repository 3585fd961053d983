//! Majordomo client (zguide chapter 4, "Service-Oriented Reliable Queuing
//! (Majordomo Pattern)"): sends "Hello world" requests to the "echo"
//! service one after another through the client API of `mdp`, and counts
//! the replies. With `--mmi NAME` it instead asks the broker's
//! "mmi.service" whether NAME has workers, as the zguide's mmiecho does,
//! and prints "Lookup NAME service: 200" (or 404).
//!
//! `cargo run --example mdclient -- [--connect tcp://localhost:5555] [--service echo] [--count 100000] [--timeout-ms 2500] [--retries 3] [--mmi NAME] [--verbose]`
//! Differs from the zguide: each request carries its number in a second
//! frame, and a reply that is not the request echoed ends the client
//! with an error; so does a request abandoned after its retries. It
//! prints how many requests had their reply.

mod args;
mod mdp;

use std::time::Duration;

use bytes::Bytes;
use mdp::{Client, Error};
use oxmq::Message;

fn main() -> Result<(), Error> {
    let args = args::Args::parse();
    let verbose = std::env::args().any(|a| a == "--verbose" || a == "-v");
    let mut client = Client::new(
        &args.get("connect", "tcp://localhost:5555"),
        Duration::from_millis(args.num("timeout-ms", 2500)),
        args.num("retries", 3),
        verbose,
    )?;
    let lookup = args.get("mmi", "");
    if !lookup.is_empty() {
        match client.send("mmi.service", Message::from(lookup.as_str()))? {
            Some(reply) => println!(
                "Lookup {lookup} service: {}",
                String::from_utf8_lossy(reply.first())
            ),
            None => println!("E: no response from broker, make sure it's running"),
        }
        return Ok(());
    }
    let service = args.get("service", "echo");
    let count: u64 = args.num("count", 100_000);
    let mut replies = 0;
    for n in 0..count {
        let request = Message::from_frames(vec!["Hello world".into(), Bytes::from(n.to_string())]);
        match client.send(&service, request.clone())? {
            Some(reply) if reply == request => replies += 1,
            Some(reply) => {
                println!("E: reply {n} is not its request: {:?}", reply.frames());
                break;
            }
            None => {
                println!("E: no reply to request {n}, abandoning");
                break;
            }
        }
    }
    println!("{replies} requests/replies processed");
    if replies < count {
        return Err(format!("{} requests unanswered", count - replies).into());
    }
    Ok(())
}
