//! Chapter 9, beyond the article: bounded concurrency at scale.
//!
//! Chapter 6 spawned two requests and chapter 7 ten. Spawning 10,000 the
//! same way runs into a limit of the operating system: every request in
//! flight holds an open connection, every connection is a file descriptor,
//! and a process may only have so many. This chapter bounds how many
//! requests are in flight at once, two ways, and measures what the bound
//! costs in time and saves in descriptors. Then it gives up on requests on
//! purpose: a timeout, a `select!` against a deadline, and Ctrl-C.
//!
//! ```text
//! cargo run -p chapter9                                  # the tour
//! cargo run -p chapter9 -- --mode join-set --limit 500
//! cargo run -p chapter9 -- --mode unbounded              # watch it fail
//! cargo run -p chapter9 -- --mode select --delay-ms 5000 # press Ctrl-C
//! ```

// ANCHOR: all
use anyhow::{Context as _, bail};
use args::{Args, Mode};
use course::Timeline;
use course::resources::Budget;
use futures::StreamExt as _;
use giving_up::{with_select, with_timeout};
use log::info;
use std::collections::HashMap;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

mod args;
mod giving_up;
mod measure;
mod report;

use measure::{Strategy, fit_limits, measure, settle, single};

/// The defaults: 1,000 requests of 100 ms. The scale this chapter is about
/// is 10,000, but a debug build (what `cargo run` makes) spends about half
/// a millisecond of CPU per request, client and server together: the tour,
/// which sends the batch five times, would take half a minute. With 1,000
/// it takes a few seconds and shows the same trade-off. For the full scale:
/// `cargo run --release -p chapter9 -- --requests 10000`.
const REQUESTS: u32 = 1_000;
const DELAY_MS: u64 = 100;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = course::args::parse_with_defaults(
        "chapter9",
        "Bounded concurrency at scale: thousands of requests, limits, \
         timeouts, cancellation",
        REQUESTS,
        DELAY_MS,
        std::env::args_os(),
    );
    course::init_logging();
    course::finish(app(args).await)
}

async fn app(args: Args) -> course::Result<()> {
    // Every connection is a file descriptor, and the operating system caps
    // how many a process may hold. The cap that applies (the soft limit)
    // is often 1,024; a process may raise it up to the hard limit, so this
    // chapter does, before it counts its budget below.
    course::resources::raise_open_files_limit();

    // The embedded server with two wiremock workers, each on a thread of
    // its own: one thread would have to accept and answer all 10,000
    // connections by itself.
    let server = course::Server::start_with(
        mock_server::DelayServer::builder().workers(2),
    )
    .await?;

    // ANCHOR: ctrl_c
    // The whole run races Ctrl-C. If Ctrl-C comes first, `select!` drops
    // the run's future: dropping a future is how async Rust cancels it,
    // and what it cancels is what the future owns. `buffer_unordered`'s
    // stream owns its requests, which go with it; a `JoinSet` aborts its
    // tasks when dropped. `--mode unbounded` holds only `JoinHandle`s, and
    // dropping a handle detaches its task: those requests run on until
    // `main` returns a moment later and the runtime, shutting down, drops
    // every task. Either way the program ends with an error line instead
    // of being killed half-way.
    tokio::select! {
        // `biased`: poll the branches in the order written, not at random.
        // The Ctrl-C listener is set up when first polled; polling it first
        // means it is in place before the first request goes out.
        biased;
        signal = tokio::signal::ctrl_c() => {
            signal.context("cannot listen for Ctrl-C")?;
            bail!("interrupted by Ctrl-C: the requests in flight were dropped")
        }
        result = run(&args, &server) => result,
    }
    // ANCHOR_END: ctrl_c
}

async fn run(args: &Args, server: &course::Server) -> course::Result<()> {
    match args.mode {
        Mode::Tour => tour(args, server).await,
        Mode::Unbounded => {
            let budget = budget(args, server).await;
            single(args, server, Strategy::Unbounded, budget).await
        }
        Mode::BufferUnordered => {
            single(args, server, Strategy::BufferUnordered, None).await
        }
        Mode::JoinSet => single(args, server, Strategy::JoinSet, None).await,
        // Drawn to the moment the answer would have come (two delays), so
        // the dropped request's bar stops half-way.
        Mode::Timeout => {
            let timeline = Timeline::new().with_axis(2 * args.common.delay());
            with_timeout(args, server, &timeline).await?;
            timeline.show(&args.common, "Chapter 9: a timeout").await
        }
        Mode::Select => {
            let timeline = Timeline::new().with_axis(2 * args.common.delay());
            with_select(args, server, &timeline).await?;
            timeline
                .show(&args.common, "Chapter 9: select! against a deadline")
                .await
        }
    }
}

