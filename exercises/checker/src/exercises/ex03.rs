//! Exercise 3: spawn tasks and wait for them.
//!
//! `async fn run_all<F>(jobs: Vec<F>)`, where `F` is a `Send + 'static`
//! future of `()`, must run every job as a task of its own (`tokio::spawn`),
//! all at once, and return when every job is done.
//!
//! The check hands it jobs of different lengths (the longest somewhere in
//! the middle of the list, never first or last) that note what they see:
//! which task they run in, how many jobs run at the same time, whether they
//! finished, and, when one is dropped before it finished, whether that
//! happened inside a task (a spawned task cancelled: a dropped `JoinSet`,
//! `abort()`) or outside any (a future dropped unspawned). When `run_all`
//! returns, the check reads how many had finished: waiting for one handle
//! only (the last, or the first to finish with `select_all`) leaves others
//! running.

use crate::shared::lab::{Lab, Meta};
use crate::shared::{Diagnosis, Verdict, judge};
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
/// The shortest job; the others are longer by `STEP` each.
const SHORTEST: Duration = Duration::from_millis(100);
const STEP: Duration = Duration::from_millis(15);
const LONGEST: Duration = Duration::from_millis(100 + 15 * (JOBS as u64 - 1));

/// What the jobs saw.
#[derive(Default)]
struct Probe {
    started: AtomicUsize,
    finished: AtomicUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
    /// Dropped before they first ran / while running, inside a task: a
    /// spawned task cancelled (its future is dropped in its task's context).
    cancelled_unstarted: AtomicUsize,
    cancelled_running: AtomicUsize,
    /// Dropped before they first ran / while running, outside any task:
    /// futures `run_all` dropped itself.
    dropped_unstarted: AtomicUsize,
    dropped_running: AtomicUsize,
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

    fn get(n: &AtomicUsize) -> usize {
        n.load(Ordering::SeqCst)
    }
}

/// Lives inside a job's future; on drop, notes how far the job got and
/// whether it was dropped in a task (cancelled) or outside any.
struct Guard {
    probe: Arc<Probe>,
    started: bool,
    finished: bool,
}

impl Guard {
    fn mark_started(&mut self) {
        self.started = true;
    }

