//! Chapter 13's flags: the request chapters' own (`--requests`,
//! `--delay-ms`, `--timeout-ms`, `--svg`, `--no-timeline`) and the ones
//! that shape the shutdown.

use clap::Parser;
use course::args::RequestArgs;
use std::time::Duration;

/// The flags of chapter 13.
#[derive(Parser, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: RequestArgs,

    /// A new job arrives every MS (one request each).
    #[arg(long, value_name = "MS", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub every_ms: u64,

    /// Every 4th job asks for this delay instead of --delay-ms: longer
    /// than the grace period, it is cancelled at the deadline.
    #[arg(long, value_name = "MS", default_value_t = 3000,
          value_parser = clap::value_parser!(u64)
              .range(0..=mock_server::MAX_DELAY_MS))]
    pub slow_ms: u64,

    /// Send the stop signal after MS, as Ctrl-C would (0: only Ctrl-C).
    /// The default falls between two arrivals.
    #[arg(long, value_name = "MS", default_value_t = 950,
          value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub stop_after_ms: u64,

    /// After the stop, how long the jobs in flight get to finish before
    /// the rest are cancelled.
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub grace_ms: u64,

    /// What keeps track of the tasks.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Mode::Tracker)]
    pub mode: Mode,
}

/// The two ways of keeping track of the tasks.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// tokio-util's `TaskTracker`, with a `CancellationToken` for the
    /// deadline.
    Tracker,
    /// tokio's `JoinSet`, drained, then `abort_all` at the deadline.
    JoinSet,
}

impl Args {
    /// When the programmatic stop comes, if it does.
    pub fn stop_after(&self) -> Option<Duration> {
        (self.stop_after_ms > 0)
            .then(|| Duration::from_millis(self.stop_after_ms))
    }

    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.grace_ms)
    }

    pub fn every(&self) -> Duration {
        Duration::from_millis(self.every_ms)
    }

    /// The delay job `n` (from 1) asks for: every 4th one is slow.
    pub fn delay_ms_of(&self, n: usize) -> u64 {
        if n.is_multiple_of(4) {
            self.slow_ms
        } else {
            self.common.delay_ms()
        }
    }
}
