//! The checks behind the exercises: one place for all check code.
//!
//! Each exercise (and its solution) has a `tests/check.rs` of one line,
//!
//! ```text
//! checker::check_ex06!(ex06_concurrent);
//! ```
//!
//! which expands to one `#[test]` per behaviour (`returns_the_bodies_in_order`,
//! `requests_run_concurrently`, ...). Each test calls a check of this crate
//! with the learner's function and panics with the check's [`Diagnosis`] if
//! the check fails.
//!
//! A check looks at what the code *does*, not at its source:
//!
//! - it starts its own [`mock_server::DelayServer`] and sends the learner's
//!   code to URLs whose bodies change from run to run, so only a real fetch
//!   gives the right answer ([`mock_server::body_for`] computes it);
//! - the server's record of arrivals shows whether requests overlapped
//!   (`peak_in_flight`), were sent at all, or waited as asked;
//! - the learner's code runs on a single-threaded runtime beside a
//!   [`course::Ticker`]: if the code blocks the thread, the ticker stalls;
//! - every run has a time limit: a deadlock, a future nobody polls or a
//!   thread blocked for good becomes a failure that says so;
//! - a panic, also one inside a spawned task, becomes a sentence naming the
//!   panic and where it happened, not a bare `JoinError`.
//!
//! Every check returns a [`Verdict`] instead of panicking, so the tests of
//! this crate can run a check on a deliberately wrong implementation and
//! look at the diagnosis.

mod explain;
mod judge;
mod lab;
mod panics;
mod picture;
pub mod progress;

pub mod ex01;
pub mod ex02;
pub mod ex03;
pub mod ex04;
pub mod ex05;
pub mod ex06;
pub mod ex07;
pub mod ex08;
pub mod ex09_bounded;
pub mod ex09_timeout;
pub mod ex10;
pub mod ex11;
pub mod ex12;
pub mod ex13;
pub mod ex14;
pub mod ex15;
pub mod ex16;
pub mod ex17;

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

/// Why a check failed, in words a learner can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    message: String,
}

impl Diagnosis {
    pub(crate) fn new(message: impl Into<String>) -> Diagnosis {
        Diagnosis {
            message: message.into(),
        }
    }

    /// The explanation, one or a few sentences.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The function under check is still the starter's `todo!()`.
    pub fn is_not_started(&self) -> bool {
        self.message.contains(NOT_STARTED)
    }

