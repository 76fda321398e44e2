//! # Exercise 13: shut down gracefully
//!
//! **What to build:** `run_jobs(client, jobs, shutdown, grace)` takes URLs
//! from the channel `jobs` and starts a request for each one as it comes,
//! without waiting for the ones before (a task per job). When the token
//! `shutdown` is cancelled (the stop signal, as Ctrl-C would give it):
//!
//! 1. take no new job, although the channel stays open;
//! 2. give the requests in flight `grace`, counted from the signal, to
//!    finish, their bodies read to the end;
//! 3. cancel those still running at that deadline, and return once every
//!    request is over, no later than the deadline (and as soon as all
//!    are done, if that is earlier).
//!
//! Without a signal, return when the channel is closed and every request
//! has finished. Errors of single requests are ignored here.
//!
//! **Reach for:** a `TaskTracker` (tokio-util) to spawn the tasks and wait
//! for them (`close()`, then `wait()`), `tokio::time::timeout` around that
//! wait, and a second `CancellationToken` that the tasks watch and that
//! you cancel at the deadline; or a `JoinSet`, drained with `join_next`
//! until the deadline, then `abort_all`. `tokio::select!` over
//! `shutdown.cancelled()` and `jobs.recv()` takes jobs until the signal
//! (chapter 13).
//!
//! **How it is checked:** `cargo test -p ex13-shutdown` sends URLs of a
//! local delay server into the channel, one every 50 ms, cancels the token
//! between two of them and goes on sending after it. The server records
//! every request: the URLs sent after the signal must never reach it; the
//! requests in flight at the signal must be answered in full (their bodies
//! come slowly); requests longer than the grace period must be cancelled
//! at the deadline, not before, and `run_jobs` must return by then. The
//! runtime runs on for a moment after `run_jobs` returns: tasks it left
//! behind show, as requests that end only after the return.
//!
//! **Hint:** `tracker.wait()` returns only once the tracker is closed
//! *and* empty, and `close()` stops no task: call it when you take no more
//! jobs. Do not let the tasks watch `shutdown` itself, nor a child of it:
//! a child token is cancelled with its parent, so they would all stop at
//! the signal instead of finishing. Give them a token of their own
//! (`abort.run_until_cancelled(fetch(...))` ends with `None` when it is
//! cancelled, dropping the request).

// The parameters are unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

use anyhow::Context;
use reqwest::Client;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Runs a request for every job until `shutdown`, then shuts down
/// gracefully: no new job, `grace` for the requests in flight, then the
/// rest cancelled.
pub async fn run_jobs(
    client: &Client,
    jobs: mpsc::Receiver<String>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    todo!()
}

/// Fetches one URL and reads its body to the end (exercise 5).
pub async fn fetch(client: &Client, url: &str) -> anyhow::Result<String> {
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    Ok(response.text().await?)
}
