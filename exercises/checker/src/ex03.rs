//! Exercise 3: spawn tasks and wait for them.
//!
//! `async fn run_all<F>(jobs: Vec<F>)`, where `F` is a `Send + 'static`
//! future of `()`, must run every job as a task of its own (`tokio::spawn`),
//! all at once, and return when every job is done.
//!
//! The check hands it jobs that note what they see: which task they run in,
//! how many jobs run at the same time, whether they finished.

use crate::lab::{Lab, Meta};
use crate::{Diagnosis, Verdict, judge};
use futures::future::BoxFuture;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "waits_for_every_job",
    "jobs_run_concurrently",
    "each_job_runs_in_its_own_task",
];

/// The jobs the check hands to `run_all`.
pub type Job = BoxFuture<'static, ()>;

const JOBS: usize = 10;
const JOB_TIME: Duration = Duration::from_millis(100);

/// What the jobs saw.
#[derive(Default)]
struct Probe {
    started: AtomicUsize,
    finished: AtomicUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
    tasks: Mutex<Vec<Option<tokio::task::Id>>>,
}

#[derive(Debug, Clone, Copy)]
struct Count {
    started: usize,
    finished: usize,
}

impl Probe {
    fn count(&self) -> Count {
        Count {
            started: self.started.load(Ordering::SeqCst),
            finished: self.finished.load(Ordering::SeqCst),
        }
    }
}

fn jobs(probe: &Arc<Probe>) -> Vec<Job> {
    (0..JOBS)
        .map(|_| {
            let probe = Arc::clone(probe);
            let job: Job = Box::pin(async move {
                // `try_id` is `None` outside a task: in a future that is
                // polled by another future (join_all) instead of spawned.
                probe.tasks.lock().unwrap().push(tokio::task::try_id());
                probe.started.fetch_add(1, Ordering::SeqCst);
                let now = probe.running.fetch_add(1, Ordering::SeqCst) + 1;
                probe.peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(JOB_TIME).await;
                probe.running.fetch_sub(1, Ordering::SeqCst);
                probe.finished.fetch_add(1, Ordering::SeqCst);
            });
            job
        })
        .collect()
}

/// Runs `run_all` on fresh jobs; notes what was done when it returned and
/// what happened after (jobs still running on their own).
fn run(
    run_all: impl AsyncFn(Vec<Job>) + Send + 'static,
) -> Result<(Arc<Probe>, Count, Count, Meta), Diagnosis> {
    let lab = Lab::start()?;
    let probe = Arc::new(Probe::default());
    let given = jobs(&probe);
    let watch = Arc::clone(&probe);
    let ran = lab.run_async("run_all", move || async move {
        run_all(given).await;
        let at_return = watch.count();
        // Give tasks that were spawned but not awaited time to show up.
        tokio::time::sleep(JOB_TIME * 3).await;
        (at_return, watch.count())
    })?;
    let (at_return, later) = ran.value;
    // The run's time includes the wait above; the jobs' peak does not care.
    Ok((probe, at_return, later, ran.meta))
}

/// When `run_all` returns, every job has finished.
pub fn waits_for_every_job(run_all: impl AsyncFn(Vec<Job>) + Send + 'static) -> Verdict {
    let (_, at_return, later, meta) = run(run_all)?;
    if at_return.finished == JOBS {
        return Ok(());
    }
    let unfinished = JOBS - at_return.finished;
    let text = if later.finished > at_return.finished || later.started > at_return.started {
        format!(
            "`run_all` returned while {unfinished} of the {JOBS} jobs were still running (they \
             finished later, on their own): `tokio::spawn` starts a task and returns at once. \
             Keep each JoinHandle and `.await` it (or use a JoinSet) before returning."
        )
    } else if later.started == 0 {
        format!(
            "none of the {JOBS} jobs ever ran: `run_all` dropped them without awaiting or \
             spawning them. A future does nothing until it is polled: hand each job to \
             `tokio::spawn`."
        )
    } else {
        format!(
            "{} of the {JOBS} jobs never ran and {} never finished: spawn every job and await \
             every JoinHandle.",
            JOBS - later.started,
            JOBS - later.finished
        )
    };
    Err(Diagnosis::new(format!(
        "{text}{}",
        judge::panic_note(&meta.panics)
    )))
}

/// All jobs run at the same time.
pub fn jobs_run_concurrently(run_all: impl AsyncFn(Vec<Job>) + Send + 'static) -> Verdict {
    let (probe, _, later, meta) = run(run_all)?;
    let peak = probe.peak.load(Ordering::SeqCst);
    if peak == JOBS {
        return Ok(());
    }
    if later.started == 0 {
        return Err(Diagnosis::new(format!(
            "none of the {JOBS} jobs ever ran: spawn each one with `tokio::spawn`.{}",
            judge::panic_note(&meta.panics)
        )));
    }
    let ms = JOB_TIME.as_millis();
    Err(Diagnosis::new(if peak <= 1 {
        format!(
            "{JOBS} jobs of {ms} ms never overlapped: they ran one after another. Did you \
             `.await` each JoinHandle right after spawning it? Spawn all jobs first, then \
             await the handles."
        )
    } else {
        format!(
            "at most {peak} of the {JOBS} jobs ran at the same time: spawn all of them before \
             you await any handle."
        )
    }))
}

/// Each job is a task of its own, not a future polled by `run_all`'s.
pub fn each_job_runs_in_its_own_task(run_all: impl AsyncFn(Vec<Job>) + Send + 'static) -> Verdict {
    let (probe, _, _, meta) = run(run_all)?;
    let tasks = probe.tasks.lock().unwrap().clone();
    if tasks.is_empty() {
        return Err(Diagnosis::new(format!(
            "none of the {JOBS} jobs ever ran: spawn each one with `tokio::spawn`.{}",
            judge::panic_note(&meta.panics)
        )));
    }
    let outside = tasks.iter().filter(|t| t.is_none()).count();
    if outside > 0 {
        return Err(Diagnosis::new(format!(
            "{outside} of the {} jobs ran inside `run_all`'s own future, not as tasks: \
             `join_all` or `select!` poll futures concurrently within one task, but this \
             exercise is about tasks. Hand each job to `tokio::spawn`.",
            tasks.len()
        )));
    }
    let ids: HashSet<_> = tasks.iter().flatten().collect();
    if ids.len() < tasks.len() {
        return Err(Diagnosis::new(format!(
            "the {} jobs ran in only {} task(s): spawn one task per job.",
            tasks.len(),
            ids.len()
        )));
    }
    Ok(())
}
