//! Chapter 13: graceful shutdown.
//!
//! Jobs arrive one every `--every-ms`, like requests at a server, and each
//! one is a request to the delay server, run in a task of its own. Then a
//! stop signal comes (Ctrl-C, or `--stop-after-ms` so that a run can be
//! repeated and tested): take no new job, give the jobs in flight
//! `--grace-ms` to finish, then cancel the rest. The run counts what
//! happened: started, finished, cancelled, and how long the shutdown took.
//!
//! ```text
//! cargo run -p chapter13                           # stops at 0.95 s
//! cargo run -p chapter13 -- --mode join-set
//! cargo run -p chapter13 -- --stop-after-ms 0      # press Ctrl-C
//! ```

// ANCHOR: all
use anyhow::Context as _;
use args::{Args, Mode};
use course::Timeline;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio::time::{MissedTickBehavior, interval, sleep_until, timeout};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod args;
mod report;

/// 20 jobs, one every 100 ms, of 300 ms each (every 4th of 3 s): two
/// seconds of arrivals, of which the stop at 0.95 s cuts half.
const REQUESTS: u32 = 20;
const DELAY_MS: u64 = 300;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = course::args::parse_with_defaults(
        "chapter13",
        "Graceful shutdown: on a stop signal, take no new work, let the \
         jobs in flight finish within a grace period, cancel the rest",
        REQUESTS,
        DELAY_MS,
        std::env::args_os(),
    );
    course::init_logging();
    course::finish(app(args).await)
}

async fn app(args: Args) -> course::Result<()> {
    let server = course::Server::start().await?;
    let work = Work::new(&args, &server)?;

    // ANCHOR: signal
    // The stop signal, as a token: `cancel()` on one clone wakes every
    // `cancelled()` future of every clone. Nothing else happens to the
    // tasks: a token is only a flag with a wake-up, and each piece of code
    // that watches it decides what stopping means for it.
    let shutdown = CancellationToken::new();
    // A second Ctrl-C during the grace period: cancel the jobs now.
    let hurry = CancellationToken::new();
    let stop = tokio::spawn(stop_signal(
        args.stop_after(),
        shutdown.clone(),
        hurry.clone(),
    ));
    // ANCHOR_END: signal

    let tally = match args.mode {
        Mode::Tracker => with_tracker(&work, &shutdown, &hurry).await,
        Mode::JoinSet => with_join_set(&work, &shutdown, &hurry).await,
    };
    // Every job is over: the signal task is no longer needed (if it has
    // not fired, it never will).
    stop.abort();
    let stopped_by = match stop.await {
        Ok(why) => Some(why?),
        Err(_aborted) => None,
    };
    report::summary(&tally, work.count, stopped_by.as_ref());
    report::mark_stop(&work.timeline, &tally, args.grace());
    work.timeline
        .show(&args.common, "Chapter 13: graceful shutdown")
        .await?;
    report::outcome(&tally, stopped_by)
}

// ANCHOR: stop_signal
/// Waits for Ctrl-C, SIGTERM or `after`, whichever comes first, and
/// cancels `shutdown`; a Ctrl-C after that cancels `hurry`. Returns what
/// stopped the work.
async fn stop_signal(
    after: Option<Duration>,
    shutdown: CancellationToken,
    hurry: CancellationToken,
) -> course::Result<Stop> {
    let timer = async {
        match after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
    };
    let why = tokio::select! {
        signal = tokio::signal::ctrl_c() => {
            signal.map_err(|e| {
                anyhow::anyhow!("cannot listen for Ctrl-C: {e}")
            })?;
            Stop::CtrlC
        }
        signal = terminate() => {
            signal.map_err(|e| {
                anyhow::anyhow!("cannot listen for SIGTERM: {e}")
            })?;
            Stop::Terminate
        }
        () = timer => Stop::Timer(after.unwrap_or_default()),
    };
    report::signal(why);
    shutdown.cancel();
    // tokio's Ctrl-C handler stays installed for the life of the process:
    // from now on Ctrl-C no longer ends it. So the next one means "do not
    // wait for the deadline". This small task holds nothing; the runtime
    // drops it when `main` returns.
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            report::hurry();
            hurry.cancel();
        }
    });
    Ok(why)
}
// ANCHOR_END: stop_signal

