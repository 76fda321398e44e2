//! Chapter 11: channels and the actor pattern.
//!
//! Tasks that share nothing can still work together: they pass messages.
//! A bounded `mpsc` queue between a fast producer and a slow consumer
//! holds the producer back when it is full (backpressure), and the run
//! measures how long it was held back. An actor is a task that owns some
//! state (here a cache in front of the delay server) and answers requests
//! that come through its queue, each with a `oneshot` channel for the
//! reply. Then, briefly, `broadcast` and `watch`, and `join!` and
//! `try_join!`, which run futures concurrently without spawning.
//!
//! ```text
//! cargo run -p chapter11                          # the tour
//! cargo run -p chapter11 -- --mode backpressure --capacity 1
//! cargo run -p chapter11 -- --mode actor --callers 100 --keys 10
//! ```

// ANCHOR: all
use anyhow::{Context as _, bail};
use course::{fetch, plural};
use log::info;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};

mod args;
mod cache;

use args::{Args, Mode};
use cache::{Cache, Stats};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = course::args::chapter_args(
        "chapter11",
        "Channels and the actor pattern: a bounded queue and its \
         backpressure, oneshot replies, an actor that owns a cache",
    );
    course::init_logging();
    course::finish(app(args).await)
}

async fn app(args: Args) -> course::Result<()> {
    let server = course::Server::start().await?;
    let client = args.client()?;
    let mut summary = Vec::new();
    let tour = args.mode == Mode::Tour;
    if tour || args.mode == Mode::Backpressure {
        let url = server.delay_url(args.delay_ms);
        let b = bounded(&args, &client, &url).await?;
        report("bounded", &args, &b);
        let u = unbounded(&args, &client, &url).await?;
        report("unbounded", &args, &u);
        summary.push(format!(
            "bounded queue of {}: {} waited, {:.3} s in all; at most {} \
             queued",
            args.capacity,
            plural(b.full, "send"),
            b.paused.as_secs_f64(),
            b.peak
        ));
        summary.push(format!(
            "unbounded queue: {} waited; at most {} queued",
            plural(u.full, "send"),
            u.peak
        ));
    }
    if tour || args.mode == Mode::Actor {
        let a = actor(&args, &client, &server).await?;
        summary.push(format!(
            "cache actor: {}, {}, {} fetched, {} cached",
            plural(args.callers, "caller"),
            plural(a.right, "right answer"),
            a.stats.misses,
            a.stats.hits
        ));
    }
    if tour || args.mode == Mode::FanOut {
        let (missed, seen) = fan_out().await?;
        summary.push(format!(
            "broadcast: the slow receiver missed {missed} of 10 values"
        ));
        summary.push(format!(
            "watch: the receiver saw {seen} of 10 values, the latest"
        ));
    }
    if tour || args.mode == Mode::Join {
        let (joined, stopped) = join(&args, &client, &server).await?;
        summary.push(format!(
            "join!: 2 requests of {} ms in {:.3} s; try_join!: {:.3} s",
            args.delay_ms,
            joined.as_secs_f64(),
            stopped.as_secs_f64()
        ));
    }
    println!("Summary:");
    for line in summary {
        println!("- {line}");
    }
    Ok(())
}

/// What the producer of a queue went through.
struct Pressure {
    /// Sends that found the queue full, and so had to wait.
    full: usize,
    /// How long those sends waited, in all.
    paused: Duration,
    /// The most jobs in the queue at once.
    peak: usize,
    /// The whole run, until the consumer had handled the last job.
    took: Duration,
}

fn report(name: &str, args: &Args, p: &Pressure) {
    info!(
        "{name}: {} of {} ms took {:.3} s",
        plural(args.jobs, "job"),
        args.delay_ms,
        p.took.as_secs_f64()
    );
    match p.full {
        0 => info!("{name}: no send ever waited"),
        n => info!(
            "{name}: {} found the queue full and waited {:.3} s",
            plural(n, "send"),
            p.paused.as_secs_f64()
        ),
    }
    let verb = if p.peak == 1 { "was" } else { "were" };
    info!(
        "{name}: at most {} {verb} queued at once",
        plural(p.peak, "job")
    );
}

