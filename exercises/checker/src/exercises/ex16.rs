//! Exercise 16: test a retry (mutation testing: the learner writes the
//! tests, the checker judges them).
//!
//! The exercise gives a `Retry` trait and a correct `Backoff`; the learner
//! writes five test functions, each taking the retry under test as a
//! parameter (`async fn name(retry: &impl Retry)`). `check_ex16!` adapts
//! them to [`Test`]s over the [`Variant`]s of [`retry`]: the correct one
//! and nine broken ones (mutants). Each test runs on a fresh paused
//! current-thread runtime.
//!
//! - `your_tests_pass_on_the_correct_retry`: every test passes on the
//!   correct retry, within half a second of real time (its waits are on
//!   the paused clock: real waiting means a blocking sleep), and none hangs
//!   (a test still waiting when the paused clock has run a week ahead).
//! - `catches_*`: for each mutant, at least one test that passes on the
//!   correct retry fails on the mutant (a panic, a hang, a blocked thread:
//!   anything but passing). Otherwise the diagnosis names what the mutant
//!   does and what no test looks at.

mod runner;
mod variants;

pub use runner::{Suite, Test};
pub use variants::{Variant, retry};

use crate::shared::{Diagnosis, NOT_STARTED, Verdict};
use runner::{Outcome, REAL_BUDGET, VIRTUAL_LIMIT};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "your_tests_pass_on_the_correct_retry",
    "catches_a_retry_that_never_waits",
    "catches_a_fixed_delay",
    "catches_a_delay_that_grows_linearly",
    "catches_one_attempt_too_many",
    "catches_one_attempt_too_few",
    "catches_a_retry_past_the_deadline",
    "catches_a_retried_permanent_failure",
    "catches_a_wait_after_the_last_attempt",
    "catches_a_blocking_sleep",
];

/// `todo!()` and `unimplemented!()` panic with these words.
fn is_todo(message: &str) -> bool {
    message.starts_with("not yet implemented") || message.starts_with("not implemented")
}

