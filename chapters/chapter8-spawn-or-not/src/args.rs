//! The flags of chapter 8: `--sleep-ms MS` and `--svg FILE`.

use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// The flags of chapter 8 (to spawn or not to spawn).
#[derive(Parser, Debug, Clone)]
pub struct Args {
    /// How long each of the two sleeps lasts, in ms.
    #[arg(long, value_name = "MS", default_value_t = 500, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(10..=10_000))]
    pub sleep_ms: u64,

    /// Also draw what the ticker saw as an SVG picture in this file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

impl Args {
    /// The length of each sleep.
    pub fn sleep(&self) -> Duration {
        Duration::from_millis(self.sleep_ms)
    }
}