/// One request, its body read to the end so that its connection can go
/// back to the client's pool and serve the next request.
async fn fetch(client: &reqwest::Client, url: &str) -> course::Result<()> {
    course::fetch(client, url).await?;
    Ok(())
}

/// What every strategy needs: a client, the URL, how many requests, and
/// the timeline that records them.
struct Batch {
    client: reqwest::Client,
    url: String,
    count: usize,
    timeline: Timeline,
}

impl Batch {
    fn new(args: &Args, server: &course::Server) -> course::Result<Batch> {
        Ok(Batch {
            client: args.common.client()?,
            // Empty bodies: this chapter is about connections, not content.
            url: format!(
                "{}?bytes=0",
                server.delay_url(args.common.delay_ms())
            ),
            count: args.common.count(),
            timeline: Timeline::new(),
        })
    }

    /// Request `n` as a future that owns what it uses (`'static`), so that
    /// it can be spawned. Nothing is sent until it is polled.
    fn request(
        &self,
        n: usize,
    ) -> impl Future<Output = course::Result<()>> + Send + 'static {
        let (client, url, timeline) =
            (self.client.clone(), self.url.clone(), self.timeline.clone());
        async move {
            timeline
                .track(format!("request {n}"), fetch(&client, &url))
                .await
        }
    }
}

// ANCHOR: budget
/// Why not spawn them all, as in chapter 6? Works out how many requests
/// fit in this process's file descriptors (`None` where the system does
/// not say), and prints it.
async fn budget(args: &Args, server: &course::Server) -> Option<Budget> {
    // A request in flight holds the client's socket and, when the server
    // runs inside this process, the server's end of the connection too.
    let per_request = if server.embedded_server().is_some() {
        2
    } else {
        1
    };
    // `measure` reads `/proc` on the blocking pool: a file read blocks.
    let budget = Budget::measure(per_request).await;
    report::budget(budget.as_ref(), args.common.count());
    budget
}
// ANCHOR_END: budget

// ANCHOR: unbounded
/// Chapter 6's way: spawn every request at once. Fine for ten; with
/// thousands, each one holds its connection from the start.
async fn unbounded(batch: &Batch) -> course::Result<()> {
    let handles: Vec<_> = (1..=batch.count)
        .map(|n| tokio::spawn(batch.request(n)))
        .collect();
    // Wait for all of them and count the failures, to show how many there
    // were before reporting the first.
    let (mut failed, mut first) = (0, None);
    for (n, handle) in (1..).zip(handles) {
        let outcome = handle.await.map_err(|e| course::join_error(n, e));
        if let Err(e) = outcome.and_then(|answer| answer) {
            log::debug!("request {n} failed: {}", course::one_line(&e));
            failed += 1;
            first.get_or_insert(e);
        }
    }
    match first {
        None => Ok(()),
        Some(e) => Err(e.context(format!(
            "{failed} of {} failed, the first",
            course::plural(batch.count, "request")
        ))),
    }
}
// ANCHOR_END: unbounded

// ANCHOR: buffer_unordered
/// At most `limit` requests in flight, with a stream: `buffer_unordered`
/// polls up to `limit` of the stream's futures at once and starts the next
/// one each time one finishes. It yields answers in the order they finish.
async fn with_buffer_unordered(
    batch: &Batch,
    limit: usize,
) -> course::Result<()> {
    let mut answers = futures::stream::iter(1..=batch.count)
        // A stream of futures; none of them has started yet.
        .map(|n| batch.request(n))
        .buffer_unordered(limit);
    // Every request's future is polled by this one task: concurrency
    // without spawning. (Each connection is a task of its own: hyper,
    // under reqwest, spawns one, so socket reads, writes and parsing run
    // on any worker; what stays on this task is waiting for each answer.)
    // The first error ends the loop; dropping the stream then cancels the
    // requests still in flight.
    while let Some(answer) = answers.next().await {
        answer?;
    }
    Ok(())
}
// ANCHOR_END: buffer_unordered

