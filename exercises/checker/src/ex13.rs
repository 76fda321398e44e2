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

use crate::lab::{Lab, Target};
use crate::{Diagnosis, Verdict};
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
/// (see [`AFTER_THE_RETURN`]).
const AFTER_RETURN: Duration = Duration::from_millis(500);

/// How late after the deadline `run_jobs` may return. tokio's timers fire
/// at the first millisecond tick after their deadline, then the cancelled
/// tasks end at their next poll; on a loaded machine (a load of 10 on two
/// cores) that was seen to take up to 140 ms. Waiting for the slow
/// requests instead returns 1.3 s after the deadline.
const LATE: Duration = Duration::from_millis(400);

/// A request the server noted as ended (or abandoned) this long after the
/// function returned was still running when it returned. The server
/// stamps an end when it has written the last byte, a moment before the
/// client has read it, and notes a client gone a moment after it left: a
/// few milliseconds, over a hundred at a load of 20 on two cores. A task
/// left behind ends 200 ms or more after a return at the signal here, or
/// is dropped with the runtime 500 ms after the return.
const AFTER_THE_RETURN: Duration = Duration::from_millis(250);

/// A request cancelled this long before the deadline was cancelled early
/// (tokio's timers never fire early; this is rounding).
const EARLY: Duration = Duration::from_millis(20);

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

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn requests(n: usize) -> String {
    if n == 1 {
        String::from("1 request")
    } else {
        format!("{n} requests")
    }
}

impl Seen {
    fn deadline(&self) -> Option<Instant> {
        self.signalled.map(|s| s + self.grace)
    }

    /// The function returned before the signal it was waiting for.
    fn returned_before_the_signal(&self) -> Verdict {
        let (Some(returned), Some(signalled)) = (self.returned, self.signalled) else {
            return Ok(());
        };
        if returned >= signalled {
            return Ok(());
        }
        Err(Diagnosis::new(format!(
            "`run_jobs` returned {} ms before the stop signal, while jobs were still coming: \
             the channel was still open. Take jobs until the token is cancelled (or the \
             channel is closed): `select!` over `shutdown.cancelled()` and `jobs.recv()` in a \
             loop.",
            ms(signalled - returned)
        )))
    }

    /// No job sent after the signal reached the server.
    fn started_after_the_signal(&self) -> Verdict {
        let late = self.after.iter().flatten().count();
        if late == 0 {
            return Ok(());
        }
        let sent = self.after.len();
        Err(Diagnosis::new(format!(
            "`run_jobs` started {} after the signal: of the {sent} URLs the check sent after \
             cancelling the token, {late} reached the server. After the signal, take no new \
             job: watch the token where you wait for the next job (`select!` with \
             `shutdown.cancelled()` beside `jobs.recv()`), not only between batches of jobs. \
             `cancelled()` is cancel safe, and so is `recv()`: losing the race loses \
             nothing.",
            requests(late)
        )))
    }

    /// Every job sent before the signal was started.
    fn skipped_jobs(&self) -> Verdict {
        let missing = self.before.iter().filter(|(_, _, r)| r.is_none()).count();
        if missing == 0 {
            return Ok(());
        }
        let n = self.before.len();
        let before = if self.signalled.is_some() {
            "before the signal"
        } else {
            "in the batch"
        };
        Err(Diagnosis::new(format!(
            "{missing} of the {n} jobs sent {before} never reached the server: start a request \
             for every job as it comes (spawn it, or push it into a JoinSet or \
             FuturesUnordered), not in batches that wait for each other. {}",
            self.saw
        )))
    }

    /// The function returned within its patience.
    fn did_not_hang(&self) -> Verdict {
        if self.returned.is_some() {
            return Ok(());
        }
        let running = self
            .before
            .iter()
            .filter_map(|(_, _, r)| r.as_ref())
            .filter(|r| !r.is_over())
            .count();
        let secs = crate::explain::secs(self.patience);
        let what = match self.signalled {
            None => {
                "the channel was closed after the last job, and every request had ended".to_string()
            }
            Some(_) if running > 0 => format!(
                "{} still had not ended: a request longer than the grace period must be \
                 cancelled at the deadline",
                requests(running)
            ),
            Some(_) => String::from(
                "the token had been cancelled, and every request had ended or been cancelled",
            ),
        };
        Err(Diagnosis::new(format!(
            "`run_jobs` did not return within {secs}, although {what}: it waits for \
             something that never comes. A `TaskTracker`'s `wait()` returns only once the \
             tracker is closed *and* empty: call `tracker.close()` when you take no more jobs \
             (closing stops no task). A loop on `jobs.recv()` alone ends only when the channel \
             closes, and after the signal it stays open: watch the token too. {}",
            self.saw
        )))
    }

