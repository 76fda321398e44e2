//! The flags of chapter 15.

use clap::Parser;
use std::time::Duration;

/// `cargo run -p chapter15 -- --delay-ms 200`
#[derive(Parser, Debug, Clone)]
pub struct Args {
    /// How long each delay, and the delay server's answer, takes, in ms.
    #[arg(long, value_name = "MS", default_value_t = 300, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(10..=5_000))]
    pub delay_ms: u64,
}

impl Args {
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }
}
