//! `AcceptFailed` (SPEC §6.6): with the process out of file descriptors,
//! accepting fails, is reported, and the listener recovers once
//! descriptors are free again. Alone in its test binary: it changes the
//! process's descriptor limit.

mod support;

use oxmq::{Server, SocketEvent};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
use std::fs::File;
use std::net::TcpStream;
use support::wait_event;

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

#[test]
fn accept_failure_is_reported_and_the_listener_recovers() {
    let server = Server::new();
    let mon = server.monitor();
    let ep = server.bind("tcp://127.0.0.1:0").unwrap();
    let addr = ep.strip_prefix("tcp://").unwrap().to_string();
    let old = getrlimit(Resource::Nofile);
    // Room for what is open now plus a little; then fill it all.
    let limit = open_fds() + 16;
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(limit),
            maximum: old.maximum,
        },
    )
    .unwrap();
    let mut fillers = Vec::new();
    while let Ok(f) = File::open("/dev/null") {
        fillers.push(f);
        assert!(fillers.len() < 100_000, "the limit did not apply");
    }
    // One descriptor for our end of the connection; none left for accept.
    fillers.pop();
    let client = TcpStream::connect(&addr);
    let ev = wait_event(&mon, "AcceptFailed", |e| {
        matches!(e, SocketEvent::AcceptFailed { .. })
    });
    // Descriptors again: the pending connection is accepted.
    fillers.clear();
    setrlimit(Resource::Nofile, old).unwrap();
    match ev {
        SocketEvent::AcceptFailed { endpoint, error } => {
            assert_eq!(endpoint, ep);
            assert!(!error.is_empty());
        }
        _ => unreachable!(),
    }
    let _client = client.expect("the client's connect had a descriptor");
    wait_event(&mon, "Accepted after recovery", |e| {
        matches!(e, SocketEvent::Accepted { .. })
    });
}