// ANCHOR: terminate
/// SIGTERM, what a service manager sends to stop a program: systemd,
/// `docker stop` and Kubernetes all do, then SIGKILL if it has not ended
/// within a grace period of their own. Unix only; elsewhere this waits
/// for ever. The handler is installed when this future is first polled
/// (from then on SIGTERM no longer ends the process by itself).
async fn terminate() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::terminate())?.recv().await;
        Ok(())
    }
    #[cfg(not(unix))]
    std::future::pending().await
}
// ANCHOR_END: terminate

/// What sent the stop signal.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    CtrlC,
    Terminate,
    Timer(Duration),
}

/// The jobs: a client, the server, and how they arrive.
struct Work {
    client: reqwest::Client,
    args: Args,
    base: String,
    count: usize,
    timeline: Timeline,
}

impl Work {
    fn new(args: &Args, server: &course::Server) -> course::Result<Work> {
        Ok(Work {
            client: args.common.client()?,
            args: args.clone(),
            base: server.base_url().to_string(),
            count: args.common.count(),
            timeline: Timeline::new(),
        })
    }

    /// Ticks when the next job arrives; the first tick is at once.
    fn arrivals(&self) -> tokio::time::Interval {
        let mut every = interval(self.args.every());
        // A late tick (a busy machine) does not bring a burst of jobs.
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        every
    }

    // ANCHOR: job
    /// Job `n` as a future that owns what it uses, to be spawned. The body
    /// is read to its end: a job is done when its whole answer is in.
    fn job(
        &self,
        n: usize,
    ) -> impl Future<Output = course::Result<()>> + Send + 'static {
        let ms = self.args.delay_ms_of(n);
        let url =
            format!("{}?bytes=1024", mock_server::delay_url(&self.base, ms));
        let (client, timeline) = (self.client.clone(), self.timeline.clone());
        async move {
            let fetch = async {
                let response = client.get(&url).send().await?;
                response.error_for_status()?.bytes().await?;
                Ok::<_, reqwest::Error>(())
            };
            let fetch =
                async { fetch.await.with_context(|| format!("GET {url}")) };
            timeline.track(format!("job {n}"), fetch).await
        }
    }
    // ANCHOR_END: job
}

/// What happened to the jobs. Shared by the tasks behind a `Mutex`,
/// locked for one line at a time, never across an `.await`.
#[derive(Debug, Default)]
pub struct Tally {
    pub started: usize,
    pub finished: usize,
    /// Of the finished ones, how many finished after the stop signal.
    pub finished_in_grace: usize,
    pub cancelled: usize,
    pub failed: usize,
    pub first_error: Option<anyhow::Error>,
    /// In flight when the stop signal came.
    pub in_flight_at_stop: usize,
    /// From the stop signal to the end of the last job.
    pub shutdown_took: Option<Duration>,
}

impl Tally {
    fn record(&mut self, outcome: Option<course::Result<()>>, late: bool) {
        match outcome {
            Some(Ok(())) => {
                self.finished += 1;
                self.finished_in_grace += usize::from(late);
            }
            Some(Err(e)) => {
                self.failed += 1;
                self.first_error.get_or_insert(e);
            }
            None => self.cancelled += 1,
        }
    }
}

