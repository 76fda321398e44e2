//! Chapter 6: concurrent requests.
//!
//! The same two requests as chapter 5, but each one, with its logging, is
//! an `async fn` handed to `tokio::spawn`. Spawning starts the task at
//! once; `main` only waits at the end, on the handles. Both requests wait
//! for the server at the same time, so the run takes about one delay
//! (~1 s), not the sum of them.
//!
//! ```text
//! cargo run -p chapter6
//! cargo run -p chapter6 -- --requests 10
//! ```

// ANCHOR: all
use anyhow::Context as _;
use course::args::RequestArgs;
use log::info;
use std::process::ExitCode;
use std::time::Instant;

#[tokio::main]
async fn main() -> ExitCode {
    let args = course::args::request_args(
        "chapter6",
        "Concurrent requests: each one is a spawned task",
        2,
        1000,
    );
    course::init_logging();
    course::finish(app(args).await)
}

// ANCHOR: get_and_log
/// One request and its logging, as a unit of work a task can run on its
/// own. It takes everything it uses by value: a spawned task may outlive
/// the function that spawned it, so it cannot borrow from it.
async fn get_and_log(
    n: usize,
    client: reqwest::Client,
    url: String,
    timeline: course::Timeline,
) -> course::Result<()> {
    info!("Sending request {n}");
    let body = timeline
        .track(format!("request {n}"), async {
            client
                .get(&url)
                .send()
                .await?
                .error_for_status()?
                .text()
                .await
        })
        .await
        .with_context(|| format!("GET {url}"))?;
    info!("Got response {n} ({} bytes)", body.len());
    Ok(())
}
// ANCHOR_END: get_and_log

async fn app(args: RequestArgs) -> course::Result<()> {
    let server = course::Server::start().await?;

    // One client, as in chapter 5: its connection pool is shared by all the
    // tasks. Cloning a `reqwest::Client` is cheap (it is a reference-counted
    // handle to the same pool), so each task gets its own clone.
    let client = args.client()?;

    // Chapters 5, 6 and 7 draw their timelines on one axis, two delays
    // long, so that their pictures compare at a glance: half the time
    // looks like half.
    let timeline =
        course::Timeline::new().with_axis(2 * args.delay() + args.delay() / 20);
    let started = Instant::now();

    // ANCHOR: spawn
    let mut handles = Vec::with_capacity(args.count());
    for n in 1..=args.count() {
        let url =
            server.delay_url_to(args.delay_ms(), "http://www.google.co.uk");
        // `tokio::spawn` hands the future to the runtime and returns at
        // once: the loop goes on to spawn the next request while the first
        // one is already on its way. Calling `get_and_log(..)` without
        // spawning would only build a future; nothing would be sent until
        // it was awaited (chapter 2), and awaiting it here would make the
        // run sequential again (chapter 5).
        let task = get_and_log(n, client.clone(), url, timeline.clone());
        handles.push(tokio::spawn(task));
    }
    // ANCHOR_END: spawn

    // ANCHOR: await_handles
    // Now wait for every task. Awaiting handle 1 first does not slow down
    // task 2: it runs on its own whether or not anyone is waiting for it.
    // A handle gives `Result<our Result, JoinError>`: the outer error means
    // the task panicked or was cancelled, the inner one is the request's.
    for (n, handle) in (1..).zip(handles) {
        handle.await.map_err(|e| course::join_error(n, e))??;
    }
    // ANCHOR_END: await_handles

    let took = started.elapsed();
    info!("Done");
    timeline
        .show(&args, "Chapter 6: concurrent requests")
        .await?;
    println!(
        "{}",
        course::requests_summary(
            args.count(),
            args.delay(),
            took,
            server.peak_in_flight()
        )
    );
    Ok(())
}
// ANCHOR_END: all
