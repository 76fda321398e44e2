//! The flags of chapter 9: the request chapters' own, `--limit` and
//! `--mode`.

use clap::{Parser, ValueEnum};
use course::args::RequestArgs;

/// The flags of chapter 9 (bounded concurrency at scale).
#[derive(Parser, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: RequestArgs,

    /// At most this many requests in flight at once, for buffer-unordered
    /// and join-set [default: a tenth of --requests]
    #[arg(long, value_name = "K",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: Option<u32>,

    /// What to run.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Mode::Tour)]
    pub mode: Mode,
}

impl Args {
    /// `--limit`, or a tenth of the requests (at least 1).
    pub fn limit(&self) -> usize {
        self.limit
            .map_or(self.common.count() / 10, |k| k as usize)
            .max(1)
    }
}

/// What chapter 9 runs.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All of it: the descriptor budget, a table of limits, JoinSet with a
    /// semaphore, a timeout and a select!.
    Tour,
    /// Every request spawned at once, with no limit.
    Unbounded,
    /// At most --limit at once with futures' `buffer_unordered`.
    BufferUnordered,
    /// At most --limit at once with a `JoinSet` and a `Semaphore`.
    JoinSet,
    /// One slow request under `tokio::time::timeout`.
    Timeout,
    /// One slow request raced against a deadline with `select!` (Ctrl-C
    /// ends every mode the same way).
    Select,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        let argv = std::iter::once("x")
            .chain(args.iter().copied())
            .map(Into::into);
        course::args::try_parse_with_defaults(
            "chapter9", "about", 10, 1000, argv,
        )
    }

    #[test]
    fn limit_and_mode_are_read_and_checked() {
        let a = parse(&[]).unwrap();
        assert_eq!(
            (a.limit(), a.mode),
            (1, Mode::Tour),
            "a tenth of 10 requests"
        );
        let a = parse(&["--requests", "1000"]).unwrap();
        assert_eq!(a.limit(), 100);
        let a =
            parse(&["--mode", "join-set", "--limit", "5", "--delay-ms", "50"])
                .unwrap();
        assert_eq!(
            (a.limit(), a.mode, a.common.delay_ms()),
            (5, Mode::JoinSet, 50)
        );
        for bad in [
            &["--limit", "0"][..],
            &["--limit", "x"],
            &["--mode", "fast"],
            &["--requests", "abc"],
        ] {
            let e = parse(bad).expect_err("should be refused");
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
    }
}
