//! When each request was sent and when its answer came back.
//!
//! A chapter wraps each request in [`Timeline::track`] (and CPU work handed
//! to the blocking pool in [`Timeline::track_work`]); after the run,
//! [`Timeline::show`] draws one row per request, so that "one after the
//! other" and "all at once" can be seen at a glance:
//!
//! ```text
//! Timeline: 0 to 2.009 s, one column = 46 ms, #: waiting for the answer
//! request 1 |######################......................| 0.004-1.006 s
//! request 2 |......................######################| 1.006-2.009 s
//! ```
//!
//! ASCII only: block characters (`█`, `·`) are of ambiguous width, two
//! columns in a terminal set up for East Asian text, where the rows would
//! no longer fit 80 columns.
//!
//! Times count from the start of the program, like the log lines. The
//! picture (`--svg`) is drawn by [`svg`]; the ticker's picture by [`ticks`].

mod layout;
pub mod svg;
pub mod ticks;

pub(crate) use layout::Layout;

use std::fmt::Write as _;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a span was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Waiting for an answer: the task is parked, no thread is held.
    Request,
    /// CPU work on tokio's blocking pool (`spawn_blocking`).
    Work,
}

/// One tracked piece of work.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// What it was ("request 3"). A request and its analysis share a label
    /// and are drawn on one row.
    pub label: String,
    /// Sent, in seconds since the program started.
    pub start: f64,
    /// Answered, in seconds since the program started; `None` if it never
    /// finished (cancelled or still running).
    pub end: Option<f64>,
    /// When an unfinished span's future was dropped (a timeout or a
    /// `select!` cancelled it), in seconds since the program started.
    pub dropped: Option<f64>,
    /// Waiting or working.
    pub kind: Kind,
}

impl Span {
    /// Where its bar ends: its end, the moment it was dropped, or `open`.
    fn until(&self, open: f64) -> f64 {
        self.end.or(self.dropped).unwrap_or(open)
    }
}

/// A shared record of spans. Cloning it is cheap and every clone records
/// into the same timeline, so each spawned task can hold one.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    spans: Arc<Mutex<Vec<Span>>>,
    /// The shortest axis to draw, in seconds from 0 (see [`Timeline::with_axis`]).
    axis: Arc<Mutex<f64>>,
    /// Where the axis starts, if set (see [`Timeline::starting_now`]).
    from: Option<f64>,
    /// Moments drawn across every row, with their names (see
    /// [`Timeline::mark`]), in seconds since the program started.
    marks: Arc<Mutex<Vec<(f64, String)>>>,
}

/// A span that has started; [`Started::end`] records its end. Dropping it
/// without `end` leaves the span unfinished, drawn as cancelled at the
/// moment it was dropped.
#[derive(Debug)]
pub struct Started {
    timeline: Timeline,
    index: usize,
    ended: bool,
}

impl Started {
    /// Records the end of the span, now.
    pub fn end(mut self) {
        let now = secs(Instant::now());
        self.timeline.spans.lock().unwrap()[self.index].end = Some(now);
        self.ended = true;
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let now = secs(Instant::now());
        // No unwrap in a drop: a poisoned lock only loses the record.
        if let Ok(mut spans) = self.timeline.spans.lock() {
            spans[self.index].dropped = Some(now);
        }
    }
}

fn secs(t: Instant) -> f64 {
    t.saturating_duration_since(crate::log::start())
        .as_secs_f64()
}

/// Columns of a text bar: with the longest label ("request 10") and the
/// times after it ("0.002-1.032 s, dropped"), a row fits 80 columns.
const BAR: usize = 42;
impl Timeline {
    /// An empty timeline.
    pub fn new() -> Timeline {
        crate::log::start();
        Timeline::default()
    }

    /// An empty timeline whose axis starts now, not at the program's
    /// start: for a part of a run that follows other work (one mode of
    /// several), whose time before would show as an unexplained gap.
    pub fn starting_now() -> Timeline {
        Timeline {
            from: Some(secs(Instant::now())),
            ..Timeline::new()
        }
    }

    /// Draws the axis from 0 to at least `at_least`, however soon the run
    /// ends: pictures drawn to the same axis can be compared by eye (half
    /// the time looks like half).
    pub fn with_axis(self, at_least: Duration) -> Timeline {
        *self.axis.lock().unwrap() = at_least.as_secs_f64();
        self
    }

    /// Marks the moment `at` across the whole drawing, named `label`: a
    /// stop signal, a deadline. The text draws a `^` under the bars and
    /// names it below; the picture draws a dashed line with the name.
    pub fn mark(&self, at: Instant, label: impl Into<String>) {
        self.marks.lock().unwrap().push((secs(at), label.into()));
    }

    /// Starts a span of `kind` now.
    fn begin_kind(&self, label: impl Into<String>, kind: Kind) -> Started {
        let mut spans = self.spans.lock().unwrap();
        spans.push(Span {
            label: label.into(),
            start: secs(Instant::now()),
            end: None,
            dropped: None,
            kind,
        });
        Started {
            timeline: self.clone(),
            index: spans.len() - 1,
            ended: false,
        }
    }

    /// Starts a request's span now.
    pub fn begin(&self, label: impl Into<String>) -> Started {
        self.begin_kind(label, Kind::Request)
    }

    /// Runs `request` and records when it started and ended. The span
    /// starts when the returned future is first polled, not when `track`
    /// is called: futures do nothing until polled.
    pub async fn track<F: Future>(&self, label: impl Into<String>, request: F) -> F::Output {
        let span = self.begin_kind(label, Kind::Request);
        let out = request.await;
        span.end();
        out
    }

