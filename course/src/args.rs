//! Command-line flags of the request chapters.
//!
//! ```text
//! cargo run -p chapter5 -- --requests 3 --delay-ms 500 --svg timeline.svg
//! ```
//!
//! A bad value (`--requests abc`, `--delay-ms -5`) prints one error line and
//! the usage, and exits with code 2 (clap's convention).

#[cfg(feature = "requests")]
use clap::Parser;
use clap::{Args as _, CommandFactory, FromArgMatches};
#[cfg(feature = "requests")]
use std::path::PathBuf;
#[cfg(feature = "requests")]
use std::time::Duration;

#[cfg(feature = "requests")]
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

#[cfg(feature = "requests")]
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

    // ANCHOR: client
    /// The HTTP client of a request chapter, with `--timeout-ms` applied.
    pub fn client(&self) -> crate::Result<reqwest::Client> {
        use anyhow::Context as _;
        let mut builder = reqwest::Client::builder();
        // The timeout covers every request made with this client, from
        // connecting to the end of the body: a server that accepts the
        // connection and never answers cannot keep an `.await` waiting
        // forever.
        if let Some(timeout) = self.timeout() {
            builder = builder.timeout(timeout);
        }
        builder.build().context("cannot build the HTTP client")
    }
    // ANCHOR_END: client
}

#[cfg(feature = "requests")]
/// Parses the process's arguments for a request chapter, with the
/// chapter's own name, description and default request count and delay.
/// Exits with code 2 and a usage line on a bad flag.
pub fn request_args(name: &str, about: &str, requests: u32, delay_ms: u64) -> RequestArgs {
    parse_with_defaults::<RequestArgs>(name, about, requests, delay_ms, std::env::args_os())
}

#[cfg(feature = "requests")]
/// Like [`request_args`], for a chapter that adds flags of its own: `A`
/// is a `clap::Parser` with `#[command(flatten)] RequestArgs` inside.
pub fn parse_with_defaults<A: CommandFactory + FromArgMatches>(
    name: &str,
    about: &str,
    requests: u32,
    delay_ms: u64,
    argv: impl IntoIterator<Item = std::ffi::OsString>,
) -> A {
    try_parse_with_defaults(name, about, requests, delay_ms, argv).unwrap_or_else(|e| {
        let mut command = request_command::<A>(name, about, requests, delay_ms);
        usage_exit(&mut command, e)
    })
}