// ANCHOR: bounded
/// A producer that makes jobs as fast as it can, a consumer that handles
/// one at a time (a request of `--delay-ms` each), and between them a
/// queue of `--capacity` jobs.
async fn bounded(
    args: &Args,
    client: &reqwest::Client,
    url: &str,
) -> course::Result<Pressure> {
    info!(
        "bounded: {} through mpsc::channel({})",
        plural(args.jobs, "job"),
        args.capacity
    );
    let (tx, mut rx) = mpsc::channel::<usize>(args.capacity());
    let (client, url) = (client.clone(), url.to_string());
    let consumer = tokio::spawn(async move {
        // `recv` gives `None` once every sender is gone and the queue is
        // empty: that ends the loop.
        while let Some(job) = rx.recv().await {
            fetch(&client, &url)
                .await
                .with_context(|| format!("job {job}"))?;
        }
        course::Result::<()>::Ok(())
    });
    let started = Instant::now();
    let (mut full, mut paused, mut peak) = (0, Duration::ZERO, 0);
    for job in 1..=args.jobs() {
        // `capacity()` is the number of free slots: none left means that
        // this `send` waits until the consumer takes a job out.
        let will_wait = tx.capacity() == 0;
        let asked = Instant::now();
        // The wait inside `send` is the backpressure: a producer cannot
        // run further ahead than the queue holds. `send` fails only when
        // the receiver is gone (the consumer stopped on an error, which
        // its handle gives below).
        if tx.send(job).await.is_err() {
            break;
        }
        if will_wait {
            full += 1;
            paused += asked.elapsed();
        }
        // Jobs in the queue now: all the slots minus the free ones.
        peak = peak.max(tx.max_capacity() - tx.capacity());
    }
    // The last sender dropped closes the queue; the consumer ends its loop
    // once it has handled what is left in it.
    drop(tx);
    consumer.await.map_err(|e| course::join_error(1, e))??;
    Ok(Pressure {
        full,
        paused,
        peak,
        took: started.elapsed(),
    })
}
// ANCHOR_END: bounded

// ANCHOR: unbounded
/// The same with `mpsc::unbounded_channel`: its `send` is not even
/// `async`. It never waits; the queue grows instead, as far as memory goes.
async fn unbounded(
    args: &Args,
    client: &reqwest::Client,
    url: &str,
) -> course::Result<Pressure> {
    info!(
        "unbounded: {} through mpsc::unbounded_channel()",
        plural(args.jobs, "job")
    );
    let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
    // The unbounded sender has no `capacity()`: count what the consumer
    // took, to know how many jobs wait in the queue.
    let taken = Arc::new(AtomicUsize::new(0));
    let (client, url, counter) =
        (client.clone(), url.to_string(), Arc::clone(&taken));
    let consumer = tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            counter.fetch_add(1, Ordering::SeqCst);
            fetch(&client, &url)
                .await
                .with_context(|| format!("job {job}"))?;
        }
        course::Result::<()>::Ok(())
    });
    let started = Instant::now();
    let mut peak = 0;
    for job in 1..=args.jobs() {
        if tx.send(job).is_err() {
            break;
        }
        peak = peak.max(job - taken.load(Ordering::SeqCst));
    }
    drop(tx);
    consumer.await.map_err(|e| course::join_error(1, e))??;
    Ok(Pressure {
        full: 0,
        paused: Duration::ZERO,
        peak,
        took: started.elapsed(),
    })
}
// ANCHOR_END: unbounded

/// How the cache run went.
struct ActorRun {
    /// Callers whose answer was the body of the path they asked for.
    right: usize,
    stats: Stats,
}

// ANCHOR: callers
/// `--callers` tasks, each asking the cache for one of `--keys` paths,
/// all at once.
async fn actor(
    args: &Args,
    client: &reqwest::Client,
    server: &course::Server,
) -> course::Result<ActorRun> {
    info!(
        "cache actor: {}, {}, a queue of {}",
        plural(args.callers, "caller"),
        plural(args.keys, "path"),
        args.capacity
    );
    let cache =
        Cache::spawn(args.capacity(), client.clone(), server.base_url());
    let started = Instant::now();
    let mut callers = Vec::new();
    for n in 0..args.callers {
        let cache = cache.clone();
        let path =
            format!("/delay/{}/url/page-{}", args.delay_ms, n % args.keys);
        callers.push(tokio::spawn(async move {
            let body = cache.get(&path).await?;
            // Is it the body of *this* caller's path?
            let right = body == mock_server::body_for(&path, BODY_BYTES);
            course::Result::<bool>::Ok(right)
        }));
    }
    let mut right = 0;
    for (n, caller) in (1..).zip(callers) {
        if caller.await.map_err(|e| course::join_error(n, e))?? {
            right += 1;
        }
    }
    let stats = cache.stats().await?;
    info!(
        "cache actor: {right} of {} got their own path's body ({:.3} s)",
        args.callers,
        started.elapsed().as_secs_f64()
    );
    info!(
        "cache actor: {} answers fetched, {} from the cache",
        stats.misses, stats.hits
    );
    // The server's own record, when it runs in this process.
    if let Some(all) = server.requests() {
        let ours: Vec<_> = all
            .iter()
            .filter(|r| r.path.contains("/url/page-"))
            .collect();
        info!(
            "the server saw {} for them, at most {} at once",
            plural(ours.len(), "request"),
            mock_server::peak_in_flight(ours.iter().copied())
        );
    }
    Ok(ActorRun { right, stats })
}
// ANCHOR_END: callers

