//! Weather update client (zguide chapter 1, "Getting the Message Out"):
//! a SUB socket subscribes to one zipcode, collects updates and prints
//! the average temperature.
//!
//! `cargo run --example wuclient -- [--connect tcp://localhost:5556] [--zip 10001] [--count 100]`

mod args;

fn main() -> oxmq::Result<()> {
    let args = args::Args::parse();
    println!("Collecting updates from weather server...");
    let subscriber = oxmq::Sub::new();
    subscriber.connect(&args.get("connect", "tcp://localhost:5556"))?;
    let filter = args.get("zip", "10001");
    subscriber.subscribe(format!("{filter} "))?;
    let count: u32 = args.num("count", 100);
    let mut total_temp = 0i64;
    for _ in 0..count {
        let update = subscriber.blocking_recv()?;
        let text = String::from_utf8_lossy(&update[0]).into_owned();
        let mut fields = text.split_whitespace().skip(1);
        let temperature: i64 = fields.next().and_then(|t| t.parse().ok()).unwrap_or(0);
        total_temp += temperature;
    }
    println!(
        "Average temperature for zipcode '{filter}' was {}F over {count} updates",
        total_temp / i64::from(count.max(1))
    );
    Ok(())
}