#[cfg(feature = "requests")]
/// Like [`parse_with_defaults`], returning clap's error instead of exiting
/// (what a chapter's tests of its flags call).
pub fn try_parse_with_defaults<A: CommandFactory + FromArgMatches>(
    name: &str,
    about: &str,
    requests: u32,
    delay_ms: u64,
    argv: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<A, clap::Error> {
    let matches =
        request_command::<A>(name, about, requests, delay_ms).try_get_matches_from(argv)?;
    A::from_arg_matches(&matches)
}

#[cfg(feature = "requests")]
/// A request chapter's command, with its own default count and delay.
fn request_command<A: CommandFactory>(
    name: &str,
    about: &str,
    requests: u32,
    delay_ms: u64,
) -> clap::Command {
    chapter_command(A::command(), name, about)
        .mut_arg("requests", |a| a.default_value(requests.to_string()))
        .mut_arg("delay_ms", |a| a.default_value(delay_ms.to_string()))
}

/// The widest line `--help` prints: 80 columns, the course's width, or
/// the terminal's when it is narrower. clap measures the terminal (its
/// `wrap_help` feature); when stdout is not one (a pipe, a file), it wraps
/// at this width all the same.
pub const HELP_WIDTH: usize = 80;

/// A chapter's command as `cargo run -p <name> -- --help` shows it: its
/// name, the command line that runs it, its description, and help wrapped
/// within [`HELP_WIDTH`] columns.
pub fn chapter_command(command: clap::Command, name: &str, about: &str) -> clap::Command {
    command
        .name(name.to_string())
        .bin_name(format!("cargo run -p {name} --"))
        .about(about.to_string())
        .max_term_width(HELP_WIDTH)
}

/// Ends the program after a bad flag: one line saying what is wrong, one
/// line of usage, exit code 2. `--help` and `--version` print and exit 0.
pub fn usage_exit(command: &mut clap::Command, e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    eprintln!("{}", usage_error(command, &e));
    std::process::exit(2);
}

/// The two lines [`usage_exit`] prints: clap's first line, then the usage.
pub fn usage_error(command: &mut clap::Command, e: &clap::Error) -> String {
    let message = e.to_string();
    let first = message.lines().next().unwrap_or("error: bad arguments");
    format!("{first}\n{}  (try --help)", command.render_usage())
}

/// Parses the flags of a chapter that sends no requests: only `--help`.
pub fn no_args(name: &str, about: &str) {
    #[derive(clap::Args)]
    struct NoArgs {}
    let command = NoArgs::augment_args(clap::Command::new(name.to_string()));
    let mut command = chapter_command(command, name, about);
    if let Err(e) = command.try_get_matches_from_mut(std::env::args_os()) {
        usage_exit(&mut command, e);
    }
}

/// Parses the flags of a chapter that sends no requests but has a few
/// flags of its own, such as [`Chapter4Args`]. Exits with code 2 and the
/// usage on a bad flag, with 0 after `--help`.
pub fn chapter_args<A: CommandFactory + FromArgMatches>(name: &str, about: &str) -> A {
    try_parse_from(name, about, std::env::args_os()).unwrap_or_else(|e| {
        let mut command = chapter_command(A::command(), name, about);
        usage_exit(&mut command, e)
    })
}

/// Like [`chapter_args`], over the given arguments (the first one is the
/// program name), returning clap's error instead of exiting.
pub fn try_parse_from<A: CommandFactory + FromArgMatches>(
    name: &str,
    about: &str,
    argv: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<A, clap::Error> {
    let command = chapter_command(A::command(), name, about);
    A::from_arg_matches(&command.try_get_matches_from(argv)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "requests")]
    fn parse(args: &[&str]) -> Result<RequestArgs, clap::Error> {
        let command = RequestArgs::command()
            .mut_arg("requests", |a| a.default_value("10"))
            .mut_arg("delay_ms", |a| a.default_value("500"));
        let argv = std::iter::once("x").chain(args.iter().copied());
        let matches = command.try_get_matches_from(argv)?;
        RequestArgs::from_arg_matches(&matches)
    }

    #[cfg(feature = "requests")]
    #[test]
    fn a_bad_value_gives_one_error_line_and_the_usage() {
        let e = parse(&["--requests", "abc"]).unwrap_err();
        let mut command = RequestArgs::command().bin_name("cargo run -p chapter5 --");
        let text = usage_error(&mut command, &e);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("error: invalid value 'abc'"), "{text}");
        assert!(
            lines[1].starts_with("Usage: cargo run -p chapter5 --"),
            "{text}"
        );
    }

    #[cfg(feature = "requests")]
    #[tokio::test(flavor = "current_thread")]
    async fn the_client_gives_up_after_the_timeout() {
        // A listener that accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/never", listener.local_addr().unwrap());
        let client = parse(&["--timeout-ms", "100"]).unwrap().client().unwrap();
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send())
            .await
            .expect("the client's own timeout should have ended the request");
        let e = outcome.expect_err("nothing answers, so the request must fail");
        assert!(e.is_timeout(), "expected a timeout, got: {e}");
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "gave up before the timeout: {:?}",
            started.elapsed()
        );
        drop(listener);
    }

    #[cfg(feature = "requests")]
    #[test]
    fn defaults_come_from_the_chapter() {
        let a = parse(&[]).unwrap();
        assert_eq!((a.count(), a.delay_ms()), (10, 500));
        assert_eq!(a.timeout(), Some(Duration::from_secs(10)));
    }

    #[cfg(feature = "requests")]
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

    fn argv(args: &[&str]) -> Vec<std::ffi::OsString> {
        std::iter::once("x")
            .chain(args.iter().copied())
            .map(Into::into)
            .collect()
    }

    /// A chapter's own flags, as a chapter's `src/args.rs` defines them.
    #[derive(clap::Parser, Debug)]
    struct Flags {
        /// How many things to count: a description long enough that clap
        /// has to wrap it to fit the course's width, whatever the width of
        /// the terminal the test runs in, or of none at all.
        #[arg(long, default_value_t = 3,
              value_parser = clap::value_parser!(u32).range(1..=9))]
        n: u32,
    }

    #[test]
    fn a_chapter_s_own_flags_are_parsed_and_checked() {
        let a: Flags = try_parse_from("chapterX", "about", argv(&[])).unwrap();
        assert_eq!(a.n, 3);
        let a: Flags = try_parse_from("chapterX", "about", argv(&["--n", "5"])).unwrap();
        assert_eq!(a.n, 5);
        for bad in [&["--n", "0"][..], &["--n", "x"], &["--bogus"]] {
            let e = try_parse_from::<Flags>("chapterX", "about", argv(bad))
                .expect_err("should be refused");
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
    }

    #[test]
    fn help_names_the_chapter_and_fits_80_columns() {
        let e = try_parse_from::<Flags>("chapter4", "CPU-heavy work", argv(&["--help"]))
            .expect_err("help is reported as an error by clap");
        assert_eq!(e.exit_code(), 0);
        let text = e.to_string();
        assert!(
            text.contains("CPU-heavy work") && text.contains("cargo run -p chapter4 --"),
            "{text}"
        );
        assert!(
            text.lines().all(|l| l.chars().count() <= HELP_WIDTH),
            "{text}"
        );
    }
}