    /// Adds more to the explanation: a sentence, or a picture of the run
    /// (a diagnosis stays composable: each part adds to the one before).
    pub(crate) fn push(mut self, more: &str) -> Diagnosis {
        if !more.is_empty() {
            if !self.message.is_empty() && !more.starts_with('\n') {
                self.message.push(' ');
            }
            self.message.push_str(more);
        }
        self
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnosis {}

/// What a check found: `Ok(())` or why not.
pub type Verdict = Result<(), Diagnosis>;

/// The words every "you have not written it yet" diagnosis contains; the
/// progress view looks for them in the test output.
pub const NOT_STARTED: &str = "is still `todo!()`";

/// Fails the test with the diagnosis if the check failed: the `#[test]`s
/// that the `check_exNN!` macros write end with this.
///
/// The learner sees the diagnosis and nothing else: the message is printed
/// as a panic would print it (`thread '...' panicked at ...:`, which the
/// progress view reads), and the test then unwinds without calling the
/// panic hook, so that `RUST_BACKTRACE=1` adds no backtrace of the checker's
/// own frames under it.
#[track_caller]
pub fn expect(verdict: Verdict) {
    if let Err(diagnosis) = verdict {
        let at = std::panic::Location::caller();
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        // `eprintln!` on a test's thread goes to the test's captured output.
        eprintln!("thread '{name}' panicked at {at}:\n{diagnosis}");
        std::panic::resume_unwind(Box::new(diagnosis.to_string()));
    }
}

/// How long a learner's function may run in a check before it counts as
/// hanging. The checks themselves take well under a second each, and a
/// learner's sequential version of one at most about two and a half: a
/// hang is reported within a few seconds.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(4);

thread_local! {
    static TIME_LIMIT: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// Runs `f` with a different time limit for the checks it calls on this
/// thread (the tests of the checker use short ones to prove that hangs are
/// caught without waiting 10 s each).
pub fn with_time_limit<R>(limit: Duration, f: impl FnOnce() -> R) -> R {
    let before = TIME_LIMIT.with(|l| l.replace(Some(limit)));
    let out = f();
    TIME_LIMIT.with(|l| l.set(before));
    out
}

pub(crate) fn time_limit() -> Duration {
    TIME_LIMIT.with(|l| l.get()).unwrap_or(DEFAULT_TIME_LIMIT)
}

/// One exercise as the progress view and `--verify` know it.
#[derive(Debug, Clone, Copy)]
pub struct Exercise {
    /// Folder under `exercises/` and `solutions/`, e.g. `06-concurrent`.
    pub dir: &'static str,
    /// What it is about, as the title of its brief says.
    pub title: &'static str,
    /// Package name of the starter, e.g. `ex06-concurrent`; the solution's
    /// is the same plus `-solution`.
    pub package: &'static str,
    /// The checks in teaching order (the test names of its `check_exNN!`).
    pub checks: &'static [&'static str],
    /// Words the untouched starter's failure must contain (`--verify`).
    pub starter_fails_with: &'static str,
}

impl Exercise {
    /// The package name of the solution.
    pub fn solution_package(&self) -> String {
        format!("{}-solution", self.package)
    }
}

/// Every exercise, in the order of the course.
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        dir: "01-runtime",
        title: "start a runtime and block on a future",
        package: "ex01-runtime",
        checks: ex01::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "02-lazy",
        title: "a future does nothing until it is polled",
        package: "ex02-lazy",
        checks: ex02::CHECKS,
        starter_fails_with: "never polled",
    },
    Exercise {
        dir: "03-spawn",
        title: "spawn tasks and wait for them",
        package: "ex03-spawn",
        checks: ex03::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "04-spawn-blocking",
        title: "CPU-heavy work on the blocking pool",
        package: "ex04-spawn-blocking",
        checks: ex04::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "05-sequential",
        title: "requests one after the other",
        package: "ex05-sequential",
        checks: ex05::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "06-concurrent",
        title: "concurrent requests",
        package: "ex06-concurrent",
        checks: ex06::CHECKS,
        starter_fails_with: "never overlapped",
    },
    Exercise {
        dir: "07-join-all",
        title: "fetch, analyse, and gather with `join_all`",
        package: "ex07-join-all",
        checks: ex07::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "08-dont-block",
        title: "do not block the executor",
        package: "ex08-dont-block",
        checks: ex08::CHECKS,
        starter_fails_with: "blocked the executor thread",
    },
    Exercise {
        dir: "09-bounded",
        title: "many requests, a few at a time",
        package: "ex09-bounded",
        checks: ex09_bounded::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "09-timeout",
        title: "give up on a slow request",
        package: "ex09-timeout",
        checks: ex09_timeout::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "10-shared-state",
        title: "tasks that share a map",
        package: "ex10-shared-state",
        checks: ex10::CHECKS,
        starter_fails_with: "the lock was held across the request",
    },
    Exercise {
        dir: "11-actor",
        title: "an actor that owns a cache",
        package: "ex11-actor",
        checks: ex11::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "12-select-loop",
        title: "a select! loop that loses nothing",
        package: "ex12-select-loop",
        checks: ex12::CHECKS,
        starter_fails_with: "select! dropped",
    },
    Exercise {
        dir: "13-shutdown",
        title: "shut down gracefully",
        package: "ex13-shutdown",
        checks: ex13::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "14-future",
        title: "a future by hand",
        package: "ex14-future",
        checks: ex14::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "15-block-on",
        title: "an executor in one page",
        package: "ex15-block-on",
        checks: ex15::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "16-testing",
        title: "test a retry: your tests against broken ones",
        package: "ex16-testing",
        checks: ex16::CHECKS,
        starter_fails_with: NOT_STARTED,
    },
    Exercise {
        dir: "17-tracing",
        title: "spans that tell interleaved requests apart",
        package: "ex17-tracing",
        checks: ex17::CHECKS,
        starter_fails_with: "carry no span",
    },
];

/// Writes one `#[test]` per check: `__tests!(ex06, ex06_concurrent::fetch_all;
/// a, b)` calls `checker::ex06::a(ex06_concurrent::fetch_all)` in `fn a`.
#[doc(hidden)]
#[macro_export]
macro_rules! __tests {
    ($module:ident, $subject:expr; $($check:ident),+ $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::expect($crate::$module::$check($subject));
            }
        )+
    };
}

