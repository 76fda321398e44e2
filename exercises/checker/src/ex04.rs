//! Exercise 4: CPU-heavy work belongs on the blocking pool.
//!
//! `async fn run_blocking<T, F>(work: F) -> T` (with `F: FnOnce() -> T +
//! Send + 'static`, `T: Send + 'static`) must run `work` without stalling
//! the runtime, and return what it returned.
//!
//! The check's work keeps a CPU busy for a while (like the article's naive
//! Fibonacci) and notes the thread it ran on; a ticker on the same
//! single-threaded runtime shows whether the runtime could run meanwhile.

use crate::lab::Lab;
use crate::{Diagnosis, Verdict, judge};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_what_the_work_returns",
    "does_not_block_the_runtime",
];

/// The work the check hands to `run_blocking`.
pub type Work = Box<dyn FnOnce() -> u64 + Send + 'static>;

/// How long the work of the blocking check computes.
const BUSY: Duration = Duration::from_millis(500);

/// Keeps a CPU busy for `d` (by the clock, so that a loaded machine does not
/// make it longer) and returns a number that depends on the work done.
fn busy(d: Duration, seed: u64) -> u64 {
    let end = Instant::now() + d;
    let mut x = seed | 1;
    while Instant::now() < end {
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
    }
    std::hint::black_box(x)
}

fn work(d: Duration, answer: u64, ran_on: &Arc<Mutex<Option<ThreadId>>>) -> Work {
    let ran_on = Arc::clone(ran_on);
    Box::new(move || {
        *ran_on.lock().unwrap() = Some(std::thread::current().id());
        busy(d, answer);
        answer
    })
}

/// `run_blocking(work)` returns the work's result.
pub fn returns_what_the_work_returns(
    run_blocking: impl AsyncFn(Work) -> u64 + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let answer = lab.random();
    let ran_on = Arc::new(Mutex::new(None));
    let given = work(Duration::from_millis(20), answer, &ran_on);
    let ran = lab.run_async(
        "run_blocking",
        move || async move { run_blocking(given).await },
    )?;
    if ran_on.lock().unwrap().is_none() {
        return Err(Diagnosis::new(format!(
            "`run_blocking` returned {} without ever calling the work: call it (on the \
             blocking pool) and return its result.",
            ran.value
        )));
    }
    if ran.value != answer {
        return Err(Diagnosis::new(format!(
            "`run_blocking` returned {}, but the work returned {answer}: return the work's \
             result (the value the JoinHandle of `spawn_blocking` gives when awaited).",
            ran.value
        )));
    }
    Ok(())
}

/// While the work computes, the runtime keeps running other tasks.
pub fn does_not_block_the_runtime(
    run_blocking: impl AsyncFn(Work) -> u64 + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let answer = lab.random();
    let ran_on = Arc::new(Mutex::new(None));
    let given = work(BUSY, answer, &ran_on);
    let ran = lab.run_async(
        "run_blocking",
        move || async move { run_blocking(given).await },
    )?;
    let thread = *ran_on.lock().unwrap();
    let why = match thread {
        None => String::from("(The work itself never ran.)"),
        Some(t) if t == ran.meta.thread => String::from(
            "The work ran on the runtime's own thread, so no other task could run until it \
             finished: hand it to `tokio::task::spawn_blocking` and `.await` the JoinHandle.",
        ),
        Some(_) => String::from(
            "The work ran on another thread, but your function blocked the runtime's thread \
             while it waited for the result (a `join()` on a std thread? a blocking `recv()`?): \
             `.await` the JoinHandle of `tokio::task::spawn_blocking` instead.",
        ),
    };
    // Half the work's time: the blocked runtime stalls for all of it, a free
    // one for a few milliseconds, even on a busy machine.
    judge::kept_running(&ran.meta, BUSY / 2, &why)
}
