//! Turning panics, errors and hangs into sentences about async code.

use crate::shared::panics::PanicRecord;
use crate::shared::{Diagnosis, NOT_STARTED};
use std::time::Duration;

/// `todo!()` and `unimplemented!()` panic with these words.
fn is_todo(message: &str) -> bool {
    message.starts_with("not yet implemented") || message.starts_with("not implemented")
}

fn not_started(call: &str) -> Diagnosis {
    Diagnosis::new(format!(
        "`{call}` {NOT_STARTED}: replace the `todo!()` with your code. \
         The brief at the top of src/lib.rs says what to build."
    ))
}

/// The learner's function panicked (the payload is its panic message).
pub(crate) fn panicked(call: &str, payload: &str, panics: &[PanicRecord]) -> Diagnosis {
    if is_todo(payload) || panics.iter().any(|p| is_todo(&p.message)) {
        return not_started(call);
    }
    let mut text = match panics.first() {
        // The first panic was not the one that ended the function: a task
        // panicked, and then the function did, usually on `.unwrap()`.
        Some(first) if first.message != payload => {
            let then = if payload.contains("JoinError") {
                format!(
                    "awaiting its JoinHandle gave a `JoinError`, and unwrapping that panicked `{call}` as well"
                )
            } else {
                format!("then `{call}` panicked as well: \"{payload}\"")
            };
            format!(
                "your task panicked: a task spawned by `{call}` panicked {}; {then}.",
                first.describe()
            )
        }
        Some(first) => format!("`{call}` panicked {}.", first.describe()),
        None => format!("`{call}` panicked: \"{payload}\"."),
    };
    if let Some(hint) =
        tokio_hint(payload).or_else(|| panics.iter().find_map(|p| tokio_hint(&p.message)))
    {
        text.push(' ');
        text.push_str(hint);
    }
    Diagnosis::new(text)
}

/// The learner's function returned `Err(e)`.
pub(crate) fn returned_error(call: &str, e: &anyhow::Error, panics: &[PanicRecord]) -> Diagnosis {
    let chain = course::one_line(e);
    if panics.iter().any(|p| is_todo(&p.message)) {
        return not_started(call);
    }
    let text = match panics.first() {
        Some(first) => format!(
            "your task panicked: a task spawned by `{call}` panicked {}, and `{call}` passed its \
             `JoinError` on as an error: {chain}",
            first.describe()
        ),
        None => format!("`{call}` returned an error: {chain}"),
    };
    Diagnosis::new(text)
}

/// The runtime was free, but the learner's future did not finish in time.
pub(crate) fn timed_out(
    call: &str,
    limit: Duration,
    server_saw: &str,
    panics: &[PanicRecord],
) -> Diagnosis {
    let mut text = format!(
        "`{call}` did not finish within {}, although its runtime stayed free: it waits for \
         something that never happens. Usual causes: a deadlock (a lock held across an \
         `.await`, two tasks waiting for each other), a forgotten `.await` (the future that \
         should do the work is never polled, so whatever waits for it waits forever), or a \
         channel whose sender is kept but never used. {server_saw}",
        secs(limit)
    );
    if let Some(first) = panics.first() {
        text.push_str(&format!(
            " Meanwhile a task panicked {}: maybe the one your code waits for.",
            first.describe()
        ));
    }
    Diagnosis::new(text)
}

/// The learner's code never gave its thread back.
pub(crate) fn blocked_for_good(
    call: &str,
    waited: Duration,
    server_saw: &str,
    panics: &[PanicRecord],
) -> Diagnosis {
    let mut text = format!(
        "`{call}` did not return within {} and the runtime's thread stayed blocked the whole \
         time, so not even the check's timeout could run: something blocks forever. Usual \
         causes: `futures::executor::block_on` (or another executor's) inside async code, \
         which parks the thread that should drive the very future it waits for; a \
         `std::sync::Mutex` locked twice; a blocking `recv()` or `join()`; \
         `std::thread::sleep` for a very long time; a loop that never reaches an `.await`. \
         {server_saw}",
        secs(waited)
    );
    if let Some(first) = panics.first() {
        text.push_str(&format!(
            " Before that, a task panicked {}.",
            first.describe()
        ));
    }
    Diagnosis::new(text)
}

/// The runtime's ticker was starved while the learner's code ran.
pub(crate) fn stalled(call: &str, stall: Duration) -> String {
    format!(
        "the runtime was stalled for {} ms while `{call}` ran: something blocked the executor \
         thread (std::thread::sleep? CPU work outside spawn_blocking?). While a task blocks its \
         thread, no other task on that thread can run",
        stall.as_millis()
    )
}

/// "10 s", "1.5 s"
pub(crate) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if (s - s.round()).abs() < 0.05 {
        format!("{} s", s.round())
    } else {
        format!("{s:.1} s")
    }
}

/// What tokio's own panic messages mean for the learner: the words of the
/// panic, and the sentence that explains them.
const TOKIO_HINTS: &[(&[&str], &str)] = &[
    (
        &["Cannot start a runtime from within a runtime"],
        "Your code started a runtime (or called `block_on`) inside async code that already \
         runs on one: inside an async fn, `.await` the future instead.",
    ),
    (
        &["can call blocking only when running on the multi-threaded runtime"],
        "`block_in_place` needs the multi-threaded runtime, and the check runs your code on \
         a single-threaded one: use `tokio::task::spawn_blocking` and `.await` its handle.",
    ),
    (
        &["IO is disabled", "timers are disabled"],
        "The runtime was built without its drivers: add `.enable_all()` to the runtime \
         Builder (`Runtime::new()` enables them for you).",
    ),
    (
        &["no reactor running", "context of a Tokio"],
        "This code needs a tokio runtime but ran outside one: start a runtime and \
         `block_on` the future, or call it from async code.",
    ),
    (
        &["Cannot drop a runtime"],
        "A runtime was dropped inside async code: build and drop runtimes only in plain, \
         non-async functions.",
    ),
];

fn tokio_hint(message: &str) -> Option<&'static str> {
    TOKIO_HINTS
        .iter()
        .find(|(words, _)| words.iter().any(|w| message.contains(w)))
        .map(|(_, hint)| *hint)
}

/// The diagnosis explains a misuse of tokio's runtime (one of the hints
/// above), not a failure of the code's own work.
pub(crate) fn is_runtime_misuse(d: &Diagnosis) -> bool {
    TOKIO_HINTS
        .iter()
        .any(|(_, hint)| d.message().contains(hint))
}
