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

// ---- correct suites ----------------------------------------------------------

/// Auto-advance, exact times from `kit::record` (the solution's way).
pub mod exact {
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{SECOND, policy, record, tight};
    use std::time::Duration;

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        let mut calls = 0;
        let result = retry
            .retry(policy(3), async || {
                calls += 1;
                if calls < 3 {
                    Err(Failure::Transient)
                } else {
                    Ok(calls)
                }
            })
            .await;
        assert_eq!(result, Ok(3));
    }

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(5), Failure::Transient).await;
        assert_eq!(times, [0, 1, 3, 7, 15].map(Duration::from_secs));
    }

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, result, at) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(
            (times.len(), result, at),
            (3, Err(Failure::Transient), 3 * SECOND)
        );
    }

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (times, _, at) = record(retry, tight(), Failure::Transient).await;
        assert_eq!((times.len(), at), (4, 7 * SECOND));
    }

    pub async fn returns_a_permanent_failure_at_once(retry: &impl Retry) {
        let (times, result, at) = record(retry, policy(5), Failure::Permanent).await;
        assert_eq!(
            (times.len(), result, at),
            (1, Err(Failure::Permanent), Duration::ZERO)
        );
    }
}

/// The clock moved by hand: the retry runs beside a probe (`join!`) that
/// advances the clock and counts the calls so far.
pub mod by_hand {
    pub use super::exact::{
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{policy, tight};
    use std::cell::Cell;
    use std::time::Duration;
    use tokio::time::advance;

    /// Runs every-call-fails under `policy` beside a probe that advances
    /// the clock by each of `steps` (ms) and notes the calls made so far
    /// and whether `retry` has returned.
    async fn probe(retry: &impl Retry, policy: Policy, steps: &[u64]) -> Vec<(u32, bool)> {
        let calls = Cell::new(0);
        let done = Cell::new(false);
        let run = async {
            let _ = retry
                .retry(policy, async || {
                    calls.set(calls.get() + 1);
                    Err::<(), _>(Failure::Transient)
                })
                .await;
            done.set(true);
        };
        let look = async {
            let mut seen = Vec::new();
            for &ms in steps {
                // Let the retry run before the clock moves, then once more
                // after: `advance` moves the clock, not the tasks.
                tokio::task::yield_now().await;
                advance(Duration::from_millis(ms)).await;
                tokio::task::yield_now().await;
                seen.push((calls.get(), done.get()));
            }
            seen
        };
        tokio::join!(look, run).0
    }

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        // Just before and just after each due call: 1 s, 3 s, 7 s, 15 s.
        let steps = [999, 1, 1999, 1, 3999, 1, 7999, 1];
        let seen = probe(retry, policy(5), &steps).await;
        let calls: Vec<u32> = seen.iter().map(|&(calls, _)| calls).collect();
        assert_eq!(calls, [1, 2, 2, 3, 3, 4, 4, 5]);
    }

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        // Returned at 3 s, with no wait after the last call.
        let seen = probe(retry, policy(3), &[1000, 2000]).await;
        assert_eq!(seen, [(2, false), (3, true)]);
    }

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        // Gave up at 7 s, after the fourth call.
        let seen = probe(retry, tight(), &[1000, 2000, 4000]).await;
        assert_eq!(seen, [(2, false), (3, false), (4, true)]);
    }
}

/// Auto-advance with loose comparisons of `tokio::time::Instant`s.
pub mod loose {
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{SECOND, policy, record, tight};
    use std::time::Duration;

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        let mut calls = 0;
        let result = retry
            .retry(policy(4), async || {
                calls += 1;
                if calls == 4 {
                    Ok("done")
                } else {
                    Err(Failure::Transient)
                }
            })
            .await;
        assert!(result.is_ok(), "{result:?}");
    }

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(4), Failure::Transient).await;
        let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps[0] >= SECOND && gaps[0] < 2 * SECOND, "{gaps:?}");
        for w in gaps.windows(2) {
            assert!(w[1] >= w[0] * 2 && w[1] < w[0] * 3, "{gaps:?}");
        }
    }

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, result, at) = record(retry, policy(2), Failure::Transient).await;
        assert!(result.is_err());
        assert_eq!(times.len(), 2);
        assert!(at < 2 * SECOND, "returned at {at:?}");
    }

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (_, _, at) = record(retry, tight(), Failure::Transient).await;
        assert!(at <= 10 * SECOND, "gave up at {at:?}");
    }

    pub async fn returns_a_permanent_failure_at_once(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Permanent).await;
        assert!(times.len() == 1, "{times:?}");
    }
}

