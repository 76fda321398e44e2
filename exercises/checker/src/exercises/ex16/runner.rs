//! Runs one learner test against one retry: on a paused current-thread
//! runtime (what `#[tokio::test(start_paused = true)]` builds), on a
//! thread of its own, with a limit on both clocks.

use super::Variant;
use crate::shared::panics::{self, PanicRecord};
use futures::FutureExt as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// One learner test, adapted by `check_ex16!`: the test run against the
/// retry `variant`.
pub type Test = fn(Variant) -> Pin<Box<dyn Future<Output = ()>>>;

/// The learner's tests, by name, in the order of the brief.
pub type Suite = &'static [(&'static str, Test)];

/// How far the paused clock may run before a test counts as hung. On a
/// paused clock a test that waits for something that never happens is
/// found at once, however far the limit: the runtime has nothing to run,
/// so it jumps the clock to this limit's timer. A year leaves room for
/// any policy a test may try (ten waits doubling from an hour: 43 days).
pub(crate) const VIRTUAL_LIMIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Real time a test may take on the correct retry. Its waits are on the
/// paused clock and cost nothing: the solution's ten checks (a hundred
/// test runs, each on a fresh runtime and thread) took 0.05 s in all at a
/// load of 17 on two cores. Half a second means real waiting.
pub(crate) const REAL_BUDGET: Duration = Duration::from_millis(500);

/// How one test went.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// It returned.
    Passed {
        real: Duration,
        virtual_time: Duration,
    },
    /// It panicked (an assertion): the message, and where if known.
    Failed {
        message: String,
        at: Option<PanicRecord>,
    },
    /// It was still waiting when the paused clock reached the limit.
    Hung,
    /// Its thread did not come back within the real time limit.
    Blocked { limit: Duration },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed { .. })
    }
}

/// Runs `test` against `variant`.
pub(crate) fn run(test: Test, variant: Variant) -> Outcome {
    let limit = crate::shared::time_limit();
    let name = panics::new_thread_name();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("a paused current-thread runtime builds");
            let real_start = std::time::Instant::now();
            let (result, virtual_time) = runtime.block_on(async move {
                let start = tokio::time::Instant::now();
                let run = AssertUnwindSafe(test(variant)).catch_unwind();
                let result = tokio::time::timeout(VIRTUAL_LIMIT, run).await;
                (result, start.elapsed())
            });
            let real = real_start.elapsed();
            // Tasks the test left on the blocking pool must not hold us up.
            runtime.shutdown_background();
            let _ = tx.send(match result {
                Ok(Ok(())) => Ok((real, virtual_time)),
                Ok(Err(payload)) => Err(Some(panics::payload_text(&*payload))),
                Err(_elapsed) => Err(None),
            });
        });
    if spawned.is_err() {
        return Outcome::Failed {
            message: String::from("the checker could not start a thread"),
            at: None,
        };
    }
    let received = rx.recv_timeout(limit);
    let recorded = panics::take(&name);
    match received {
        Ok(Ok((real, virtual_time))) => Outcome::Passed { real, virtual_time },
        Ok(Err(Some(message))) => Outcome::Failed {
            at: recorded.into_iter().find(|p| p.message == message),
            message,
        },
        Ok(Err(None)) => Outcome::Hung,
        Err(RecvTimeoutError::Timeout) => Outcome::Blocked { limit },
        Err(RecvTimeoutError::Disconnected) => Outcome::Failed {
            message: String::from("the thread that ran the test died"),
            at: recorded.into_iter().next(),
        },
    }
}
