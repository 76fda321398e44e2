//! A `tracing` subscriber that records what the learner's code traced:
//! every span (name, fields, parent, how often it was entered) and every
//! event (message, fields, the span it happened in, the tokio task it ran
//! in). Hand-written on tracing-core's `Subscriber` trait rather than
//! built from tracing-subscriber: the checker is the dev-dependency of
//! every exercise, and this keeps tracing-subscriber out of all their
//! test builds. `tracing` itself is already built for h2, with the same
//! features.
//!
//! The "current span" is what tracing's own registry makes it: a stack of
//! entered spans per thread, the top one current. An event (or a span
//! created without an explicit parent) belongs to the current span of the
//! thread it happens on, which is how a span entered and not left leaks
//! into whatever runs next on the thread.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_core::span::Current;

/// One field's value, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Number(i128),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

pub(crate) type Fields = Vec<(String, Value)>;

/// A span the learner's code created.
#[derive(Debug, Clone)]
pub(crate) struct SpanRecord {
    pub name: &'static str,
    pub fields: Fields,
    pub parent: Option<u64>,
    pub entered: u32,
    meta: &'static Metadata<'static>,
}

impl SpanRecord {
    /// `request{url=http://... id=3}`, for messages (long values cut).
    pub fn describe(&self) -> String {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| {
                let v = v.to_string();
                let v = if v.chars().count() > 40 {
                    format!("{}...", v.chars().take(37).collect::<String>())
                } else {
                    v
                };
                format!("{k}={v}")
            })
            .collect();
        format!("`{}{{{}}}`", self.name, fields.join(" "))
    }
}

/// An event the learner's code logged.
#[derive(Debug, Clone)]
pub(crate) struct EventRecord {
    pub message: String,
    pub fields: Fields,
    /// The span it happened in (its explicit parent, or the current span).
    pub span: Option<u64>,
    /// Whether it ran inside a spawned tokio task (not the check's own
    /// future, which `block_on` runs outside any task).
    pub in_spawned_task: bool,
}

impl EventRecord {
    pub fn number(&self, name: &str) -> Option<i128> {
        self.fields.iter().find_map(|(k, v)| match v {
            Value::Number(n) if k == name => Some(*n),
            _ => None,
        })
    }
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    spans: HashMap<u64, SpanRecord>,
    stacks: HashMap<ThreadId, Vec<u64>>,
    events: Vec<EventRecord>,
}

/// The subscriber; clones share one record.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capture {
    state: Arc<Mutex<State>>,
}

/// Targets of the libraries under the learner's code: their own spans and
/// events are not the learner's.
fn is_library(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    ["h2", "hyper", "reqwest", "tokio", "mio", "want", "tower"]
        .iter()
        .any(|lib| {
            target == *lib
                || target.starts_with(&format!("{lib}::"))
                || target.starts_with(&format!("{lib}_"))
        })
}

impl Capture {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The spans created so far, by id.
    pub fn spans(&self) -> HashMap<u64, SpanRecord> {
        self.with(|s| s.spans.clone())
    }

    /// The events logged so far, in order.
    pub fn events(&self) -> Vec<EventRecord> {
        self.with(|s| s.events.clone())
    }
}

impl State {
    fn current(&self) -> Option<u64> {
        self.stacks
            .get(&std::thread::current().id())
            .and_then(|stack| stack.last().copied())
    }
}

struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0
            .push((field.name().into(), Value::Number(value.into())));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0
            .push((field.name().into(), Value::Number(value.into())));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.0.push((field.name().into(), Value::Number(value)));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        let n = i128::try_from(value).unwrap_or(i128::MAX);
        self.0.push((field.name().into(), Value::Number(n)));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .push((field.name().into(), Value::Text(value.to_string())));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        // A number given as `%n` or `?n` is still a number.
        let value = match text.parse::<i128>() {
            Ok(n) => Value::Number(n),
            Err(_) => Value::Text(text),
        };
        self.0.push((field.name().into(), value));
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if is_library(meta) {
            Interest::never()
        } else {
            Interest::always()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        !is_library(meta)
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut fields = Fields::new();
        attrs.record(&mut Collect(&mut fields));
        self.with(|s| {
            s.next += 1;
            let parent = if attrs.is_root() {
                None
            } else if attrs.is_contextual() {
                s.current()
            } else {
                attrs.parent().map(Id::into_u64)
            };
            let record = SpanRecord {
                name: attrs.metadata().name(),
                fields,
                parent,
                entered: 0,
                meta: attrs.metadata(),
            };
            s.spans.insert(s.next, record);
            Id::from_u64(s.next)
        })
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.with(|s| {
            if let Some(record) = s.spans.get_mut(&span.into_u64()) {
                values.record(&mut Collect(&mut record.fields));
            }
        });
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut Collect(&mut fields));
        let message = match fields.iter().position(|(k, _)| k == "message") {
            Some(i) => fields.remove(i).1.to_string(),
            None => String::new(),
        };
        let in_spawned_task = tokio::task::try_id().is_some();
        self.with(|s| {
            let span = if event.is_root() {
                None
            } else if event.is_contextual() {
                s.current()
            } else {
                event.parent().map(Id::into_u64)
            };
            s.events.push(EventRecord {
                message,
                fields,
                span,
                in_spawned_task,
            });
        });
    }

    fn enter(&self, span: &Id) {
        let id = span.into_u64();
        self.with(|s| {
            if let Some(record) = s.spans.get_mut(&id) {
                record.entered += 1;
            }
            let thread = std::thread::current().id();
            s.stacks.entry(thread).or_default().push(id);
        });
    }

    fn exit(&self, span: &Id) {
        let id = span.into_u64();
        self.with(|s| {
            let thread = std::thread::current().id();
            if let Some(stack) = s.stacks.get_mut(&thread)
                && let Some(at) = stack.iter().rposition(|&x| x == id)
            {
                stack.remove(at);
            }
        });
    }

    /// What `Span::current()` (and so `in_current_span`) sees.
    fn current_span(&self) -> Current {
        self.with(|s| match s.current() {
            Some(id) => match s.spans.get(&id) {
                Some(record) => Current::new(Id::from_u64(id), record.meta),
                None => Current::none(),
            },
            None => Current::none(),
        })
    }
}
