//! Chapter 5: sequential requests.
//!
//! Two GET requests to the delay server, each answered after 1000 ms. The
//! second request is sent only after the first answer has arrived, because
//! each `.await` suspends `app()` until its future is done. Two waits one
//! after the other: about 2 s in all.
//!
//! ```text
//! cargo run -p chapter5
//! cargo run -p chapter5 -- --requests 3 --delay-ms 500
//! ```

// ANCHOR: all
use anyhow::Context as _;
use course::args::RequestArgs;
use log::info;
use std::process::ExitCode;
use std::time::Instant;

// ANCHOR: main
#[tokio::main]
async fn main() -> ExitCode {
    // Flags first: `--help` or a bad value ends the program here, before
    // anything is started.
    let args = course::args::request_args(
        "chapter5",
        "Sequential requests: each one is awaited before the next is sent",
        2,
        1000,
    );
    course::init_logging();
    // `finish` turns an error into one line on stderr and exit code 1.
    course::finish(app(args).await)
}
// ANCHOR_END: main

async fn app(args: RequestArgs) -> course::Result<()> {
    // ANCHOR: server
    // Erratum 7: the article's delay service, Slowwly, is gone, so its
    // examples no longer run. This delay server is started inside this
    // process on a free port (or is the one named by DELAY_SERVER_URL) and
    // answers the same URLs without touching the network.
    let server = course::Server::start().await?;
    // ANCHOR_END: server

    // ANCHOR: client
    // One client for the whole program. A `reqwest::Client` holds a pool of
    // open connections: the second request reuses the connection of the
    // first instead of opening a new one. Building a client per request
    // would throw that pool away each time. `args.client()` builds it with
    // the `--timeout-ms` limit, so a server that never answers cannot make
    // the program hang.
    let client = args.client()?;
    // ANCHOR_END: client

    // Chapters 5, 6 and 7 draw their timelines on one axis, two delays
    // long, so that their pictures compare at a glance: half the time
    // looks like half.
    let timeline =
        course::Timeline::new().with_axis(2 * args.delay() + args.delay() / 20);
    let started = Instant::now();

    // ANCHOR: sequential
    for n in 1..=args.count() {
        // Slowwly's URL shape: wait `delay_ms`, then answer. The target
        // after `/url/` is never fetched; the server invents the body.
        let url =
            server.delay_url_to(args.delay_ms(), "http://www.google.co.uk");
        info!("Sending request {n}");
        // The `.await`s below suspend `app()` until the answer is in. While
        // request `n` is waiting, this program sends nothing else: request
        // `n + 1` has not even been created yet. (Other tasks do run
        // meanwhile: the embedded delay server's, and the connection task
        // that hyper, under reqwest, spawns to drive the socket.) That is
        // what makes the run sequential, not anything in reqwest.
        let body = timeline
            .track(format!("request {n}"), async {
                // `error_for_status` turns an HTTP error (a 500) into an
                // `Err`; reading the body to its end lets the connection go
                // back to the pool for the next request.
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
    }
    // ANCHOR_END: sequential

    let took = started.elapsed();
    info!("Done");
    timeline
        .show(&args, "Chapter 5: sequential requests")
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
