//! Chapter 9's measuring: one batch timed with its peaks, the limits the
//! tour can afford, and a pause between batches. The lesson is in
//! `main.rs`; this is how its table gets its numbers.

use crate::args::Args;
use crate::{Batch, report};
use course::resources::{Budget, Peaks, Sampler};
use log::info;
use std::time::{Duration, Instant};

/// What one batch cost.
pub struct Measured {
    pub took: Duration,
    /// Requests in flight at once in this program, each from its first
    /// poll to the last byte of its body: what the limit bounds. (The
    /// delay server's count starts only when a request arrives, after
    /// its connection is set up, so it can be lower.)
    pub peak: usize,
    pub peaks: Peaks,
}

/// The limits the table tours: the wanted ones that fit the budget's
/// usable part ([`Budget::usable`]), and that part in place of those that
/// do not. Limits within a fifth of each other show no difference worth a
/// row; if fewer than three are left, a half and a quarter of it join.
pub fn fit_limits(wanted: &[usize], budget: Option<Budget>) -> Vec<usize> {
    let Some(b) = budget else {
        return wanted.to_vec();
    };
    // Keep the larger of two close limits: 100 and 101 are one row.
    let spread = |mut limits: Vec<usize>| {
        limits.sort_unstable_by(|a, b| b.cmp(a));
        let mut kept: Vec<usize> = Vec::new();
        for k in limits {
            if kept.last().is_none_or(|&above| k * 5 < above * 4) {
                kept.push(k);
            }
        }
        kept.reverse();
        kept
    };
    let mut limits = spread(wanted.iter().map(|&k| b.fit(k)).collect());
    if limits.len() < wanted.len() {
        limits.extend([b.fit(b.usable() / 2), b.fit(b.usable() / 4)]);
        limits = spread(limits);
    }
    limits
}

/// Waits for the connections of the batch before to close (its client
/// was dropped, and its sockets close a moment later), so that each batch
/// has the whole budget to itself.
pub async fn settle(budget: Option<Budget>) {
    if let Some(b) = budget
        && !b.settle(Duration::from_secs(2)).await
    {
        log::debug!("the last batch's connections were still open after 2 s");
    }
}

/// Runs one batch and measures it: time, the server's peak in flight, and
/// the process's peak open files and memory.
pub async fn measure(
    batch: &Batch,
    strategy: Strategy,
    limit: usize,
    server: &course::Server,
    budget: Option<Budget>,
) -> course::Result<Measured> {
    if let Some(embedded) = server.embedded_server() {
        embedded.clear_requests();
    }
    let sampler = Sampler::start(Duration::from_millis(5));
    let started = Instant::now();
    let outcome = strategy.run(batch, limit).await;
    let took = started.elapsed();
    // Stopping the sampler joins its thread, which may be asleep for up to
    // one period: a wait for a thread, so on the blocking pool.
    let peaks = tokio::task::spawn_blocking(move || sampler.stop()).await?;
    if let Err(e) = outcome {
        // Hundreds of failures usually mean the descriptors ran out. The
        // requests then fail by their symptoms (reset connections, time
        // outs): name the cause instead, as the process saw it, or as the
        // budget foretold it (a burst can run out between two samples).
        let at_once = match strategy {
            Strategy::Unbounded => batch.count,
            _ => limit.min(batch.count),
        };
        let foretold = budget.and_then(|b| b.overrun(at_once));
        if let Some(cause) = peaks.ran_out().or(foretold) {
            return Err(report::ran_out(&cause, &e));
        }
        let restarts = server.embedded_server().map_or(0, |s| s.restarts());
        return Err(e.context(peaks.why_a_batch_failed(restarts)));
    }
    Ok(Measured {
        took,
        peak: batch.timeline.peak_overlap(),
        peaks,
    })
}

/// The three ways of sending a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Unbounded,
    BufferUnordered,
    JoinSet,
}

impl Strategy {
    pub async fn run(self, batch: &Batch, limit: usize) -> course::Result<()> {
        match self {
            Strategy::Unbounded => crate::unbounded(batch).await,
            Strategy::BufferUnordered => {
                crate::with_buffer_unordered(batch, limit).await
            }
            Strategy::JoinSet => crate::with_join_set(batch, limit).await,
        }
    }

    pub fn name(self, limit: usize) -> String {
        match self {
            Strategy::Unbounded => String::from("spawn all (unbounded)"),
            Strategy::BufferUnordered => format!("buffer_unordered({limit})"),
            Strategy::JoinSet => format!("JoinSet + Semaphore({limit})"),
        }
    }
}

/// Runs one strategy with `--limit`, then shows the timeline and summary.
/// `budget`: the descriptor budget, if known (to name running out of it).
pub async fn single(
    args: &Args,
    server: &course::Server,
    strategy: Strategy,
    budget: Option<Budget>,
) -> course::Result<()> {
    let batch = Batch::new(args, server)?;
    let count = args.common.count();
    info!(
        "{} with {}",
        course::plural(count, "request"),
        strategy.name(args.limit())
    );
    let m = measure(&batch, strategy, args.limit(), server, budget).await?;
    info!("Done: {}", m.peaks.describe());
    batch
        .timeline
        .show(
            &args.common,
            &format!("Chapter 9: {}", strategy.name(args.limit())),
        )
        .await?;
    println!(
        "{}",
        course::requests_summary(
            count,
            args.common.delay(),
            m.took,
            Some(m.peak)
        )
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toured_limits_fit_the_budget() {
        let wanted = [100, 250, 500];
        // Room for all: unchanged.
        let roomy = Budget::new(20_000, 17, 2);
        assert_eq!(fit_limits(&wanted, Some(roomy)), [100, 250, 500]);
        // A hard limit of 1,024: a budget of 485, of which two thirds, 323,
        // in place of 500.
        let tight = Budget::new(1024, 21, 2);
        assert_eq!(fit_limits(&wanted, Some(tight)), [100, 250, 323]);
        // 256: a budget of 101, two thirds 67; the three limits all cut to
        // 67 are one row, so a half and a quarter of 67 join it.
        let tiny = Budget::new(256, 21, 2);
        assert_eq!(fit_limits(&wanted, Some(tiny)), [16, 33, 67]);
        // Unknown budget: the wanted limits.
        assert_eq!(fit_limits(&wanted, None), wanted);
    }
}
