//! # Exercise 13: shut down gracefully
//!
//! **What to build:** `run_jobs(client, jobs, shutdown, grace)` takes URLs
//! from the channel `jobs` and starts a request for each one as it comes,
//! without waiting for the ones before. When the token `shutdown` is
//! cancelled (the stop signal, as Ctrl-C would give it):
//!
//! 1. take no new job, although the channel stays open;
//! 2. give the requests in flight `grace`, counted from the signal, to
//!    finish, their bodies read to the end;
//! 3. cancel those still running at that deadline, and return once every
//!    request is over: at the deadline (the check's margins are below),
//!    and as soon as all are done, if that is earlier.
//!
//! Without a signal, return when the channel is closed and every request
//! has finished. Errors of single requests are ignored here.
//!
//! **Reach for:** a task per job, as chapter 13 does: a `TaskTracker`
//! (tokio-util) to spawn the tasks and wait for them (`close()`, then
//! `wait()`), `tokio::time::timeout` around that wait, and a second
//! `CancellationToken` that the tasks watch and that you cancel at the
//! deadline; or a `JoinSet`, drained with `join_next` until the deadline,
//! then `abort_all`. `tokio::select!` over `shutdown.cancelled()` and
//! `jobs.recv()` takes jobs until the signal. The tasks are the chapter's
//! way, not a rule: the requests polled inside `run_jobs` itself (a
//! `FuturesUnordered`, dropped at the deadline) pass too.
//!
//! **How it is checked:** `cargo test -p ex13-shutdown` sends URLs of a
//! local delay server into the channel, one every 50 ms, and reads the
//! server's record of every request. Four runs:
//!
//! - no signal: 5 jobs of 500 ms (250 ms to the headers, 250 ms of body),
//!   then the channel closes; every job reaches the server, every body is
//!   sent in full, and `run_jobs` returns within 500 ms of the last one
//!   and within 2.5 s in all;
//! - the signal after 6 jobs, 4 more sent from 100 ms after it, a grace
//!   period of 1.5 s: none of the 4 reaches the server, and `run_jobs`
//!   does not return before the signal;
//! - the same run: the requests in flight at the signal are answered in
//!   full before `run_jobs` returns (none still running 250 ms after the
//!   return, as a task left behind would be), and it returns within
//!   500 ms of the last answer, not at the deadline;
//! - requests of 2 s among short ones, a grace period of 700 ms, jobs
//!   still coming 600 ms after the signal: the short ones finish; the slow
//!   ones are cancelled no sooner than 20 ms before the deadline and no
//!   later than 250 ms after `run_jobs` returns; and `run_jobs` returns
//!   no later than 400 ms after the deadline (tokio's
//!   timers fire on the next millisecond, and the cancelled tasks end at
//!   their next poll: a loaded machine was seen taking 140 ms).
//!
//! A run fails when `run_jobs` has not returned within its time (2.5 s
//! for the first, 3 s for the others). The runtime runs on for
//! 500 ms after `run_jobs` returns: tasks it left behind show, as
//! requests that end only after the return.
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