    /// Like [`Timeline::track`], for CPU work (a `spawn_blocking` handle):
    /// drawn in another shade, on the row of the request with that label.
    pub async fn track_work<F: Future>(&self, label: impl Into<String>, work: F) -> F::Output {
        let span = self.begin_kind(label, Kind::Work);
        let out = work.await;
        span.end();
        out
    }

    /// The spans recorded so far, in the order they started.
    pub fn spans(&self) -> Vec<Span> {
        let mut spans = self.spans.lock().unwrap().clone();
        spans.sort_by(|a, b| a.start.total_cmp(&b.start));
        spans
    }

    /// The labels of the finished spans of `kind`, in the order they
    /// ended: which answer came back first, which analysis was done first.
    pub fn end_order(&self, kind: Kind) -> Vec<String> {
        let mut done: Vec<Span> = self
            .spans()
            .into_iter()
            .filter(|s| s.end.is_some() && s.kind == kind)
            .collect();
        done.sort_by(|a, b| a.end.unwrap_or(0.0).total_cmp(&b.end.unwrap_or(0.0)));
        done.into_iter().map(|s| s.label).collect()
    }

    /// The largest number of requests that overlapped, as the client saw
    /// them.
    pub fn peak_overlap(&self) -> usize {
        let mut events: Vec<(f64, i32)> = Vec::new();
        for s in self.spans().iter().filter(|s| s.kind == Kind::Request) {
            events.push((s.start, 1));
            events.push((s.until(f64::INFINITY), -1));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (mut now, mut peak) = (0, 0);
        for (_, step) in events {
            now += step;
            peak = peak.max(now);
        }
        peak as usize
    }

    /// The timeline as text, one row per label, within 80 columns.
    pub fn render(&self) -> String {
        let layout = self.layout();
        if layout.rows.is_empty() {
            return String::from("timeline: nothing was tracked\n");
        }
        let (origin, total, span) = (layout.origin, layout.total, layout.span());
        let width = layout
            .rows
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(0);
        let col_ms = span * 1000.0 / BAR as f64;
        let from_text = if origin == 0.0 {
            String::from("0")
        } else {
            format!("{origin:.3}")
        };
        let mut legend = vec!["#: waiting for the answer"];
        if layout.has(Kind::Work) {
            legend.push("=: spawn_blocking work");
        }
        if layout.has_dropped() {
            legend.push("-: dropped unanswered");
        }
        let head = format!("Timeline: {from_text} to {total:.3} s, one column = {col_ms:.0} ms");
        let mut out = if legend.len() == 1 {
            format!("{head}, {}\n", legend[0])
        } else {
            format!("{head}\n{}\n", legend.join(", "))
        };
        let column = |t: f64| (t - origin) / span * BAR as f64;
        for row in &layout.rows {
            let mut bar = ['.'; BAR];
            // Where the span before ended: work that follows its request
            // within one column starts after it, so both stay visible.
            let mut after = 0;
            for s in &row.spans {
                let from = (column(s.start).floor() as usize).max(after).min(BAR - 1);
                let to = (column(s.until(total)).ceil() as usize).clamp(from + 1, BAR);
                after = to;
                let fill = match (s.kind, s.end) {
                    (_, None) if s.dropped.is_some() => '-',
                    (Kind::Request, _) => '#',
                    (Kind::Work, _) => '=',
                };
                bar[from..to].fill(fill);
            }
            let bar: String = bar.iter().collect();
            let last = row.last();
            let end = match (last.end, last.dropped) {
                (Some(e), _) => format!("{e:.3} s"),
                (None, Some(d)) => format!("{d:.3} s, dropped"),
                (None, None) => String::from("still waiting"),
            };
            let _ = writeln!(
                out,
                "{:<width$} |{bar}| {:.3}-{end}",
                row.label,
                row.start()
            );
        }
        if !layout.marks.is_empty() {
            let mut bar = [' '; BAR];
            for (at, _) in &layout.marks {
                let col = (column(*at).round() as usize).min(BAR - 1);
                bar[col] = '^';
            }
            let bar: String = bar.iter().collect();
            let _ = writeln!(out, "{:<width$}  {}", "", bar.trim_end());
            let names: Vec<String> = layout
                .marks
                .iter()
                .map(|(at, label)| format!("{at:.3} s {label}"))
                .collect();
            let _ = writeln!(out, "^: {}", names.join(", "));
        }
        out
    }

    /// Prints [`Timeline::render`] to stdout.
    pub fn print(&self) {
        print!("{}", self.render());
    }

    /// The timeline as a standalone SVG picture.
    pub fn to_svg(&self, title: &str) -> String {
        svg::timeline(&self.layout(), title)
    }

    /// Writes [`Timeline::to_svg`] to `path`, on the blocking pool.
    pub async fn write_svg(&self, path: &Path, title: &str) -> crate::Result<()> {
        svg::write(path, self.to_svg(title)).await
    }

    #[cfg(feature = "requests")]
    /// Prints the timeline (unless `--no-timeline`) and writes the SVG if
    /// `--svg` was given: what every request chapter does at the end.
    pub async fn show(&self, args: &crate::args::RequestArgs, title: &str) -> crate::Result<()> {
        if !args.no_timeline {
            self.print();
        }
        if let Some(path) = &args.svg {
            self.write_svg(path, title).await?;
            ::log::debug!("Timeline written to {}", path.display());
        }
        Ok(())
    }
}

/// How long ago, in the timeline's clock, `t` was.
pub fn since_start(t: Instant) -> Duration {
    t.saturating_duration_since(crate::log::start())
}

#[cfg(test)]
mod tests;
