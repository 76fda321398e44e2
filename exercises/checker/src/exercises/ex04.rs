//! Exercise 4: CPU-heavy work belongs on the blocking pool.
//!
//! `async fn run_blocking<T, F>(work: F) -> T` (with `F: FnOnce() -> T +
//! Send + 'static`, `T: Send + 'static`) must run `work` without stalling
//! the runtime, and return what it returned.
//!
//! The check's work keeps a CPU busy (like the article's naive Fibonacci)
//! and notes the thread it ran on. A probe task on the same
//! single-threaded runtime counts its wake-ups; the work watches that count
//! and stops once it has seen the probe run a few times, or after a second.
//! A blocked runtime cannot run the probe at all while the work computes,
//! so the verdict rests on that mechanism, not on how fast a busy machine
//! schedules threads.

use crate::shared::lab::Lab;
use crate::shared::{Diagnosis, Verdict, judge};
use std::sync::atomic::{AtomicU64, Ordering};
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

/// The longest the work of the blocking check computes: on a blocked
/// runtime it computes this long, and the runtime stalls as long.
const BUSY_AT_MOST: Duration = Duration::from_secs(1);

/// How often the probe task beside the learner's code asks to wake.
const PROBE_PERIOD: Duration = Duration::from_millis(5);

/// How many wake-ups of the probe the work must see to stop early: the
/// proof that the runtime ran another task while the work computed. A free
/// runtime gives them in about 15 ms; a blocked one never does.
const PROBE_PROOF: u64 = 3;

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

/// Work that computes until it has seen `probe` advance by `PROBE_PROOF`,
/// or for `BUSY_AT_MOST`, and then stores how far `probe` advanced while it
/// computed in `seen`.
fn work_watching(
    probe: &Arc<AtomicU64>,
    seen: &Arc<AtomicU64>,
    answer: u64,
    ran_on: &Arc<Mutex<Option<ThreadId>>>,
) -> Work {
    let (probe, seen, ran_on) = (Arc::clone(probe), Arc::clone(seen), Arc::clone(ran_on));
    Box::new(move || {
        *ran_on.lock().unwrap() = Some(std::thread::current().id());
        let before = probe.load(Ordering::SeqCst);
        let end = Instant::now() + BUSY_AT_MOST;
        let mut x = answer;
        while Instant::now() < end && probe.load(Ordering::SeqCst) - before < PROBE_PROOF {
            x = busy(Duration::from_millis(1), x);
        }
        seen.store(probe.load(Ordering::SeqCst) - before, Ordering::SeqCst);
        std::hint::black_box(x);
        answer
    })
}

/// While the work computes, the runtime keeps running other tasks.
pub fn does_not_block_the_runtime(
    run_blocking: impl AsyncFn(Work) -> u64 + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let answer = lab.random();
    let ran_on = Arc::new(Mutex::new(None));
    let (probe, seen) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let given = work_watching(&probe, &seen, answer, &ran_on);
    let ran = lab.run_async("run_blocking", move || async move {
        // A second task on the learner's runtime. It can only count while
        // the runtime's thread is free to run it.
        let counter = tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_PERIOD).await;
                probe.fetch_add(1, Ordering::SeqCst);
            }
        });
        let value = run_blocking(given).await;
        counter.abort();
        value
    })?;
    let thread = *ran_on.lock().unwrap();
    if thread.is_some() && seen.load(Ordering::SeqCst) >= PROBE_PROOF {
        return Ok(());
    }
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
    match thread {
        // Never called: the runtime was not blocked by it (the first check
        // reports the missing call).
        None => judge::kept_running(&ran.meta, BUSY_AT_MOST / 2, &why),
        // The probe did not run while the work computed: the runtime's
        // thread was busy with the work or waiting for it.
        Some(_) => Err(Diagnosis::new(format!(
            "{}. {why}",
            crate::shared::explain::stalled(&ran.meta.call, ran.meta.stall)
        ))),
    }
}