fn secs(d: std::time::Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Why one test fails on the correct retry, or `None` if it passes.
fn fault(name: &str, outcome: &Outcome) -> Option<String> {
    Some(match outcome {
        Outcome::Passed { real, virtual_time } if *real > REAL_BUDGET => format!(
            "your test `{name}` passed but took {} of real time ({} on tokio's paused \
             clock): it waited for real. The check runs your tests on a paused clock, where \
             `tokio::time::sleep` and `advance` cost no real time: use them instead of \
             `std::thread::sleep`, and do not `resume()` the clock.",
            secs(*real),
            secs(*virtual_time)
        ),
        Outcome::Passed { .. } => return None,
        Outcome::Failed { message, .. } if is_todo(message) => {
            format!("your test `{name}` {NOT_STARTED}: write its body.")
        }
        Outcome::Failed { message, at } => {
            let place = at
                .as_ref()
                .map(|p| format!(" at {}", p.location))
                .filter(|p| p != " at ")
                .unwrap_or_default();
            let hint = if message.contains("already frozen") {
                " The checker runs your tests on a clock that is paused already (as \
                 `#[tokio::test(start_paused = true)]` does): do not call `pause()`."
            } else {
                " A test that fails on correct code fails on every retry, and so tells \
                 broken ones from the correct one no better than no test: check what it \
                 expects against the brief (`attempts` counts every call, the first one \
                 included; the first wait is `first_delay`, each next one twice the last; a \
                 wait that would end past the deadline is not made)."
            };
            format!(
                "your test `{name}` fails on the correct retry (`Backoff`): it panicked{place}: \
                 \"{message}\".{hint}"
            )
        }
        Outcome::Hung => format!(
            "your test `{name}` never finished on the correct retry: with nothing left to \
             run, the paused clock jumped {} days ahead (a year) and the test was still \
             waiting. It awaits something that never happens (`pending()`, a channel nobody \
             sends on, a task that waits for ever).",
            VIRTUAL_LIMIT.as_secs() / 86_400
        ),
        Outcome::Blocked { limit } => format!(
            "your test `{name}` did not return within {} of real time, and its thread never \
             came back: something blocks it (`std::thread::sleep`, a busy loop, a \
             `std::sync` lock or channel). On the paused clock only tokio's timers are free.",
            secs(*limit)
        ),
    })
}

/// Every test is still the starter's `todo!()`.
fn all_todo(correct: &[(&str, runner::Test, Outcome)]) -> bool {
    correct
        .iter()
        .all(|(_, _, o)| matches!(o, Outcome::Failed { message, .. } if is_todo(message)))
}

/// Every test of `suite` on the correct retry, with its outcome.
fn on_correct(suite: Suite) -> Vec<(&'static str, runner::Test, Outcome)> {
    suite
        .iter()
        .map(|&(name, test)| (name, test, runner::run(test, Variant::Correct)))
        .collect()
}

/// Each test passes on the correct retry, quickly, without real waiting.
pub fn your_tests_pass_on_the_correct_retry(suite: Suite) -> Verdict {
    let correct = on_correct(suite);
    if all_todo(&correct) {
        return Err(Diagnosis::new(format!(
            "every one of your tests {NOT_STARTED}: write their bodies (the brief at the top \
             of src/lib.rs says what `retry` promises)."
        )));
    }
    let faults: Vec<String> = correct
        .iter()
        .filter_map(|(name, _, outcome)| fault(name, outcome))
        .collect();
    match faults.len() {
        0 => Ok(()),
        _ => Err(Diagnosis::new(faults.join("\n\n"))),
    }
}

/// At least one test that passes on the correct retry fails on `mutant`.
fn catches(suite: Suite, mutant: Variant) -> Verdict {
    let correct = on_correct(suite);
    let sound: Vec<_> = correct
        .iter()
        .filter(|(name, _, outcome)| fault(name, outcome).is_none())
        .collect();
    if sound.is_empty() {
        let why = if all_todo(&correct) {
            format!("every one of your tests {NOT_STARTED}: write them first.")
        } else {
            String::from(
                "none of your tests passes on the correct retry yet: see \
                 `your_tests_pass_on_the_correct_retry` first.",
            )
        };
        return Err(Diagnosis::new(why));
    }
    let killed = sound
        .iter()
        .any(|&&(_, test, _)| !runner::run(test, mutant).passed());
    if killed {
        return Ok(());
    }
    let names = |passing: bool| -> Vec<String> {
        correct
            .iter()
            .filter(|(name, _, outcome)| fault(name, outcome).is_none() == passing)
            .map(|(name, _, _)| format!("`{name}`"))
            .collect()
    };
    let (does, gap, how) = survivor(mutant);
    let left_out = match names(false) {
        none if none.is_empty() => String::new(),
        some => format!(
            " Left out, as they fail on the correct retry (see \
             `your_tests_pass_on_the_correct_retry`): {}.",
            some.join(", ")
        ),
    };
    Err(Diagnosis::new(format!(
        "your tests pass on the correct retry, and also on a broken one that {does}: {gap}. \
         {how} (Tests that passed on both: {}.){left_out}",
        names(true).join(", ")
    )))
}

/// What a mutant does, what no test looked at, and how to look.
fn survivor(mutant: Variant) -> (&'static str, &'static str, &'static str) {
    use Variant::*;
    match mutant {
        NeverWaits => (
            "never waits (it tries again at once after a transient failure)",
            "no test checks the delay between attempts",
            "Note `tokio::time::Instant::now()` in each attempt (on the paused clock it reads \
             the virtual time) and assert the gaps: `first_delay`, then twice that.",
        ),
        FixedDelay => (
            "waits `first_delay` before every retry, never longer",
            "no test checks that the wait doubles",
            "With three attempts or more, the second gap must be twice `first_delay`.",
        ),
        Linear => (
            "waits `first_delay`, then 2x, 3x, 4x (growing by one step) instead of doubling \
             (1x, 2x, 4x, 8x)",
            "no test looks at the third wait, the first one where the two differ",
            "Let at least four attempts fail and check every gap.",
        ),
        OneTooMany => (
            "makes one attempt more than `policy.attempts`",
            "no test counts the attempts when every one fails",
            "Count the calls (the attempt closure can add one to a counter) and assert that \
             there were exactly `attempts`.",
        ),
        OneTooFew => (
            "makes one attempt fewer than `policy.attempts`",
            "no test lets the last allowed attempt succeed, or counts the attempts when all \
             fail",
            "With `attempts: 3`, fail twice and succeed on the third call: the correct retry \
             returns that Ok.",
        ),
        PastDeadline => (
            "ignores the deadline (it waits and retries until the attempts run out)",
            "no test gives it a deadline that cuts the waits short",
            "For example 10 attempts, `first_delay` 1 s, deadline 10 s: the correct retry \
             waits 1, 2 and 4 s, then gives up at 7 s after four attempts (the next wait, \
             8 s, would end past the deadline).",
        ),
        RetriesPermanent => (
            "retries a `Failure::Permanent` as if it were transient",
            "no test fails with a permanent failure",
            "Fail once with `Failure::Permanent`: the correct retry returns it after that one \
             attempt, without waiting.",
        ),
        WaitsAfterLast => (
            "waits once more after the last failed attempt before it returns the error",
            "no test checks when the error comes back",
            "Note the time when `retry` returns: with 3 attempts and `first_delay` 1 s, the \
             error comes after the waits of 1 and 2 s, at 3 s, not at 7 s.",
        ),
        BlockingSleep => (
            "waits with `std::thread::sleep`, which blocks the runtime's only thread and \
             leaves tokio's clock where it was",
            "no test checks the waits on tokio's clock",
            "Compare `tokio::time::Instant`s noted in the attempts: on the paused clock a \
             blocking sleep moves them by nothing.",
        ),
        Correct => ("works", "nothing", ""),
    }
}

/// Tries again at once.
pub fn catches_a_retry_that_never_waits(suite: Suite) -> Verdict {
    catches(suite, Variant::NeverWaits)
}

/// The same wait each time.
pub fn catches_a_fixed_delay(suite: Suite) -> Verdict {
    catches(suite, Variant::FixedDelay)
}

/// 1x, 2x, 3x instead of 1x, 2x, 4x.
pub fn catches_a_delay_that_grows_linearly(suite: Suite) -> Verdict {
    catches(suite, Variant::Linear)
}

/// attempts + 1 calls.
pub fn catches_one_attempt_too_many(suite: Suite) -> Verdict {
    catches(suite, Variant::OneTooMany)
}

/// attempts - 1 calls.
pub fn catches_one_attempt_too_few(suite: Suite) -> Verdict {
    catches(suite, Variant::OneTooFew)
}

/// No deadline.
pub fn catches_a_retry_past_the_deadline(suite: Suite) -> Verdict {
    catches(suite, Variant::PastDeadline)
}

/// A permanent failure retried.
pub fn catches_a_retried_permanent_failure(suite: Suite) -> Verdict {
    catches(suite, Variant::RetriesPermanent)
}

/// A wait after the last attempt.
pub fn catches_a_wait_after_the_last_attempt(suite: Suite) -> Verdict {
    catches(suite, Variant::WaitsAfterLast)
}

/// `std::thread::sleep`.
pub fn catches_a_blocking_sleep(suite: Suite) -> Verdict {
    catches(suite, Variant::BlockingSleep)
}