/// Counting calls, and only the time of return: the total of the waits
/// tells a doubling wait from the others too.
pub mod totals {
    pub use super::exact::{
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{SECOND, policy, record, tight};

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        // 1 + 2 + 4 + 8: a fixed wait gives 4 s, a growing one 10 s.
        let (_, _, at) = record(retry, policy(5), Failure::Transient).await;
        assert_eq!(at, 15 * SECOND);
    }

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, _, at) = record(retry, policy(4), Failure::Transient).await;
        assert_eq!(times.len(), 4);
        assert_eq!(at, 7 * SECOND);
    }

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (times, _, _) = record(retry, tight(), Failure::Transient).await;
        assert_eq!(times.len(), 4);
    }
}

fn accepts_exact_times() {
    all_pass(checker::ex16_suite!(exact));
}

fn accepts_the_clock_moved_by_hand() {
    all_pass(checker::ex16_suite!(by_hand));
}

fn accepts_loose_comparisons() {
    all_pass(checker::ex16_suite!(loose));
}

fn accepts_counts_and_totals() {
    all_pass(checker::ex16_suite!(totals));
}

// ---- weak suites ---------------------------------------------------------------

/// Not started: every body is `todo!()`.
pub mod todo {
    pub use super::kit::{Failure, Policy, Retry};
    pub async fn succeeds_after_transient_failures(_: &impl Retry) {
        todo!()
    }
    pub async fn waits_twice_as_long_each_time(_: &impl Retry) {
        todo!()
    }
    pub async fn gives_up_after_the_last_attempt(_: &impl Retry) {
        todo!()
    }
    pub async fn gives_up_at_the_deadline(_: &impl Retry) {
        todo!()
    }
    pub async fn returns_a_permanent_failure_at_once(_: &impl Retry) {
        todo!()
    }
}

/// Tests that check nothing: they always pass.
pub mod empty {
    pub use super::kit::{Failure, Policy, Retry};
    pub async fn succeeds_after_transient_failures(_: &impl Retry) {}
    pub async fn waits_twice_as_long_each_time(_: &impl Retry) {}
    pub async fn gives_up_after_the_last_attempt(_: &impl Retry) {}
    pub async fn gives_up_at_the_deadline(_: &impl Retry) {}
    pub async fn returns_a_permanent_failure_at_once(_: &impl Retry) {}
}

/// Calls and results, nothing about time.
pub mod untimed {
    pub use super::exact::{
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{policy, record, tight};

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(5), Failure::Transient).await;
        assert_eq!(times.len(), 5);
    }
    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, result, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!((times.len(), result), (3, Err(Failure::Transient)));
    }
    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (_, result, _) = record(retry, tight(), Failure::Transient).await;
        assert!(result.is_err());
    }
}

/// Two waits looked at: 1 s and 2 s fit doubling and a growing step alike.
pub mod two_gaps {
    pub use super::exact::{
        gives_up_after_the_last_attempt, returns_a_permanent_failure_at_once,
        succeeds_after_transient_failures,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{SECOND, policy, record};
    use std::time::Duration;

    /// A deadline of 2 s: one wait of 1 s, then the next (2 s) would end
    /// past it. Both ways of growing agree that far.
    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let short = Policy {
            deadline: 2 * SECOND,
            ..policy(10)
        };
        let (times, _, at) = record(retry, short, Failure::Transient).await;
        assert_eq!((times.len(), at), (2, SECOND));
    }

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(times, [0, 1, 3].map(Duration::from_secs));
    }
}

/// A deadline so far away that it never matters, and no permanent
/// failure: two mutants go free.
pub mod lax {
    pub use super::exact::{
        gives_up_after_the_last_attempt, succeeds_after_transient_failures,
        waits_twice_as_long_each_time,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{policy, record};

    pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(times.len(), 3);
    }
    pub async fn returns_a_permanent_failure_at_once(retry: &impl Retry) {
        let (_, result, _) = record(retry, policy(1), Failure::Permanent).await;
        assert_eq!(result, Err(Failure::Permanent));
    }
}

/// Counts calls only when every one fails, never the time of return.
pub mod no_return_time {
    pub use super::exact::{
        gives_up_at_the_deadline, returns_a_permanent_failure_at_once,
        succeeds_after_transient_failures,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{policy, record};
    use std::time::Duration;

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(5), Failure::Transient).await;
        assert_eq!(times, [0, 1, 3, 7, 15].map(Duration::from_secs));
    }
    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(times.len(), 3);
    }
}

/// "attempts" read as retries: three retries means four calls.
pub mod off_by_one {
    pub use super::exact::{
        gives_up_at_the_deadline, returns_a_permanent_failure_at_once,
        succeeds_after_transient_failures, waits_twice_as_long_each_time,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{policy, record};

    pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
        let (times, _, _) = record(retry, policy(3), Failure::Transient).await;
        assert_eq!(times.len(), 4, "three retries after the first call");
    }
}

