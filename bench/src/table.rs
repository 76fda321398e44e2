//! The pure parts: the result table, its text and Markdown forms, medians
//! and number formatting. Everything here is unit-tested.

use std::fmt::Write as _;
use std::time::Duration;

/// Whether a figure meets the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The figure has a target and meets it.
    Met,
    /// The figure has a target and misses it.
    Missed,
    /// The figure is informative only.
    NoTarget,
}

impl Verdict {
    /// `Met` if `ok`, else `Missed`.
    pub fn from_ok(ok: bool) -> Verdict {
        if ok { Verdict::Met } else { Verdict::Missed }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "NOT met",
            Verdict::NoTarget => "",
        }
    }

    fn parse(s: &str) -> Verdict {
        match s {
            "met" => Verdict::Met,
            "NOT met" => Verdict::Missed,
            _ => Verdict::NoTarget,
        }
    }
}

/// One line of the table. Cells that do not apply hold `—`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub section: String,
    pub case: String,
    pub figure: String,
    /// The machine's 1-minute load average when the figure was taken:
    /// figures from a busy machine say so beside them.
    pub load: String,
    pub errors: String,
    pub peak: String,
    pub memory: String,
    pub target: String,
    pub verdict: Verdict,
    pub notes: String,
}

pub const NA: &str = "—";

impl Row {
    /// A row with only section, case and figure; the rest `—`, except the
    /// load average, read now.
    pub fn new(
        section: impl Into<String>,
        case: impl Into<String>,
        figure: impl Into<String>,
    ) -> Row {
        Row {
            section: section.into(),
            case: case.into(),
            figure: figure.into(),
            load: crate::sys::load_average().map_or(NA.into(), |l| format!("{l:.2}")),
            errors: NA.into(),
            peak: NA.into(),
            memory: NA.into(),
            target: NA.into(),
            verdict: Verdict::NoTarget,
            notes: String::new(),
        }
    }

    pub fn errors(mut self, errors: impl Into<String>) -> Row {
        self.errors = errors.into();
        self
    }

    pub fn peak(mut self, peak: impl Into<String>) -> Row {
        self.peak = peak.into();
        self
    }

    pub fn memory(mut self, memory: impl Into<String>) -> Row {
        self.memory = memory.into();
        self
    }

    pub fn target(mut self, target: impl Into<String>, verdict: Verdict) -> Row {
        self.target = target.into();
        self.verdict = verdict;
        self
    }

    pub fn notes(mut self, notes: impl Into<String>) -> Row {
        self.notes = notes.into();
        self
    }

    fn cells(&self) -> [&str; COLUMNS] {
        [
            &self.section,
            &self.case,
            &self.figure,
            &self.load,
            &self.errors,
            &self.peak,
            &self.memory,
            &self.target,
            self.verdict.label(),
            &self.notes,
        ]
    }

    /// One line for a child process to hand a row to its parent.
    pub fn to_line(&self) -> String {
        let cells: Vec<String> = self.cells().iter().map(|c| clean(c)).collect();
        format!("row\t{}", cells.join("\t"))
    }

    /// The inverse of [`Row::to_line`].
    pub fn from_line(line: &str) -> Option<Row> {
        let rest = line.strip_prefix("row\t")?;
        let c: Vec<&str> = rest.split('\t').collect();
        if c.len() != COLUMNS {
            return None;
        }
        Some(Row {
            section: c[0].into(),
            case: c[1].into(),
            figure: c[2].into(),
            load: c[3].into(),
            errors: c[4].into(),
            peak: c[5].into(),
            memory: c[6].into(),
            target: c[7].into(),
            verdict: Verdict::parse(c[8]),
            notes: c[9].into(),
        })
    }
}

/// Tabs and newlines would break the child protocol and the table.
fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

const COLUMNS: usize = 10;

const HEADERS: [&str; COLUMNS] = [
    "Section",
    "Case",
    "Figure",
    "Load",
    "Errors",
    "Peak in flight",
    "Peak memory",
    "Target",
    "Verdict",
    "Notes",
];

/// The whole report: context lines, the table, and closing notes.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub context: Vec<String>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

