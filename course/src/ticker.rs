//! A task that ticks on the runtime, to see whether the runtime was blocked.
//!
//! The ticker sleeps for a short period in a loop and notes when it woke.
//! On a healthy runtime the gaps between wake-ups stay close to the period.
//! If something blocks the thread the ticker runs on (`std::thread::sleep`,
//! CPU-heavy work outside `spawn_blocking`), the ticker cannot run, and the
//! longest gap grows to the length of the stall.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running ticker. Stop it with [`Ticker::stop`]; dropping it stops it too.
#[derive(Debug)]
pub struct Ticker {
    period: Duration,
    started: Instant,
    ticks: Arc<Mutex<Vec<Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

/// What a ticker saw.
#[derive(Debug, Clone, PartialEq)]
pub struct TickReport {
    /// The period it asked for.
    pub period: Duration,
    /// How many times it woke.
    pub ticks: usize,
    /// The longest time between two wake-ups (or from start to the first,
    /// or from the last to the end).
    pub longest_gap: Duration,
    /// When it started and when the report was made, and every wake-up
    /// between, in seconds since the program started (the log's clock): what
    /// [`crate::timeline::ticks::write_svg`] draws.
    pub started_at: f64,
    pub ended_at: f64,
    pub wakes: Vec<f64>,
}

impl TickReport {
    /// How much longer than its period the ticker had to wait at worst:
    /// the longest stall of the runtime it ran on.
    pub fn stall(&self) -> Duration {
        self.longest_gap.saturating_sub(self.period)
    }
}

impl Ticker {
    /// Spawns the ticker on the current runtime (needs the `time` driver).
    pub fn start(period: Duration) -> Ticker {
        let ticks = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&ticks);
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                seen.lock().unwrap().push(Instant::now());
            }
        });
        Ticker {
            period,
            started: Instant::now(),
            ticks,
            task,
        }
    }

    /// What the ticker saw so far, with now as the end.
    pub fn report(&self) -> TickReport {
        let ticks = self.ticks.lock().unwrap();
        let now = Instant::now();
        let mut last = self.started;
        let mut longest = Duration::ZERO;
        for &t in ticks.iter().chain(std::iter::once(&now)) {
            longest = longest.max(t.saturating_duration_since(last));
            last = t;
        }
        let secs = |t: Instant| crate::timeline::since_start(t).as_secs_f64();
        TickReport {
            period: self.period,
            ticks: ticks.len(),
            longest_gap: longest,
            started_at: secs(self.started),
            ended_at: secs(now),
            wakes: ticks.iter().map(|&t| secs(t)).collect(),
        }
    }

    /// Stops the ticker and returns what it saw.
    pub fn stop(self) -> TickReport {
        let report = self.report();
        self.task.abort();
        report
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_free_runtime_keeps_ticking() {
        let ticker = Ticker::start(Duration::from_millis(10));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let report = ticker.stop();
        assert!(report.ticks >= 5, "only {} ticks in 300 ms", report.ticks);
        // Generous: a loaded machine may delay a wake-up, but not by 200 ms.
        assert!(report.stall() < Duration::from_millis(200), "{report:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_blocked_runtime_shows_a_stall() {
        let ticker = Ticker::start(Duration::from_millis(10));
        tokio::time::sleep(Duration::from_millis(30)).await;
        // Blocks the only thread of this runtime: the ticker cannot run.
        std::thread::sleep(Duration::from_millis(400));
        tokio::time::sleep(Duration::from_millis(30)).await;
        let report = ticker.stop();
        assert!(
            report.stall() >= Duration::from_millis(350),
            "the ticker should have been starved for ~400 ms: {report:?}"
        );
    }
}
