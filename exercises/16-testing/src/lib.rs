//! # Exercise 16: test a retry: your tests against broken ones
//!
//! **What to build:** tests. `Backoff` below retries an async operation
//! with exponential backoff and a deadline, and it is correct. Write the
//! five test functions at the end of this file so that they pass on it
//! and fail on broken versions of it. Each takes the retry under test as
//! a parameter (`retry: &impl Retry`): the checker calls it with the
//! correct retry and with nine broken ones (mutants), and your tests must
//! tell them apart. This is mutation testing: the checker tests your
//! tests.
//!
//! What `retry(policy, attempt)` promises: it calls `attempt` until it
//! returns `Ok` (then it returns that `Ok`), at most `policy.attempts`
//! times in all (the first call included; 0 counts as 1). A
//! `Failure::Permanent` is returned at once, without another try. After a
//! `Failure::Transient` it waits, then tries again: `first_delay` before
//! the second call, then twice as long as the wait before (1x, 2x, 4x,
//! ...). The deadline counts from the call to `retry`: a wait that would
//! end after it is not made, and `retry` returns the last error at once.
//! When the attempts run out it returns the last error at once, without
//! a last wait.
//!
//! **Reach for:** paused time (chapter 16). The checker runs each test on
//! a fresh current-thread runtime whose clock is paused, as
//! `#[tokio::test(start_paused = true)]` does: `tokio::time::sleep` and the
//! waits of the retry cost no real time (the clock jumps ahead when
//! nothing else can run), and `tokio::time::Instant::now()` reads the
//! virtual time. Note it inside your attempt closure to see when each
//! call came. `tokio::time::advance` moves the clock by hand (run the
//! retry and your probe side by side with `tokio::join!`). Fail a test
//! with `assert!` and `assert_eq!`, as in any test.
//!
//! **How it is checked:** `cargo test -p ex16-testing` runs each of your
//! tests on the correct retry (each must pass, without waiting for real:
//! more than half a second of real time fails) and on each mutant: one
//! that never waits, one with a fixed delay, one whose delay grows by a
//! step instead of doubling, one with an attempt too many and one with an
//! attempt too few, one that ignores the deadline, one that retries a
//! permanent failure, one that waits after the last attempt, and one that
//! waits with `std::thread::sleep`. Every mutant must make at least one
//! of your tests fail. A test that never finishes counts as failing, and
//! the paused clock finds it at once.
//!
//! **Hint:** an attempt is an async closure; it can count its calls and
//! note the time: `let mut times = Vec::new();` then `retry.retry(policy,
//! async || { times.push(Instant::now()); Err::<(), _>(Failure::Transient)
//! }).await`. The gaps between the times are the waits. Check the number
//! of calls, each gap, the time `retry` returned, and what it returned.

// The parameters are unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

use std::time::Duration;
use tokio::time::Instant;

/// What a failed attempt says about trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// It may work next time (a timeout, a busy server): retry.
    Transient,
    /// It will not (a bad request, a missing file): give up at once.
    Permanent,
}

/// How `retry` tries again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// At most this many calls of the attempt, the first one included.
    pub attempts: u32,
    /// The wait before the second call; each later wait is twice the one
    /// before it.
    pub first_delay: Duration,
    /// No wait may end later than this, counted from the call to `retry`.
    pub deadline: Duration,
}

/// A retry: the correct one (`Backoff`), or a broken one the checker
/// gives your tests.
// `async fn` in a public trait: fine here, where every caller is on one
// current-thread runtime and nothing needs the future to be `Send`.
#[allow(async_fn_in_trait)]
pub trait Retry {
    /// Calls `attempt` until it succeeds, as the brief says.
    async fn retry<T>(
        &self,
        policy: Policy,
        attempt: impl AsyncFnMut() -> Result<T, Failure>,
    ) -> Result<T, Failure>;
}

/// The correct retry: exponential backoff, at most `attempts` calls, no
/// wait past the deadline.
#[derive(Debug, Clone, Copy)]
pub struct Backoff;

impl Retry for Backoff {
    async fn retry<T>(
        &self,
        policy: Policy,
        mut attempt: impl AsyncFnMut() -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let deadline = Instant::now() + policy.deadline;
        let mut wait = policy.first_delay;
        let mut made = 0;
        loop {
            made += 1;
            let failure = match attempt().await {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            let out_of_attempts = made >= policy.attempts.max(1);
            let past_deadline = Instant::now() + wait > deadline;
            if failure == Failure::Permanent || out_of_attempts || past_deadline {
                return Err(failure);
            }
            // tokio's sleep: on a paused clock it costs no real time.
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
}

/// Fails twice (transient), then succeeds: `retry` returns that `Ok`,
/// after three calls.
pub async fn succeeds_after_transient_failures(retry: &impl Retry) {
    todo!()
}

/// The waits between calls: `first_delay`, then twice the wait before.
pub async fn waits_twice_as_long_each_time(retry: &impl Retry) {
    todo!()
}

/// Every call fails: exactly `attempts` calls, then the last error, at
/// once.
pub async fn gives_up_after_the_last_attempt(retry: &impl Retry) {
    todo!()
}

/// A deadline shorter than the waits: `retry` gives up when the next wait
/// would end past it.
pub async fn gives_up_at_the_deadline(retry: &impl Retry) {
    todo!()
}

/// A permanent failure is returned after one call, without a wait.
pub async fn returns_a_permanent_failure_at_once(retry: &impl Retry) {
    todo!()
}
