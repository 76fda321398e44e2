//! Chapter 17: tracing a stuck task.
//!
//! Four requests run at once and log what happens to them; one of them
//! never gets its answer. With plain log lines (`--mode no-spans`) the
//! lines of the four interleave and nothing says which line belongs to
//! which request. With a span per request (`#[instrument]`, the default)
//! every line names its request, and at the deadline the spans still open
//! say which request is stuck and what it is doing. `--mode
//! enter-across-await` shows the classic mistake: a span entered with
//! `span.enter()` and held across an `.await` labels other requests' lines.
//!
//! ```text
//! cargo run -p chapter17
//! cargo run -p chapter17 -- --mode no-spans
//! cargo run -p chapter17 -- --mode enter-across-await
//! ```

mod args;
mod format;
mod open_spans;

use anyhow::Context as _;
use args::{Args, Mode};
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use open_spans::OpenSpans;
use reqwest::Client;
use std::process::ExitCode;
use std::time::Instant;
use tracing::{Level, Metadata, Subscriber, info, info_span};
use tracing_attributes::instrument;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse_or_exit();
    let open = OpenSpans::default();
    init_tracing(open.clone());
    course::finish(app(args, open).await)
}

// ANCHOR: init
/// The subscriber: tracing-subscriber's registry (it keeps the data of
/// each open span), a filter, the layer that prints events in the
/// course's format with their spans, and the layer that records open
/// spans. Every event and span goes through each layer in turn.
fn init_tracing(open: OpenSpans) {
    course::log::start();
    let print = tracing_subscriber::fmt::layer()
        .event_format(format::CourseFormat)
        .with_writer(std::io::stdout);
    tracing_subscriber::registry()
        .with(ThisChapter::from_env())
        .with(print)
        .with(open)
        .init();
}
// ANCHOR_END: init

// ANCHOR: get
/// One request and its log lines. It knows its URL, not which of the
/// program's requests it serves: no line it writes says so.
async fn get(client: &Client, url: &str) -> course::Result<usize> {
    info!("sending");
    let response = client.get(url).send().await?.error_for_status()?;
    info!(status = response.status().as_u16(), "got headers");
    let body = response.text().await?;
    info!(bytes = body.len(), "got body");
    Ok(body.len())
}
// ANCHOR_END: get

// ANCHOR: instrument
/// The same request inside a span named `request`, with the fields that
/// say which one: `n` (an argument, recorded with its `Debug` form) and
/// the URL's path. `skip` leaves out the arguments not worth a field.
///
/// On an `async fn`, `#[instrument]` wraps the body's future in the span
/// (`.instrument(span)`): the span is entered at every poll and left when
/// the poll returns, so it covers each `.await` of `get`, and only while
/// this request runs. Events inside, `get`'s included, belong to it.
#[instrument(name = "request", skip(client, url), fields(path = %path(&url)))]
async fn request(
    client: Client,
    n: usize,
    url: String,
) -> course::Result<usize> {
    get(&client, &url).await
}
// ANCHOR_END: instrument

/// Results as they come, and a way to abort what has not finished.
struct Requests {
    pending: FuturesUnordered<LocalBoxFuture<'static, (usize, Outcome)>>,
    tasks: Vec<tokio::task::AbortHandle>,
}

/// A request's body size, or why it has none.
type Outcome = course::Result<usize>;

impl Requests {
    fn new() -> Requests {
        Requests {
            pending: FuturesUnordered::new(),
            tasks: Vec::new(),
        }
    }

    /// Aborts the tasks and waits until each one's future is dropped;
    /// drops the futures that are not tasks. Says which it did: "aborted"
    /// (tasks) or "dropped" (futures polled inside this one, which no
    /// `abort` reaches: dropping them is how they are cancelled).
    async fn abort(mut self) -> &'static str {
        for task in &self.tasks {
            task.abort();
        }
        if self.tasks.is_empty() {
            return "dropped";
        }
        // An aborted task's handle answers once its future is gone.
        while self.pending.next().await.is_some() {}
        "aborted"
    }

    /// Adds a spawned task; its result becomes request `n`'s outcome.
    fn task(&mut self, n: usize, task: tokio::task::JoinHandle<Outcome>) {
        self.tasks.push(task.abort_handle());
        self.pending.push(
            async move {
                let outcome = match task.await {
                    Ok(outcome) => outcome,
                    Err(e) => Err(course::join_error(n, e)),
                };
                (n, outcome)
            }
            .boxed_local(),
        );
    }
}

// ANCHOR: with_spans
/// A task per request, each in its own span.
fn with_spans(client: &Client, urls: Vec<(usize, String)>) -> Requests {
    let mut requests = Requests::new();
    for (n, url) in urls {
        // `request(..)` is instrumented: its future creates the span at
        // its first poll, in the task, and enters it at every poll.
        let task = tokio::spawn(request(client.clone(), n, url));
        requests.task(n, task);
    }
    requests
}
// ANCHOR_END: with_spans

