//! When each request was sent and when its answer came back.
//!
//! A chapter wraps each request in [`Timeline::track`]; after the run,
//! [`Timeline::print`] draws one row per request, so that "one after the
//! other" and "all at once" can be seen at a glance:
//!
//! ```text
//! request 1 |██████████████████████████····························| 0.004 → 1.006 s
//! request 2 |··························████████████████████████████| 1.006 → 2.009 s
//! ```
//!
//! Times count from the start of the program, like the log lines.

use std::fmt::Write as _;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One tracked piece of work.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// What it was ("request 3").
    pub label: String,
    /// Sent, in seconds since the program started.
    pub start: f64,
    /// Answered, in seconds since the program started; `None` if it never
    /// finished (cancelled or still running).
    pub end: Option<f64>,
    /// When an unfinished span's future was dropped (a timeout or a
    /// `select!` cancelled it), in seconds since the program started.
    pub dropped: Option<f64>,
}

/// A shared record of spans. Cloning it is cheap and every clone records
/// into the same timeline, so each spawned task can hold one.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    spans: Arc<Mutex<Vec<Span>>>,
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

const BAR: usize = 50;
const MAX_ROWS: usize = 24;

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Timeline {
        crate::log::start();
        Timeline::default()
    }

    /// Starts a span now.
    pub fn begin(&self, label: impl Into<String>) -> Started {
        let mut spans = self.spans.lock().unwrap();
        spans.push(Span {
            label: label.into(),
            start: secs(Instant::now()),
            end: None,
            dropped: None,
        });
        Started {
            timeline: self.clone(),
            index: spans.len() - 1,
            ended: false,
        }
    }

    /// Runs `work` and records when it started and ended. The span starts
    /// when the returned future is first polled, not when `track` is
    /// called: futures do nothing until polled.
    pub async fn track<F: Future>(&self, label: impl Into<String>, work: F) -> F::Output {
        let span = self.begin(label);
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

    /// The labels of the finished spans, in the order they ended: which
    /// answer came back first, which analysis was done first.
    pub fn end_order(&self) -> Vec<String> {
        let mut done: Vec<Span> = self
            .spans()
            .into_iter()
            .filter(|s| s.end.is_some())
            .collect();
        done.sort_by(|a, b| a.end.unwrap_or(0.0).total_cmp(&b.end.unwrap_or(0.0)));
        done.into_iter().map(|s| s.label).collect()
    }

    /// The largest number of spans that overlapped, as the client saw them.
    pub fn peak_overlap(&self) -> usize {
        let mut events: Vec<(f64, i32)> = Vec::new();
        for s in self.spans() {
            events.push((s.start, 1));
            events.push((s.end.unwrap_or(f64::INFINITY), -1));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (mut now, mut peak) = (0, 0);
        for (_, step) in events {
            now += step;
            peak = peak.max(now);
        }
        peak as usize
    }

    /// Rows to draw: one per span, or, for many spans, one per group of
    /// spans in start order (drawn from the group's first start to its
    /// last end).
    fn rows(&self) -> Vec<Span> {
        let spans = self.spans();
        if spans.len() <= MAX_ROWS {
            return spans;
        }
        let per_row = spans.len().div_ceil(MAX_ROWS);
        spans
            .chunks(per_row)
            .enumerate()
            .map(|(i, group)| {
                let first = i * per_row + 1;
                let last = first + group.len() - 1;
                let end = group
                    .iter()
                    .map(|s| s.end)
                    .try_fold(0.0_f64, |acc, e| e.map(|e| acc.max(e)));
                Span {
                    label: format!("#{first}–{last}"),
                    start: group.iter().map(|s| s.start).fold(f64::INFINITY, f64::min),
                    end,
                    dropped: None,
                }
            })
            .collect()
    }

    fn extent(rows: &[Span]) -> f64 {
        rows.iter()
            .map(|s| s.end.or(s.dropped).unwrap_or(s.start))
            .fold(0.0_f64, f64::max)
            .max(0.001)
    }

    /// Where the drawing starts: at 0, the start of the program, unless
    /// all the spans began late (a chapter that did other work first); then
    /// at the tenth of a second before the first one.
    fn origin(rows: &[Span], total: f64) -> f64 {
        let first = rows.iter().map(|s| s.start).fold(f64::INFINITY, f64::min);
        if first.is_finite() && first > total * 0.25 {
            (first * 10.0).floor() / 10.0
        } else {
            0.0
        }
    }

    /// The timeline as text, one row per span.
    pub fn render(&self) -> String {
        let rows = self.rows();
        if rows.is_empty() {
            return String::from("timeline: nothing was tracked\n");
        }
        let total = Self::extent(&rows);
        let origin = Self::origin(&rows, total);
        let span = (total - origin).max(0.001);
        let width = rows
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
        let mut out = format!(
            "Timeline: {from_text} to {total:.3} s, one column = {col_ms:.0} ms, █ = waiting for the answer\n"
        );
        let column = |t: f64| (t - origin) / span * BAR as f64;
        for row in &rows {
            let from = column(row.start).floor() as usize;
            let to = row
                .end
                .or(row.dropped)
                .map(|e| column(e).ceil() as usize)
                .unwrap_or(BAR);
            let from = from.min(BAR - 1);
            let to = to.clamp(from + 1, BAR);
            let bar: String = (0..BAR)
                .map(|i| if (from..to).contains(&i) { '█' } else { '·' })
                .collect();
            let end = match (row.end, row.dropped) {
                (Some(e), _) => format!("{e:.3} s"),
                (None, Some(d)) => format!("never answered, cancelled at {d:.3} s"),
                (None, None) => String::from("never answered"),
            };
            let _ = writeln!(
                out,
                "{:<width$} |{bar}| {:.3} → {end}",
                row.label, row.start
            );
        }
        out
    }

    /// Prints [`Timeline::render`] to stdout.
    pub fn print(&self) {
        print!("{}", self.render());
    }

    /// The timeline as a standalone SVG picture.
    pub fn to_svg(&self, title: &str) -> String {
        let rows = self.rows();
        let total = Self::extent(&rows);
        let origin = Self::origin(&rows, total);
        let span = (total - origin).max(0.001);
        let label_w = 110.0;
        let plot_w = 560.0;
        let row_h = 22.0;
        let top = 40.0;
        let height = top + row_h * rows.len() as f64 + 40.0;
        let width = label_w + plot_w + 30.0;
        let x = |t: f64| label_w + (t - origin) / span * plot_w;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
             <text x=\"10\" y=\"22\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
            escape(title)
        );
        // Time axis: a grid line every "nice" step.
        let step = nice_step(span);
        let mut t = origin;
        while t <= total + 1e-9 {
            let _ = writeln!(
                svg,
                "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"#dddddd\"/>\
                 <text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\" fill=\"#555555\">{t:.1} s</text>",
                x(t),
                height - 30.0,
                height - 14.0
            );
            t += step;
        }
        for (i, row) in rows.iter().enumerate() {
            let y = top + row_h * i as f64;
            let end = row.end.or(row.dropped).unwrap_or(total);
            let fill = if row.end.is_some() {
                "#3b7dd8"
            } else {
                "#d8603b"
            };
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
                 <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"{fill}\">\
                 <title>{}: {:.3} → {:.3} s</title></rect>",
                label_w - 8.0,
                y + row_h * 0.7,
                escape(&row.label),
                x(row.start),
                y + 3.0,
                (x(end) - x(row.start)).max(1.5),
                row_h - 6.0,
                escape(&row.label),
                row.start,
                end
            );
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// Writes [`Timeline::to_svg`] to `path`.
    pub fn write_svg(&self, path: &Path, title: &str) -> crate::Result<()> {
        use anyhow::Context as _;
        std::fs::write(path, self.to_svg(title))
            .with_context(|| format!("cannot write the timeline to {}", path.display()))
    }

    #[cfg(feature = "requests")]
    /// Prints the timeline (unless `--no-timeline`) and writes the SVG if
    /// `--svg` was given: what every request chapter does at the end.
    pub fn show(&self, args: &crate::args::RequestArgs, title: &str) -> crate::Result<()> {
        if !args.no_timeline {
            self.print();
        }
        if let Some(path) = &args.svg {
            self.write_svg(path, title)?;
            ::log::info!("Timeline written to {}", path.display());
        }
        Ok(())
    }
}

fn nice_step(total: f64) -> f64 {
    let raw = total / 8.0;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// How long ago, in the timeline's clock, `t` was.
pub fn since_start(t: Instant) -> Duration {
    t.saturating_duration_since(crate::log::start())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tl(spans: &[(f64, Option<f64>)]) -> Timeline {
        let t = Timeline::new();
        for (i, (s, e)) in spans.iter().enumerate() {
            t.spans.lock().unwrap().push(Span {
                label: format!("request {}", i + 1),
                start: *s,
                end: *e,
                dropped: None,
            });
        }
        t
    }

    #[test]
    fn sequential_rows_do_not_overlap() {
        let t = tl(&[(0.0, Some(1.0)), (1.0, Some(2.0))]);
        assert_eq!(t.peak_overlap(), 1);
        let text = t.render();
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 2, "{text}");
        let bar = |r: &str| r.split('|').nth(1).unwrap().to_string();
        let (a, b) = (bar(rows[0]), bar(rows[1]));
        let overlap = a
            .chars()
            .zip(b.chars())
            .filter(|(x, y)| *x == '█' && *y == '█')
            .count();
        assert_eq!(
            overlap, 0,
            "sequential bars must not share a column:\n{text}"
        );
    }

    #[test]
    fn concurrent_rows_overlap_and_many_rows_are_grouped() {
        let t = tl(&[(0.0, Some(1.0)), (0.0, Some(1.0))]);
        assert_eq!(t.peak_overlap(), 2);
        let many: Vec<_> = (0..1000).map(|i| (i as f64 * 0.001, Some(1.0))).collect();
        let t = tl(&many);
        assert_eq!(t.render().lines().count(), MAX_ROWS + 1);
        assert!(t.render().contains("#1–42"), "{}", t.render());
    }

    #[test]
    fn end_order_follows_the_ends_not_the_starts() {
        let t = tl(&[
            (0.0, Some(3.0)),
            (0.1, Some(1.0)),
            (0.2, None),
            (0.3, Some(2.0)),
        ]);
        assert_eq!(t.end_order(), ["request 2", "request 4", "request 1"]);
    }

    #[test]
    fn a_late_batch_is_drawn_from_its_start() {
        // Spans that start at 2.9 s of a run: the drawing starts at 2.9 s,
        // not at 0, so the bars are not squeezed into the last columns.
        let t = tl(&[(2.93, Some(3.5)), (3.4, Some(3.95))]);
        let text = t.render();
        assert!(text.starts_with("Timeline: 2.900 to 3.950 s"), "{text}");
        let first_bar = text.lines().nth(1).unwrap().split('|').nth(1).unwrap();
        let at = first_bar.chars().position(|c| c == '█').unwrap();
        assert!(at < 3, "the first bar starts at the left: {text}");
        assert!(
            t.to_svg("late").contains(">2.9 s<"),
            "the axis starts at 2.9 s"
        );
        // Spans that start early keep the origin at 0.
        let t = tl(&[(0.2, Some(1.0))]);
        assert!(t.render().starts_with("Timeline: 0 to 1.000 s"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_dropped_span_is_drawn_as_cancelled() {
        let t = Timeline::new();
        // A timeout drops the tracked future after 30 ms: the span records
        // when, and the picture ends its bar there.
        let slow = t.track("slow", tokio::time::sleep(Duration::from_secs(5)));
        let outcome = tokio::time::timeout(Duration::from_millis(30), slow).await;
        assert!(outcome.is_err());
        let span = &t.spans()[0];
        assert_eq!(span.end, None);
        let dropped = span.dropped.expect("the drop was recorded");
        assert!(dropped - span.start >= 0.025, "{span:?}");
        let text = t.render();
        assert!(text.contains("never answered, cancelled at"), "{text}");
        // A span alone, cancelled at once: no panic, one column at least.
        let t = tl(&[(0.5, None)]);
        assert!(t.render().contains("|"), "{}", t.render());
    }

    #[test]
    fn unfinished_spans_are_marked() {
        let t = tl(&[(0.0, Some(1.0)), (0.5, None)]);
        assert!(t.render().contains("never answered"));
        let svg = t.to_svg("a <title>");
        assert!(svg.starts_with("<svg") && svg.contains("a &lt;title&gt;"));
        assert_eq!(svg.matches("<rect").count(), 3, "background + two bars");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn track_records_when_the_future_runs() {
        let t = Timeline::new();
        // An async block: its sleep (and its deadline) is made when polled.
        let fut = t.track("late", async {
            tokio::time::sleep(Duration::from_millis(50)).await;
        });
        let before = since_start(Instant::now()).as_secs_f64();
        tokio::time::sleep(Duration::from_millis(50)).await;
        fut.await;
        let span = &t.spans()[0];
        assert!(span.start >= before + 0.04, "started when polled: {span:?}");
        assert!(span.end.unwrap() - span.start >= 0.045, "{span:?}");
    }
}
