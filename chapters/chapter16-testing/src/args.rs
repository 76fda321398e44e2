//! The flags of chapter 16.

use clap::Parser;
use std::time::Duration;

/// The flags of chapter 16 (testing async code).
#[derive(Parser, Debug, Clone)]
pub struct Args {
    /// How long the idle timeout of the paused-clock demonstration is, in
    /// minutes of virtual time (up to a week).
    #[arg(long, value_name = "MIN", default_value_t = 60,
          allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub idle_minutes: u64,

    /// How long the delay server waits before answering, in ms of real
    /// time.
    #[arg(long, value_name = "MS", default_value_t = 300,
          allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(10..=10_000))]
    pub delay_ms: u64,
}

impl Args {
    /// The idle timeout.
    pub fn idle(&self) -> Duration {
        Duration::from_secs(self.idle_minutes * 60)
    }

    /// The server's delay.
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }
}
