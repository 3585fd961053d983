//! Options shared by the zguide examples: `--name value` pairs after the
//! program name, each with the zguide's value as its default, so that an
//! example runs as the zguide's does and a test can point it elsewhere.

use std::str::FromStr;

/// The command line's `--name value` pairs.
pub struct Args(Vec<String>);

impl Args {
    pub fn parse() -> Args {
        Args(std::env::args().skip(1).collect())
    }

    /// The value of `--name`, or `default`.
    #[allow(dead_code)]
    pub fn get(&self, name: &str, default: &str) -> String {
        let flag = format!("--{name}");
        self.0
            .iter()
            .position(|a| *a == flag)
            .and_then(|i| self.0.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }

    /// The value of `--name` as a number, or `default`.
    #[allow(dead_code)]
    pub fn num<T: FromStr>(&self, name: &str, default: T) -> T {
        self.0
            .iter()
            .position(|a| *a == format!("--{name}"))
            .and_then(|i| self.0.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }
}
