//! Exercise 13's verdicts: what the record of one run says about the
//! shutdown, one question each, in the order the checks ask them.

use super::{SLOW, Seen};
use crate::shared::{Diagnosis, Verdict};
use mock_server::RequestRecord;
use std::time::{Duration, Instant};

/// How late after the deadline `run_jobs` may return. tokio's timers fire
/// at the first millisecond tick after their deadline, then the cancelled
/// tasks end at their next poll; on a loaded machine (a load of 10 on two
/// cores) that was seen to take up to 140 ms. Waiting for the slow
/// requests instead returns over a second after the deadline.
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
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.signalled.map(|s| s + self.grace)
    }

    /// The function returned before the signal it was waiting for.
    pub(super) fn returned_before_the_signal(&self) -> Verdict {
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
    pub(super) fn started_after_the_signal(&self) -> Verdict {
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
    pub(super) fn skipped_jobs(&self) -> Verdict {
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
    pub(super) fn did_not_hang(&self) -> Verdict {
        if self.returned.is_some() {
            return Ok(());
        }
        let running = self
            .before
            .iter()
            .filter_map(|(_, _, r)| r.as_ref())
            .filter(|r| !r.is_over())
            .count();
        let secs = crate::shared::explain::secs(self.patience);
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
    pub(super) fn in_flight_finished(&self) -> Verdict {
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
    pub(super) fn returned_promptly(&self) -> Verdict {
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
    pub(super) fn returned_in_time(&self) -> Verdict {
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
    pub(super) fn cancelled_at_the_deadline(&self) -> Verdict {
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
