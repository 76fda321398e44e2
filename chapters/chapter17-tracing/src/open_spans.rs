//! A layer that keeps a record of every span still open: when it opened,
//! how often it was entered, when it was last left. A span opens when it
//! is created and closes when the last handle to it is dropped: for a span
//! that instruments a task, when the task's future is dropped, that is
//! when the task ends or is aborted. After a deadline, the spans still
//! open are the work that has not finished, with the fields that say
//! which work it is.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer};

// ANCHOR: record
/// What the layer knows of one open span.
#[derive(Debug, Clone)]
pub struct Open {
    /// `request`
    pub name: &'static str,
    /// `n=3 path=/delay/60000`
    pub fields: String,
    pub opened: Instant,
    /// How many times it was entered: an instrumented future enters its
    /// span each time it is polled, and leaves it when the poll returns.
    pub entered: u32,
    /// How deep it is entered right now (0 between polls).
    pub inside: u32,
    /// When it was last left.
    pub left: Option<Instant>,
}

/// The open spans, shared between the layer and the code that reports.
#[derive(Debug, Clone, Default)]
pub struct OpenSpans {
    spans: Arc<Mutex<HashMap<Id, Open>>>,
}
// ANCHOR_END: record

impl OpenSpans {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<Id, Open>) -> R) -> R {
        f(&mut self.spans.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn update(&self, id: &Id, f: impl FnOnce(&mut Open)) {
        self.with(|spans| spans.get_mut(id).map(f));
    }

    /// The spans open now, oldest first.
    pub fn now(&self) -> Vec<Open> {
        let mut open: Vec<Open> = self.with(|s| s.values().cloned().collect());
        open.sort_by_key(|o| o.opened);
        open
    }
}

// ANCHOR: layer
/// The layer's side: tracing calls these as spans open, are entered and
/// left, and close. (A `Layer` sits on tracing-subscriber's registry,
/// which hands out the span ids and calls every layer in turn.)
impl<S: Subscriber> Layer<S> for OpenSpans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        let open = Open {
            name: attrs.metadata().name(),
            fields: fields.0,
            opened: Instant::now(),
            entered: 0,
            inside: 0,
            left: None,
        };
        self.with(|spans| spans.insert(id.clone(), open));
    }

    /// Fields given a value after the span was created.
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        self.update(id, |open| {
            let mut more = Fields(std::mem::take(&mut open.fields));
            values.record(&mut more);
            open.fields = more.0;
        });
    }

    fn on_enter(&self, id: &Id, _: Context<'_, S>) {
        self.update(id, |open| {
            open.entered += 1;
            open.inside += 1;
        });
    }

    fn on_exit(&self, id: &Id, _: Context<'_, S>) {
        self.update(id, |open| {
            open.inside = open.inside.saturating_sub(1);
            open.left = Some(Instant::now());
        });
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        self.with(|spans| spans.remove(&id));
    }
}
// ANCHOR_END: layer

// ANCHOR: describe
impl Open {
    /// Two lines about a span still open at `now`:
    ///
    /// ```text
    /// request{n=3 path=/delay/60000}
    ///   open for 1.000 s, times entered: 2, idle for 0.998 s: waiting
    /// ```
    pub fn describe(&self, now: Instant) -> String {
        let secs = |d: Duration| format!("{:.3} s", d.as_secs_f64());
        let state = match self.left {
            // Entered and not left: running now, or (with `span.enter()`
            // held across an `.await`) left entered by mistake.
            _ if self.inside > 0 => String::from("entered now"),
            Some(left) => {
                let idle = secs(now.saturating_duration_since(left));
                format!("idle for {idle}: waiting")
            }
            None => String::from("never entered"),
        };
        format!(
            "{}{{{}}}\n  open for {}, times entered: {}, {state}",
            self.name,
            self.fields,
            secs(now.saturating_duration_since(self.opened)),
            self.entered,
        )
    }
}
// ANCHOR_END: describe

/// Collects a span's fields as `name=value` pairs separated by spaces.
struct Fields(String);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        let _ = write!(self.0, "{}={value:?}", field.name());
    }
}
