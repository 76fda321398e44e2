//! Exercise 3, `run_all(jobs)`: spawn tasks and wait for them.

use crate::{LIMIT, REPORTS_WITHIN, fails_with, passes, within};
use checker::ex03::{self, Job};
use futures::future::{join_all, try_join_all};
use futures::stream::{FuturesUnordered, StreamExt};
use std::time::Duration;

// ---- mistakes --------------------------------------------------------------

#[test]
fn unawaited_tasks_are_still_running_at_return() {
    fails_with(
        ex03::waits_for_every_job(async |jobs: Vec<Job>| {
            for job in jobs {
                tokio::spawn(job);
            }
        }),
        &[
            "`run_all` returned while 10 of the 10 jobs were still running",
            "none had finished",
            "`.await` every one",
        ],
    );
}

#[test]
fn awaiting_only_the_last_handle_leaves_the_longer_jobs_running() {
    fails_with(
        ex03::waits_for_every_job(async |jobs: Vec<Job>| {
            let mut handles: Vec<_> = jobs.into_iter().map(tokio::spawn).collect();
            if let Some(last) = handles.pop() {
                last.await.unwrap();
            }
        }),
        &[
            "`run_all` returned while",
            "of the 10 jobs were still running",
            "awaiting the last handle",
        ],
    );
}

#[test]
fn select_all_waits_for_the_first_job_only() {
    fails_with(
        ex03::waits_for_every_job(async |jobs: Vec<Job>| {
            let handles = jobs.into_iter().map(tokio::spawn);
            let (first, _, _others) = futures::future::select_all(handles).await;
            first.unwrap();
        }),
        &[
            "`run_all` returned while 9 of the 10 jobs were still running",
            "`select_all`",
        ],
    );
}

#[test]
fn a_dropped_joinset_cancels_its_tasks() {
    let dropped_at_once = async |jobs: Vec<Job>| {
        let mut set = tokio::task::JoinSet::new();
        for job in jobs {
            set.spawn(job);
        }
        // `set` is dropped here: every task in it is aborted.
    };
    fails_with(
        ex03::waits_for_every_job(dropped_at_once),
        &[
            "10 of the 10 jobs were spawned and then cancelled, before they first ran",
            "dropping a `JoinSet` aborts every task still in it",
        ],
    );
    fails_with(
        ex03::jobs_run_concurrently(dropped_at_once),
        &["spawned and then cancelled"],
    );
    fails_with(
        ex03::waits_for_every_job(async |jobs: Vec<Job>| {
            let mut set = tokio::task::JoinSet::new();
            for job in jobs {
                set.spawn(job);
            }
            // One job done; the nine others are aborted mid-way.
            set.join_next().await;
        }),
        &[
            "9 of the 10 jobs were spawned and then cancelled, while they ran",
            "`join_next().await` returns `None`",
        ],
    );
}

#[test]
fn jobs_dropped_unspawned_never_run() {
    fails_with(
        ex03::waits_for_every_job(async |jobs: Vec<Job>| drop(jobs)),
        &[
            "10 of the 10 jobs never ran: `run_all` dropped them without spawning",
            "hand each job to `tokio::spawn`",
        ],
    );
}

#[test]
fn join_all_of_plain_futures_is_not_spawning() {
    fails_with(
        ex03::each_job_runs_in_its_own_task(async |jobs: Vec<Job>| {
            join_all(jobs).await;
        }),
        &[
            "10 of the 10 jobs ran inside `run_all`'s own future, not as tasks",
            "tokio::spawn",
        ],
    );
}

#[test]
fn one_task_for_all_jobs_is_not_a_task_each() {
    fails_with(
        ex03::each_job_runs_in_its_own_task(async |jobs: Vec<Job>| {
            tokio::spawn(join_all(jobs)).await.unwrap();
        }),
        &["the 10 jobs ran in only 1 task(s)", "one task per job"],
    );
}

#[test]
fn awaiting_each_handle_at_once_is_sequential() {
    fails_with(
        ex03::jobs_run_concurrently(async |jobs: Vec<Job>| {
            for job in jobs {
                tokio::spawn(job).await.unwrap();
            }
        }),
        &[
            "10 jobs of 100 to 235 ms never overlapped",
            "`.await` each JoinHandle right after spawning it",
        ],
    );
}

#[test]
fn a_timeout_too_short_returns_with_jobs_running() {
    fails_with(
        ex03::waits_for_every_job(async |jobs: Vec<Job>| {
            let handles = jobs.into_iter().map(tokio::spawn);
            let _ = tokio::time::timeout(Duration::from_millis(150), join_all(handles)).await;
        }),
        &["`run_all` returned while", "finished later, on their own"],
    );
}

#[test]
fn blocking_on_a_handle_blocks_for_good() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex03::waits_for_every_job(async |jobs: Vec<Job>| {
            for handle in jobs.into_iter().map(tokio::spawn).collect::<Vec<_>>() {
                // The task needs this very thread to run: it never can.
                futures::executor::block_on(handle).unwrap();
            }
        })
    });
    fails_with(
        verdict,
        &[
            "`run_all` did not return within 1 s",
            "`futures::executor::block_on`",
        ],
    );
}

// ---- correct approaches (the solution awaits each handle in turn) ----------

async fn joinset(jobs: Vec<Job>) {
    let mut set = tokio::task::JoinSet::new();
    for job in jobs {
        set.spawn(job);
    }
    while let Some(done) = set.join_next().await {
        done.expect("a job panicked");
    }
}

async fn joinset_join_all(jobs: Vec<Job>) {
    let set: tokio::task::JoinSet<()> = jobs.into_iter().collect();
    set.join_all().await;
}

async fn join_all_handles(jobs: Vec<Job>) {
    for done in join_all(jobs.into_iter().map(tokio::spawn)).await {
        done.expect("a job panicked");
    }
}

async fn try_join_all_handles(jobs: Vec<Job>) {
    try_join_all(jobs.into_iter().map(tokio::spawn))
        .await
        .expect("a job panicked");
}

async fn futures_unordered_handles(jobs: Vec<Job>) {
    let mut pending: FuturesUnordered<_> = jobs.into_iter().map(tokio::spawn).collect();
    while let Some(done) = pending.next().await {
        done.expect("a job panicked");
    }
}

macro_rules! ex03_accepts {
    ($($name:ident: $f:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            crate::together!(
                passes(ex03::waits_for_every_job($f)),
                passes(ex03::jobs_run_concurrently($f)),
                passes(ex03::each_job_runs_in_its_own_task($f)),
            );
        }
    )+};
}

ex03_accepts! {
    ex03_accepts_a_joinset: joinset,
    ex03_accepts_joinset_join_all: joinset_join_all,
    ex03_accepts_join_all_over_handles: join_all_handles,
    ex03_accepts_try_join_all_over_handles: try_join_all_handles,
    ex03_accepts_futures_unordered_over_handles: futures_unordered_handles,
}
