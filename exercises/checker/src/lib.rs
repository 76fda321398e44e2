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
//!
//! The crate is in three layers, each using only the ones below it:
//! [`shared`] (the bench and the words every check uses), [`exercises`]
//! (one module per exercise, none using another's) and [`progress`] (the
//! runner: `cargo progress`, `--watch`, `--verify`).

pub mod exercises;
mod macros;
pub mod progress;
pub mod shared;

pub use exercises::{
    EXERCISES, Exercise, ex01, ex02, ex03, ex04, ex05, ex06, ex07, ex08, ex09_bounded,
    ex09_timeout, ex10, ex11, ex12, ex13, ex14, ex15, ex16, ex17,
};
pub use shared::{DEFAULT_TIME_LIMIT, Diagnosis, NOT_STARTED, Verdict, expect, with_time_limit};
