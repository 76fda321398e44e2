//! A picture of the learner's own run: one row per request, drawn from the
//! delay server's record, small enough for an 80-column terminal.
//!
//! ```text
//! #1  ###~~
//! #2  ###########~~
//! #3  .....###~~
//!     0 ms             one column = 20 ms            380 ms
//! ```
//!
//! `.` the request was not sent yet (counted from the start of the
//! learner's function), `#` the server was waiting out the delay, `~` the
//! body was on its way (until its last byte was written), `x` the client
//! went away before the response ended. ASCII only, like the book's
//! timelines.
//! A concurrency diagnosis puts the picture under its words ([`of_run`]),
//! next to one sentence on the shape the run should have had.

use crate::shared::lab::{Lab, Meta, Target};
use mock_server::RequestRecord;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The widest picture the diagnoses draw: an 80-column terminal.
pub(crate) const WIDTH: usize = 80;

/// One request to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bar {
    /// What the row is called, e.g. `#3` for the third URL.
    pub label: String,
    /// When the request reached the server.
    pub arrived: Instant,
    /// When the server sent the headers (arrival plus delay).
    pub headers: Instant,
    /// When the body ended (or was planned to end, if it never did).
    pub end: Instant,
    /// The client went away before the body ended.
    pub aborted: bool,
}

impl Bar {
    /// The bar of one request as the server recorded it: the body ends
    /// when its last byte was written or the client went away, or, for a
    /// response not over yet, when it was planned to end.
    pub fn of(label: impl Into<String>, record: &RequestRecord) -> Bar {
        Bar {
            label: label.into(),
            arrived: record.arrived,
            headers: record.due(),
            end: record.end(),
            aborted: record.aborted(),
        }
    }
}

/// " Your run, one row per URL:" and the picture of the requests for
/// `targets` (`#1` is the first URL), the legend, and `shape`: one
/// sentence on the shape the run should have had. The end of a diagnosis.
pub(crate) fn of_run(lab: &Lab, meta: &Meta, targets: &[Target], shape: &str) -> String {
    let records = lab.requests();
    let bars: Vec<Bar> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let record = records.iter().find(|r| r.path == t.path)?;
            Some(Bar::of(format!("#{}", i + 1), record))
        })
        .collect();
    format!(
        " Your run, one row per URL:\n\n{}{LEGEND}\n{shape}",
        of_bars(&bars, meta.started, WIDTH)
    )
}

/// A column's length: the smallest of 1, 2, 5, 10, 20, 50, ... ms that fits
/// `span` into `columns` columns.
fn column_length(span: Duration, columns: usize) -> Duration {
    let needed = span.as_millis().div_ceil(columns.max(1) as u128).max(1);
    let mut unit = 1_u128;
    loop {
        for step in [1, 2, 5] {
            if step * unit >= needed {
                return Duration::from_millis((step * unit) as u64);
            }
        }
        unit *= 10;
    }
}

