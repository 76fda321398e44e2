//! The timelines as SVG pictures, readable in every theme of the book.
//!
//! The book shows them with `<img>`, which cannot see the page's colours
//! (`currentColor` inside an image is the image's own, black). So the
//! background is transparent and every colour is one that reads on a light
//! page and on a dark one: text and grid in a middle grey, bars in middle
//! tones. The picture is 480 units wide with text of 14 units: on a phone
//! 390 px wide, where it shrinks to about 360 px, text is still 10.5 px.

use super::{Kind, Layout};
use std::fmt::Write as _;
use std::path::Path;

/// Width of every picture, in SVG units.
pub const WIDTH: f64 = 480.0;
/// Text and grid: a grey with a contrast of at least 3.7:1 against the
/// background of each of mdBook's five themes, light or dark.
pub const INK: &str = "#707070";
/// Waiting for an answer.
pub const WAIT: &str = "#3d85d8";
/// Working on the blocking pool.
pub const WORK: &str = "#e08a1e";
/// Dropped before the answer came; also the ticker's stall.
pub const STOP: &str = "#d9453b";
/// The smallest font size used, in SVG units.
pub const FONT: f64 = 14.0;

/// The opening tag of a picture `height` high, with its title and a
/// transparent background.
pub fn open(height: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"{FONT}\" \
         fill=\"{INK}\">\n<title>{t}</title>\n\
         <text x=\"8\" y=\"20\" font-size=\"16\" font-weight=\"bold\">{t}</text>\n",
        t = escape(title)
    )
}

/// A time axis under the plot: grid lines from `top` to `bottom` and a
/// label per step. `x` maps seconds (since the program started) to units.
pub fn axis(
    svg: &mut String,
    (from, to): (f64, f64),
    (top, bottom): (f64, f64),
    x: impl Fn(f64) -> f64,
) {
    let step = nice_step(to - from);
    let relative = from > 0.0;
    // "0.25 s" needs two decimals, "0.2 s" one.
    let decimals = if (step * 10.0).fract().abs() > 1e-6 {
        2
    } else {
        1
    };
    let mut k = 0;
    loop {
        let t = from + step * f64::from(k);
        if t > to + 1e-9 {
            break;
        }
        let label = if relative {
            format!("+{:.decimals$} s", t - from)
        } else {
            format!("{t:.decimals$} s")
        };
        // Labels at the edges are kept inside the picture.
        let anchor = match x(t) {
            at if at < 24.0 => "start",
            at if at > WIDTH - 24.0 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{bottom}\" \
             stroke=\"{INK}\" stroke-opacity=\"0.35\"/><text x=\"{0:.1}\" \
             y=\"{1:.1}\" text-anchor=\"{anchor}\">{label}</text>",
            x(t),
            bottom + 18.0
        );
        k += 1;
    }
    if relative {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">seconds after {from:.3} s, \
             when the first one started</text>",
            (x(from) + x(to)) / 2.0,
            bottom + 38.0
        );
    }
}

/// A legend entry: a swatch and its meaning, at (`x`, `y`); returns where
/// the next one can go.
pub fn legend(svg: &mut String, x: f64, y: f64, colour: &str, text: &str) -> f64 {
    let _ = writeln!(
        svg,
        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"14\" height=\"14\" rx=\"2\" fill=\"{colour}\"/>\
         <text x=\"{:.1}\" y=\"{y:.1}\">{}</text>",
        y - 12.0,
        x + 19.0,
        escape(text)
    );
    // About 7.5 units per character at 14 units.
    x + 19.0 + 7.5 * text.chars().count() as f64 + 14.0
}

