//! Exercise 17: spans that tell interleaved requests apart.
//!
//! `async fn fetch_all(client: &reqwest::Client, urls: &[String]) ->
//! anyhow::Result<Vec<String>>` fetches every URL at once, and `fetch`
//! logs three events per request (`sending`, `got headers`, `got body`
//! with `bytes`). The learner adds spans so that each event names its
//! request.
//!
//! The check runs the learner's function with a subscriber of its own
//! (`capture`), set as the default on the check's thread: the learner's
//! code, its spawned tasks included, runs on that thread (a
//! current-thread runtime, where `span.enter()` held across an `.await`
//! shows at once). What it proves:
//!
//! - the requests overlapped at the server (peak in flight), so their
//!   events really interleaved;
//! - every event of a request happened inside a span that names one
//!   request, by a field holding its URL or its number;
//! - the span is the right one: each URL's body has its own size, so the
//!   `got body bytes=N` event says which request it came from, and the
//!   span it carries must name that request.

mod capture;

use crate::shared::lab::{Lab, Meta, Target, urls};
use crate::shared::{Diagnosis, Verdict, judge};
use capture::{Capture, EventRecord, SpanRecord, Value};
use reqwest::Client;
use std::collections::{BTreeSet, HashMap};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_the_bodies_in_order",
    "each_event_names_its_request",
];

/// The events `fetch` logs, in the order it logs them.
const MESSAGES: [&str; 3] = ["sending", "got headers", "got body"];

/// Delays in ms, in an order other than that of the URLs: answers come
/// back shuffled, and each request's events mingle with the others'. A
/// learner's code starts every request in one poll; the check asks only
/// that at least two overlap at the server.
const DELAYS_MS: [u64; 8] = [200, 90, 160, 70, 120, 180, 100, 140];

/// URLs whose bodies all differ in size (the size tells which URL a body
/// came from).
fn targets(lab: &Lab) -> Vec<Target> {
    let mut sizes = BTreeSet::new();
    let mut out = Vec::new();
    for (i, &ms) in DELAYS_MS.iter().enumerate() {
        let mut attempt = 0;
        loop {
            let t = lab.target(ms, format!("r{i}x{attempt}"));
            attempt += 1;
            if sizes.insert(t.bytes) {
                out.push(t);
                break;
            }
        }
    }
    out
}

/// Runs `fetch_all` with a capturing subscriber as the default on the
/// check's thread.
fn run_captured(
    lab: &Lab,
    targets: &[Target],
    fetch_all: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Result<(Vec<String>, Meta, Capture), Diagnosis> {
    let capture = Capture::default();
    let dispatch = tracing::Dispatch::new(capture.clone());
    let (client, list) = (lab.client(), urls(targets));
    let (bodies, meta) = lab
        .run_async("fetch_all", move || {
            // `make` runs on the check's thread, inside its runtime: the
            // default set here covers every poll of the function and of
            // the tasks it spawns, until the guard goes.
            let guard = tracing::dispatcher::set_default(&dispatch);
            async move {
                let result = fetch_all(&client, &list).await;
                drop(guard);
                result
            }
        })?
        .ok()?;
    Ok((bodies, meta, capture))
}

/// Every body, in the order of `urls`: the spans changed nothing else.
pub fn returns_the_bodies_in_order(
    fetch_all: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = targets(&lab);
    let (bodies, meta, _) = run_captured(&lab, &targets, fetch_all)?;
    judge::bodies_returned(&lab, &meta, &bodies, &targets)
}

/// Each event of a request carries a span that names that request.
pub fn each_event_names_its_request(
    fetch_all: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = targets(&lab);
    let (bodies, meta, capture) = run_captured(&lab, &targets, fetch_all)?;
    judge::bodies_returned(&lab, &meta, &bodies, &targets)?;
    let n = targets.len();
    let peak = lab.peak_in_flight();
    if peak < 2 {
        return Err(Diagnosis::new(format!(
            "your {n} requests ran one at a time (at most {peak} in flight at once): \
             nothing interleaved, so there was nothing to tell apart. Keep them \
             concurrent, as the starter's `try_join_all` does, and give each its \
             own span."
        )));
    }
    let trace = Trace::new(&capture, &targets);
    trace.judge(n)
}

/// What the learner's code traced, and what it means.
struct Trace<'a> {
    spans: HashMap<u64, SpanRecord>,
    /// The events of `fetch`, in order.
    events: Vec<EventRecord>,
    targets: &'a [Target],
}

/// How a span says which request it is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Names {
    /// A field holds the URL (or its path) of the target at this index.
    Url(usize),
    /// Numeric fields (a number or an index), by name.
    Numbers(Vec<(String, i128)>),
}