/// The checks of exercise 1 for the crate `$k` (`fetch_blocking`).
#[macro_export]
macro_rules! check_ex01 {
    ($k:ident) => {
        $crate::__tests!(ex01, $k::fetch_blocking;
            returns_the_body, returns_an_error_for_a_dead_server);
    };
}

/// The checks of exercise 2 for the crate `$k` (`notify_all`).
#[macro_export]
macro_rules! check_ex02 {
    ($k:ident) => {
        $crate::__tests!(ex02, $k::notify_all; sends_every_request);
    };
}

/// The checks of exercise 3 for the crate `$k` (`run_all`).
#[macro_export]
macro_rules! check_ex03 {
    ($k:ident) => {
        $crate::__tests!(ex03, $k::run_all::<$crate::ex03::Job>;
            waits_for_every_job, jobs_run_concurrently, each_job_runs_in_its_own_task);
    };
}

/// The checks of exercise 4 for the crate `$k` (`run_blocking`).
#[macro_export]
macro_rules! check_ex04 {
    ($k:ident) => {
        $crate::__tests!(ex04, $k::run_blocking::<u64, $crate::ex04::Work>;
            returns_what_the_work_returns, does_not_block_the_runtime);
    };
}

/// The checks of exercise 5 for the crate `$k` (`fetch`, `fetch_in_order`).
#[macro_export]
macro_rules! check_ex05 {
    ($k:ident) => {
        $crate::__tests!(ex05, $k::fetch;
            fetch_returns_the_body, fetch_fails_on_a_server_error);
        $crate::__tests!(ex05, $k::fetch_in_order;
            returns_the_bodies_in_order, sends_one_request_at_a_time, reports_a_failed_request);
    };
}

/// The checks of exercise 6 for the crate `$k` (`fetch_all`).
#[macro_export]
macro_rules! check_ex06 {
    ($k:ident) => {
        $crate::__tests!(ex06, $k::fetch_all;
            returns_the_bodies_in_order, requests_run_concurrently, reports_a_failed_request);
    };
}

/// The checks of exercise 7 for the crate `$k` (`ones_and_zeros`).
#[macro_export]
macro_rules! check_ex07 {
    ($k:ident) => {
        $crate::__tests!(ex07, $k::ones_and_zeros;
            counts_the_bits_of_every_body, analysis_runs_on_the_blocking_pool,
            requests_run_concurrently, reports_a_failed_request);
    };
}

/// The checks of exercise 8 for the crate `$k` (`fetch_after`).
#[macro_export]
macro_rules! check_ex08 {
    ($k:ident) => {
        $crate::__tests!(ex08, $k::fetch_after;
            returns_the_body, waits_before_sending, does_not_block_the_runtime);
    };
}

/// The checks of the first exercise of chapter 9 for the crate `$k`
/// (`fetch_all_bounded`).
#[macro_export]
macro_rules! check_ex09_bounded {
    ($k:ident) => {
        $crate::__tests!(ex09_bounded, $k::fetch_all_bounded;
            returns_the_bodies_in_order, never_exceeds_the_limit, uses_the_whole_limit,
            reports_a_failed_request);
    };
}

/// The checks of the second exercise of chapter 9 for the crate `$k`
/// (`fetch_within`).
#[macro_export]
macro_rules! check_ex09_timeout {
    ($k:ident) => {
        $crate::__tests!(ex09_timeout, $k::fetch_within;
            returns_the_body_in_time, gives_up_at_the_deadline, gives_up_on_a_slow_body,
            an_error_is_not_a_timeout);
    };
}

/// The checks of exercise 10 for the crate `$k` (`fetch_sizes`).
#[macro_export]
macro_rules! check_ex10 {
    ($k:ident) => {
        $crate::__tests!(ex10, $k::fetch_sizes;
            records_every_size, requests_overlap_while_sharing, reports_a_failed_request);
    };
}

/// The checks of exercise 14 for the crate `$k` (`Delay::new`, whose
/// `poll` the learner writes).
#[macro_export]
macro_rules! check_ex14 {
    ($k:ident) => {
        $crate::__tests!(ex14, $k::Delay::new;
            is_ready_after_its_delay, wakes_the_task_when_ready,
            does_not_wake_the_task_in_vain, wakes_the_waker_of_the_latest_poll);
    };
}

/// The checks of exercise 15 for the crate `$k` (`block_on`).
#[macro_export]
macro_rules! check_ex15 {
    ($k:ident) => {
        $crate::__tests!(ex15, $k::block_on::<$crate::ex15::Job>;
            returns_the_futures_output, parks_while_waiting,
            polls_again_after_each_wake, keeps_a_wake_up_that_comes_during_poll);
    };
}

