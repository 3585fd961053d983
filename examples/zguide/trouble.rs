//! The failures the Pirate examples (zguide chapter 4) simulate: a
//! server or worker that crashes, or answers late as if its CPU were
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
/// and `--overload-ms`.
pub struct Trouble {
    crash: When,
    overload: When,
    overload_for: Duration,
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
            odds,
        }
    }

    /// Request number `cycle`: whether it crashes the program (the caller
    /// exits); an overloaded one is slept through here. `who` prefixes
    /// what is printed.
    pub fn crashes(&self, cycle: u64, who: &str) -> bool {
        if self.crash.hits(cycle, self.odds) {
            println!("I: {who}simulating a crash");
            return true;
        }
        if self.overload.hits(cycle, self.odds) {
            println!("I: {who}simulating CPU overload");
            std::thread::sleep(self.overload_for);
        }
        false
    }
}
