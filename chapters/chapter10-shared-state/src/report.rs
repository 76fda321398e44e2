//! What a run of one mode measured, in the log and in the final table.

use crate::args::{Args, Mode};
use crate::{KB, LockTimes, Totals};
use log::info;
use mock_server::RequestRecord;
use std::time::{Duration, Instant};

/// One mode's run: what the tasks counted, what they should have, how
/// long they waited for the lock and held it, and what the server saw.
pub struct Outcome {
    mode: Mode,
    requests: usize,
    delay: Duration,
    counted: Totals,
    expected: Totals,
    times: Vec<LockTimes>,
    /// The most requests of this mode in flight at once at the server;
    /// `None` with a standalone server, which does not report it.
    peak: Option<usize>,
    took: Duration,
}

impl Outcome {
    pub fn new(
        mode: Mode,
        args: &Args,
        server: &course::Server,
        counted: Totals,
        times: Vec<LockTimes>,
        took: Duration,
    ) -> Outcome {
        let requests = args.common.count();
        // Page n is n KB: 1 + 2 + ... + n KB in all.
        let expected = Totals {
            pages: requests,
            bytes: KB * requests * (requests + 1) / 2,
        };
        // This mode's requests are the ones whose path names it.
        let marker = format!("/url/{}/", mode.name());
        let peak = server.requests().map(|records| {
            let mine: Vec<_> = records
                .into_iter()
                .filter(|r| r.path.contains(&marker))
                .collect();
            peak_waiting(&mine)
        });
        Outcome {
            mode,
            requests,
            delay: args.common.delay(),
            counted,
            expected,
            times,
            peak,
            took,
        }
    }

    fn longest_wait(&self) -> Duration {
        self.times
            .iter()
            .map(|t| t.waited)
            .max()
            .unwrap_or_default()
    }

    fn all_waits(&self) -> Duration {
        self.times.iter().map(|t| t.waited).sum()
    }

    fn longest_hold(&self) -> Duration {
        self.times.iter().map(|t| t.held).max().unwrap_or_default()
    }

    /// Four lines: the requests, the lock (waited, held), the totals.
    pub fn log(&self) {
        let name = self.mode.name();
        let summary = course::requests_summary(
            self.requests,
            self.delay,
            self.took,
            self.peak,
        );
        info!("{name}: {summary}");
        info!(
            "{name}: waited for the lock up to {} ms, {} ms in all",
            ms(self.longest_wait()),
            ms(self.all_waits()),
        );
        info!("{name}: held the lock up to {} ms", ms(self.longest_hold()));
        let (got, want) = (self.counted, self.expected);
        let lost = want.pages.saturating_sub(got.pages);
        let verdict = match lost {
            0 if got == want => String::from("every update is in"),
            0 => String::from("the counts are wrong"),
            1 => String::from("1 update lost"),
            n => format!("{n} updates lost"),
        };
        info!(
            "{name}: {} of {} pages, {} of {} bytes: {verdict}",
            got.pages, want.pages, got.bytes, want.bytes
        );
    }
}

/// The most requests that waited for their answers at once, at the
/// server: each from its arrival to the moment its answer was due (its
/// delay after it arrived). A request sent only after the one before had
/// its answer arrives after that one was due, however busy the machine;
/// the end of writing a response is stamped a moment after the client may
/// already have read it, which would count a hand-over as an overlap.
pub fn peak_waiting(records: &[RequestRecord]) -> usize {
    let mut events: Vec<(Instant, i32)> = Vec::new();
    for r in records {
        events.push((r.arrived, 1));
        events.push((r.due(), -1));
    }
    // At equal instants an end (-1) sorts before a start (+1).
    events.sort();
    let (mut now, mut peak) = (0, 0);
    for (_, step) in events {
        now += step;
        peak = peak.max(now);
    }
    peak as usize
}

/// Milliseconds: four decimals below one (a brief lock is held for a
/// fraction of a microsecond, which three would print as 0.000), one above.
fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.4}")
    } else {
        format!("{ms:.1}")
    }
}

/// The modes side by side: what was counted, how many requests were in
/// flight at once, how long the tasks waited for the lock, how long the
/// run took. Fits 80 columns.
pub fn table(outcomes: &[Outcome]) {
    println!(
        "{:<7} {:<26} {:>7} {:>5} {:>10} {:>10} {:>7}",
        "mode", "lock", "pages", "peak", "wait max", "wait sum", "took"
    );
    for o in outcomes {
        let peak = o.peak.map_or(String::from("?"), |p| p.to_string());
        println!(
            "{:<7} {:<26} {:>7} {:>5} {:>7} ms {:>7} ms {:>5.2} s",
            o.mode.name(),
            o.mode.lock(),
            format!("{}/{}", o.counted.pages, o.expected.pages),
            peak,
            format!("{:.1}", o.longest_wait().as_secs_f64() * 1000.0),
            format!("{:.1}", o.all_waits().as_secs_f64() * 1000.0),
            o.took.as_secs_f64()
        );
    }
}
