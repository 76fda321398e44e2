//! Exercise 16, the catalogue: learner test suites for the retry. Every
//! correct way to test it (the clock moved by hand, auto-advance with
//! exact or loose times, counting calls and the time of return) passes
//! all ten checks; each usual weakness fails the check it should, with the
//! words that name it.
//!
//! Each suite is a module with the exercise's five test functions, over a
//! copy of the exercise's types (`kit`), adapted by `checker::ex16_suite!`
//! exactly as `check_ex16!` adapts a learner's crate. Every run is on a
//! paused clock, so the catalogue waits for real only where a suite does.

mod correct;
mod weak;

use crate::ex09_bounded::{cases, side_by_side};
use crate::{fails_with, fails_without, passes, within};
use checker::ex16::{self, Suite};
use std::time::Duration;

/// The exercise's types, as its `src/lib.rs` gives them.
pub mod kit {
    use std::time::Duration;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Failure {
        Transient,
        Permanent,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Policy {
        pub attempts: u32,
        pub first_delay: Duration,
        pub deadline: Duration,
    }

    #[allow(async_fn_in_trait)]
    pub trait Retry {
        async fn retry<T>(
            &self,
            policy: Policy,
            attempt: impl AsyncFnMut() -> Result<T, Failure>,
        ) -> Result<T, Failure>;
    }

    pub const SECOND: Duration = Duration::from_secs(1);

    /// A far deadline: only `attempts` and the waits matter.
    pub fn policy(attempts: u32) -> Policy {
        Policy {
            attempts,
            first_delay: SECOND,
            deadline: Duration::from_secs(3600),
        }
    }

    /// 10 attempts of 1 s, 2 s, 4 s... within 10 s: four calls, 7 s.
    pub fn tight() -> Policy {
        Policy {
            attempts: 10,
            first_delay: SECOND,
            deadline: 10 * SECOND,
        }
    }

    /// Every call fails with `failure`: how many calls, when (on tokio's
    /// clock, from the start), and the result, with its time.
    pub async fn record(
        retry: &impl Retry,
        policy: Policy,
        failure: Failure,
    ) -> (Vec<Duration>, Result<(), Failure>, Duration) {
        let start = tokio::time::Instant::now();
        let mut times = Vec::new();
        let result = retry
            .retry(policy, async || {
                times.push(start.elapsed());
                Err::<(), _>(failure)
            })
            .await;
        (times, result, start.elapsed())
    }
}

/// All ten checks of one suite: each must pass.
fn all_pass(suite: Suite) {
    passes(ex16::your_tests_pass_on_the_correct_retry(suite));
    for catches in [
        ex16::catches_a_retry_that_never_waits,
        ex16::catches_a_fixed_delay,
        ex16::catches_a_delay_that_grows_linearly,
        ex16::catches_one_attempt_too_many,
        ex16::catches_one_attempt_too_few,
        ex16::catches_a_retry_past_the_deadline,
        ex16::catches_a_retried_permanent_failure,
        ex16::catches_a_wait_after_the_last_attempt,
        ex16::catches_a_blocking_sleep,
    ] {
        passes(catches(suite));
    }
}

fn accepts_exact_times() {
    all_pass(checker::ex16_suite!(correct::exact));
}

fn accepts_the_clock_moved_by_hand() {
    all_pass(checker::ex16_suite!(correct::by_hand));
}

fn accepts_loose_comparisons() {
    all_pass(checker::ex16_suite!(correct::loose));
}

fn accepts_counts_and_totals() {
    all_pass(checker::ex16_suite!(correct::totals));
}

// ---- weak suites ------------------------------------------------------------

fn not_started_suites_say_so() {
    let suite = checker::ex16_suite!(weak::todo);
    let message = fails_with(
        ex16::your_tests_pass_on_the_correct_retry(suite),
        &[checker::NOT_STARTED],
    );
    assert!(message.starts_with("every one of your tests"), "{message}");
    let caught = ex16::catches_a_fixed_delay(suite);
    assert!(caught.unwrap_err().is_not_started());
}

fn tests_that_check_nothing_catch_nothing() {
    let suite = checker::ex16_suite!(weak::empty);
    passes(ex16::your_tests_pass_on_the_correct_retry(suite));
    fails_with(
        ex16::catches_a_retry_that_never_waits(suite),
        &[
            "also on a broken one that never waits",
            "no test checks the delay between attempts",
        ],
    );
    fails_with(
        ex16::catches_one_attempt_too_many(suite),
        &["one attempt more", "no test counts the attempts"],
    );
    fails_with(
        ex16::catches_a_retried_permanent_failure(suite),
        &[
            "retries a `Failure::Permanent`",
            "no test fails with a permanent failure",
        ],
    );
}

fn tests_without_times_miss_every_wrong_wait() {
    let suite = checker::ex16_suite!(weak::untimed);
    passes(ex16::catches_one_attempt_too_many(suite));
    fails_with(
        ex16::catches_a_retry_that_never_waits(suite),
        &[
            "never waits",
            "no test checks the delay between attempts",
            "tokio::time::Instant",
        ],
    );
    fails_with(
        ex16::catches_a_fixed_delay(suite),
        &["no test checks that the wait doubles"],
    );
    fails_with(
        ex16::catches_a_blocking_sleep(suite),
        &[
            "std::thread::sleep",
            "no test checks the waits on tokio's clock",
        ],
    );
}

fn two_gaps_miss_a_step_that_grows() {
    let suite = checker::ex16_suite!(weak::two_gaps);
    passes(ex16::catches_a_fixed_delay(suite));
    fails_with(
        ex16::catches_a_delay_that_grows_linearly(suite),
        &[
            "2x, 3x, 4x",
            "no test looks at the third wait",
            "at least four attempts",
        ],
    );
}

fn a_far_deadline_and_no_permanent_failure_let_two_go() {
    let suite = checker::ex16_suite!(weak::lax);
    fails_with(
        ex16::catches_a_retry_past_the_deadline(suite),
        &[
            "ignores the deadline",
            "no test gives it a deadline that cuts the waits short",
        ],
    );
    // Its permanent failure has one attempt only: retrying it is not seen.
    fails_with(
        ex16::catches_a_retried_permanent_failure(suite),
        &["no test fails with a permanent"],
    );
}

fn no_time_of_return_misses_a_last_wait() {
    let suite = checker::ex16_suite!(weak::no_return_time);
    fails_with(
        ex16::catches_a_wait_after_the_last_attempt(suite),
        &[
            "waits once more after the last failed attempt",
            "no test checks when the error comes back",
        ],
    );
}

fn a_wrong_expectation_fails_on_the_correct_retry() {
    let suite = checker::ex16_suite!(weak::off_by_one);
    fails_with(
        ex16::your_tests_pass_on_the_correct_retry(suite),
        &[
            "your test `gives_up_after_the_last_attempt` fails on the correct retry",
            "three retries after the first call",
            "the first one included",
        ],
    );
    // The others still count for the mutants; the failing one is named
    // as left out when a mutant gets through.
    passes(ex16::catches_a_retry_that_never_waits(suite));
    fails_with(
        ex16::catches_a_wait_after_the_last_attempt(suite),
        &[
            "no test checks when the error comes back",
            "Left out, as they fail on the correct retry",
            "`gives_up_after_the_last_attempt`",
        ],
    );
}

fn the_std_clock_does_not_see_paused_waits() {
    fails_with(
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(weak::std_clock)),
        &[
            "`waits_twice_as_long_each_time` fails on the correct retry",
            "the first wait",
        ],
    );
}

