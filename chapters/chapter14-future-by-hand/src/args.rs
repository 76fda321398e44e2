//! The flags of chapter 14.

use clap::Parser;
use std::time::Duration;

/// `cargo run -p chapter14 -- --delay-ms 200`
#[derive(Parser, Debug, Clone)]
pub struct Args {
    /// How long each delay lasts, in ms.
    #[arg(long, value_name = "MS", default_value_t = 300, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(10..=5_000))]
    pub delay_ms: u64,

    /// How long to keep watching the future that never wakes once its
    /// deadline has passed, before giving up on it, in ms.
    #[arg(long, value_name = "MS", default_value_t = 200, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(10..=10_000))]
    pub give_up_ms: u64,
}

impl Args {
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }

    pub fn give_up(&self) -> Duration {
        Duration::from_millis(self.give_up_ms)
    }
}
