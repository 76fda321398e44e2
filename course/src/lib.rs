//! Shared plumbing for the chapters of async-tour.
//!
//! A chapter's `main.rs` holds only its lesson; everything a chapter needs
//! but does not teach lives here:
//!
//! - [`log`]: the article's log format, `1.004 [INFO] - message`, at `info`
//!   level unless `RUST_LOG` says otherwise.
//! - [`server`]: the delay server, embedded or named by `DELAY_SERVER_URL`.
//! - [`args`]: command-line flags (`--requests`, `--delay-ms`, ...).
//! - [`timeline`]: when each request was sent and answered, drawn in the
//!   terminal or as an SVG.
//! - [`ticker`]: a task that ticks on the runtime, to see if it was blocked.
//! - [`finish`]: turns a chapter's result into a one-line error and an exit code.

pub mod args;
pub mod log;
pub mod server;
pub mod testing;
pub mod ticker;
pub mod timeline;

use std::process::ExitCode;
use std::time::Duration;

pub use log::{elapsed, init_logging};
pub use server::Server;
pub use ticker::Ticker;
pub use timeline::Timeline;

/// The error type of the chapters. `anyhow::Error` is a boxed
/// `dyn Error + Send + Sync` with context and a readable chain.
pub type Result<T, E = anyhow::Error> = std::result::Result<T, E>;

/// Ends a chapter: `Ok` exits with 0; an error prints one line, the error
/// and its causes (`error: GET http://...: connection refused`), and exits
/// with 1. No panic, no backtrace.
pub fn finish(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, without repeats (reqwest's
/// messages often repeat their source).
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ").replace('\n', " ")
}

/// How a batch of requests went, in one sentence:
/// "2 requests of 1000 ms took 2.006 s: one after the other".
///
/// `peak` is the peak number in flight, when known (the embedded server
/// measures it; a standalone server does not report it).
pub fn requests_summary(
    requests: usize,
    delay: Duration,
    took: Duration,
    peak: Option<usize>,
) -> String {
    let ms = delay.as_millis();
    let plural = if requests == 1 { "" } else { "s" };
    let head = format!(
        "{requests} request{plural} of {ms} ms took {:.3} s",
        took.as_secs_f64()
    );
    let serial = delay * requests as u32;
    let verdict = match peak {
        _ if requests <= 1 => String::from("a single request"),
        Some(1) => String::from("one after the other"),
        Some(p) if p == requests => format!("all {requests} at once"),
        Some(p) => format!("at most {p} at a time"),
        None if took >= serial => String::from("about the sum of the delays: one after the other"),
        None if took < serial / 2 => {
            String::from("far less than the sum of the delays: they overlapped")
        }
        None => String::from("less than the sum of the delays: some overlapped"),
    };
    format!("{head}: {verdict}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_what_happened() {
        let s = Duration::from_secs;
        let got = requests_summary(2, s(1), Duration::from_millis(2006), Some(1));
        assert_eq!(
            got,
            "2 requests of 1000 ms took 2.006 s: one after the other"
        );
        let got = requests_summary(10, s(1), Duration::from_millis(1010), Some(10));
        assert!(got.ends_with("all 10 at once"), "{got}");
        let got = requests_summary(100, s(1), s(10), Some(10));
        assert!(got.ends_with("at most 10 at a time"), "{got}");
        let got = requests_summary(2, s(1), Duration::from_millis(1010), None);
        assert!(got.contains("overlapped"), "{got}");
    }

    #[test]
    fn errors_fit_on_one_line() {
        let e = anyhow::anyhow!("connection refused\nretry later").context("GET http://x");
        assert_eq!(one_line(&e), "GET http://x: connection refused retry later");
    }
}