fn a_real_sleep_is_real_waiting() {
    fails_without(
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(weak::real_sleep)),
        &[
            "`succeeds_after_transient_failures` passed but took",
            "of real time",
            "std::thread::sleep",
        ],
        &["fails on the correct retry"],
    );
}

fn a_resumed_clock_is_real_waiting() {
    fails_with(
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(weak::resumed)),
        &[
            "`waits_twice_as_long_each_time` passed but took",
            "of real time",
            "`resume()`",
        ],
    );
}

fn pausing_a_paused_clock_fails() {
    fails_with(
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(weak::pauses)),
        &[
            "fails on the correct retry",
            "time is already frozen",
            "do not call `pause()`",
        ],
    );
}

fn a_test_that_waits_for_ever_is_found_at_once() {
    let verdict = within(Duration::from_millis(500), Duration::from_secs(2), || {
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(weak::hangs))
    });
    fails_with(
        verdict,
        &[
            "`succeeds_after_transient_failures` never finished",
            "365 days ahead (a year)",
        ],
    );
}

fn a_test_that_blocks_is_stopped() {
    let verdict = within(crate::LIMIT, crate::REPORTS_WITHIN, || {
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(weak::blocks))
    });
    fails_with(
        verdict,
        &[
            "did not return within 0.5 s of real time",
            "std::thread::sleep",
        ],
    );
}

#[test]
fn every_correct_suite_passes_every_check() {
    side_by_side(cases![
        accepts_exact_times,
        accepts_the_clock_moved_by_hand,
        accepts_loose_comparisons,
        accepts_counts_and_totals,
    ]);
}

#[test]
fn every_weak_suite_fails_with_its_diagnosis() {
    side_by_side(cases![
        not_started_suites_say_so,
        tests_that_check_nothing_catch_nothing,
        tests_without_times_miss_every_wrong_wait,
        two_gaps_miss_a_step_that_grows,
        a_far_deadline_and_no_permanent_failure_let_two_go,
        no_time_of_return_misses_a_last_wait,
        a_wrong_expectation_fails_on_the_correct_retry,
        the_std_clock_does_not_see_paused_waits,
        a_real_sleep_is_real_waiting,
        a_resumed_clock_is_real_waiting,
        pausing_a_paused_clock_fails,
        a_test_that_waits_for_ever_is_found_at_once,
        a_test_that_blocks_is_stopped,
    ]);
}
