//! The `check_exNN!` macros: each exercise's `tests/check.rs` is one line
//! that calls one of them, and it writes a `#[test]` per check.

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
