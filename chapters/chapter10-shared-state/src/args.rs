//! The flags of chapter 10: the request chapters' own, and `--mode`.

use clap::{Parser, ValueEnum};
use course::args::RequestArgs;

/// The flags of chapter 10 (shared state).
#[derive(Parser, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: RequestArgs,

    /// What to run.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Mode::Tour)]
    pub mode: Mode,
}

/// The ways the chapter's tasks use their shared totals.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All three below, one after the other, and a table.
    Tour,
    /// std's Mutex, locked after each request, for the update only.
    Brief,
    /// tokio's Mutex, locked before each request and held across it.
    Across,
    /// std's Mutex, locked twice: read, await the request, write back.
    Split,
}

impl Mode {
    /// The mode's name, as `--mode` spells it: also part of its URLs, so
    /// that the server's record tells the modes' requests apart.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Tour => "tour",
            Mode::Brief => "brief",
            Mode::Across => "across",
            Mode::Split => "split",
        }
    }

    /// How the mode uses the lock, for the log.
    pub fn describe(self) -> &'static str {
        match self {
            Mode::Tour => "the three ways below",
            Mode::Brief => {
                "std's Mutex, locked after the request, for the update"
            }
            Mode::Across => {
                "tokio's Mutex, locked before the request, held across"
            }
            Mode::Split => {
                "std's Mutex, locked to read, then again to write back"
            }
        }
    }

    /// How the mode uses the lock, in a few words for the table.
    pub fn lock(self) -> &'static str {
        match self {
            Mode::Tour => "all three",
            Mode::Brief => "std, for the update",
            Mode::Across => "tokio, across the request",
            Mode::Split => "std, read / await / write",
        }
    }
}
