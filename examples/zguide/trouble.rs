//! How the Pirate examples' servers and workers (zguide chapter 4)
//! handle a request: some work (`--work-ms`), and now and then a
//! simulated failure: a crash, or a late answer as if the CPU were
//! overloaded. The zguide picks them at random; `--crash-after N` and
//! `--overload-after N` make them happen on cue, for tests.

use std::time::Duration;

use crate::args::Args;

/// When one kind of failure happens.
enum When {
    /// The zguide's way: one request in `odds`, after the third.
    Random,
    Never,
    /// On the request after the first N.
    After(u64),
}

impl When {
    fn parse(value: &str) -> When {
        match value {
            "random" => When::Random,
            v => v.parse().map_or(When::Never, When::After),
        }
    }

    /// Whether request number `cycle` (from 1) has it.
    fn hits(&self, cycle: u64, odds: u32) -> bool {
        match self {
            When::Random => cycle > 3 && rand::random_range(0..odds) == 0,
            When::Never => false,
            When::After(n) => cycle == n + 1,
        }
    }
}

/// `--crash-after` and `--overload-after` (each `random`, `never` or N),
/// `--overload-ms` and `--work-ms`.
pub struct Trouble {
    crash: When,
    overload: When,
    overload_for: Duration,
    work: Duration,
    odds: u32,
}

impl Trouble {
    /// From the command line; `odds` and `overload_ms` are the zguide's
    /// for this program.
    pub fn from_args(args: &Args, odds: u32, overload_ms: u64) -> Trouble {
        Trouble {
            crash: When::parse(&args.get("crash-after", "random")),
            overload: When::parse(&args.get("overload-after", "random")),
            overload_for: Duration::from_millis(args.num("overload-ms", overload_ms)),
            work: Duration::from_millis(args.num("work-ms", 1000)),
            odds,
        }
    }

    /// Handles request number `cycle`: false if it crashes the program
    /// (the caller exits); otherwise sleeps through an overload, prints
    /// `done` and does the work. `who` prefixes what is printed.
    pub fn serve(&self, cycle: u64, who: &str, done: &str) -> bool {
        if self.crash.hits(cycle, self.odds) {
            println!("I: {who}simulating a crash");
            return false;
        }
        if self.overload.hits(cycle, self.odds) {
            println!("I: {who}simulating CPU overload");
            std::thread::sleep(self.overload_for);
        }
        println!("I: {who}{done}");
        // Do some heavy work.
        std::thread::sleep(self.work);
        true
    }
}
