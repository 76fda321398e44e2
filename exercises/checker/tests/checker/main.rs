//! Tests of the checker itself: it accepts every correct approach a
//! learner may take (`approaches`), and it fails each usual mistake, within
//! its time limit, with the diagnosis a learner needs (`mistakes`).

mod approaches;
mod ex09_bounded;
mod ex09_timeout;
mod mistakes;

use anyhow::Context;
use checker::Verdict;
use reqwest::Client;
use std::time::{Duration, Instant};

/// What a learner writes first (exercise 5).
pub async fn fetch(client: &Client, url: &str) -> anyhow::Result<String> {
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    Ok(response.text().await?)
}

/// The check passes.
#[track_caller]
pub fn passes(verdict: Verdict) {
    if let Err(d) = verdict {
        panic!("a correct approach failed the check: {d}");
    }
}

/// The check fails, and its diagnosis holds every one of `words`.
#[track_caller]
pub fn fails_with(verdict: Verdict, words: &[&str]) -> String {
    match verdict {
        Ok(()) => panic!("the check passed a wrong implementation (expected {words:?})"),
        Err(d) => {
            let message = d.message().to_string();
            for w in words {
                assert!(message.contains(w), "the diagnosis lacks {w:?}:\n{message}");
            }
            message
        }
    }
}

/// Runs `check` with a time limit of `limit` and asserts that it came back
/// within `within` (a hang must not hang the check).
#[track_caller]
pub fn within(limit: Duration, within: Duration, check: impl FnOnce() -> Verdict) -> Verdict {
    let started = Instant::now();
    let verdict = checker::with_time_limit(limit, check);
    let took = started.elapsed();
    assert!(
        took < within,
        "the check took {took:?} with a time limit of {limit:?}: it must give up in time"
    );
    verdict
}