/// The delay server's default body size, which the cache's paths get.
const BODY_BYTES: usize = mock_server::DEFAULT_BODY_BYTES;

/// `broadcast` and `watch` in a few lines; returns how many values the
/// slow broadcast receiver missed and how many the watch receiver saw.
async fn fan_out() -> course::Result<(u64, usize)> {
    // ANCHOR: broadcast
    // broadcast: every receiver gets every value, as long as it keeps up.
    // The channel keeps the last 4 values (a capacity is rounded up to a
    // power of two); a receiver that falls further behind loses the
    // oldest and is told how many with `RecvError::Lagged`.
    let (tx, mut fast) = broadcast::channel::<u32>(4);
    let mut slow = tx.subscribe();
    let mut got = Vec::new();
    for n in 1..=10 {
        // Never waits: it overwrites the oldest value if it must.
        tx.send(n).context("no broadcast receiver left")?;
        got.push(fast.recv().await?);
    }
    info!("broadcast: the fast receiver got {got:?}");
    let missed = match slow.recv().await {
        Err(RecvError::Lagged(missed)) => missed,
        other => bail!("expected the slow receiver to lag, got {other:?}"),
    };
    // After `Lagged`, the receiver goes on from the oldest value kept.
    let mut rest = Vec::new();
    while let Ok(n) = slow.try_recv() {
        rest.push(n);
    }
    info!("broadcast: the slow one lagged, missed {missed}, then got {rest:?}");
    // ANCHOR_END: broadcast

    // ANCHOR: watch
    // watch: one value, the latest. Each `send` replaces it; a receiver
    // learns that it changed and reads what is there now, not the values
    // in between. Made for state (a setting, "shutting down").
    let (tx, mut rx) = watch::channel(0_u32);
    for n in 1..=10 {
        tx.send(n).context("no watch receiver left")?;
    }
    let mut seen = 0;
    // `changed` returns at once if a value came since the last one seen.
    while rx.has_changed()? {
        rx.changed().await?;
        let value = *rx.borrow_and_update();
        seen += 1;
        info!("watch: the receiver woke and saw {value}");
    }
    info!("watch: 10 values sent, the receiver saw {seen} of them");
    // ANCHOR_END: watch
    Ok((missed, seen))
}

// ANCHOR: join
/// `join!` and `try_join!`: futures run concurrently on this one task,
/// without spawning.
async fn join(
    args: &Args,
    client: &reqwest::Client,
    server: &course::Server,
) -> course::Result<(Duration, Duration)> {
    let (a, b) = (
        server.delay_url(args.delay_ms),
        server.delay_url(args.delay_ms),
    );
    let started = Instant::now();
    // Both requests are polled by this task in turn, each time it is
    // woken: they overlap (concurrent) but never run on two threads at
    // once (not parallel). Nothing is spawned, so they may borrow
    // `client`; `join!` waits for both, errors or not.
    let (first, second) = tokio::join!(fetch(client, &a), fetch(client, &b));
    first?;
    second?;
    let joined = started.elapsed();
    info!(
        "join!: 2 requests of {} ms took {:.3} s",
        args.delay_ms,
        joined.as_secs_f64()
    );
    // `try_join!` returns at the first `Err` and drops the other futures:
    // the slow request is cancelled mid-way.
    let slow_ms = (10 * args.delay_ms).clamp(1000, 60_000);
    let slow = server.delay_url(slow_ms);
    let missing = format!("{}/missing", server.base_url());
    let started = Instant::now();
    let result =
        tokio::try_join!(fetch(client, &slow), fetch(client, &missing));
    let stopped = started.elapsed();
    match result {
        Err(e) => {
            log::debug!("try_join! ended with: {}", course::one_line(&e));
            info!(
                "try_join!: an error ended it after {:.3} s",
                stopped.as_secs_f64()
            );
            info!("try_join!: the {slow_ms} ms request was dropped");
        }
        Ok(_) => bail!("{missing} should have answered 404"),
    }
    Ok((joined, stopped))
}
// ANCHOR_END: join
// ANCHOR_END: all
