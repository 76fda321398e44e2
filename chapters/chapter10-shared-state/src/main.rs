//! Chapter 10, Part II: shared state.
//!
//! Ten spawned tasks each fetch a page from the delay server and add its
//! size to totals they all share, an `Arc<Mutex<Totals>>`. Three ways of
//! using the lock, measured: std's `Mutex` locked after the request, for
//! the update only; tokio's `Mutex` held across the request; and std's
//! `Mutex` locked twice, before and after the request, which loses
//! updates. Each task notes how long it waited for the lock and how long
//! it held it; the server's record shows how many requests were in flight
//! at once.
//!
//! ```text
//! cargo run -p chapter10                  # the three, and a table
//! cargo run -p chapter10 -- --mode across --requests 5
//! ```

// ANCHOR: all
use course::{Timeline, fetch};
use log::{debug, info};
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

mod args;
mod report;

use args::{Args, Mode};
use report::Outcome;

/// Ten requests of 100 ms: with the lock held across each request, they
/// take ten delays (one second); with it held for the update only, one.
const REQUESTS: u32 = 10;
const DELAY_MS: u64 = 100;

/// Each page's size: request `n` gets `n` KB (1,000 bytes), so that a
/// lost update shows in the total as well as in the count.
const KB: usize = 1000;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = course::args::parse_with_defaults(
        "chapter10",
        "Shared state: tasks that share totals behind a Mutex, std's or \
         tokio's",
        REQUESTS,
        DELAY_MS,
        std::env::args_os(),
    );
    course::init_logging();
    course::finish(app(args).await)
}

// ANCHOR: state
/// What the tasks share: the pages counted so far and their bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub pages: usize,
    pub bytes: usize,
}

/// What one task measured of the lock: how long it waited for it, and
/// how long it held it.
#[derive(Debug, Default, Clone, Copy)]
pub struct LockTimes {
    pub waited: Duration,
    pub held: Duration,
}
// ANCHOR_END: state

// ANCHOR: brief
/// The request first, with no lock held; then the lock, for the update
/// only. std's `Mutex` is the right one here: nothing waits while holding
/// it, so it is held for a moment and nobody waits long for it.
async fn count_brief(
    n: usize,
    request: impl Future<Output = course::Result<String>>,
    totals: Arc<std::sync::Mutex<Totals>>,
) -> course::Result<LockTimes> {
    let body = request.await?;
    let asked = Instant::now();
    // The block is the guard's scope: the guard is dropped, and the lock
    // released, at its closing brace. The task could go on to `.await`
    // after it: the guard is gone by then.
    let times = {
        // `lock()` blocks this thread until the lock is free, which is
        // fine for a lock held this briefly. It fails only if a thread
        // panicked while holding it ("poisoned"): then the totals may be
        // half-updated, and this task gives up too.
        let mut totals = totals.lock().expect("a task panicked holding it");
        let got = Instant::now();
        totals.pages += 1;
        totals.bytes += body.len();
        LockTimes {
            waited: got - asked,
            held: got.elapsed(),
        }
    };
    debug!("brief: request {n} counted, {} bytes", body.len());
    Ok(times)
}
// ANCHOR_END: brief

// ANCHOR: across
/// The lock first, then the request, then the update: the guard is held
/// across the request's `.await`. With std's `Mutex` this would not
/// compile under `tokio::spawn` (see the page); tokio's `Mutex` allows it,
/// and while this task waits for its answer, holding the lock, every
/// other task waits for the lock. The requests go out one at a time.
async fn count_across(
    n: usize,
    request: impl Future<Output = course::Result<String>>,
    totals: Arc<tokio::sync::Mutex<Totals>>,
) -> course::Result<LockTimes> {
    let asked = Instant::now();
    // `request` is a future: nothing is sent until it is awaited, below,
    // with the lock held. `lock().await` does not block the thread: the
    // task sleeps until the lock is free, and tokio hands the lock out in
    // the order the tasks asked for it (first in, first out).
    let mut totals = totals.lock().await;
    let got = Instant::now();
    let body = request.await?;
    totals.pages += 1;
    totals.bytes += body.len();
    let times = LockTimes {
        waited: got - asked,
        held: got.elapsed(),
    };
    // The guard goes here, at the end of the function.
    drop(totals);
    debug!("across: request {n} counted, {} bytes", body.len());
    Ok(times)
}
// ANCHOR_END: across

// ANCHOR: split
/// Takes a copy of the totals and drops the guard, then awaits the
/// request, then writes back the copy plus this page. It compiles, and no
/// guard crosses the `.await`; but while this task waited, the others
/// wrote their pages, and this write overwrites them with a copy that
/// predates them. Each lock makes one access safe, not the whole
/// read-modify-write: that must happen under one guard.
async fn count_split(
    n: usize,
    request: impl Future<Output = course::Result<String>>,
    totals: Arc<std::sync::Mutex<Totals>>,
) -> course::Result<LockTimes> {
    let mut times = LockTimes::default();
    let asked = Instant::now();
    let before = {
        let totals = totals.lock().expect("a task panicked holding it");
        times.waited += asked.elapsed();
        *totals
    };
    let body = request.await?;
    let asked = Instant::now();
    let mut totals = totals.lock().expect("a task panicked holding it");
    let got = Instant::now();
    times.waited += got - asked;
    *totals = Totals {
        pages: before.pages + 1,
        bytes: before.bytes + body.len(),
    };
    times.held = got.elapsed();
    drop(totals);
    debug!("split: request {n} wrote back {} pages", before.pages + 1);
    Ok(times)
}
// ANCHOR_END: split

