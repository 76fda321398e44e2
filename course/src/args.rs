//! Command-line flags of the request chapters.
//!
//! ```text
//! cargo run -p chapter5 -- --requests 3 --delay-ms 500 --svg timeline.svg
//! ```
//!
//! A bad value (`--requests abc`, `--delay-ms -5`) prints one error line and
//! the usage, and exits with code 2 (clap's convention).

use clap::{Args as _, CommandFactory, FromArgMatches, Parser};
use std::path::PathBuf;
use std::time::Duration;

/// The flags every request chapter accepts.
#[derive(Parser, Debug, Clone)]
pub struct RequestArgs {
    /// How many requests to send.
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub requests: u32,

    /// How long the server waits before answering each request, in ms.
    #[arg(long, value_name = "MS", default_value_t = 1000, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(0..=mock_server::MAX_DELAY_MS as i64))]
    pub delay_ms: i64,

    /// Give up on a request after this many ms (0: never).
    #[arg(long, value_name = "MS", default_value_t = 10_000, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(0..=3_600_000))]
    pub timeout_ms: i64,

    /// Also write the timeline of the run as an SVG picture to this file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    /// Do not print the timeline in the terminal.
    #[arg(long)]
    pub no_timeline: bool,
}

impl RequestArgs {
    /// The request count as a `usize`, for loops and `Vec`s.
    pub fn count(&self) -> usize {
        self.requests as usize
    }

    /// The server-side delay of each request.
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms as u64)
    }

    /// The delay in ms, for building URLs.
    pub fn delay_ms(&self) -> u64 {
        self.delay_ms as u64
    }

    /// The client-side timeout per request, `None` if turned off.
    pub fn timeout(&self) -> Option<Duration> {
        (self.timeout_ms > 0).then(|| Duration::from_millis(self.timeout_ms as u64))
    }
}

/// Parses the process's arguments for a request chapter, with the
/// chapter's own name, description and default request count and delay.
/// Exits with code 2 and a usage line on a bad flag.
pub fn request_args(name: &str, about: &str, requests: u32, delay_ms: u64) -> RequestArgs {
    parse_with_defaults::<RequestArgs>(name, about, requests, delay_ms, std::env::args_os())
}

/// Like [`request_args`], for a chapter that adds flags of its own: `A`
/// is a `clap::Parser` with `#[command(flatten)] RequestArgs` inside.
pub fn parse_with_defaults<A: CommandFactory + FromArgMatches>(
    name: &str,
    about: &str,
    requests: u32,
    delay_ms: u64,
    argv: impl IntoIterator<Item = std::ffi::OsString>,
) -> A {
    let requests = requests.to_string();
    let delay_ms = delay_ms.to_string();
    let command = A::command()
        .name(name.to_string())
        .bin_name(format!("cargo run -p {name} --"))
        .about(about.to_string())
        .mut_arg("requests", |a| a.default_value(requests))
        .mut_arg("delay_ms", |a| a.default_value(delay_ms));
    let matches = command.get_matches_from(argv);
    A::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Parses the flags of a chapter that sends no requests: only `--help`.
pub fn no_args(name: &str, about: &str) {
    #[derive(clap::Args)]
    struct NoArgs {}
    let command = NoArgs::augment_args(clap::Command::new(name.to_string()))
        .bin_name(format!("cargo run -p {name} --"))
        .about(about.to_string());
    command.get_matches();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<RequestArgs, clap::Error> {
        let command = RequestArgs::command()
            .mut_arg("requests", |a| a.default_value("10"))
            .mut_arg("delay_ms", |a| a.default_value("500"));
        let argv = std::iter::once("x").chain(args.iter().copied());
        let matches = command.try_get_matches_from(argv)?;
        RequestArgs::from_arg_matches(&matches)
    }

    #[test]
    fn defaults_come_from_the_chapter() {
        let a = parse(&[]).unwrap();
        assert_eq!((a.count(), a.delay_ms()), (10, 500));
        assert_eq!(a.timeout(), Some(Duration::from_secs(10)));
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for bad in [
            &["--requests", "abc"][..],
            &["--requests", "0"],
            &["--delay-ms", "-5"],
            &["--delay-ms", "60001"],
            &["--bogus"],
        ] {
            let e = parse(bad).expect_err("should be refused");
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
        let a = parse(&["--requests", "3", "--delay-ms", "50", "--timeout-ms", "0"]).unwrap();
        assert_eq!((a.count(), a.delay_ms(), a.timeout()), (3, 50, None));
    }
}