impl<'a> Trace<'a> {
    fn new(capture: &Capture, targets: &'a [Target]) -> Trace<'a> {
        let events = capture
            .events()
            .into_iter()
            .filter(|e| MESSAGES.contains(&e.message.as_str()))
            .collect();
        Trace {
            spans: capture.spans(),
            events,
            targets,
        }
    }

    /// The event's span and its parents, innermost first.
    fn chain(&self, event: &EventRecord) -> Vec<u64> {
        let mut out = Vec::new();
        let mut next = event.span;
        while let Some(id) = next {
            if out.contains(&id) {
                break;
            }
            out.push(id);
            next = self.spans.get(&id).and_then(|s| s.parent);
        }
        out
    }

    /// How the span names a request, if it does: a field that holds one
    /// URL (of one target only), or numbers.
    fn names(&self, span: &SpanRecord) -> Option<Names> {
        let mut urls = BTreeSet::new();
        let mut numbers = Vec::new();
        for (field, value) in &span.fields {
            match value {
                Value::Text(text) => {
                    for (i, t) in self.targets.iter().enumerate() {
                        if holds_path(text, &t.path) {
                            urls.insert(i);
                        }
                    }
                }
                Value::Number(v) => numbers.push((field.clone(), *v)),
            }
        }
        match (urls.len(), numbers.is_empty()) {
            (1, _) => urls.first().map(|&i| Names::Url(i)),
            (0, false) => Some(Names::Numbers(numbers)),
            _ => None,
        }
    }

    /// The innermost span around the event that names a request.
    fn naming_span(&self, event: &EventRecord) -> Option<(u64, Names)> {
        self.chain(event)
            .into_iter()
            .find_map(|id| Some((id, self.names(self.spans.get(&id)?)?)))
    }

    fn describe(&self, id: u64) -> String {
        self.spans
            .get(&id)
            .map(SpanRecord::describe)
            .unwrap_or_else(|| String::from("an unknown span"))
    }

    /// The target whose body has this size.
    fn target_of(&self, event: &EventRecord) -> Option<usize> {
        let bytes = event.number("bytes")?;
        self.targets.iter().position(|t| t.bytes as i128 == bytes)
    }

    fn judge(&self, n: usize) -> Verdict {
        if self.events.is_empty() {
            return Err(Diagnosis::new(
                "the check's subscriber saw none of the events `fetch` logs (`sending`, \
                 `got headers`, `got body`): keep its `info!` lines as they are, and add \
                 spans around them.",
            ));
        }
        let bodies: Vec<&EventRecord> = self
            .events
            .iter()
            .filter(|e| e.message == "got body")
            .collect();
        if bodies.len() < n || bodies.iter().any(|e| self.target_of(e).is_none()) {
            return Err(Diagnosis::new(format!(
                "the check saw {} `got body` events with a `bytes` field for {n} requests: \
                 keep `fetch`'s `info!(bytes = body.len(), \"got body\")` as it is (the size \
                 of each body tells the check which request it came from).",
                bodies.len()
            )));
        }
        self.every_event_in_a_span(n)?;
        self.a_span_per_request(n)?;
        self.spans_name_their_request(n)?;
        self.the_right_span(&bodies)
    }

    /// Every event happened inside some span.
    fn every_event_in_a_span(&self, n: usize) -> Verdict {
        let outside: Vec<&EventRecord> = self.events.iter().filter(|e| e.span.is_none()).collect();
        if outside.is_empty() {
            return Ok(());
        }
        let total = self.events.len();
        let created = self.spans.len();
        let entered: u32 = self.spans.values().map(|s| s.entered).sum();
        let spawned = outside.iter().any(|e| e.in_spawned_task);
        let how = "Attach a span to each request's future: `#[instrument]` on `fetch`, or \
                   `fetch(client, url).instrument(info_span!(\"request\", %url))`; a span is \
                   then entered each time the future is polled and left when it yields.";
        let text = if created == 0 {
            format!(
                "{} of the {total} events of your {n} requests carry no span: the lines of \
                 interleaved requests cannot be told apart (which request did this \"got \
                 headers\" come from?). {how}",
                outside.len()
            )
        } else if entered == 0 {
            format!(
                "you created {created} spans but never entered one, and {} of the {total} \
                 events carry no span: creating a span does not put anything inside it. A \
                 span applies only while it is entered. {how}",
                outside.len()
            )
        } else if spawned {
            format!(
                "{} of the {total} events carry no span: they ran in spawned tasks, outside \
                 the spans you created ({created}, entered {entered} times). A spawned task \
                 does not inherit the span of the code that spawns it: spawning while a span \
                 is entered does not put the task inside it, and instrumenting the \
                 JoinHandle (`tokio::spawn(fut).instrument(span)`) puts only the waiting for \
                 the task inside the span, not the task. Instrument the future you hand to \
                 `tokio::spawn`: `tokio::spawn(fut.instrument(span))` (or \
                 `fut.in_current_span()` while a request's span is entered).",
                outside.len()
            )
        } else {
            format!(
                "{} of the {total} events carry no span, although your {created} spans were \
                 entered {entered} times: the events happened while no span was entered. A \
                 span covers only the polls of the future it instruments: \
                 `span.in_scope(|| fetch(..))` only creates the future inside the span (it \
                 runs later, when it is polled, outside it), and instrumenting one `.await` \
                 inside `fetch` leaves the lines around it outside. {how}",
                outside.len()
            )
        };
        Err(Diagnosis::new(text))
    }

    /// The events are carried by at least one span per request.
    fn a_span_per_request(&self, n: usize) -> Verdict {
        // The span that says which request each event belongs to: the
        // innermost that names one, else the innermost.
        let carriers: BTreeSet<u64> = self
            .events
            .iter()
            .filter_map(|e| self.naming_span(e).map(|(id, _)| id).or(e.span))
            .collect();
        if carriers.len() >= n {
            return Ok(());
        }
        let text = match carriers.iter().next() {
            Some(&only) if carriers.len() == 1 => format!(
                "all {n} requests' events carry one span, {}: it covers the whole batch, \
                 so it does not say which request a line belongs to. Give each request a \
                 span of its own (`#[instrument]` on `fetch`, or `.instrument(span)` on \
                 each request's future).",
                self.describe(only)
            ),
            _ => format!(
                "the events of your {n} requests carry only {} different spans: give \
                 each request a span of its own (`#[instrument]` on `fetch`, or \
                 `.instrument(span)` on each request's future).",
                carriers.len()
            ),
        };
        Err(Diagnosis::new(text))
    }

    /// Each event's span (or a parent) names one request, and no two
    /// requests' spans say the same.
    fn spans_name_their_request(&self, n: usize) -> Verdict {
        let unnamed = self.events.iter().find(|e| self.naming_span(e).is_none());
        if let Some(event) = unnamed {
            let span = event.span.map(|id| self.describe(id)).unwrap_or_default();
            return Err(Diagnosis::new(format!(
                "the event \"{}\" carries the span {span}, which does not say which of the \
                 {n} requests it is: no field holds the request's URL or its number. Give \
                 the span a field that does, e.g. `info_span!(\"request\", %url)`, or \
                 `#[instrument(skip(client))]`, which records the argument `url` as a \
                 field.",
                event.message
            )));
        }
        // Spans named by numbers alone must not all say the same.
        let mut seen: HashMap<Vec<(String, i128)>, u64> = HashMap::new();
        for event in &self.events {
            if let Some((id, Names::Numbers(numbers))) = self.naming_span(event)
                && let Some(&other) = seen.get(&numbers)
                && other != id
            {
                return Err(Diagnosis::new(format!(
                    "two requests' spans carry the same fields, {} and {}: the lines still \
                     cannot be told apart. Give each span a field that differs per request: \
                     its URL (`%url`) or its number in the list.",
                    self.describe(other),
                    self.describe(id)
                )));
            }
            if let Some((id, Names::Numbers(numbers))) = self.naming_span(event) {
                seen.insert(numbers, id);
            }
        }
        Ok(())
    }

    /// Each `got body` event carries the span of the request whose body
    /// it is.
    fn the_right_span(&self, bodies: &[&EventRecord]) -> Verdict {
        // For spans named by number: one field, counted from 0 or from 1,
        // must match every body's request.
        let mut numbering: Option<BTreeSet<(String, i128)>> = None;
        for event in bodies {
            let Some(truth) = self.target_of(event) else {
                continue;
            };
            let Some((id, names)) = self.naming_span(event) else {
                continue;
            };
            let right = match names {
                Names::Url(i) => i == truth,
                Names::Numbers(numbers) => {
                    let fits: BTreeSet<(String, i128)> = numbers
                        .iter()
                        .flat_map(|(field, v)| {
                            [0, 1]
                                .into_iter()
                                .filter(|&from| *v == truth as i128 + from)
                                .map(|from| (field.clone(), from))
                        })
                        .collect();
                    let still: BTreeSet<_> = match &numbering {
                        None => fits,
                        Some(before) => before.intersection(&fits).cloned().collect(),
                    };
                    let ok = !still.is_empty();
                    numbering = Some(still);
                    ok
                }
            };
            if !right {
                return Err(Diagnosis::new(format!(
                    "the event \"got body bytes={}\" of {} URL carries the span {}, which \
                     names another request: a span was still entered while another \
                     request's future ran. Did you hold `span.enter()` across an `.await`? \
                     Its guard keeps the span entered on the thread while the future waits, \
                     and whatever is polled next on the thread runs inside it. Attach the \
                     span to the future instead: `#[instrument]` on `fetch`, or \
                     `.instrument(span)`, which enters it at each poll and leaves it when \
                     the future yields.",
                    self.targets[truth].bytes,
                    judge::nth(truth),
                    self.describe(id)
                )));
            }
        }
        Ok(())
    }
}

/// Whether a field's text holds this URL path (as the URL, the path, or
/// its Debug form), and not a longer path that starts with it.
fn holds_path(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        let after = text[at + path.len()..].chars().next();
        !matches!(after, Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '/')
    })
}
