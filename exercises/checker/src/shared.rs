//! The floor every exercise's checks stand on: the bench a check runs on
//! ([`lab`]: a delay server, fresh URLs, the learner's code on a runtime
//! with a ticker and a time limit, on a thread of its own), the verdicts
//! and words several exercises share ([`judge`], [`explain`], [`picture`],
//! [`panics`]), counting a run's tasks ([`tasks`]), and what a check says
//! ([`Diagnosis`], [`Verdict`]). Nothing here knows any one exercise.

pub(crate) mod explain;
pub(crate) mod judge;
pub(crate) mod lab;
pub(crate) mod panics;
pub(crate) mod picture;
pub(crate) mod tasks;
pub(crate) mod thread;
mod verdict;

pub(crate) use verdict::time_limit;
pub use verdict::{DEFAULT_TIME_LIMIT, Diagnosis, NOT_STARTED, Verdict, expect, with_time_limit};
