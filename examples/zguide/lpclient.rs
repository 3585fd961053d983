//! Lazy Pirate client (zguide chapter 4, "Client-Side Reliability (Lazy
//! Pirate Pattern)"): a REQ client that waits a limited time for each
//! reply. When none comes it throws the socket away (a REQ socket that
//! lost its reply is stuck), connects a new one and sends the request
//! again; after `--retries` tries without an answer it gives up. Each
//! request is its sequence number, and the reply must echo it.
//!
//! `cargo run --example lpclient -- [--connect tcp://localhost:5555]
//! [--timeout-ms 2500] [--retries 3] [--count N]`
//!
//! As in the zguide it runs until the server seems to be gone; with
//! `--count N` it also stops, successfully, after N replies. The wait is
//! the socket's `rcvtimeo` rather than a poll.

mod args;

use std::time::Duration;

use oxmq::{Req, SocketOptions};

/// A new REQ socket to the server, which drops what it holds when closed.
fn connect(endpoint: &str, timeout: Duration) -> oxmq::Result<Req> {
    println!("I: connecting to server...");
    let options = SocketOptions::default()
        .linger(Some(Duration::ZERO))
        .rcvtimeo(Some(timeout));
    let socket = Req::with_options(options);
    socket.connect(endpoint)?;
    Ok(socket)
}

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let endpoint = args.get("connect", "tcp://localhost:5555");
    let timeout = Duration::from_millis(args.num("timeout-ms", 2500));
    let retries: u32 = args.num("retries", 3);
    let count: u64 = args.num("count", u64::MAX);

    let mut client = connect(&endpoint, timeout)?;
    for sequence in 1..=count {
        let request = sequence.to_string();
        client.blocking_send(request.as_str())?;
        let mut retries_left = retries;
        loop {
            match client.blocking_recv() {
                Ok(reply) if reply[0] == request => {
                    println!("I: server replied OK ({request})");
                    break;
                }
                Ok(reply) => {
                    let reply = String::from_utf8_lossy(&reply[0]);
                    println!("E: malformed reply from server: {reply}");
                }
                Err(oxmq::Error::Timeout { .. }) => {
                    retries_left -= 1;
                    if retries_left == 0 {
                        println!("E: server seems to be offline, abandoning");
                        return Ok(());
                    }
                    println!("W: no response from server, retrying...");
                    // The old socket waits for a reply that will not come:
                    // close it and send the request again on a new one.
                    client.blocking_close();
                    client = connect(&endpoint, timeout)?;
                    client.blocking_send(request.as_str())?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    client.blocking_close();
    Ok(())
}
