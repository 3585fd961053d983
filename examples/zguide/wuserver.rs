//! Weather update server (zguide chapter 1, "Getting the Message Out"):
//! a PUB socket publishes random "zipcode temperature humidity" updates.
//!
//! `cargo run --example wuserver -- [--bind tcp://*:5556] [--count N] [--zips 100000]`
//! publishes N updates (default: for ever) for zipcodes below `--zips`,
//! then exits.

mod args;

use rand::Rng;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    let publisher = oxmq::Pub::new();
    publisher.bind(&args.get("bind", "tcp://*:5556"))?;
    let zips: u32 = args.num("zips", 100_000);
    let mut rng = rand::rng();
    for _ in 0..args.num("count", u64::MAX) {
        let zipcode: u32 = rng.random_range(0..zips);
        let temperature: i32 = rng.random_range(-80..135);
        let relhumidity: u32 = rng.random_range(10..60);
        publisher.blocking_send(format!("{zipcode:05} {temperature} {relhumidity}"))?;
    }
    Ok(())
}
