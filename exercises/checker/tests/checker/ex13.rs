//! Exercise 13, the catalogue: every way to shut down gracefully passes
//! all four checks; each usual mistake fails with the words that name what
//! it did.
//!
//! As in `ex09_bounded`, the cases run side by side, and so do the checks
//! of one approach.

use crate::ex09_bounded::{cases, side_by_side};
use crate::{fails_with, fetch, passes};
use checker::{Verdict, ex13};
use futures::stream::{FuturesUnordered, StreamExt};
use reqwest::Client;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The four checks of one approach, side by side.
macro_rules! all_checks {
    ($f:expr) => {{
        std::thread::scope(|s| {
            let batch = s.spawn(|| ex13::finishes_the_batch_without_a_signal($f));
            let stops = s.spawn(|| ex13::stops_taking_work_at_the_signal($f));
            let lets = s.spawn(|| ex13::lets_the_requests_in_flight_finish($f));
            let cancels = s.spawn(|| ex13::cancels_the_rest_at_the_deadline($f));
            [batch, stops, lets, cancels].map(|h| h.join().expect("a check does not panic"))
        })
    }};
}

fn all_pass(verdicts: [Verdict; 4]) {
    for v in verdicts {
        passes(v);
    }
}

/// The next job, or `None` at the signal or when the channel is closed.
async fn next_job(jobs: &mut Receiver<String>, shutdown: &CancellationToken) -> Option<String> {
    tokio::select! {
        biased;
        () = shutdown.cancelled() => None,
        job = jobs.recv() => job,
    }
}

// ---- correct approaches ----------------------------------------------------

/// The solution's way: a TaskTracker, `timeout` around its `wait`, and a
/// token of the tasks' own cancelled at the deadline.
async fn tracker(
    client: &Client,
    mut jobs: Receiver<String>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let tracker = TaskTracker::new();
    let abort = CancellationToken::new();
    while let Some(url) = next_job(&mut jobs, &shutdown).await {
        let (client, abort) = (client.clone(), abort.clone());
        tracker.spawn(async move {
            let _ = abort.run_until_cancelled(fetch(&client, &url)).await;
        });
    }
    tracker.close();
    if !shutdown.is_cancelled() {
        tokio::select! {
            () = tracker.wait() => return,
            () = shutdown.cancelled() => {}
        }
    }
    if timeout(grace, tracker.wait()).await.is_err() {
        abort.cancel();
        tracker.wait().await;
    }
}

/// A JoinSet fed by a `select!` loop, drained until the deadline, then
/// `abort_all`.
async fn join_set(
    client: &Client,
    mut jobs: Receiver<String>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            job = jobs.recv() => match job {
                Some(url) => {
                    let client = client.clone();
                    tasks.spawn(async move { fetch(&client, &url).await });
                }
                None => {
                    // The batch is over: drain, unless the signal comes.
                    tokio::select! {
                        () = async { while tasks.join_next().await.is_some() {} } => return,
                        () = shutdown.cancelled() => break,
                    }
                }
            },
            Some(_done) = tasks.join_next() => {}
        }
    }
    let deadline = Instant::now() + grace;
    loop {
        tokio::select! {
            done = tasks.join_next() => if done.is_none() { return },
            () = sleep_until(deadline) => {
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                return;
            }
        }
    }
}

/// A JoinSet, `timeout` around the drain, then `shutdown()` (abort and
/// wait).
async fn join_set_timeout(
    client: &Client,
    mut jobs: Receiver<String>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let mut tasks = JoinSet::new();
    while let Some(url) = next_job(&mut jobs, &shutdown).await {
        let client = client.clone();
        tasks.spawn(async move { fetch(&client, &url).await });
    }
    let drain = async { while tasks.join_next().await.is_some() {} };
    if !shutdown.is_cancelled() {
        let signal = shutdown.clone();
        tokio::pin!(drain);
        tokio::select! {
            () = &mut drain => return,
            () = signal.cancelled() => {}
        }
        let _ = timeout(grace, drain).await;
    } else {
        let _ = timeout(grace, drain).await;
    }
    tasks.shutdown().await;
}

/// No tasks at all: the requests in a `FuturesUnordered`, polled by the
/// loop; dropping it at the deadline cancels what is left.
async fn futures_unordered(
    client: &Client,
    mut jobs: Receiver<String>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let mut requests = FuturesUnordered::new();
    let mut open = true;
    while open {
        tokio::select! {
            () = shutdown.cancelled() => break,
            job = jobs.recv() => match job {
                Some(url) => requests.push(fetch_owned(client.clone(), url)),
                None => open = false,
            },
            Some(_done) = requests.next() => {}
        }
    }
    if !open {
        // The batch is over: finish, unless the signal comes.
        tokio::select! {
            () = async { while requests.next().await.is_some() {} } => return,
            () = shutdown.cancelled() => {}
        }
    }
    let _ = timeout(grace, async { while requests.next().await.is_some() {} }).await;
}