/// The gaps measured with `std::time::Instant`, which the paused clock
/// does not move: 0 s where 1 s was expected, on the correct retry too.
pub mod std_clock {
    pub use super::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use super::kit::{SECOND, policy};

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        let mut times = Vec::new();
        let _ = retry
            .retry(policy(2), async || {
                times.push(std::time::Instant::now());
                Err::<(), _>(Failure::Transient)
            })
            .await;
        assert!(times[1] - times[0] >= SECOND, "the first wait");
    }
}

/// A real sleep to "let the retry settle": real time on every run.
pub mod real_sleep {
    pub use super::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, waits_twice_as_long_each_time,
    };
    pub use super::kit::{Failure, Policy, Retry};

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        super::exact::succeeds_after_transient_failures(retry).await;
        std::thread::sleep(std::time::Duration::from_millis(700));
    }
}

/// The clock resumed, so that the waits are "real": short ones, but real.
pub mod resumed {
    pub use super::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, succeeds_after_transient_failures,
    };
    pub use super::kit::{Failure, Policy, Retry};
    use std::time::Duration;

    pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
        tokio::time::resume();
        let policy = Policy {
            attempts: 3,
            first_delay: Duration::from_millis(200),
            deadline: Duration::from_secs(10),
        };
        let (times, _, _) = super::kit::record(retry, policy, Failure::Transient).await;
        assert!(times[2] - times[1] >= Duration::from_millis(400));
    }
}

/// `pause()` in a test, on a clock that is paused already.
pub mod pauses {
    pub use super::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, waits_twice_as_long_each_time,
    };
    pub use super::kit::{Failure, Policy, Retry};

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        tokio::time::pause();
        super::exact::succeeds_after_transient_failures(retry).await;
    }
}

/// Waits for a signal nobody sends.
pub mod hangs {
    pub use super::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, waits_twice_as_long_each_time,
    };
    pub use super::kit::{Failure, Policy, Retry};

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        super::exact::succeeds_after_transient_failures(retry).await;
        let _ = rx.await;
    }
}

/// Blocks its thread for longer than the time limit.
pub mod blocks {
    pub use super::exact::{
        gives_up_after_the_last_attempt, gives_up_at_the_deadline,
        returns_a_permanent_failure_at_once, waits_twice_as_long_each_time,
    };
    pub use super::kit::{Failure, Policy, Retry};

    pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
        // (A loop until tokio's `Instant` has moved would spin for ever on
        // the paused clock, and go on burning a core after the check.)
        std::thread::sleep(std::time::Duration::from_secs(2));
        super::exact::succeeds_after_transient_failures(retry).await;
    }
}

fn not_started_suites_say_so() {
    let suite = checker::ex16_suite!(todo);
    let message = fails_with(
        ex16::your_tests_pass_on_the_correct_retry(suite),
        &[checker::NOT_STARTED],
    );
    assert!(message.starts_with("every one of your tests"), "{message}");
    let caught = ex16::catches_a_fixed_delay(suite);
    assert!(caught.unwrap_err().is_not_started());
}

fn tests_that_check_nothing_catch_nothing() {
    let suite = checker::ex16_suite!(empty);
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
    let suite = checker::ex16_suite!(untimed);
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
    let suite = checker::ex16_suite!(two_gaps);
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
    let suite = checker::ex16_suite!(lax);
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
    let suite = checker::ex16_suite!(no_return_time);
    fails_with(
        ex16::catches_a_wait_after_the_last_attempt(suite),
        &[
            "waits once more after the last failed attempt",
            "no test checks when the error comes back",
        ],
    );
}

fn a_wrong_expectation_fails_on_the_correct_retry() {
    let suite = checker::ex16_suite!(off_by_one);
    fails_with(
        ex16::your_tests_pass_on_the_correct_retry(suite),
        &[
            "your test `gives_up_after_the_last_attempt` fails on the correct retry",
            "three retries after the first call",
            "the first one included",
        ],
    );
    // The others still count for the mutants.
    passes(ex16::catches_a_retry_that_never_waits(suite));
}

fn the_std_clock_does_not_see_paused_waits() {
    fails_with(
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(std_clock)),
        &[
            "`waits_twice_as_long_each_time` fails on the correct retry",
            "the first wait",
        ],
    );
}

fn a_real_sleep_is_real_waiting() {
    fails_without(
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(real_sleep)),
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
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(resumed)),
        &[
            "`waits_twice_as_long_each_time` passed but took",
            "of real time",
            "`resume()`",
        ],
    );
}

fn pausing_a_paused_clock_fails() {
    fails_with(
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(pauses)),
        &[
            "fails on the correct retry",
            "time is already frozen",
            "do not call `pause()`",
        ],
    );
}

fn a_test_that_waits_for_ever_is_found_at_once() {
    let verdict = within(Duration::from_millis(500), Duration::from_secs(2), || {
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(hangs))
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
        ex16::your_tests_pass_on_the_correct_retry(checker::ex16_suite!(blocks))
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
