//! The ticker's picture: one row per phase of a run, a tick for each time
//! the ticker woke, and its longest gap marked. A runtime that was free
//! shows a comb of evenly spaced ticks; a blocked one shows a hole as long
//! as the stall.

use super::svg::{self, INK, STOP, WAIT, WIDTH};
use crate::ticker::TickReport;
use std::fmt::Write as _;

/// The gap between wake-ups that lasted longest, as (from, to) in seconds
/// since the program started; the phase's start and end count as bounds.
pub fn longest_gap(report: &TickReport) -> (f64, f64) {
    let mut bounds = vec![report.started_at];
    bounds.extend(&report.wakes);
    bounds.push(report.ended_at);
    bounds
        .windows(2)
        .map(|w| (w[0], w[1]))
        .max_by(|a, b| (a.1 - a.0).total_cmp(&(b.1 - b.0)))
        .unwrap_or((report.started_at, report.ended_at))
}

/// The picture of `phases`, each a label and what the ticker saw then.
pub fn svg(title: &str, phases: &[(&str, &TickReport)]) -> String {
    let (left, right) = (8.0, WIDTH - 16.0);
    let row_h = 50.0;
    let top = 52.0;
    let bottom = top + row_h * phases.len() as f64;
    let height = bottom + 30.0;
    let total = phases
        .iter()
        .map(|(_, r)| r.ended_at)
        .fold(0.001_f64, f64::max);
    let x = |t: f64| left + t / total * (right - left);
    let mut out = svg::open(height, title);
    let at = svg::legend(&mut out, left, 40.0, WAIT, "the ticker woke");
    svg::legend(&mut out, at, 40.0, STOP, "its longest gap");
    svg::axis(&mut out, (0.0, total), (top, bottom), x);
    for (i, (label, report)) in phases.iter().enumerate() {
        let y = top + row_h * i as f64;
        let (from, to) = longest_gap(report);
        let gap_ms = ((to - from) * 1000.0).round();
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\">{}: longest gap {gap_ms} ms</text>",
            left,
            y + 18.0,
            svg::escape(label)
        );
        // The phase itself, faint; the gap in red over it; then the ticks.
        let band_y = y + 25.0;
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{band_y:.1}\" width=\"{:.1}\" height=\"18\" fill=\"{INK}\" \
             fill-opacity=\"0.15\"/><rect x=\"{:.1}\" y=\"{band_y:.1}\" width=\"{:.1}\" \
             height=\"18\" fill=\"{STOP}\" fill-opacity=\"0.8\"><title>no tick from {from:.3} \
             to {to:.3} s</title></rect>",
            x(report.started_at),
            (x(report.ended_at) - x(report.started_at)).max(1.0),
            x(from),
            (x(to) - x(from)).max(1.5),
        );
        for &t in &report.wakes {
            let _ = write!(
                out,
                "<line x1=\"{0:.1}\" y1=\"{band_y:.1}\" x2=\"{0:.1}\" y2=\"{1:.1}\" \
                 stroke=\"{WAIT}\" stroke-width=\"1.5\"/>",
                x(t),
                band_y + 18.0
            );
        }
        out.push('\n');
    }
    out.push_str("</svg>\n");
    out
}

/// Draws what tickers saw, one row per phase (`("inline", &report)`), with
/// each wake-up as a tick and the longest gap marked, and writes it to
/// `path` (on the blocking pool). Does nothing without a path.
pub async fn write_svg(
    path: Option<&std::path::Path>,
    title: &str,
    phases: &[(&str, &TickReport)],
) -> crate::Result<()> {
    match path {
        Some(path) => svg::write(path, self::svg(title, phases)).await,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn report(started_at: f64, wakes: &[f64], ended_at: f64) -> TickReport {
        TickReport {
            period: Duration::from_millis(10),
            ticks: wakes.len(),
            longest_gap: Duration::ZERO,
            started_at,
            ended_at,
            wakes: wakes.to_vec(),
        }
    }

    #[test]
    fn the_longest_gap_is_found_between_ticks_or_at_the_ends() {
        let r = report(0.0, &[0.01, 0.02, 0.5, 0.51], 0.52);
        assert_eq!(longest_gap(&r), (0.02, 0.5));
        // No tick at all: the whole phase is the gap.
        let r = report(1.0, &[], 1.5);
        assert_eq!(longest_gap(&r), (1.0, 1.5));
    }

    #[test]
    fn the_picture_has_a_tick_per_wake_and_one_gap_per_phase() {
        let free = report(0.0, &[0.01, 0.02, 0.03], 0.04);
        let stalled = report(0.04, &[0.5], 0.51);
        let svg = svg("a <test>", &[("free", &free), ("stalled", &stalled)]);
        assert!(svg.contains("a &lt;test&gt;"), "{svg}");
        assert_eq!(svg.matches("<line").count() - axis_lines(&svg), 4, "{svg}");
        assert!(svg.contains("stalled: longest gap 460 ms"), "{svg}");
        assert!(!svg.contains("#ffffff"), "no opaque white background");
    }

    fn axis_lines(svg: &str) -> usize {
        svg.matches("stroke-opacity=\"0.35\"").count()
    }
}