async fn fetch_owned(client: Client, url: String) -> anyhow::Result<String> {
    fetch(&client, &url).await
}

/// A stream of jobs cut by `take_until` at the signal; the tasks in a
/// TaskTracker select on a token of their own; `timeout_at` a deadline
/// taken at the signal.
async fn take_until(
    client: &Client,
    mut jobs: Receiver<String>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let tracker = TaskTracker::new();
    let abort = CancellationToken::new();
    let incoming =
        futures::stream::poll_fn(|cx| jobs.poll_recv(cx)).take_until(shutdown.cancelled());
    // `cancelled()` is not `Unpin`: pin the stream to call `next()`.
    let mut incoming = std::pin::pin!(incoming);
    while let Some(url) = incoming.next().await {
        let (client, abort) = (client.clone(), abort.clone());
        tracker.spawn(async move {
            tokio::select! {
                _ = fetch(&client, &url) => {}
                () = abort.cancelled() => {}
            }
        });
    }
    tracker.close();
    tokio::select! {
        () = tracker.wait() => return,
        () = shutdown.cancelled() => {}
    }
    let deadline = Instant::now() + grace;
    if timeout_at(deadline, tracker.wait()).await.is_err() {
        abort.cancel();
        tracker.wait().await;
    }
}

fn accepts_a_task_tracker_with_a_token() {
    all_pass(all_checks!(tracker));
}

fn accepts_a_join_set_drained_until_the_deadline() {
    all_pass(all_checks!(join_set));
}

fn accepts_a_join_set_with_timeout_and_shutdown() {
    all_pass(all_checks!(join_set_timeout));
}

fn accepts_futures_unordered_without_tasks() {
    all_pass(all_checks!(futures_unordered));
}

fn accepts_a_stream_cut_by_take_until() {
    all_pass(all_checks!(take_until));
}

// ---- mistakes ----------------------------------------------------------------

fn ignoring_the_signal_starts_jobs_after_it() {
    fails_with(
        ex13::stops_taking_work_at_the_signal(
            async |c: &Client, mut jobs: Receiver<String>, _: CancellationToken, _: Duration| {
                let tracker = TaskTracker::new();
                while let Some(url) = jobs.recv().await {
                    let c = c.clone();
                    tracker.spawn(async move { fetch(&c, &url).await });
                }
                tracker.close();
                tracker.wait().await;
            },
        ),
        &[
            "started 4 requests after the signal",
            "`shutdown.cancelled()`",
        ],
    );
}

fn checking_the_token_between_batches_leaves_jobs_waiting() {
    fails_with(
        ex13::stops_taking_work_at_the_signal(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   _: Duration| {
                while !shutdown.is_cancelled() {
                    let mut batch = Vec::new();
                    while batch.len() < 4 {
                        match jobs.recv().await {
                            Some(url) => batch.push(url),
                            None => break,
                        }
                    }
                    if batch.is_empty() {
                        break;
                    }
                    futures::future::join_all(batch.iter().map(|url| fetch(c, url))).await;
                }
            },
        ),
        &["never reached the server", "not in batches"],
    );
}

fn aborting_everything_at_the_signal_drops_the_requests_in_flight() {
    fails_with(
        ex13::lets_the_requests_in_flight_finish(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   _: Duration| {
                let mut tasks = JoinSet::new();
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let c = c.clone();
                    tasks.spawn(async move { fetch(&c, &url).await });
                }
                if shutdown.is_cancelled() {
                    tasks.shutdown().await;
                }
                tasks.join_all().await;
            },
        ),
        &["dropped", "in flight at the signal", "`abort_all()`"],
    );
}

fn tasks_watching_a_child_of_the_shutdown_token_stop_at_the_signal() {
    fails_with(
        ex13::lets_the_requests_in_flight_finish(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   grace: Duration| {
                let tracker = TaskTracker::new();
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let (c, stop) = (c.clone(), shutdown.child_token());
                    tracker.spawn(async move { stop.run_until_cancelled(fetch(&c, &url)).await });
                }
                tracker.close();
                let _ = timeout(grace, tracker.wait()).await;
            },
        ),
        &[
            "dropped",
            "in flight at the signal",
            "a child token is cancelled with its parent",
        ],
    );
}

fn detached_tasks_are_still_running_when_it_returns() {
    fails_with(
        ex13::lets_the_requests_in_flight_finish(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   _: Duration| {
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let c = c.clone();
                    tokio::spawn(async move { fetch(&c, &url).await });
                }
            },
        ),
        &[
            "returned while",
            "in flight at the signal were still running",
        ],
    );
}

