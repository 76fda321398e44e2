//! The flags of chapter 11.

use clap::Parser;
use std::time::Duration;

/// The flags of chapter 11 (channels and the actor pattern).
#[derive(Parser, Debug, Clone)]
pub struct Args {
    /// What to run.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Mode::Tour)]
    pub mode: Mode,

    /// How many jobs the producer puts in the queue.
    #[arg(long, value_name = "N", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub jobs: u32,

    /// How many jobs the bounded queue holds.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub capacity: u32,

    /// How long the server takes to answer each request, in ms.
    #[arg(long, value_name = "MS", default_value_t = 50, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub delay_ms: u64,

    /// How many callers ask the cache actor at once.
    #[arg(long, value_name = "N", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub callers: u32,

    /// How many different paths the callers ask the cache for.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub keys: u32,

    /// Give up on a request after this many ms.
    #[arg(long, value_name = "MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub timeout_ms: u64,
}

/// What chapter 11 runs.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All of it, in order.
    Tour,
    /// A bounded queue and an unbounded one, with a slow consumer.
    Backpressure,
    /// A cache actor answering many callers.
    Actor,
    /// `broadcast` and `watch`.
    FanOut,
    /// `join!` and `try_join!`.
    Join,
}

impl Args {
    pub fn jobs(&self) -> usize {
        self.jobs as usize
    }

    pub fn capacity(&self) -> usize {
        self.capacity as usize
    }

    /// The HTTP client, with `--timeout-ms`: a server that never answers
    /// cannot keep a request waiting forever.
    pub fn client(&self) -> course::Result<reqwest::Client> {
        use anyhow::Context as _;
        reqwest::Client::builder()
            .timeout(Duration::from_millis(self.timeout_ms))
            .build()
            .context("cannot build the HTTP client")
    }
}