impl Report {
    /// Aligned plain text for the terminal.
    pub fn to_text(&self) -> String {
        let mut widths = HEADERS.map(|h| h.chars().count());
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row.cells()) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for line in &self.context {
            let _ = writeln!(out, "{line}");
        }
        if !self.context.is_empty() {
            out.push('\n');
        }
        let line = |cells: [&str; COLUMNS]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            format!("{}\n", padded.join("  ").trim_end())
        };
        out.push_str(&line(HEADERS));
        out.push_str(&line(
            widths.map(|w| "-".repeat(w)).each_ref().map(String::as_str),
        ));
        for row in &self.rows {
            out.push_str(&line(row.cells()));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }

    /// A Markdown fragment for the book: context as a list, a pipe table,
    /// notes as a list.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        for line in &self.context {
            let _ = writeln!(out, "- {}", md_cell(line));
        }
        if !self.context.is_empty() {
            out.push('\n');
        }
        let line = |cells: [&str; COLUMNS]| {
            let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
            format!("| {} |\n", cells.join(" | "))
        };
        out.push_str(&line(HEADERS));
        out.push_str(&format!("|{}\n", "---|".repeat(HEADERS.len())));
        for row in &self.rows {
            let mut cells = row.cells();
            if row.verdict == Verdict::Missed {
                cells[8] = "**NOT met**";
            }
            out.push_str(&line(cells));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                let _ = writeln!(out, "- {}", md_cell(note));
            }
        }
        out
    }
}

/// A table cell: pipes escaped, no line breaks.
fn md_cell(s: &str) -> String {
    clean(s).replace('|', "\\|")
}

/// The median of some values (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// `1.234 s`
pub fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// `+4.2 ms` / `-0.3 ms`
pub fn signed_ms(ms: f64) -> String {
    format!("{ms:+.1} ms")
}

/// `10,000`
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `95.3 MB` from kibibytes as /proc reports them (kB there means KiB).
pub fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(secs(Duration::from_millis(1204)), "1.204 s");
        assert_eq!(signed_ms(4.25), "+4.2 ms");
        assert_eq!(signed_ms(-0.3), "-0.3 ms");
        assert_eq!(mb(1000), "1.0 MB");
    }

    fn sample() -> Report {
        Report {
            context: vec!["profile: release".into()],
            rows: vec![
                Row::new("Fidelity", "2 sequential", "+3.0 ms")
                    .target("<= 10 ms", Verdict::Met)
                    .notes("a|b"),
                Row::new("Scale", "10,000", "1.700 s").target("<= 1.3 s", Verdict::Missed),
            ],
            notes: vec!["backlog overflowed".into()],
        }
    }

    #[test]
    fn text_table_is_aligned() {
        let text = sample().to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "profile: release");
        let header = lines.iter().position(|l| l.starts_with("Section")).unwrap();
        // "Case" starts in the same column on every line of the table.
        let col = lines[header].find("Case").unwrap();
        assert_eq!(lines[header + 2].find("2 sequential"), Some(col));
        assert_eq!(lines[header + 3].find("10,000"), Some(col));
        assert!(lines[header + 3].contains("NOT met"));
        assert!(text.ends_with("- backlog overflowed\n"));
    }

    #[test]
    fn markdown_table_escapes_pipes_and_marks_misses() {
        let md = sample().to_markdown();
        assert!(md.contains("| Section | Case |"));
        assert!(md.contains("|---|---|---|---|---|---|---|---|---|---|\n"));
        assert!(md.contains("a\\|b"));
        assert!(md.contains("**NOT met**"));
        // Every table line has the same number of cells.
        let pipes: Vec<usize> = md
            .lines()
            .filter(|l| l.starts_with('|'))
            .map(|l| l.matches(" | ").count())
            .collect();
        assert!(pipes[2..].iter().all(|&p| p == pipes[0]), "{md}");
    }

    #[test]
    fn rows_survive_the_child_protocol() {
        let row = Row::new("Fidelity (debug)", "10 join_all", "+5.0 ms")
            .errors("0")
            .target("<= 10 ms", Verdict::Missed)
            .notes("tab\there");
        let back = Row::from_line(&row.to_line()).unwrap();
        assert_eq!(back.verdict, Verdict::Missed);
        assert_eq!(back.notes, "tab here");
        assert_eq!(back.load, row.load, "the load travels with the row");
        assert_eq!(back.case, row.case);
        assert_eq!(Row::from_line("nonsense"), None);
    }
}
