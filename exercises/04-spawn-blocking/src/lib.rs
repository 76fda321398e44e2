//! # Exercise 4: CPU-heavy work on the blocking pool
//!
//! **What to build:** `run_blocking(work)` runs `work`, a closure that
//! keeps a CPU busy for a while (like the article's naive `fib(30)`), and
//! returns its result, without stalling the runtime: other tasks must keep
//! running meanwhile. Async code can then write
//! `let n = run_blocking(move || fib(30)).await;`.
//!
//! **Reach for:** `tokio::task::spawn_blocking` (chapter 4). It runs a
//! closure on a separate pool of threads meant for blocking work and
//! returns a `JoinHandle` to `.await`.
//!
//! **How it is checked:** `cargo test -p ex04-spawn-blocking` runs your
//! function on a single-threaded runtime beside a ticker task that wakes
//! every 10 ms and a probe task that counts its own wake-ups. The work
//! computes until it has seen the probe wake a few times (at most a
//! second); if the probe could not run meanwhile, the runtime was blocked.
//! The work's result changes in every run.
//!
//! **Hint:** calling `work()` directly inside an async fn computes on the
//! runtime's own thread: nothing else can run there until it returns.
//! Awaiting the handle of `spawn_blocking` gives `Result<T, JoinError>`;
//! the error means the work panicked.

// The parameter is unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

/// Runs `work` without blocking the runtime and returns its result.
pub async fn run_blocking<T, F>(work: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    todo!()
}