    /// The requests that had to finish (shorter than the grace period)
    /// were answered in full, before the function returned.
    fn in_flight_finished(&self) -> Verdict {
        let returned = self.returned.unwrap_or_else(Instant::now);
        let short: Vec<&RequestRecord> = self
            .before
            .iter()
            .filter(|(_, job, _)| u128::from(job.delay + job.drip) < ms(self.grace))
            .filter_map(|(_, _, r)| r.as_ref())
            .collect();
        let left_behind = short
            .iter()
            .filter(|r| {
                r.ended.is_some_and(|e| e > returned + AFTER_THE_RETURN)
                    || r.abandoned.is_some_and(|a| a > returned + AFTER_THE_RETURN)
                    || !r.is_over()
            })
            .count();
        let dropped = short
            .iter()
            .filter(|r| {
                r.abandoned
                    .is_some_and(|a| a <= returned + AFTER_THE_RETURN)
            })
            .count();
        let when = if self.signalled.is_some() {
            "at the signal"
        } else {
            "at the end of the batch"
        };
        if left_behind > 0 {
            return Err(Diagnosis::new(format!(
                "`run_jobs` returned while {} in flight {when} were still running: they ended \
                 (or were dropped with the runtime) only after it had returned. A spawned task \
                 runs on its own; returning does not wait for it, and in a real program the \
                 runtime may stop before it is done. Keep track of every task (a \
                 `TaskTracker`, a `JoinSet`) and wait for them before you return.",
                requests(left_behind)
            )));
        }
        if dropped > 0 {
            let grace = ms(self.grace);
            // Dropped well after the signal: a deadline that came early.
            let first = short.iter().filter_map(|r| r.abandoned).min();
            let early = match (first, self.signalled) {
                (Some(first), Some(signalled))
                    if first > signalled + Duration::from_millis(100) =>
                {
                    format!(
                        " The first went {} ms after the signal: count the deadline from the \
                         signal (the moment `cancelled()` completes), not from the start of \
                         the function or of each request.",
                        ms(first - signalled)
                    )
                }
                _ => String::new(),
            };
            return Err(Diagnosis::new(format!(
                "`run_jobs` dropped {} in flight {when}: the client went away before their \
                 bodies had come, although each needed 500 ms and the grace period was {grace} \
                 ms.{early} A graceful shutdown lets the requests in flight finish: stop taking jobs, \
                 then wait for the tasks (`timeout(grace, tracker.wait())`, or `join_next` \
                 until the deadline). Do not abort them at the signal: `abort_all()` and \
                 dropping a JoinSet cancel at once, and so does a task that watches the \
                 shutdown token itself, or a child of it (a child token is cancelled with its \
                 parent). Cancel with a token of its own, at a deadline: count the deadline from the \
                 signal.",
                requests(dropped)
            )));
        }
        Ok(())
    }

    /// The function returned soon after the last request ended, not at
    /// the deadline.
    fn returned_promptly(&self) -> Verdict {
        let Some(returned) = self.returned else {
            return Ok(());
        };
        let last = self
            .before
            .iter()
            .filter_map(|(_, _, r)| r.as_ref()?.ended)
            .max();
        let Some(last) = last else {
            return Ok(());
        };
        let waited = returned.saturating_duration_since(last);
        if waited <= Duration::from_millis(500) {
            return Ok(());
        }
        let why = match self.deadline() {
            Some(deadline) if returned + Duration::from_millis(100) >= deadline => format!(
                "it waited out the whole grace period of {} ms: the grace period is an upper \
                 bound. Wait for the tasks themselves (`tracker.wait()`, `join_next`) under \
                 the deadline (`timeout(grace, ...)`), rather than sleeping through it.",
                ms(self.grace)
            ),
            _ => String::from(
                "something held it up after its work was done: return as soon as every \
                 request is over.",
            ),
        };
        Err(Diagnosis::new(format!(
            "`run_jobs` returned {} ms after the last request had ended: {why}",
            ms(waited)
        )))
    }