// ANCHOR: without_spans
/// The same tasks with no span: the lines say what happened, not to whom.
fn without_spans(client: &Client, urls: Vec<(usize, String)>) -> Requests {
    let mut requests = Requests::new();
    for (n, url) in urls {
        let client = client.clone();
        let task = tokio::spawn(async move { get(&client, &url).await });
        requests.task(n, task);
    }
    requests
}
// ANCHOR_END: without_spans

// ANCHOR: entered_across_await
/// The mistake: `span.enter()` held across `.await`. The guard keeps the
/// span entered on this thread until it is dropped, at the end of the
/// block; every `.await` in between suspends the future, and the next one
/// polled on the thread runs still inside this span. The requests run as
/// futures of one task here, on one thread, so that the mix-up is the
/// same in every run. Spawned, they would compile too (the guard is
/// `Send`), and the mix-up would depend on which worker polls what.
fn entered_across_await(
    client: &Client,
    urls: Vec<(usize, String)>,
) -> Requests {
    let requests = Requests::new();
    for (n, url) in urls {
        let client = client.clone();
        let future = async move {
            let span = info_span!("request", n, path = %path(&url));
            let _entered = span.enter(); // wrong: held across the .await
            (n, get(&client, &url).await)
        };
        requests.pending.push(future.boxed_local());
    }
    requests
}
// ANCHOR_END: entered_across_await

async fn app(args: Args, open: OpenSpans) -> course::Result<()> {
    let server = course::Server::start().await?;
    let client = Client::builder()
        .build()
        .context("cannot build the HTTP client")?;
    let count = usize::from(args.requests);
    let urls = (1..=count)
        .map(|n| (n, server.delay_url(args.delay_ms(n))))
        .collect();
    let started = Instant::now();
    let mut requests = match args.mode {
        Mode::Spans => with_spans(&client, urls),
        Mode::NoSpans => without_spans(&client, urls),
        Mode::EnterAcrossAwait => entered_across_await(&client, urls),
    };

    // ANCHOR: deadline
    // Results as they come, until the deadline.
    let deadline = tokio::time::Instant::from_std(started + args.deadline());
    let mut done = Vec::new();
    loop {
        let next = requests.pending.next();
        match tokio::time::timeout_at(deadline, next).await {
            Ok(Some((n, outcome))) => {
                outcome.with_context(|| format!("request {n}"))?;
                done.push(n);
            }
            Ok(None) => break,
            Err(_elapsed) => {
                report_open_spans(&open, started);
                break;
            }
        }
    }
    // ANCHOR_END: deadline

    // ANCHOR: abort
    // What is left is stuck: abort the tasks (and drop the futures). A
    // task's future, with its span, is dropped when it is aborted: its
    // span closes then.
    let stuck: Vec<usize> = (1..=count).filter(|n| !done.contains(n)).collect();
    let ended = requests.abort().await;
    // ANCHOR_END: abort

    let took = started.elapsed();
    println!(
        "{}, deadline {} ms: {} done in {:.3} s{}",
        course::plural(count, "request"),
        args.deadline_ms,
        done.len(),
        took.as_secs_f64(),
        match stuck.as_slice() {
            [] => String::new(),
            _ => format!(", {ended}: {}", list(&stuck)),
        },
    );
    println!(
        "Peak in flight at the server: {}. Spans open after the {}: {}.",
        server
            .peak_in_flight()
            .map_or_else(|| "unknown".to_string(), |p| p.to_string()),
        if ended == "aborted" { "abort" } else { "drop" },
        open.now().len()
    );
    Ok(())
}

// ANCHOR: report
/// The spans still open: the requests not done, and what each is doing.
fn report_open_spans(open: &OpenSpans, started: Instant) {
    let now = Instant::now();
    let still = open.now();
    let at = now.duration_since(started).as_secs_f64();
    if still.is_empty() {
        println!("Deadline at {at:.3} s; no span is open: nothing names");
        println!("the work that has not finished.");
        return;
    }
    println!("Deadline at {at:.3} s; spans still open:");
    for span in still {
        println!("{}", span.describe(now));
    }
}
// ANCHOR_END: report

/// `/delay/400` of `http://127.0.0.1:PORT/delay/400`: enough to tell the
/// requests apart, short enough for a log line.
fn path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.to_string()
}

/// "1, 3"
fn list(ns: &[usize]) -> String {
    let words: Vec<String> =
        ns.iter().map(|n| format!("request {n}")).collect();
    words.join(", ")
}

// ANCHOR: filter
/// Lets through the chapter's own spans and events at `info` level (or
/// the level `RUST_LOG` names: `RUST_LOG=debug`), and the libraries'
/// warnings. A layer whose `enabled` says no turns the callsite off for
/// the whole subscriber.
struct ThisChapter {
    level: Level,
}

impl ThisChapter {
    fn from_env() -> ThisChapter {
        let level = std::env::var("RUST_LOG")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(Level::INFO);
        ThisChapter { level }
    }
}

impl<S: Subscriber> Layer<S> for ThisChapter {
    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        let ours = meta.target().starts_with(env!("CARGO_CRATE_NAME"));
        let max = if ours { self.level } else { Level::WARN };
        *meta.level() <= max
    }
}
// ANCHOR_END: filter