// ANCHOR: tracker
/// The jobs as tasks of a `TaskTracker`, cancelled at the deadline by a
/// second token.
async fn with_tracker(
    work: &Work,
    shutdown: &CancellationToken,
    hurry: &CancellationToken,
) -> Tally {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let tracker = TaskTracker::new();
    // Cancelled at the deadline, and watched by every task. Not the
    // shutdown token, nor a child of it: a child token is cancelled with
    // its parent, so the tasks would all stop at the signal. A child of
    // `hurry`: a second Ctrl-C cancels it too, while cancelling it at the
    // deadline leaves `hurry` alone.
    let abort = hurry.child_token();
    let mut arrivals = work.arrivals();
    for n in 1..=work.count {
        // Stop taking work: the signal wins over a job that arrives at
        // the same moment (`biased` polls the branches in order).
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            _ = arrivals.tick() => {}
        }
        let (job, abort) = (work.job(n), abort.clone());
        let (record, shutdown) = (Arc::clone(&tally), shutdown.clone());
        tracker.spawn(async move {
            // `None` if `abort` is cancelled first: `job` is then dropped,
            // which cancels the request (its connection is closed).
            let outcome = abort.run_until_cancelled(job).await;
            let late = shutdown.is_cancelled();
            record.lock().unwrap().record(outcome, late);
        });
        tally.lock().unwrap().started += 1;
    }
    // No task will be added: `wait()` returns once the tracker is closed
    // *and* empty, so without `close()` it would never return. Closing
    // stops nothing; the tasks run on.
    tracker.close();
    tokio::select! {
        // Every job got to start: wait for them, unless the signal comes.
        () = tracker.wait() => {}
        () = shutdown.cancelled() => {
            let stopped = Instant::now();
            let grace = work.args.grace();
            tally.lock().unwrap().in_flight_at_stop = tracker.len();
            report::stopping(tracker.len(), grace);
            if timeout(grace, tracker.wait()).await.is_err() {
                report::deadline(tracker.len());
                abort.cancel();
                // The cancelled tasks end at their next poll: wait for it.
                tracker.wait().await;
            }
            tally.lock().unwrap().shutdown_took = Some(stopped.elapsed());
        }
    }
    std::mem::take(&mut *tally.lock().unwrap())
}
// ANCHOR_END: tracker

// ANCHOR: join_set
/// The jobs as tasks of a `JoinSet`, drained as they finish, aborted at
/// the deadline.
async fn with_join_set(
    work: &Work,
    shutdown: &CancellationToken,
    hurry: &CancellationToken,
) -> Tally {
    let mut tally = Tally::default();
    let mut tasks = JoinSet::new();
    let mut arrivals = work.arrivals();
    let mut next = 1;
    while next <= work.count {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            // A JoinSet keeps each task's output until it is joined: take
            // the finished ones as they come, or they pile up.
            Some(done) = tasks.join_next() => tally.record(joined(done), false),
            _ = arrivals.tick() => {
                tasks.spawn(work.job(next));
                tally.started += 1;
                next += 1;
            }
        }
    }
    if !shutdown.is_cancelled() {
        // Every job got to start: drain, unless the signal comes first.
        // `join_next` is cancel safe: if the signal wins, no task's
        // output is lost.
        loop {
            tokio::select! {
                done = tasks.join_next() => match done {
                    Some(done) => tally.record(joined(done), false),
                    None => return tally,
                },
                () = shutdown.cancelled() => break,
            }
        }
    }
    let stopped = Instant::now();
    let deadline = tokio::time::Instant::now() + work.args.grace();
    tally.in_flight_at_stop = tasks.len();
    report::stopping(tasks.len(), work.args.grace());
    // The deadline, or a second Ctrl-C before it.
    let cut = async {
        tokio::select! {
            () = sleep_until(deadline) => {}
            () = hurry.cancelled() => {}
        }
    };
    tokio::pin!(cut);
    loop {
        tokio::select! {
            done = tasks.join_next() => match done {
                Some(done) => tally.record(joined(done), true),
                None => break,
            },
            () = &mut cut => {
                if !hurry.is_cancelled() {
                    report::deadline(tasks.len());
                }
                // Aborted tasks are dropped by the runtime instead of
                // being polled again; they stay in the set until joined,
                // as cancelled ones.
                tasks.abort_all();
                while let Some(done) = tasks.join_next().await {
                    tally.record(joined(done), true);
                }
                break;
            }
        }
    }
    tally.shutdown_took = Some(stopped.elapsed());
    tally
}

/// A joined task as an outcome: `None` if it was aborted.
fn joined(
    done: Result<course::Result<()>, tokio::task::JoinError>,
) -> Option<course::Result<()>> {
    match done {
        Ok(outcome) => Some(outcome),
        Err(e) if e.is_cancelled() => None,
        Err(e) => Some(Err(course::join_error(0, e))),
    }
}
// ANCHOR_END: join_set
// ANCHOR_END: all