/// The learner's five tests of exercise 16, from the crate (or module)
/// `$k`, as a [`ex16::Suite`]: each runs against the retry
/// [`ex16::Variant`] it is given, through `$k::Retry`.
#[macro_export]
macro_rules! ex16_suite {
    ($($k:ident)::+) => {{
        /// The checker's retry, seen through the exercise's trait.
        struct Subject($crate::ex16::Variant);
        impl $($k)::+::Retry for Subject {
            async fn retry<T>(
                &self,
                policy: $($k)::+::Policy,
                attempt: impl AsyncFnMut() -> Result<T, $($k)::+::Failure>,
            ) -> Result<T, $($k)::+::Failure> {
                $crate::ex16::retry(
                    self.0,
                    policy.attempts,
                    policy.first_delay,
                    policy.deadline,
                    |f: &$($k)::+::Failure| matches!(f, $($k)::+::Failure::Permanent),
                    attempt,
                )
                .await
            }
        }
        const SUITE: $crate::ex16::Suite = &[
            $crate::ex16_suite!(@test $($k)::+; succeeds_after_transient_failures),
            $crate::ex16_suite!(@test $($k)::+; waits_twice_as_long_each_time),
            $crate::ex16_suite!(@test $($k)::+; gives_up_after_the_last_attempt),
            $crate::ex16_suite!(@test $($k)::+; gives_up_at_the_deadline),
            $crate::ex16_suite!(@test $($k)::+; returns_a_permanent_failure_at_once),
        ];
        SUITE
    }};
    (@test $($k:ident)::+; $name:ident) => {
        (stringify!($name), |variant| {
            Box::pin(async move {
                let subject = Subject(variant);
                $($k)::+::$name(&subject).await
            })
        })
    };
}

/// The checks of exercise 16 for the crate `$k`: its tests
/// (`succeeds_after_transient_failures`, ...) against the correct retry
/// and each broken one.
#[macro_export]
macro_rules! check_ex16 {
    ($k:ident) => {
        $crate::__tests!(ex16, $crate::ex16_suite!($k);
            your_tests_pass_on_the_correct_retry, catches_a_retry_that_never_waits,
            catches_a_fixed_delay, catches_a_delay_that_grows_linearly,
            catches_one_attempt_too_many, catches_one_attempt_too_few,
            catches_a_retry_past_the_deadline, catches_a_retried_permanent_failure,
            catches_a_wait_after_the_last_attempt, catches_a_blocking_sleep);
    };
}

/// The checks of exercise 11 for the crate `$k` (`spawn_cache`,
/// `Cache::send`, `Ticket::answer`).
#[macro_export]
macro_rules! check_ex11 {
    ($k:ident) => {
        $crate::__tests_of_three!(ex11, $k::spawn_cache, $k::Cache::send, $k::Ticket::answer;
            answers_every_caller, keeps_the_queue_bounded, remembers_what_it_fetched,
            an_error_reaches_its_caller_only);
    };
}

/// Like [`__tests!`], for checks of three functions.
#[doc(hidden)]
#[macro_export]
macro_rules! __tests_of_three {
    ($module:ident, $a:expr, $b:expr, $c:expr; $($check:ident),+ $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::expect($crate::$module::$check($a, $b, $c));
            }
        )+
    };
}

/// The checks of exercise 17 for the crate `$k` (`fetch_all`).
#[macro_export]
macro_rules! check_ex17 {
    ($k:ident) => {
        $crate::__tests!(ex17, $k::fetch_all;
            returns_the_bodies_in_order, each_event_names_its_request);
    };
}

/// The checks of exercise 12 for the crate `$k` (`relay`).
#[macro_export]
macro_rules! check_ex12 {
    ($k:ident) => {
        $crate::__tests!(ex12, $k::relay;
            forwards_every_item_once_in_order, reports_progress_every_period,
            returns_when_the_input_closes);
    };
}

/// The checks of exercise 13 for the crate `$k` (`run_jobs`).
#[macro_export]
macro_rules! check_ex13 {
    ($k:ident) => {
        $crate::__tests!(ex13, $k::run_jobs;
            finishes_the_batch_without_a_signal, stops_taking_work_at_the_signal,
            lets_the_requests_in_flight_finish, cancels_the_rest_at_the_deadline);
    };
}
