//! What a check says: a [`Diagnosis`] (or nothing), and how long a
//! learner's code may run before it counts as hanging.

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
