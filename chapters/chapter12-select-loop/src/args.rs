//! The flags of chapter 12.

use clap::Parser;
use std::time::Duration;

/// What to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything below, one after the other, and a summary.
    Tour,
    /// A loop that makes its request anew on every turn.
    Restarted,
    /// A loop that pins its request once and resumes it.
    Pinned,
    /// A relay whose select! branch is not cancel safe: it loses items.
    Lossy,
    /// The same relay with a cancel-safe branch: it loses none.
    Fixed,
    /// Length-prefixed frames read with `read_exact` in a select! loop,
    /// then with `read` into a buffer of the loop.
    Frames,
    /// Two channels merged until both close: without `, if` preconditions,
    /// then with them; `else` ends both loops.
    Preconditions,
}

/// The flags of chapter 12.
#[derive(Parser, Debug, Clone)]
pub struct Chapter12Args {
    /// What to run.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Mode::Tour)]
    pub mode: Mode,

    /// How long the server waits before answering the loop's request, in
    /// ms. A message arrives every quarter of it; the loop gives up after
    /// four times it.
    #[arg(long, value_name = "MS", default_value_t = 300,
          allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(20..=10_000))]
    pub delay_ms: i64,

    /// How many items the relay forwards (and frames the reader reads).
    #[arg(long, value_name = "N", default_value_t = 100,
          allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub items: i64,
}

impl Chapter12Args {
    /// The server's delay for the loop's request.
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms as u64)
    }

    /// How many items the relay forwards.
    pub fn items(&self) -> u64 {
        self.items as u64
    }
}