    /// The function returned by the deadline (and a margin).
    fn returned_in_time(&self) -> Verdict {
        let (Some(returned), Some(deadline)) = (self.returned, self.deadline()) else {
            return Ok(());
        };
        if returned <= deadline + LATE {
            return Ok(());
        }
        let slow_ended = self
            .before
            .iter()
            .filter(|(_, job, r)| {
                job.delay == SLOW.delay && r.as_ref().is_some_and(|r| r.ended.is_some())
            })
            .count();
        let cancelled_late = self
            .before
            .iter()
            .filter(|(_, job, r)| {
                job.delay == SLOW.delay
                    && r.as_ref()
                        .is_some_and(|r| r.abandoned.is_some_and(|a| a > deadline + LATE))
            })
            .count();
        let why = if cancelled_late > 0 {
            format!(
                "it cancelled {} {} ms after the deadline. The deadline is the moment of the \
                 signal plus the grace period; count it from there. Wait for the signal itself \
                 (`select!` over `shutdown.cancelled()` and `jobs.recv()`): a loop that checks \
                 `is_cancelled()` only when the next job comes notices the signal late, or \
                 never.",
                requests(cancelled_late),
                ms(returned.saturating_duration_since(deadline))
            )
        } else if slow_ended > 0 {
            format!(
                "it waited for {} longer than the grace period to finish. When the grace \
                 period is over, cancel what is still running: `timeout(grace, \
                 tracker.wait())`, then cancel the tasks' token and wait for them to end; or \
                 `abort_all()` on the JoinSet at the deadline.",
                requests(slow_ended)
            )
        } else {
            String::from(
                "the deadline is the moment of the signal plus the grace period; count it from \
                 there, and cancel what is still running when it comes.",
            )
        };
        Err(Diagnosis::new(format!(
            "`run_jobs` returned {} ms after the deadline (the signal plus {} ms of grace): \
             {why}",
            ms(returned - deadline),
            ms(self.grace)
        )))
    }

    /// The requests longer than the grace period were cancelled at the
    /// deadline: not before, and not left running after the return.
    fn cancelled_at_the_deadline(&self) -> Verdict {
        let (Some(returned), Some(deadline), Some(signalled)) =
            (self.returned, self.deadline(), self.signalled)
        else {
            return Ok(());
        };
        let slow: Vec<&RequestRecord> = self
            .before
            .iter()
            .filter(|(_, job, _)| job.delay == SLOW.delay)
            .filter_map(|(_, _, r)| r.as_ref())
            .collect();
        let early: Vec<Duration> = slow
            .iter()
            .filter_map(|r| r.abandoned)
            .filter(|&a| a + EARLY < deadline)
            .map(|a| a.saturating_duration_since(signalled))
            .collect();
        if let Some(first) = early.iter().min() {
            return Err(Diagnosis::new(format!(
                "`run_jobs` cancelled {} {} ms after the signal, before the grace period of {} \
                 ms had run out: count the deadline from the signal (the moment \
                 `cancelled()` completes), not from the start of the function or of each \
                 request, and give every request in flight the whole grace period.",
                requests(early.len()),
                ms(*first),
                ms(self.grace)
            )));
        }
        let running = slow
            .iter()
            .filter(|r| {
                r.abandoned.is_none_or(|a| a > returned + AFTER_THE_RETURN) && r.ended.is_none()
            })
            .count();
        if running > 0 {
            return Err(Diagnosis::new(format!(
                "`run_jobs` returned at the deadline but left {} running: the server saw them \
                 go on after the return, until the check's runtime stopped. Returning does not \
                 cancel a spawned task: at the deadline, cancel them (a token the tasks watch, \
                 `abort_all()` on a JoinSet) and wait until they have ended.",
                requests(running)
            )));
        }
        Ok(())
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