/// The picture of a timeline.
pub(crate) fn timeline(layout: &Layout, title: &str) -> String {
    let label_w = 96.0;
    let plot_w = WIDTH - label_w - 20.0;
    let row_h = 22.0;
    // Room above the rows for the names of the marks, if any.
    let top = if layout.marks.is_empty() { 56.0 } else { 86.0 };
    let relative = layout.origin > 0.0;
    let bottom = top + row_h * layout.rows.len() as f64;
    let height = bottom + if relative { 50.0 } else { 30.0 };
    let (origin, total) = (layout.origin, layout.total);
    let span = layout.span();
    let x = |t: f64| label_w + (t - origin) / span * plot_w;
    let mut svg = open(height, title);
    let answered = layout
        .rows
        .iter()
        .flat_map(|r| &r.spans)
        .any(|s| s.kind == Kind::Request && s.end.is_some());
    let mut at = 8.0;
    if answered {
        at = legend(&mut svg, at, 42.0, WAIT, "waiting for the answer");
    }
    if layout.has(Kind::Work) {
        at = legend(&mut svg, at, 42.0, WORK, "work on the blocking pool");
    }
    if layout.has_dropped() {
        legend(&mut svg, at, 42.0, STOP, "dropped");
    }
    axis(&mut svg, (origin, total), (top, bottom), x);
    for (i, row) in layout.rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            label_w - 8.0,
            y + row_h * 0.72,
            escape(&row.label)
        );
        for s in &row.spans {
            let end = s.until(total);
            let fill = match (s.kind, s.end) {
                (_, None) if s.dropped.is_some() => STOP,
                (Kind::Request, _) => WAIT,
                (Kind::Work, _) => WORK,
            };
            // CPU work of a few milliseconds on a one-second axis would be
            // thinner than a pixel: draw it 3 units wide at least.
            let min_w = if s.kind == Kind::Work { 3.0 } else { 1.5 };
            let _ = writeln!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"2\" \
                 fill=\"{fill}\"><title>{}: {:.3} → {:.3} s</title></rect>",
                x(s.start),
                y + 4.0,
                (x(end) - x(s.start)).max(min_w),
                row_h - 8.0,
                escape(&row.label),
                s.start,
                end
            );
        }
    }
    marks(&mut svg, &layout.marks, (top, bottom), x);
    svg.push_str("</svg>\n");
    svg
}

/// Each mark as a dashed line across the rows, its name above them. A name
/// that would touch the one before it goes a line higher.
fn marks(
    svg: &mut String,
    marks: &[(f64, String)],
    (top, bottom): (f64, f64),
    x: impl Fn(f64) -> f64,
) {
    let mut right_edge = [f64::NEG_INFINITY; 2];
    for (at, label) in marks {
        let at_x = x(*at);
        let wide = 7.5 * label.chars().count() as f64;
        let (anchor, left) = match at_x {
            a if a - wide / 2.0 < 8.0 => ("start", a),
            a if a + wide / 2.0 > WIDTH - 4.0 => ("end", a - wide),
            a => ("middle", a - wide / 2.0),
        };
        let line = usize::from(left < right_edge[0] + 6.0);
        right_edge[line] = left + wide;
        let _ = writeln!(
            svg,
            "<line x1=\"{at_x:.1}\" y1=\"{:.1}\" x2=\"{at_x:.1}\" y2=\"{bottom:.1}\" \
             stroke=\"{INK}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{at_x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            top - 2.0,
            top - 6.0 - 16.0 * line as f64,
            escape(label)
        );
    }
}

/// Writes a picture to `path`. A file write blocks the thread that makes
/// it, so it runs on tokio's blocking pool, not on a runtime worker.
pub async fn write(path: &Path, svg: String) -> crate::Result<()> {
    use anyhow::Context as _;
    let to = path.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::write(&to, svg))
        .await
        .context("the task writing the picture failed")?
        .with_context(|| format!("cannot write the picture to {}", path.display()))
}

/// A round step for at most about six grid lines over `total` seconds:
/// at 480 units wide, their labels never touch.
pub fn nice_step(total: f64) -> f64 {
    let raw = (total / 6.0).max(1e-6);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw)
}

/// `text` safe inside SVG.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
