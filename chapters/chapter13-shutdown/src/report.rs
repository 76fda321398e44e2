//! What chapter 13 prints: the wording, kept out of `main.rs`, which holds
//! the lesson. Every line fits 80 columns, log prefix included.

use crate::{Stop, Tally};
use log::info;
use std::time::Duration;

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn jobs(n: usize) -> String {
    if n == 1 {
        String::from("1 job")
    } else {
        format!("{n} jobs")
    }
}

/// The stop signal came.
pub fn signal(why: Stop) {
    match why {
        Stop::CtrlC => info!("Stop signal: Ctrl-C"),
        Stop::Terminate => info!("Stop signal: SIGTERM"),
        Stop::Timer(after) => {
            info!("Stop signal: --stop-after-ms {}", ms(after));
        }
    }
}

/// The jobs loop has stopped taking work.
pub fn stopping(in_flight: usize, grace: Duration) {
    info!(
        "No new jobs from now; {} in flight, given {} ms to finish",
        jobs(in_flight),
        ms(grace)
    );
}

/// The grace period is over.
pub fn deadline(left: usize) {
    info!("Deadline: cancelling the {} still running", jobs(left));
}

/// Ctrl-C during the grace period.
pub fn hurry() {
    info!("Ctrl-C again: cancelling the jobs in flight now");
}

/// Marks the stop signal and, if the grace period ran out, the deadline on
/// the timeline. Called as soon as the jobs are over, which is when
/// `shutdown_took` was measured: the stop came that long ago.
pub fn mark_stop(timeline: &course::Timeline, tally: &Tally, grace: Duration) {
    let Some(took) = tally.shutdown_took else {
        return;
    };
    let Some(stopped) = std::time::Instant::now().checked_sub(took) else {
        return;
    };
    timeline.mark(stopped, "stop signal");
    if took >= grace {
        timeline.mark(stopped + grace, "deadline");
    }
}

/// The numbers of the run.
pub fn summary(tally: &Tally, count: usize, stopped_by: Option<&Stop>) {
    let never = count - tally.started;
    info!(
        "Started {} of {count}; {never} never started",
        tally.started
    );
    info!(
        "Finished {} ({} after the stop), cancelled {}, failed {}",
        tally.finished, tally.finished_in_grace, tally.cancelled, tally.failed
    );
    match (stopped_by, tally.shutdown_took) {
        (Some(_), Some(took)) => info!(
            "Shutdown: {} in flight at the stop, all over {:.3} s after it",
            tally.in_flight_at_stop,
            took.as_secs_f64()
        ),
        _ => info!("Every job ran before any stop signal came"),
    }
}

/// The exit: an error line for Ctrl-C (a script must not take an
/// interrupted batch for a complete one) or for failed jobs.
pub fn outcome(tally: &Tally, stopped_by: Option<Stop>) -> course::Result<()> {
    if let Some(first) = &tally.first_error {
        return Err(anyhow::anyhow!(
            "{} of {} failed, the first: {}",
            tally.failed,
            jobs(tally.started),
            course::one_line(first)
        ));
    }
    let by = match stopped_by {
        Some(Stop::CtrlC) => "interrupted by Ctrl-C",
        Some(Stop::Terminate) => "stopped by SIGTERM",
        _ => return Ok(()),
    };
    Err(anyhow::anyhow!(
        "{by}: shut down gracefully, {} finished, {} cancelled",
        tally.finished,
        tally.cancelled
    ))
}
