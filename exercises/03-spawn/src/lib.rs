//! # Exercise 3: spawn tasks and wait for them
//!
//! **What to build:** `run_all(jobs)` runs every job as a task of its own,
//! all at the same time, and returns once every job has finished.
//!
//! **Reach for:** `tokio::spawn(job)` (chapter 3). It starts the task at
//! once and returns a `JoinHandle`; `.await` on the handle waits for the
//! task to finish. `tokio::task::JoinSet` does the bookkeeping for many.
//!
//! **How it is checked:** `cargo test -p ex03-spawn` hands `run_all` ten
//! jobs that sleep from 100 to 235 ms each, in an order that changes in every
//! run, and note which task they run in and how many jobs run beside them.
//! Every job must be done when `run_all` returns, all ten must run at the
//! same time, and each in a task of its own.
//!
//! **Hint:** spawn all the jobs first and keep their handles in a `Vec`;
//! then await the handles. Awaiting each handle right after spawning it
//! runs the jobs one after another.

// The parameter is unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

use std::future::Future;

/// Runs every job as its own task, concurrently; returns when all are done.
pub async fn run_all<F>(jobs: Vec<F>)
where
    F: Future<Output = ()> + Send + 'static,
{
    todo!()
}
