//! Running a learner's code on a thread of its own, with a time limit:
//! a value, a panic (with where it happened), or a thread still running at
//! the limit.

use super::panics;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How a failed run on a checker's thread ended.
pub(crate) enum Stopped {
    Panicked(String, Vec<panics::PanicRecord>),
    /// Still running at the limit (its thread is left behind, parked or
    /// spinning: it cannot be stopped from outside).
    Hung,
}

/// Runs `body` on a thread of its own with a time limit, catching panics.
pub(crate) fn on_thread<T: Send + 'static>(
    limit: Duration,
    body: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Stopped> {
    let name = panics::new_thread_name();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(body)));
        });
    if spawned.is_err() {
        return Err(Stopped::Hung);
    }
    let received = rx.recv_timeout(limit);
    match received {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => Err(Stopped::Panicked(
            panics::payload_text(&*payload),
            panics::take(&name),
        )),
        Err(RecvTimeoutError::Timeout) => Err(Stopped::Hung),
        Err(RecvTimeoutError::Disconnected) => Err(Stopped::Panicked(
            String::from("(no result)"),
            panics::take(&name),
        )),
    }
}
