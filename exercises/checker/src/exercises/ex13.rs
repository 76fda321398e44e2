//! Exercise 13: graceful shutdown.
//!
//! `async fn run_jobs(client: &reqwest::Client, jobs: mpsc::Receiver<String>,
//! shutdown: CancellationToken, grace: Duration)` starts a request for
//! each URL that comes on `jobs`, as it comes. When `shutdown` is
//! cancelled it takes no new job, gives the requests in flight `grace` to
//! finish (bodies read to the end), cancels those still running then, and
//! returns once every request is over. Without a signal, it returns when
//! the channel is closed and every request has finished.
//!
//! The check feeds URLs of its own delay server into the channel, one
//! every 50 ms, cancels the token between two of them, and keeps sending
//! after it. Each verdict comes from the server's record, by URL: which
//! requests arrived (a URL sent after the signal that reached the server
//! was started after it), which were answered in full (`ended`) and
//! which the client left (`abandoned`), and when. After the function
//! returns, its runtime runs 500 ms more: tasks it left behind show, as
//! requests that end or are dropped only after the return.

mod judge;

use crate::shared::lab::{Lab, Target};
use crate::shared::{Diagnosis, Verdict};
use mock_server::RequestRecord;
use reqwest::Client;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "finishes_the_batch_without_a_signal",
    "stops_taking_work_at_the_signal",
    "lets_the_requests_in_flight_finish",
    "cancels_the_rest_at_the_deadline",
];

/// A job arrives every 50 ms.
const SPACING: Duration = Duration::from_millis(50);

/// How long the runtime runs on after the function returned: a task left
/// behind keeps its request going meanwhile, then the runtime drops it
/// (see `judge::AFTER_THE_RETURN`).
const AFTER_RETURN: Duration = Duration::from_millis(500);

/// One job: its delay and how long its body takes to come (`?drip=`).
#[derive(Clone, Copy)]
struct Job {
    delay: u64,
    drip: u64,
}

/// 250 ms to the headers, then 250 ms of body: 500 ms, within every
/// grace period of the checks.
const SHORT: Job = Job {
    delay: 250,
    drip: 250,
};

/// 2 s: longer than the grace period of `cancels_the_rest_at_the_deadline`
/// (700 ms), so that waiting for it returns over a second late.
const SLOW: Job = Job {
    delay: 2000,
    drip: 0,
};

/// What the check does to the function: the jobs before the signal, the
/// signal (or a closed channel), the jobs after it.
struct Plan {
    before: Vec<Job>,
    /// `None`: no signal; the channel is closed after the last job.
    signal: Option<Signal>,
    grace: Duration,
    /// How long the function may take before it counts as hanging.
    patience: Duration,
}

struct Signal {
    /// The jobs sent after the signal, the first `first_after` after it.
    after: Vec<Job>,
    first_after: Duration,
}

/// What happened in one run.
struct Seen {
    before: Vec<(Target, Job, Option<RequestRecord>)>,
    after: Vec<Option<RequestRecord>>,
    signalled: Option<Instant>,
    returned: Option<Instant>,
    grace: Duration,
    patience: Duration,
    saw: String,
}

fn target(lab: &Lab, job: Job, label: &str) -> Target {
    let t = lab.target(job.delay, label);
    if job.drip == 0 {
        return t;
    }
    Target {
        url: format!("{}&drip={}", t.url, job.drip),
        ..t
    }
}

/// Runs `run_jobs` with `plan` and collects the record.
fn run(
    run_jobs: impl AsyncFn(&Client, mpsc::Receiver<String>, CancellationToken, Duration)
    + Send
    + 'static,
    plan: Plan,
) -> Result<Seen, Diagnosis> {
    let lab = Lab::start()?;
    let before: Vec<(Target, Job)> = plan
        .before
        .iter()
        .enumerate()
        .map(|(i, &job)| (target(&lab, job, &format!("before-{i}")), job))
        .collect();
    let after: Vec<Target> = plan.signal.as_ref().map_or(Vec::new(), |s| {
        s.after
            .iter()
            .enumerate()
            .map(|(i, &job)| target(&lab, job, &format!("after-{i}")))
            .collect()
    });
    let urls_before: Vec<String> = before.iter().map(|(t, _)| t.url.clone()).collect();
    let urls_after: Vec<String> = after.iter().map(|t| t.url.clone()).collect();
    let first_after = plan.signal.as_ref().map(|s| s.first_after);
    let (grace, patience) = (plan.grace, plan.patience);
    let client = lab.client();
    let signalled = Arc::new(Mutex::new(None));
    let when = Arc::clone(&signalled);
    let ran = lab.run_async("run_jobs", move || async move {
        let (tx, rx) = mpsc::channel(64);
        let token = CancellationToken::new();
        let feeder = tokio::spawn(feed(
            tx,
            urls_before,
            urls_after,
            first_after,
            token.clone(),
            when,
        ));
        let done = tokio::time::timeout(patience, run_jobs(&client, rx, token, grace)).await;
        let returned = done.ok().map(|()| Instant::now());
        // Whatever it left running runs on for a while.
        tokio::time::sleep(AFTER_RETURN).await;
        feeder.abort();
        returned
    })?;
    let returned = ran.value;
    settle(&lab);
    let records = lab.requests();
    let find = |t: &Target| records.iter().find(|r| r.path == t.path).cloned();
    Ok(Seen {
        before: before
            .into_iter()
            .map(|(t, job)| {
                let r = find(&t);
                (t, job, r)
            })
            .collect(),
        after: after.iter().map(find).collect(),
        signalled: *signalled.lock().unwrap(),
        returned,
        grace,
        patience,
        saw: lab.server_saw(),
    })
}

