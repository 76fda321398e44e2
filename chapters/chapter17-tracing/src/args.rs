//! The flags of chapter 17.

use clap::{Parser, ValueEnum};
use std::time::Duration;

/// How the requests carry (or lose) which request they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Each spawned task runs in a span of its own (`#[instrument]`).
    Spans,
    /// The same tasks without spans: plain log lines.
    NoSpans,
    /// One task, each request holding `span.enter()` across `.await`.
    EnterAcrossAwait,
}

#[derive(Parser, Debug, Clone)]
pub struct Args {
    /// How the log lines know their request.
    #[arg(long, value_enum, default_value_t = Mode::Spans)]
    pub mode: Mode,
    /// How many requests to send at once (1 to 20).
    #[arg(long, default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=20))]
    pub requests: u16,
    /// Which request gets stuck: its server takes 60 s (0: none).
    #[arg(long, default_value_t = 3)]
    pub stuck: u16,
    /// How long to wait for the requests before reporting what is still
    /// open, in ms (100 to 30,000).
    #[arg(long, default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(100..=30_000))]
    pub deadline_ms: u64,
}

impl Args {
    /// Parses the process's flags; a bad one ends the program with a
    /// usage line and exit code 2.
    pub fn parse_or_exit() -> Args {
        let args: Args = course::args::chapter_args(
            "chapter17",
            "Tracing a stuck task: spans across .await, spans left open",
        );
        if usize::from(args.stuck) > usize::from(args.requests) {
            eprintln!(
                "error: --stuck {} names no request: there are {} (0 for none)",
                args.stuck, args.requests
            );
            std::process::exit(2);
        }
        args
    }

    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }

    /// The server's delay for request `n`: 100 to 400 ms, in an order
    /// other than the order of sending, so that answers interleave; the
    /// stuck one waits a minute.
    pub fn delay_ms(&self, n: usize) -> u64 {
        if n == usize::from(self.stuck) {
            return 60_000;
        }
        let count = usize::from(self.requests);
        100 * ((3 * n) % count.max(1) % 4 + 1) as u64
    }
}
