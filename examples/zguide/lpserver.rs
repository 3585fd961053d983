//! Lazy Pirate server (zguide chapter 4, "Client-Side Reliability (Lazy
//! Pirate Pattern)"): a REP server that echoes each request after some
//! work, and now and then misbehaves so that lpclient has something to
//! recover from: it "crashes" (exits without answering) or is "overloaded"
//! (answers late).
//!
//! `cargo run --example lpserver -- [--bind tcp://*:5555] [--work-ms 1000]
//! [--crash-after random] [--overload-after random] [--overload-ms 2000]
//! [--count N]`
//!
//! `--crash-after` and `--overload-after` say when it crashes or is
//! overloaded (for `--overload-ms`): `random`, the default, as the
//! zguide's (after three requests, each further one crashes it one time
//! in 3, else is slow one time in 3); `never`; or a number N, for a test:
//! request N + 1 is the one. The crash is a normal exit, so a test can
//! wait for it. Otherwise it runs for ever, or until it has answered N
//! requests.

mod args;
mod trouble;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let server = oxmq::Rep::new();
    server.bind(&args.get("bind", "tcp://*:5555"))?;
    let trouble = trouble::Trouble::from_args(&args, 3, 2000);

    let count: u64 = args.num("count", u64::MAX);
    let mut cycles = 0;
    while cycles < count {
        let request = server.blocking_recv()?;
        cycles += 1;
        let done = format!("normal request ({})", String::from_utf8_lossy(&request[0]));
        if !trouble.serve(cycles, "", &done) {
            return Ok(());
        }
        server.blocking_send(request)?;
    }
    server.blocking_close();
    Ok(())
}