fn sleeping_through_the_grace_period_returns_late() {
    fails_with(
        ex13::lets_the_requests_in_flight_finish(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   grace: Duration| {
                let mut tasks = JoinSet::new();
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let c = c.clone();
                    tasks.spawn(async move { fetch(&c, &url).await });
                }
                if shutdown.is_cancelled() {
                    tokio::time::sleep(grace).await;
                    tasks.abort_all();
                }
                while tasks.join_next().await.is_some() {}
            },
        ),
        &[
            "after the last request had ended",
            "waited out the whole grace period",
        ],
    );
}

fn forgetting_to_close_the_tracker_never_returns() {
    fails_with(
        ex13::finishes_the_batch_without_a_signal(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   _: Duration| {
                let tracker = TaskTracker::new();
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let c = c.clone();
                    tracker.spawn(async move { fetch(&c, &url).await });
                }
                tracker.wait().await;
            },
        ),
        &["did not return within 2.5 s", "`tracker.close()`"],
    );
}

fn waiting_for_every_request_goes_past_the_deadline() {
    fails_with(
        ex13::cancels_the_rest_at_the_deadline(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   _: Duration| {
                let tracker = TaskTracker::new();
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let c = c.clone();
                    tracker.spawn(async move { fetch(&c, &url).await });
                }
                tracker.close();
                tracker.wait().await;
            },
        ),
        &[
            "ms after the deadline",
            "waited for 2 requests longer than the grace period",
        ],
    );
}

fn returning_at_the_deadline_leaves_the_slow_requests_running() {
    fails_with(
        ex13::cancels_the_rest_at_the_deadline(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   grace: Duration| {
                let tracker = TaskTracker::new();
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let c = c.clone();
                    tracker.spawn(async move { fetch(&c, &url).await });
                }
                tracker.close();
                let _ = timeout(grace, tracker.wait()).await;
            },
        ),
        &["returned at the deadline but left", "running"],
    );
}

fn a_deadline_counted_from_the_start_cuts_the_grace_short() {
    fails_with(
        ex13::cancels_the_rest_at_the_deadline(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   grace: Duration| {
                let deadline = Instant::now() + grace;
                let mut tasks = JoinSet::new();
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let c = c.clone();
                    tasks.spawn(async move { fetch(&c, &url).await });
                }
                let _ = timeout_at(deadline, async {
                    while tasks.join_next().await.is_some() {}
                })
                .await;
                tasks.shutdown().await;
            },
        ),
        &["dropped", "count the deadline from the signal"],
    );
}

fn a_timeout_on_each_request_cancels_before_the_deadline() {
    fails_with(
        ex13::cancels_the_rest_at_the_deadline(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   grace: Duration| {
                let tracker = TaskTracker::new();
                while let Some(url) = next_job(&mut jobs, &shutdown).await {
                    let c = c.clone();
                    tracker.spawn(async move { timeout(grace, fetch(&c, &url)).await });
                }
                tracker.close();
                tracker.wait().await;
            },
        ),
        &["count the deadline from the signal"],
    );
}

fn noticing_the_signal_only_at_the_next_job_returns_late() {
    fails_with(
        ex13::cancels_the_rest_at_the_deadline(
            async |c: &Client,
                   mut jobs: Receiver<String>,
                   shutdown: CancellationToken,
                   grace: Duration| {
                let tracker = TaskTracker::new();
                let abort = CancellationToken::new();
                while let Some(url) = jobs.recv().await {
                    if shutdown.is_cancelled() {
                        break;
                    }
                    let (c, abort) = (c.clone(), abort.clone());
                    tracker.spawn(async move { abort.run_until_cancelled(fetch(&c, &url)).await });
                }
                tracker.close();
                if timeout(grace, tracker.wait()).await.is_err() {
                    abort.cancel();
                    tracker.wait().await;
                }
            },
        ),
        &[
            "ms after the deadline",
            "count it from there",
            "notices the signal late",
        ],
    );
}

#[test]
fn the_catalogue_of_exercise_13() {
    side_by_side(cases![
        accepts_a_task_tracker_with_a_token,
        accepts_a_join_set_drained_until_the_deadline,
        accepts_a_join_set_with_timeout_and_shutdown,
        accepts_futures_unordered_without_tasks,
        accepts_a_stream_cut_by_take_until,
        ignoring_the_signal_starts_jobs_after_it,
        checking_the_token_between_batches_leaves_jobs_waiting,
        aborting_everything_at_the_signal_drops_the_requests_in_flight,
        tasks_watching_a_child_of_the_shutdown_token_stop_at_the_signal,
        detached_tasks_are_still_running_when_it_returns,
        sleeping_through_the_grace_period_returns_late,
        forgetting_to_close_the_tracker_never_returns,
        waiting_for_every_request_goes_past_the_deadline,
        returning_at_the_deadline_leaves_the_slow_requests_running,
        a_deadline_counted_from_the_start_cuts_the_grace_short,
        a_timeout_on_each_request_cancels_before_the_deadline,
        noticing_the_signal_only_at_the_next_job_returns_late,
    ]);
}