// ANCHOR: join_set
/// At most `limit` requests in flight, with tasks: a `Semaphore` hands out
/// `limit` permits, and each task holds one until it is done.
async fn with_join_set(batch: &Batch, limit: usize) -> course::Result<()> {
    let permits = Arc::new(Semaphore::new(limit));
    let mut tasks = JoinSet::new();
    // tokio's id of each task, to name a task that panicked by its number.
    let mut numbers = HashMap::new();
    for n in 1..=batch.count {
        // Take a permit *before* spawning: when all are out, this loop waits
        // here, so there are never more than `limit` tasks. Taking it inside
        // the task instead would spawn all 10,000 tasks at once, each one
        // waiting for a permit: bounded requests, unbounded tasks.
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .context("the semaphore was closed")?;
        let request = batch.request(n);
        let task = tasks.spawn(async move {
            let answer = request.await;
            // Giving the permit back lets the loop above spawn the next one.
            drop(permit);
            answer
        });
        numbers.insert(task.id(), n);
        // Collect the tasks that are done, without waiting: an error stops
        // the run now, not after 10,000 requests.
        while let Some(done) = tasks.try_join_next_with_id() {
            check(done, &numbers)?;
        }
    }
    // Then wait for the last ones. If `?` returns early, `tasks` is
    // dropped, and dropping a `JoinSet` aborts every task still in it.
    while let Some(done) = tasks.join_next_with_id().await {
        check(done, &numbers)?;
    }
    Ok(())
}

/// A finished task of the `JoinSet`: its own error, or a readable one if it
/// panicked.
fn check(
    done: Result<(tokio::task::Id, course::Result<()>), tokio::task::JoinError>,
    numbers: &HashMap<tokio::task::Id, usize>,
) -> course::Result<()> {
    match done {
        Ok((_id, answer)) => answer,
        Err(e) => Err(course::join_error(
            numbers.get(&e.id()).copied().unwrap_or(0),
            e,
        )),
    }
}
// ANCHOR_END: join_set

/// Everything: the budget, a table of limits, the JoinSet, a timeout and a
/// select!.
async fn tour(args: &Args, server: &course::Server) -> course::Result<()> {
    let count = args.common.count();
    let delay = args.common.delay();
    info!(
        "{} of {} ms each (see --help to change them)",
        course::plural(count, "request"),
        delay.as_millis()
    );
    let budget = budget(args, server).await;
    let fits = budget.is_some_and(|b| count <= b.capacity);

    // ANCHOR: table
    // The trade-off in numbers: the same batch with a few limits, each cut
    // to the budget above (a limit the descriptors cannot hold would only
    // fail). Each row gets a fresh client, so that no row reuses the
    // connections the one before it left open in the pool.
    let wanted = [count / 10, count / 4, count / 2].map(|k| k.max(1));
    let limits = fit_limits(&wanted, budget);
    report::limits(&wanted, &limits);
    let mut rows: Vec<(Strategy, usize)> = limits
        .iter()
        .map(|&k| (Strategy::BufferUnordered, k))
        .collect();
    if fits {
        rows.push((Strategy::Unbounded, count));
    }
    report::header();
    let mut bounded = Vec::new();
    for (strategy, limit) in rows {
        settle(budget).await;
        let batch = Batch::new(args, server)?;
        let m = measure(&batch, strategy, limit, server, budget).await?;
        // Rounds of one delay each, if connections cost nothing.
        let ideal = delay * count.div_ceil(limit) as u32;
        report::row(&strategy.name(limit), m.took, ideal, m.peak, &m.peaks);
        if strategy == Strategy::BufferUnordered {
            bounded.push((limit, m.peak));
        }
    }
    if !fits {
        report::not_run(&Strategy::Unbounded.name(count));
    }
    // A limit the requests never reach buys no time: what capped them?
    report::capped(&bounded, delay);
    // ANCHOR_END: table

    // Giving up on purpose.
    let demos = Timeline::new();
    with_timeout(args, server, &demos).await?;
    with_select(args, server, &demos).await?;

    // Last, the same batch with tasks: a JoinSet and a Semaphore, its
    // limit cut to the budget too.
    let limit = budget.map_or(args.limit(), |b| b.fit(args.limit()));
    report::limit_cut(args.limit(), limit);
    settle(budget).await;
    let batch = Batch::new(args, server)?;
    info!(
        "{} with {}",
        course::plural(count, "request"),
        Strategy::JoinSet.name(limit)
    );
    let m = measure(&batch, Strategy::JoinSet, limit, server, budget).await?;
    info!("Done: {}", m.peaks.describe());
    batch
        .timeline
        .show(&args.common, "Chapter 9: JoinSet + Semaphore")
        .await?;
    println!(
        "{}",
        course::requests_summary(count, delay, m.took, Some(m.peak))
    );
    Ok(())
}
// ANCHOR_END: all
