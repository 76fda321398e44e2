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
//! - [`resources`]: open file descriptors and memory, with their limits.
//! - [`cpu`]: the CPU time a thread used, to tell waiting from spinning.
//! - [`finish`]: turns a chapter's result into a one-line error and an exit code.

pub mod args;
pub mod cpu;
pub mod log;
pub mod resources;
#[cfg(feature = "requests")]
pub mod server;
pub mod testing;
pub mod ticker;
pub mod timeline;

use std::process::ExitCode;
use std::time::Duration;

pub use log::{elapsed, init_logging};
#[cfg(feature = "requests")]
pub use server::Server;
pub use ticker::Ticker;
pub use timeline::Timeline;

/// One GET request, its body read to the end, for chapters whose lesson is
/// not the request itself. A status of 4xx or 5xx is an error too
/// (`error_for_status`), and the error names the URL.
#[cfg(feature = "requests")]
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<String> {
    use anyhow::Context as _;
    let get = async {
        client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await
    };
    get.await.with_context(|| format!("GET {url}"))
}

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
/// messages often repeat their source, and the URL a context already named).
/// A request that ran out of time says which flag sets the limit.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    #[cfg_attr(not(feature = "requests"), allow(unused_mut))]
    let mut timed_out = false;
    for cause in e.chain() {
        #[cfg_attr(not(feature = "requests"), allow(unused_mut))]
        let mut text = cause.to_string();
        #[cfg(feature = "requests")]
        if let Some(http) = cause.downcast_ref::<reqwest::Error>() {
            timed_out |= http.is_timeout();
            // "error sending request for url (http://...)": drop the URL if
            // an earlier part ("GET http://...") already names it.
            if let Some(url) = http.url() {
                let named = format!(" for url ({url})");
                if parts.iter().any(|p| p.contains(url.as_str())) {
                    text = text.replace(&named, "");
                }
            }
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    if timed_out {
        parts.push(String::from(
            "the server took longer than the client's timeout (raise it with --timeout-ms)",
        ));
    }
    parts.join(": ").replace('\n', " ")
}

/// A task that did not finish, as a readable error: "task 3 panicked:
/// boom" or "task 3 was cancelled". `n` is the chapter's own number for
/// the task (tokio's task ids are not the ones the log shows).
///
/// `handle.await` gives `Err(JoinError)` when the task panicked or was
/// aborted; its own `Result` is inside the `Ok`.
pub fn join_error(n: usize, e: tokio::task::JoinError) -> anyhow::Error {
    if e.is_cancelled() {
        return anyhow::anyhow!("task {n} was cancelled");
    }
    match e.try_into_panic() {
        Ok(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| String::from("(a panic without a message)"));
            anyhow::anyhow!("task {n} panicked: {message}")
        }
        Err(e) => anyhow::anyhow!("task {n} failed: {e}"),
    }
}

/// The name and number of the calling thread, for log lines: `main #1`,
/// `tokio-rt-worker #3`. A runtime gives every thread it starts the same
/// name (by default `tokio-rt-worker` in tokio 1.54, see
/// `Builder::thread_name`), its workers and its blocking-pool threads
/// alike, so the number tells them apart.
pub fn thread_label() -> String {
    let thread = std::thread::current();
    // `ThreadId` prints as `ThreadId(3)`; keep the number.
    let id = format!("{:?}", thread.id());
    let number = id
        .trim_start_matches("ThreadId(")
        .trim_end_matches(')')
        .to_string();
    format!("{} #{number}", thread.name().unwrap_or("unnamed"))
}

