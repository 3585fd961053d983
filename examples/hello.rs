//! The README demo: a CLIENT and a SERVER exchange messages over tcp, ipc
//! and inproc, and print what they said.
//!
//! Run: `cargo run --release --example hello`

use oxmq::{Client, Server};

fn main() -> oxmq::Result<()> {
    let ipc_path = std::env::temp_dir().join(format!("oxmq-hello-{}.sock", std::process::id()));
    let endpoints = [
        "tcp://127.0.0.1:0".to_string(),
        format!("ipc://{}", ipc_path.display()),
        "inproc://hello".to_string(),
    ];
    for endpoint in endpoints {
        let server = Server::new();
        let bound = server.bind(&endpoint)?;
        let client = Client::new();
        client.connect(&bound)?;

        for i in 1..=3 {
            let question = format!("hello #{i}");
            client.blocking_send(question.clone())?;
            let (id, got) = server.blocking_recv()?;
            println!(
                "[{bound}] server got {:?} from client {id}",
                String::from_utf8_lossy(&got)
            );
            server.blocking_send(id, format!("world #{i}"))?;
            let reply = client.blocking_recv()?;
            println!("[{bound}] client got {:?}", String::from_utf8_lossy(&reply));
        }
    }
    println!("done: CLIENT and SERVER talked over tcp, ipc and inproc");
    Ok(())
}
