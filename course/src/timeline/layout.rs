//! What a drawing covers: the rows (one per label, or per group of labels
//! when there are many) and the time axis. The text and the SVG pictures
//! are both drawn from a [`Layout`].

use super::{Kind, Span, Timeline};

/// At most this many rows; more spans are drawn in groups.
pub(crate) const MAX_ROWS: usize = 24;

/// One row of the drawing: a label and its bars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub label: String,
    /// In start order: a request, then its analysis.
    pub spans: Vec<Span>,
}

impl Row {
    pub fn start(&self) -> f64 {
        self.spans
            .iter()
            .map(|s| s.start)
            .fold(f64::INFINITY, f64::min)
    }

    pub fn last(&self) -> &Span {
        self.spans
            .iter()
            .max_by(|a, b| a.until(a.start).total_cmp(&b.until(b.start)))
            .expect("a row has a span")
    }
}

/// What a drawing covers: its rows and its time axis.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub rows: Vec<Row>,
    /// The axis starts here, in seconds since the program started.
    pub origin: f64,
    /// And ends here.
    pub total: f64,
    /// Moments drawn across the rows, in time order, with their names.
    pub marks: Vec<(f64, String)>,
}

impl Layout {
    pub fn span(&self) -> f64 {
        (self.total - self.origin).max(0.001)
    }

    pub fn has(&self, kind: Kind) -> bool {
        self.rows
            .iter()
            .flat_map(|r| &r.spans)
            .any(|s| s.kind == kind)
    }

    pub fn has_dropped(&self) -> bool {
        self.rows
            .iter()
            .flat_map(|r| &r.spans)
            .any(|s| s.end.is_none() && s.dropped.is_some())
    }
}

impl Timeline {
    /// Rows to draw: one per label, or, for many, one per group of labels
    /// in start order (each kind drawn from the group's first start to its
    /// last end).
    pub(crate) fn rows(&self) -> Vec<Row> {
        let mut rows: Vec<Row> = Vec::new();
        for span in self.spans() {
            match rows.iter_mut().find(|r| r.label == span.label) {
                Some(row) => row.spans.push(span),
                None => rows.push(Row {
                    label: span.label.clone(),
                    spans: vec![span],
                }),
            }
        }
        if rows.len() <= MAX_ROWS {
            return rows;
        }
        let per_row = rows.len().div_ceil(MAX_ROWS);
        rows.chunks(per_row)
            .enumerate()
            .map(|(i, group)| {
                let first = i * per_row + 1;
                let last = first + group.len() - 1;
                let mut spans = Vec::new();
                for kind in [Kind::Request, Kind::Work] {
                    let of_kind: Vec<&Span> = group
                        .iter()
                        .flat_map(|r| &r.spans)
                        .filter(|s| s.kind == kind)
                        .collect();
                    if of_kind.is_empty() {
                        continue;
                    }
                    spans.push(Span {
                        label: String::new(),
                        start: of_kind
                            .iter()
                            .map(|s| s.start)
                            .fold(f64::INFINITY, f64::min),
                        end: of_kind
                            .iter()
                            .try_fold(0.0_f64, |acc, s| s.end.map(|e| acc.max(e))),
                        dropped: None,
                        kind,
                    });
                }
                Row {
                    label: format!("#{first}-{last}"),
                    spans,
                }
            })
            .collect()
    }

    /// The rows and the axis they are drawn on. The axis starts where
    /// [`Timeline::starting_now`] said, or else at 0, the start of the
    /// program, unless all the spans began late (a chapter that did other
    /// work first): then at the first span, the start of the batch, so that
    /// its bars are not squeezed into the last columns.
    pub(crate) fn layout(&self) -> Layout {
        let rows = self.rows();
        let ends = rows
            .iter()
            .flat_map(|r| &r.spans)
            .map(|s| s.until(s.start))
            .fold(0.0_f64, f64::max);
        let mut marks = self.marks.lock().unwrap().clone();
        marks.sort_by(|a, b| a.0.total_cmp(&b.0));
        let last_mark = marks.last().map_or(0.0, |m| m.0);
        let total = ends
            .max(last_mark)
            .max(*self.axis.lock().unwrap())
            .max(0.001);
        let first = rows.iter().map(Row::start).fold(f64::INFINITY, f64::min);
        let origin = if let Some(from) = self.from {
            from.min(first)
        } else if first.is_finite() && first > total * 0.25 {
            first
        } else {
            0.0
        };
        Layout {
            rows,
            origin,
            total,
            marks,
        }
    }
}