/// Sends the jobs, one every [`SPACING`], and the signal between them.
async fn feed(
    tx: mpsc::Sender<String>,
    before: Vec<String>,
    after: Vec<String>,
    first_after: Option<Duration>,
    token: CancellationToken,
    signalled: Arc<Mutex<Option<Instant>>>,
) {
    for url in before {
        if tx.send(url).await.is_err() {
            return;
        }
        tokio::time::sleep(SPACING).await;
    }
    let Some(first_after) = first_after else {
        // No signal: the batch is over, and the channel closes.
        return;
    };
    // The moment is noted first: whatever the function does about the
    // signal, it does after this.
    *signalled.lock().unwrap() = Some(Instant::now());
    token.cancel();
    tokio::time::sleep(first_after).await;
    for url in after {
        if tx.send(url).await.is_err() {
            return;
        }
        tokio::time::sleep(SPACING).await;
    }
    // The channel stays open, as a server's would: the signal, not the
    // end of the jobs, is what stops the function.
    tx.closed().await;
}

/// Gives the server a moment to note the ends of requests whose clients
/// the runtime's shutdown dropped.
fn settle(lab: &Lab) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(1)
        && !lab.requests().iter().all(RequestRecord::is_over)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn short_jobs(n: usize) -> Vec<Job> {
    vec![SHORT; n]
}

/// Five jobs and a closed channel, no signal: every request runs to its
/// end, and the function returns when the last one is over.
pub fn finishes_the_batch_without_a_signal(
    run_jobs: impl AsyncFn(&Client, mpsc::Receiver<String>, CancellationToken, Duration)
    + Send
    + 'static,
) -> Verdict {
    let seen = run(
        run_jobs,
        Plan {
            before: short_jobs(5),
            signal: None,
            grace: Duration::from_secs(1),
            patience: Duration::from_millis(2500),
        },
    )?;
    seen.skipped_jobs()?;
    seen.did_not_hang()?;
    seen.in_flight_finished()?;
    seen.returned_promptly()
}

/// The plan of the checks on the requests in flight: six short jobs, the
/// signal, four more jobs 100 ms after it; a grace period of 1.5 s.
fn mid_batch() -> Plan {
    Plan {
        before: short_jobs(6),
        signal: Some(Signal {
            after: short_jobs(4),
            first_after: Duration::from_millis(100),
        }),
        grace: Duration::from_millis(1500),
        patience: Duration::from_secs(3),
    }
}

/// After the signal, no job starts.
pub fn stops_taking_work_at_the_signal(
    run_jobs: impl AsyncFn(&Client, mpsc::Receiver<String>, CancellationToken, Duration)
    + Send
    + 'static,
) -> Verdict {
    let seen = run(run_jobs, mid_batch())?;
    seen.returned_before_the_signal()?;
    seen.started_after_the_signal()?;
    seen.skipped_jobs()?;
    seen.did_not_hang()
}

/// The requests in flight at the signal finish, bodies and all, and the
/// function returns as soon as they have.
pub fn lets_the_requests_in_flight_finish(
    run_jobs: impl AsyncFn(&Client, mpsc::Receiver<String>, CancellationToken, Duration)
    + Send
    + 'static,
) -> Verdict {
    let seen = run(run_jobs, mid_batch())?;
    seen.returned_before_the_signal()?;
    seen.started_after_the_signal()?;
    seen.did_not_hang()?;
    seen.in_flight_finished()?;
    seen.returned_promptly()
}

/// Requests of 2 s with a grace period of 700 ms: cancelled at the
/// deadline, and the function returns then.
pub fn cancels_the_rest_at_the_deadline(
    run_jobs: impl AsyncFn(&Client, mpsc::Receiver<String>, CancellationToken, Duration)
    + Send
    + 'static,
) -> Verdict {
    let seen = run(
        run_jobs,
        Plan {
            before: vec![SHORT, SLOW, SHORT, SLOW, SHORT, SHORT],
            signal: Some(Signal {
                after: short_jobs(4),
                // After the deadline: a function that notices the signal
                // only when the next job comes notices it late.
                first_after: Duration::from_millis(600),
            }),
            grace: Duration::from_millis(700),
            patience: Duration::from_millis(3000),
        },
    )?;
    seen.returned_before_the_signal()?;
    seen.started_after_the_signal()?;
    seen.did_not_hang()?;
    seen.in_flight_finished()?;
    seen.returned_in_time()?;
    seen.cancelled_at_the_deadline()
}