// ANCHOR: run
/// Spawns one task per request, all sharing one `totals`, and waits for
/// them all. `Arc::clone` copies the pointer, not the totals: every task
/// updates the same `Totals`.
async fn run(
    mode: Mode,
    args: &Args,
    server: &course::Server,
    timeline: &Timeline,
) -> course::Result<Outcome> {
    let client = args.common.client()?;
    let started = Instant::now();
    // Each mode has its own kind of lock: one `totals` per mode, cloned
    // (the `Arc`, not the totals) into every task `spawn_all` spawns; read
    // once every task is done.
    let (times, totals) = match mode {
        Mode::Brief => {
            let totals = Arc::new(std::sync::Mutex::new(Totals::default()));
            let handles =
                spawn_all(args, server, timeline, mode, &client, |n, req| {
                    count_brief(n, req, Arc::clone(&totals))
                });
            let times = wait_all(handles).await?;
            (times, *totals.lock().expect("no task panicked"))
        }
        Mode::Across => {
            let totals = Arc::new(tokio::sync::Mutex::new(Totals::default()));
            let handles =
                spawn_all(args, server, timeline, mode, &client, |n, req| {
                    count_across(n, req, Arc::clone(&totals))
                });
            let times = wait_all(handles).await?;
            (times, *totals.lock().await)
        }
        Mode::Split => {
            let totals = Arc::new(std::sync::Mutex::new(Totals::default()));
            let handles =
                spawn_all(args, server, timeline, mode, &client, |n, req| {
                    count_split(n, req, Arc::clone(&totals))
                });
            let times = wait_all(handles).await?;
            (times, *totals.lock().expect("no task panicked"))
        }
        Mode::Tour => anyhow::bail!("the tour runs the modes one at a time"),
    };
    Ok(Outcome::new(
        mode,
        args,
        server,
        totals,
        times,
        started.elapsed(),
    ))
}

/// Spawns `task(n, request n)` for every request, right away.
fn spawn_all<F>(
    args: &Args,
    server: &course::Server,
    timeline: &Timeline,
    mode: Mode,
    client: &reqwest::Client,
    task: impl Fn(usize, BoxedRequest) -> F,
) -> Vec<JoinHandle<course::Result<LockTimes>>>
where
    F: Future<Output = course::Result<LockTimes>> + Send + 'static,
{
    (1..=args.common.count())
        .map(|n| {
            let url = page_url(server, args, mode, n);
            let (client, timeline) = (client.clone(), timeline.clone());
            let request: BoxedRequest = Box::pin(async move {
                let label = format!("request {n}");
                timeline.track(label, fetch(&client, &url)).await
            });
            tokio::spawn(task(n, request))
        })
        .collect()
}

/// A request as a future that can be sent to a task: boxed, so that
/// `spawn_all` can hand the same type to each mode's task function.
type BoxedRequest =
    std::pin::Pin<Box<dyn Future<Output = course::Result<String>> + Send>>;
// ANCHOR_END: run

/// Waits for every task, in order; the first failure is the run's error.
async fn wait_all(
    handles: Vec<JoinHandle<course::Result<LockTimes>>>,
) -> course::Result<Vec<LockTimes>> {
    let mut times = Vec::with_capacity(handles.len());
    for (n, handle) in (1..).zip(handles) {
        times.push(handle.await.map_err(|e| course::join_error(n, e))??);
    }
    Ok(times)
}

/// The URL of request `n` of `mode`: its body is `n` KB, and its path
/// names the mode, so that the server's record of each mode can be told
/// apart. The server never fetches the target.
fn page_url(
    server: &course::Server,
    args: &Args,
    mode: Mode,
    n: usize,
) -> String {
    let target = format!("{}/{n}", mode.name());
    let url = server.delay_url_to(args.common.delay_ms(), &target);
    format!("{url}?bytes={}", n * KB)
}

async fn app(args: Args) -> course::Result<()> {
    let server = course::Server::start().await?;
    let modes = match args.mode {
        Mode::Tour => vec![Mode::Brief, Mode::Across, Mode::Split],
        one => vec![one],
    };
    info!(
        "{} share their totals; each fetches a page of {} ms",
        course::plural(args.common.count(), "task"),
        args.common.delay_ms()
    );
    let mut outcomes = Vec::new();
    for mode in modes {
        info!("{}: {}", mode.name(), mode.describe());
        // The timeline of the run that makes the point: in the tour, the
        // one with the lock held across the requests, drawn from the
        // mode's own start.
        let timeline = Timeline::starting_now();
        let outcome = run(mode, &args, &server, &timeline).await?;
        outcome.log();
        if args.mode != Mode::Tour || mode == Mode::Across {
            let title = format!("Chapter 10: {}", mode.lock());
            timeline.show(&args.common, &title).await?;
        }
        outcomes.push(outcome);
    }
    report::table(&outcomes);
    Ok(())
}
// ANCHOR_END: all
