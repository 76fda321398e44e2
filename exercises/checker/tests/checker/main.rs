//! Tests of the checker itself, a catalogue per exercise (`ex01` ...): the
//! checks accept every correct approach a learner may take, and fail each
//! usual mistake, within the time limit, with the diagnosis a learner needs
//! (its words are asserted). `hangs` holds the general failures (deadlocks,
//! threads blocked for good, panics in tasks); `report` that a failed
//! check prints its diagnosis and no backtrace.

mod ex01;
mod ex02;
mod ex03;
mod ex04;
mod ex05;
mod ex06;
mod ex07;
mod ex08;
mod ex09_bounded;
mod ex09_timeout;
mod ex10;
mod ex11;
mod ex11_mistakes;
mod ex11_state;
mod ex12;
mod ex13;
mod ex14;
mod ex15;
mod ex16;
mod ex17;
mod hangs;
mod lists;
mod report;

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

/// The check fails with all of `words`, and none of `absent` (a hint that
/// does not apply).
#[track_caller]
pub fn fails_without(verdict: Verdict, words: &[&str], absent: &[&str]) -> String {
    let message = fails_with(verdict, words);
    for w in absent {
        assert!(
            !message.contains(w),
            "the diagnosis holds {w:?}:\n{message}"
        );
    }
    message
}

/// Runs `checks` at the same time, each on a thread of its own, and fails
/// if any of them failed (its message is printed by its thread). The
/// checks mostly wait on timers and the delay server, so running a
/// test's few checks side by side keeps the catalogue fast.
pub fn together(checks: Vec<Box<dyn FnOnce() + Send + '_>>) {
    std::thread::scope(|scope| {
        for check in checks {
            scope.spawn(check);
        }
    });
}

/// `together!(a, b, c)`: the expressions, each as one of [`together`]'s
/// checks.
#[macro_export]
macro_rules! together {
    ($($check:expr),+ $(,)?) => {
        $crate::together(vec![$(Box::new(move || { $check; })),+])
    };
}

/// The limit for the hang tests: short, so the suite stays fast.
pub const LIMIT: Duration = Duration::from_millis(500);
/// A check that hits the limit reports within this (limit + the checker's
/// grace for a blocked thread + room for a loaded machine).
pub const REPORTS_WITHIN: Duration = Duration::from_secs(5);

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
