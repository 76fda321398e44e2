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
use course::Timeline;
use course::args::{Chapter9Args, Mode};
use course::resources::{Peaks, Sampler};
use futures::StreamExt as _;
use log::info;
use std::collections::HashMap;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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
    let args: Chapter9Args = course::args::parse_with_defaults(
        "chapter9",
        "Bounded concurrency at scale: thousands of requests, limits, timeouts, cancellation",
        REQUESTS,
        DELAY_MS,
        std::env::args_os(),
    );
    course::init_logging();
    course::finish(app(args).await)
}

async fn app(args: Chapter9Args) -> course::Result<()> {
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
    // the run's future, and with it every request in flight: dropping a
    // future is how async Rust cancels it. The program then ends with an
    // error line instead of being killed half-way.
    tokio::select! {
        // `biased`: poll the branches in the order written, not at random.
        // The Ctrl-C listener is set up when first polled; polling it first
        // means it is in place before the first request goes out.
        biased;
        signal = tokio::signal::ctrl_c() => {
            signal.context("cannot listen for Ctrl-C")?;
            bail!("interrupted by Ctrl-C: the requests in flight were cancelled")
        }
        result = run(&args, &server) => result,
    }
    // ANCHOR_END: ctrl_c
}

async fn run(
    args: &Chapter9Args,
    server: &course::Server,
) -> course::Result<()> {
    match args.mode {
        Mode::Tour => tour(args, server).await,
        Mode::Unbounded => {
            budget(args, server);
            single(args, server, Strategy::Unbounded).await
        }
        Mode::BufferUnordered => {
            single(args, server, Strategy::BufferUnordered).await
        }
        Mode::JoinSet => single(args, server, Strategy::JoinSet).await,
        Mode::Timeout => {
            let timeline = Timeline::new();
            with_timeout(args, server, &timeline).await?;
            timeline.show(&args.common, "Chapter 9: a timeout").await
        }
        Mode::Select => {
            let timeline = Timeline::new();
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
    let get = async {
        client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await
    };
    get.await.with_context(|| format!("GET {url}"))?;
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
    fn new(
        args: &Chapter9Args,
        server: &course::Server,
    ) -> course::Result<Batch> {
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
/// Why not spawn them all, as in chapter 6? Prints the file descriptor
/// budget and says whether spawning every request at once fits in it.
fn budget(args: &Chapter9Args, server: &course::Server) -> bool {
    let count = args.common.count();
    // A request in flight holds the client's socket, and, when the server
    // runs inside this process, the server's end of the connection too.
    let (per_request, holds) = match server.embedded_server() {
        Some(_) => (
            2,
            "the client's socket and the server's, both in this process",
        ),
        None => (1, "the client's socket"),
    };
    let (Some(limit), Some(open)) = (
        course::resources::open_files_limit(),
        course::resources::open_files(),
    ) else {
        info!("Cannot read this system's open-files limit; see `ulimit -n`");
        return false;
    };
    // Keep a few descriptors in hand for everything else.
    let room = (limit as usize).saturating_sub(open + 32);
    let capacity = room / per_request;
    info!(
        "This process may have {limit} files open at once (ulimit -n); {open} are open now"
    );
    info!("Each request in flight holds {per_request} ({holds})");
    info!("So at most about {capacity} requests can be in flight at once");
    let fits = count <= capacity;
    if fits {
        info!(
            "{count} at once fit; {} at once would fail with \"Too many open files\"",
            (capacity + 1).max(10_000)
        );
    } else {
        info!(
            "{count} at once do not fit: spawning them all fails with \"Too many open files\""
        );
    }
    fits
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
            "{failed} of {} requests failed, the first",
            batch.count
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
    // All the requests are driven by this one task: concurrency without
    // spawning. The first error ends the loop; dropping the stream then
    // cancels the requests still in flight.
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

// ANCHOR: timeout
/// `tokio::time::timeout` gives a future a deadline. A request that the
/// server answers after two delays gets one delay to finish.
async fn with_timeout(
    args: &Chapter9Args,
    server: &course::Server,
    timeline: &Timeline,
) -> course::Result<()> {
    let client = args.common.client()?;
    let patience = args.common.delay();
    let slow = server.delay_url(2 * args.common.delay_ms());
    info!(
        "timeout: a request the server answers after {} ms, given {} ms",
        2 * patience.as_millis(),
        patience.as_millis()
    );
    let request = timeline.track("timeout", fetch(&client, &slow));
    match tokio::time::timeout(patience, request).await {
        Ok(answer) => {
            answer?;
            info!("The answer came in time");
        }
        // `timeout` has dropped the request future: reqwest closes its
        // connection, and the answer, when the server sends it, goes
        // nowhere. No thread was stopped; the future simply is no more.
        Err(_elapsed) => info!(
            "No answer within {} ms: gave up, the request was cancelled",
            patience.as_millis()
        ),
    }
    Ok(())
}
// ANCHOR_END: timeout

// ANCHOR: select
/// `select!` polls several futures and goes on with the first one to
/// finish, dropping the others. Here a request races a deadline; the run
/// as a whole races Ctrl-C the same way (see `app`).
async fn with_select(
    args: &Chapter9Args,
    server: &course::Server,
    timeline: &Timeline,
) -> course::Result<()> {
    let client = args.common.client()?;
    let patience = args.common.delay();
    let slow = server.delay_url(2 * args.common.delay_ms());
    info!(
        "select!: a request the server answers after {} ms, against a deadline of {} ms",
        2 * patience.as_millis(),
        patience.as_millis()
    );
    tokio::select! {
        answer = timeline.track("select", fetch(&client, &slow)) => {
            answer?;
            info!("The answer came first");
        }
        () = tokio::time::sleep(patience) => {
            info!("The deadline came first: select! dropped the request, which cancelled it");
        }
    }
    Ok(())
}
// ANCHOR_END: select

/// The three ways of sending a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Unbounded,
    BufferUnordered,
    JoinSet,
}

impl Strategy {
    async fn run(self, batch: &Batch, limit: usize) -> course::Result<()> {
        match self {
            Strategy::Unbounded => unbounded(batch).await,
            Strategy::BufferUnordered => {
                with_buffer_unordered(batch, limit).await
            }
            Strategy::JoinSet => with_join_set(batch, limit).await,
        }
    }

    fn name(self, limit: usize) -> String {
        match self {
            Strategy::Unbounded => String::from("spawn all (unbounded)"),
            Strategy::BufferUnordered => format!("buffer_unordered({limit})"),
            Strategy::JoinSet => format!("JoinSet + Semaphore({limit})"),
        }
    }
}

/// What one batch cost.
struct Measured {
    took: Duration,
    /// Requests in flight at once, as the embedded server saw them.
    peak: Option<usize>,
    peaks: Peaks,
}

/// Runs one batch and measures it: time, the server's peak in flight, and
/// the process's peak open files and memory.
async fn measure(
    batch: &Batch,
    strategy: Strategy,
    limit: usize,
    server: &course::Server,
) -> course::Result<Measured> {
    if let Some(embedded) = server.embedded_server() {
        embedded.clear_requests();
    }
    let sampler = Sampler::start(Duration::from_millis(5));
    let started = Instant::now();
    let outcome = strategy.run(batch, limit).await;
    let took = started.elapsed();
    let peaks = sampler.stop();
    if let Err(e) = outcome {
        // Hundreds of failures usually mean the descriptors ran out: say
        // what the process saw, next to the first error.
        let restarts = server.embedded_server().map_or(0, |s| s.restarts());
        return Err(e.context(peaks.why_a_batch_failed(restarts)));
    }
    Ok(Measured {
        took,
        peak: server.peak_in_flight(),
        peaks,
    })
}

/// Runs one strategy with `--limit`, then shows the timeline and summary.
async fn single(
    args: &Chapter9Args,
    server: &course::Server,
    strategy: Strategy,
) -> course::Result<()> {
    let batch = Batch::new(args, server)?;
    let count = args.common.count();
    info!("{count} requests with {}", strategy.name(args.limit()));
    let m = measure(&batch, strategy, args.limit(), server).await?;
    info!("Done: {}", m.peaks.describe());
    batch
        .timeline
        .show(
            &args.common,
            &format!("Chapter 9: {}", strategy.name(args.limit())),
        )
        .await?;
    println!(
        "{}",
        course::requests_summary(count, args.common.delay(), m.took, m.peak)
    );
    Ok(())
}

/// Everything: the budget, a table of limits, the JoinSet, a timeout and a
/// select!.
async fn tour(
    args: &Chapter9Args,
    server: &course::Server,
) -> course::Result<()> {
    let count = args.common.count();
    let delay = args.common.delay();
    info!(
        "{count} requests of {} ms each (see --help to change them)",
        delay.as_millis()
    );
    let fits = budget(args, server);

    // ANCHOR: table
    // The trade-off in numbers: the same batch with a few limits. Each row
    // gets a fresh client, so that no row reuses the connections the one
    // before it left open in the pool.
    let mut limits: Vec<usize> = [count / 10, count / 4, count / 2]
        .into_iter()
        .map(|k| k.max(1))
        .collect();
    limits.dedup();
    info!(
        "The same batch with {} limits: a higher limit means fewer rounds of waiting, \
         and more connections open at once (files, memory)",
        limits.len()
    );
    println!(
        "{:<24} {:>9} {:>9} {:>10} {:>11} {:>8}",
        "strategy", "took", "ideal", "in flight", "open files", "memory"
    );
    let mut rows: Vec<(Strategy, usize)> = limits
        .iter()
        .map(|&k| (Strategy::BufferUnordered, k))
        .collect();
    if fits {
        rows.push((Strategy::Unbounded, count));
    }
    for (strategy, limit) in rows {
        let batch = Batch::new(args, server)?;
        let m = measure(&batch, strategy, limit, server).await?;
        let rounds = count.div_ceil(limit) as u32;
        let show = |v: Option<String>| v.unwrap_or_else(|| String::from("-"));
        println!(
            "{:<24} {:>7.3} s {:>7.3} s {:>10} {:>11} {:>8}",
            strategy.name(limit),
            m.took.as_secs_f64(),
            (delay * rounds).as_secs_f64(),
            show(m.peak.map(|p| p.to_string())),
            show(m.peaks.open_files.map(|f| f.to_string())),
            show(m.peaks.memory.map(|b| format!("{} MB", b / 1_000_000))),
        );
    }
    if !fits {
        println!(
            "{:<24} {:>9}",
            Strategy::Unbounded.name(count),
            "not run: it does not fit the open-files budget above"
        );
    }
    // ANCHOR_END: table

    // Giving up on purpose.
    let demos = Timeline::new();
    with_timeout(args, server, &demos).await?;
    with_select(args, server, &demos).await?;

    // Last, the same batch with tasks: a JoinSet and a Semaphore.
    let batch = Batch::new(args, server)?;
    info!(
        "{count} requests with {}",
        Strategy::JoinSet.name(args.limit())
    );
    let m = measure(&batch, Strategy::JoinSet, args.limit(), server).await?;
    info!("Done: {}", m.peaks.describe());
    batch
        .timeline
        .show(&args.common, "Chapter 9: JoinSet + Semaphore")
        .await?;
    println!("{}", course::requests_summary(count, delay, m.took, m.peak));
    Ok(())
}
// ANCHOR_END: all