/// "380 ms" or "1.24 s".
fn label_time(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// The bars, one row each in the given order, then a time axis. No line is
/// wider than `width` columns (counted in characters: every symbol used
/// takes one column).
pub(crate) fn of_bars(bars: &[Bar], t0: Instant, width: usize) -> String {
    if bars.is_empty() {
        return String::from("(the delay server saw no request)\n");
    }
    let label_width = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    let columns = width.saturating_sub(label_width).max(10);
    let t0 = bars.iter().map(|b| b.arrived).min().unwrap_or(t0).min(t0);
    let span = bars
        .iter()
        .map(|b| b.end.max(b.headers).duration_since(t0))
        .max()
        .unwrap_or_default();
    let step = column_length(span, columns);
    // The column a moment falls in, rounded to the nearest boundary: two
    // requests that touch (one ends as the next arrives) share a boundary
    // instead of overlapping by a column.
    let column = |at: Instant| -> usize {
        let col = at.saturating_duration_since(t0).as_secs_f64() / step.as_secs_f64();
        (col.round() as usize).min(columns)
    };
    let mut out = String::new();
    for bar in bars {
        let start = column(bar.arrived).min(columns - 1);
        // Every request gets at least one column, however short.
        let headers = column(bar.headers).max(start + 1).min(columns);
        let end = column(bar.end).max(headers).min(columns);
        let mut row = String::new();
        row.extend(std::iter::repeat_n('.', start));
        row.extend(std::iter::repeat_n('#', headers - start));
        row.extend(std::iter::repeat_n('~', end - headers));
        if bar.aborted {
            row.pop();
            row.push('x');
        }
        let _ = writeln!(out, "{:<label_width$}{row}", bar.label);
    }
    // The axis: where 0 is, the scale, and where the last request ended.
    let left = "0 ms";
    let right = label_time(span);
    let middle = format!("one column = {} ms", step.as_millis());
    let used = columns.min(column(t0 + span).max(middle.len() + left.len() + right.len() + 4));
    let gap = used.saturating_sub(left.len() + right.len() + middle.len());
    let (before, after) = (gap / 2, gap - gap / 2);
    let axis = format!(
        "{:label_width$}{left}{:before$}{middle}{:after$}{right}",
        "", "", ""
    );
    out.push_str(axis.trim_end());
    out.push('\n');
    out
}

/// What the symbols mean, one line. ASCII, like the book's timelines: block
/// characters and `·` are two columns wide in a terminal set up for East
/// Asian text.
pub(crate) const LEGEND: &str =
    "(. not sent yet, # the server's delay, ~ the body, x the client went away)";

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(t0: Instant, label: &str, at: u64, headers: u64, end: u64) -> Bar {
        let ms = Duration::from_millis;
        Bar {
            label: label.to_string(),
            arrived: t0 + ms(at),
            headers: t0 + ms(headers),
            end: t0 + ms(end),
            aborted: false,
        }
    }

    fn rows(picture: &str) -> Vec<&str> {
        picture.lines().collect()
    }

    #[test]
    fn draws_one_row_per_request_and_an_axis() {
        let t0 = Instant::now();
        let bars = [
            bar(t0, "#1", 0, 100, 100),
            bar(t0, "#2", 0, 300, 300),
            bar(t0, "#3", 100, 200, 300),
        ];
        let picture = of_bars(&bars, t0, 80);
        let lines = rows(&picture);
        assert_eq!(lines.len(), 4, "three rows and an axis:\n{picture}");
        // 300 ms over 77 columns: 5 ms a column.
        assert_eq!(lines[0], format!("#1 {}", "#".repeat(20)), "{picture}");
        assert_eq!(lines[1], format!("#2 {}", "#".repeat(60)), "{picture}");
        assert_eq!(
            lines[2],
            format!("#3 {}{}{}", ".".repeat(20), "#".repeat(20), "~".repeat(20)),
            "{picture}"
        );
        assert!(lines[3].contains("one column = 5 ms"), "{picture}");
        assert!(lines[3].trim_start().starts_with("0 ms"), "{picture}");
        assert!(lines[3].ends_with("300 ms"), "{picture}");
    }

    #[test]
    fn fits_the_width_however_long_the_run() {
        let t0 = Instant::now();
        for width in [40, 60, 80] {
            for span in [1, 7, 99, 1_234, 98_765] {
                let bars: Vec<Bar> = (0..12)
                    .map(|i| bar(t0, &format!("#{}", i + 1), span * i / 12, span, span))
                    .collect();
                let picture = of_bars(&bars, t0, width);
                for line in picture.lines() {
                    assert!(
                        line.chars().count() <= width,
                        "a line wider than {width}: {line:?} (span {span} ms)"
                    );
                }
                assert_eq!(picture.lines().count(), 13, "{picture}");
            }
        }
    }

    #[test]
    fn a_short_request_still_shows() {
        let t0 = Instant::now();
        let bars = [bar(t0, "r1", 0, 1, 1), bar(t0, "r2", 0, 10_000, 10_000)];
        let picture = of_bars(&bars, t0, 80);
        assert!(rows(&picture)[0].contains('#'), "{picture}");
    }

    #[test]
    fn requests_that_touch_do_not_overlap() {
        let t0 = Instant::now();
        let bars = [bar(t0, "r1", 0, 100, 100), bar(t0, "r2", 100, 200, 200)];
        let picture = of_bars(&bars, t0, 42);
        let lines = rows(&picture);
        let first_end = lines[0].chars().count();
        let second_start = lines[1].chars().position(|c| c == '#').unwrap();
        assert_eq!(first_end, second_start, "{picture}");
    }

    #[test]
    fn an_abandoned_body_ends_in_a_cross() {
        let t0 = Instant::now();
        let mut cut = bar(t0, "#1", 0, 100, 300);
        cut.aborted = true;
        let picture = of_bars(&[cut], t0, 80);
        assert!(rows(&picture)[0].ends_with("~x"), "{picture}");
    }

    #[test]
    fn the_legend_fits() {
        assert!(LEGEND.chars().count() <= WIDTH, "{LEGEND}");
    }

    #[test]
    fn the_picture_and_its_legend_are_ascii() {
        let t0 = Instant::now();
        let mut cut = bar(t0, "#2", 50, 100, 300);
        cut.aborted = true;
        let picture = of_bars(&[bar(t0, "#1", 0, 100, 200), cut], t0, 80);
        assert!(picture.is_ascii(), "{picture}");
        assert!(LEGEND.is_ascii(), "{LEGEND}");
    }

    #[test]
    fn an_empty_record_says_so() {
        assert!(of_bars(&[], Instant::now(), 80).contains("no request"));
    }

    #[test]
    fn a_bar_spans_the_record() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut record = RequestRecord {
            arrived: t0 + ms(50),
            delay: ms(50),
            drip: ms(200),
            path: String::new(),
            status: 200,
            ended: None,
            abandoned: None,
        };
        let bar = Bar::of("#1", &record);
        assert_eq!(
            (bar.arrived, bar.headers, bar.end),
            (t0 + ms(50), t0 + ms(100), t0 + ms(300)),
            "not over yet: the planned end"
        );
        assert!(!bar.aborted);
        record.abandoned = Some(t0 + ms(150));
        let bar = Bar::of("#1", &record);
        assert_eq!(bar.end, t0 + ms(150), "the client went away");
        assert!(bar.aborted);
    }
}