    fn mark_finished(&mut self) {
        self.finished = true;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let in_task = tokio::task::try_id().is_some();
        let p = &self.probe;
        let counter = match (self.started, in_task) {
            (false, true) => &p.cancelled_unstarted,
            (true, true) => &p.cancelled_running,
            (false, false) => &p.dropped_unstarted,
            (true, false) => &p.dropped_running,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        if self.started {
            p.running.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Ten jobs of different lengths, in an order that changes in every run:
/// the longest is never first nor last in the list.
fn jobs(lab: &Lab, probe: &Arc<Probe>) -> Vec<Job> {
    let mut lengths: Vec<Duration> = (0..JOBS as u32).map(|i| SHORTEST + STEP * i).collect();
    for i in (1..JOBS).rev() {
        let j = (lab.random() % (i as u64 + 1)) as usize;
        lengths.swap(i, j);
    }
    let longest = lengths.iter().position(|&l| l == LONGEST).unwrap_or(0);
    if longest == 0 || longest == JOBS - 1 {
        lengths.swap(longest, 1 + (lab.random() % (JOBS as u64 - 2)) as usize);
    }
    lengths
        .into_iter()
        .map(|length| {
            let mut guard = Guard {
                probe: Arc::clone(probe),
                started: false,
                finished: false,
            };
            let job: Job = Box::pin(async move {
                let probe = Arc::clone(&guard.probe);
                // `try_id` is `None` outside a task: in a future that is
                // polled by another future (join_all) instead of spawned.
                probe.tasks.lock().unwrap().push(tokio::task::try_id());
                probe.started.fetch_add(1, Ordering::SeqCst);
                guard.mark_started();
                let now = probe.running.fetch_add(1, Ordering::SeqCst) + 1;
                probe.peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(length).await;
                probe.running.fetch_sub(1, Ordering::SeqCst);
                probe.finished.fetch_add(1, Ordering::SeqCst);
                guard.mark_finished();
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
    let given = jobs(&lab, &probe);
    let watch = Arc::clone(&probe);
    let ran = lab.run_async("run_all", move || async move {
        run_all(given).await;
        let at_return = watch.count();
        // Give tasks that were spawned but not awaited time to finish (each
        // started at the latest when `run_all` returned, so within the
        // longest job's time), and cancelled ones time to be dropped.
        tokio::time::sleep(LONGEST + Duration::from_millis(50)).await;
        (at_return, watch.count())
    })?;
    let (at_return, later) = ran.value;
    // The run's time includes the wait above; the jobs' peak does not care.
    Ok((probe, at_return, later, ran.meta))
}

/// Why some jobs never ran (or never finished), when the record shows how
/// they were dropped; `None` if they were not.
fn dropped(probe: &Probe, meta: &Meta) -> Option<Diagnosis> {
    let cancelled = Probe::get(&probe.cancelled_unstarted) + Probe::get(&probe.cancelled_running);
    let dropped = Probe::get(&probe.dropped_unstarted) + Probe::get(&probe.dropped_running);
    let note = judge::panic_note(&meta.panics);
    if cancelled > 0 {
        let before = Probe::get(&probe.cancelled_unstarted);
        let when = if before == cancelled {
            String::from("before they first ran")
        } else if before == 0 {
            String::from("while they ran")
        } else {
            format!("{before} of them before they first ran")
        };
        return Some(Diagnosis::new(format!(
            "{cancelled} of the {JOBS} jobs were spawned and then cancelled, {when}: dropping a \
             `JoinSet` aborts every task still in it (as `abort()` on a JoinHandle does; \
             dropping a plain JoinHandle does not). Keep the JoinSet until \
             `join_next().await` returns `None`, or keep the JoinHandles and await them all.{note}"
        )));
    }
    if dropped > 0 {
        let before = Probe::get(&probe.dropped_unstarted);
        let text = if before == dropped {
            format!(
                "{dropped} of the {JOBS} jobs never ran: `run_all` dropped them without \
                 spawning or awaiting them. A future does nothing until it is polled: hand \
                 each job to `tokio::spawn`."
            )
        } else {
            format!(
                "{dropped} of the {JOBS} jobs were dropped before they finished, outside any \
                 task: `run_all` polled them itself (`select!`, `select_all` over the jobs) and \
                 let go of the rest. Hand each job to `tokio::spawn` and await every JoinHandle."
            )
        };
        return Some(Diagnosis::new(format!("{text}{note}")));
    }
    None
}

/// When `run_all` returns, every job has finished.
pub fn waits_for_every_job(run_all: impl AsyncFn(Vec<Job>) + Send + 'static) -> Verdict {
    let (probe, at_return, later, meta) = run(run_all)?;
    if at_return.finished == JOBS {
        return Ok(());
    }
    if let Some(d) = dropped(&probe, &meta) {
        return Err(d);
    }
    let unfinished = JOBS - at_return.finished;
    let text = if later.finished > at_return.finished || later.started > at_return.started {
        let none = if at_return.finished == 0 {
            "none had finished"
        } else {
            "the others had finished"
        };
        format!(
            "`run_all` returned while {unfinished} of the {JOBS} jobs were still running \
             ({none}; the rest finished later, on their own): `tokio::spawn` starts a task \
             and returns at once, and `.await` on one JoinHandle waits for that task only (the \
             jobs have different lengths: awaiting the last handle, or the first to finish \
             with `select_all`, is not awaiting them all). Keep each JoinHandle and `.await` \
             every one (or drain a JoinSet) before returning."
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
        return Err(dropped(&probe, &meta).unwrap_or_else(|| never_ran(&meta)));
    }
    let (short, long) = (SHORTEST.as_millis(), LONGEST.as_millis());
    Err(Diagnosis::new(if peak <= 1 {
        format!(
            "{JOBS} jobs of {short} to {long} ms never overlapped: they ran one after another. \
             Did you `.await` each JoinHandle right after spawning it? Spawn all jobs first, \
             then await the handles."
        )
    } else {
        format!(
            "at most {peak} of the {JOBS} jobs ran at the same time: spawn all of them before \
             you await any handle."
        )
    }))
}

fn never_ran(meta: &Meta) -> Diagnosis {
    Diagnosis::new(format!(
        "none of the {JOBS} jobs ever ran: spawn each one with `tokio::spawn`.{}",
        judge::panic_note(&meta.panics)
    ))
}

/// Each job is a task of its own, not a future polled by `run_all`'s.
pub fn each_job_runs_in_its_own_task(run_all: impl AsyncFn(Vec<Job>) + Send + 'static) -> Verdict {
    let (probe, _, _, meta) = run(run_all)?;
    let tasks = probe.tasks.lock().unwrap().clone();
    if tasks.is_empty() {
        return Err(dropped(&probe, &meta).unwrap_or_else(|| never_ran(&meta)));
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