/// A count and its noun, singular for one: `plural(1, "job")` is "1 job",
/// `plural(3, "job")` "3 jobs". For nouns whose plural adds an "s".
pub fn plural<N: Copy + std::fmt::Display + TryInto<u8>>(n: N, noun: &str) -> String {
    if n.try_into().ok() == Some(1) {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
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
    let head = format!(
        "{} of {ms} ms took {:.3} s",
        plural(requests, "request"),
        took.as_secs_f64()
    );
    let serial = delay * requests as u32;
    let verdict = match peak {
        _ if requests <= 1 => String::from("a single request"),
        Some(1) => String::from("one after the other"),
        Some(2) if requests == 2 => String::from("both at once"),
        Some(p) if p == requests => format!("all {requests} at once"),
        Some(p) => format!("at most {p} at a time"),
        // No count of the peak (a standalone server): judge by the time.
        // Every request takes at least `delay`, so `delay` is what all at
        // once would take (the longest delay, as they are all the same), and
        // `serial` what one after the other would. Half a delay of margin
        // covers the overhead of a busy machine.
        None if took >= serial => String::from("about the sum of the delays: one after the other"),
        None if took < delay + delay / 2 => {
            String::from("about as long as the longest delay: they overlapped")
        }
        None => String::from("less than the sum of the delays: some overlapped"),
    };
    format!("{head}: {verdict}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular() {
        assert_eq!(plural(1, "job"), "1 job");
        assert_eq!(plural(0, "job"), "0 jobs");
        assert_eq!(plural(2_u32, "send"), "2 sends");
        assert_eq!(plural(257_u64, "key"), "257 keys");
    }

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
        let got = requests_summary(2, s(1), Duration::from_millis(1003), Some(2));
        assert!(got.ends_with("took 1.003 s: both at once"), "{got}");
        let got = requests_summary(100, s(1), s(10), Some(10));
        assert!(got.ends_with("at most 10 at a time"), "{got}");
        let got = requests_summary(2, s(1), Duration::from_millis(1010), None);
        assert!(got.contains("overlapped"), "{got}");
    }

    #[test]
    fn summary_without_a_peak_judges_by_the_longest_delay() {
        let ms = Duration::from_millis;
        let got = requests_summary(2, ms(1000), ms(1005), None);
        assert_eq!(
            got,
            "2 requests of 1000 ms took 1.005 s: about as long as the longest delay: they \
             overlapped",
            "two requests that took one delay overlapped"
        );
        let got = requests_summary(10, ms(1000), ms(1020), None);
        assert!(got.ends_with("they overlapped"), "{got}");
        let got = requests_summary(10, ms(1000), ms(5000), None);
        assert!(got.ends_with("some overlapped"), "{got}");
        let got = requests_summary(2, ms(1000), ms(2004), None);
        assert!(got.ends_with("one after the other"), "{got}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn join_errors_read_well() {
        let panicked = tokio::spawn(async { panic!("boom") }).await.unwrap_err();
        assert_eq!(join_error(3, panicked).to_string(), "task 3 panicked: boom");
        let n = 7;
        let formatted = tokio::spawn(async move { panic!("bad {n}") })
            .await
            .unwrap_err();
        assert_eq!(
            join_error(1, formatted).to_string(),
            "task 1 panicked: bad 7"
        );
        let forever = tokio::spawn(std::future::pending::<()>());
        forever.abort();
        let cancelled = forever.await.unwrap_err();
        assert_eq!(join_error(2, cancelled).to_string(), "task 2 was cancelled");
    }

    #[cfg(feature = "requests")]
    #[tokio::test(flavor = "current_thread")]
    async fn http_errors_name_the_url_once_and_explain_timeouts() {
        use anyhow::Context as _;
        // A listener that accepts but never answers: the client times out.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/slow", listener.local_addr().unwrap());
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(100))
            .build()
            .unwrap();
        let e = client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))
            .unwrap_err();
        let line = one_line(&e);
        assert_eq!(line.matches(&url).count(), 1, "{line}");
        assert!(
            line.contains("timed out") && line.contains("--timeout-ms"),
            "{line}"
        );
        drop(listener);
    }

    #[test]
    fn errors_fit_on_one_line() {
        let e = anyhow::anyhow!("connection refused\nretry later").context("GET http://x");
        assert_eq!(one_line(&e), "GET http://x: connection refused retry later");
    }

    #[test]
    fn thread_labels_tell_threads_apart() {
        let label = |name: &str| {
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(thread_label)
                .unwrap()
                .join()
                .unwrap()
        };
        let (a, b) = (label("worker"), label("worker"));
        assert!(
            a.starts_with("worker #") && b.starts_with("worker #"),
            "{a} {b}"
        );
        assert_ne!(a, b);
        assert!(a["worker #".len()..].parse::<u64>().is_ok(), "{a}");
    }
}
