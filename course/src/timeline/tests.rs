use super::layout::MAX_ROWS;
use super::*;

fn tl(spans: &[(f64, Option<f64>)]) -> Timeline {
    let t = Timeline::new();
    for (i, (s, e)) in spans.iter().enumerate() {
        t.spans.lock().unwrap().push(Span {
            label: format!("request {}", i + 1),
            start: *s,
            end: *e,
            dropped: None,
            kind: Kind::Request,
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
        .filter(|(x, y)| *x == '#' && *y == '#')
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
    assert!(t.render().contains("#1-42"), "{}", t.render());
}

#[test]
fn end_order_follows_the_ends_not_the_starts() {
    let t = tl(&[
        (0.0, Some(3.0)),
        (0.1, Some(1.0)),
        (0.2, None),
        (0.3, Some(2.0)),
    ]);
    assert_eq!(
        t.end_order(Kind::Request),
        ["request 2", "request 4", "request 1"]
    );
}

#[test]
fn a_late_batch_is_drawn_from_its_start() {
    // Spans that start at 2.93 s of a run: the drawing starts there, at
    // the batch, not at 0, so the bars are not squeezed into the last
    // columns.
    let t = tl(&[(2.93, Some(3.5)), (3.4, Some(3.95))]);
    let text = t.render();
    assert!(text.starts_with("Timeline: 2.930 to 3.950 s"), "{text}");
    let first_bar = text.lines().nth(1).unwrap().split('|').nth(1).unwrap();
    let at = first_bar.chars().position(|c| c == '#').unwrap();
    assert!(at < 3, "the first bar starts at the left: {text}");
    assert!(
        t.to_svg("late").contains(">+0.0 s<"),
        "the picture's axis counts from the batch: {}",
        t.to_svg("late")
    );
    // Spans that start early keep the origin at 0.
    let t = tl(&[(0.2, Some(1.0))]);
    assert!(t.render().starts_with("Timeline: 0 to 1.000 s"));
}

#[test]
fn a_timeline_started_later_is_drawn_from_its_start() {
    // Started 0.1 s into a run of 1.1 s (a second mode, after a first one
    // took 0.1 s): drawn from 0.1 s, not from 0 with a gap the reader
    // cannot explain, though the spans began before a quarter of the axis.
    let mut t = tl(&[(0.12, Some(0.6)), (0.6, Some(1.1))]);
    t.from = Some(0.1);
    let text = t.render();
    assert!(text.starts_with("Timeline: 0.100 to 1.100 s"), "{text}");
    // Without it, the same spans are drawn from 0.
    t.from = None;
    assert!(t.render().starts_with("Timeline: 0 to 1.100 s"));
    // A span that began before the timeline did is not cut off.
    let mut t = tl(&[(0.05, Some(0.6))]);
    t.from = Some(0.1);
    assert!(t.render().starts_with("Timeline: 0.050 to"));
}

#[test]
fn marks_are_drawn_across_the_rows_and_named() {
    let t = tl(&[(0.0, Some(1.0)), (0.5, None)]);
    let start = crate::log::start();
    t.mark(start + Duration::from_millis(500), "stop signal");
    t.mark(start + Duration::from_millis(1500), "deadline");
    let text = t.render();
    // The axis reaches the last mark.
    assert!(text.starts_with("Timeline: 0 to 1.500 s"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let carets = lines[lines.len() - 2];
    let bar_start = lines[1].find('|').unwrap() + 1;
    let cols: Vec<usize> = carets
        .match_indices('^')
        .map(|(i, _)| i - bar_start)
        .collect();
    // 0.5 s and 1.5 s on a 1.5 s axis of 42 columns: 14 and the last.
    assert_eq!(cols, [14, 41], "{text}");
    assert_eq!(
        lines[lines.len() - 1],
        "^: 0.500 s stop signal, 1.500 s deadline"
    );
    let svg = t.to_svg("marks");
    assert_eq!(svg.matches("stroke-dasharray").count(), 2, "{svg}");
    assert!(
        svg.contains(">stop signal</text>") && svg.contains(">deadline</text>"),
        "{svg}"
    );
    // Without marks, neither.
    let plain = tl(&[(0.0, Some(1.0))]);
    assert!(!plain.render().contains('^'));
    assert!(!plain.to_svg("plain").contains("stroke-dasharray"));
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
    assert!(text.contains(", dropped"), "{text}");
    assert!(text.contains("-: dropped"), "{text}");
    let bars = text.lines().filter_map(|l| l.split('|').nth(1));
    assert!(bars.clone().any(|bar| bar.contains('-')), "{text}");
    // A span alone, cancelled at once: no panic, one column at least.
    let t = tl(&[(0.5, None)]);
    assert!(t.render().contains("|"), "{}", t.render());
}

#[test]
fn unfinished_spans_are_marked() {
    let t = tl(&[(0.0, Some(1.0)), (0.5, None)]);
    assert!(t.render().contains("still waiting"));
    let svg = t.to_svg("a <title>");
    assert!(svg.starts_with("<svg") && svg.contains("a &lt;title&gt;"));
    // A legend swatch and two bars; no background: the page shows through.
    assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
    assert!(!svg.contains("#ffffff"), "{svg}");
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

#[test]
fn every_row_fits_80_columns() {
    let t = tl(&[(0.0, Some(1.0)), (0.5, None)]);
    t.spans.lock().unwrap()[1].dropped = Some(3.302);
    for n in 3..=10 {
        t.spans.lock().unwrap().push(Span {
            label: format!("request {n}"),
            start: 0.001,
            end: Some(1.032),
            dropped: None,
            kind: Kind::Request,
        });
    }
    let text = t.render();
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "over 80 columns: {line}");
    }
}

#[test]
fn work_shares_the_row_of_its_request_and_axes_can_be_fixed() {
    let t = tl(&[(0.0, Some(1.0))]).with_axis(Duration::from_secs(2));
    t.spans.lock().unwrap().push(Span {
        label: String::from("request 1"),
        start: 1.0,
        end: Some(1.1),
        dropped: None,
        kind: Kind::Work,
    });
    let text = t.render();
    assert!(text.starts_with("Timeline: 0 to 2.000 s"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains('|')).count(),
        1,
        "{text}"
    );
    let row = text.lines().find(|l| l.contains('|')).unwrap();
    let bar = row.split('|').nth(1).unwrap();
    // Half the axis waiting, then work, then nothing.
    assert_eq!(bar.chars().filter(|&c| c == '#').count(), 21, "{text}");
    assert!(bar.contains('=') && bar.ends_with('.'), "{text}");
    assert_eq!(t.end_order(Kind::Work), ["request 1"]);
    assert_eq!(t.peak_overlap(), 1, "work is not a request in flight");
}
