//! Chapter 16: testing async code.
//!
//! A test of an hour-long timeout should not take an hour. tokio's clock
//! can be paused: `tokio::time::Instant`, `sleep` and `timeout` then follow
//! a virtual clock that moves only when told to (`advance`) or when the
//! runtime has nothing else to do (auto-advance: it jumps to the next
//! timer). This program runs the tests' tools outside a test and measures
//! both clocks: the virtual one (tokio's) and the real one (the wall's).
//! It also shows what paused time does not pause: sockets.
//!
//! ```text
//! cargo run -p chapter16
//! cargo run -p chapter16 -- --idle-minutes 1440 --delay-ms 500
//! cargo test -p chapter16        # the chapter's tests: the lesson itself
//! ```

// ANCHOR: all
mod args;

use args::Args;
use chapter16::{expire_after, fetch_within};
use log::info;
use std::process::ExitCode;
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::mpsc;

fn main() -> ExitCode {
    let args: Args = course::args::chapter_args(
        "chapter16",
        "Testing async code: paused time against real time, and what it \
         does not pause",
    );
    course::init_logging();
    course::finish(app(&args))
}

/// One measurement: how much time passed on each clock.
#[derive(Debug, Clone, Copy)]
struct Took {
    /// tokio's clock: stands still while paused, except when it is moved.
    virtual_time: Duration,
    /// The wall clock (`std::time::Instant`), which nothing pauses.
    real: Duration,
}

// ANCHOR: clocks
/// Measures `work` on both clocks at once.
async fn both_clocks<T>(work: impl Future<Output = T>) -> (T, Took) {
    // tokio's `Instant` reads the paused clock when there is one;
    // `std::time::Instant` always reads the real one.
    let virtual_start = tokio::time::Instant::now();
    let real_start = std::time::Instant::now();
    let value = work.await;
    let took = Took {
        virtual_time: virtual_start.elapsed(),
        real: real_start.elapsed(),
    };
    (value, took)
}
// ANCHOR_END: clocks

fn app(args: &Args) -> course::Result<()> {
    // ANCHOR: paused_runtime
    // What `#[tokio::test(start_paused = true)]` builds for each test: a
    // current-thread runtime whose clock is paused from the start. Pausing
    // needs tokio's `test-util` feature and a current-thread runtime.
    let paused: Runtime = Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()?;
    // ANCHOR_END: paused_runtime
    // And an ordinary one, whose clock runs.
    let running: Runtime =
        Builder::new_current_thread().enable_all().build()?;

    let idle = args.idle();
    let minutes = args.idle_minutes;
    info!("expire_after({minutes} min), paused: a message, then silence");
    let (seen, hour) = paused.block_on(both_clocks(silence(idle)));
    info!(
        "expired after {}; messages seen: {}",
        show(hour),
        seen.len()
    );

    info!(
        "the same by hand with advance(): a message at {} min",
        minutes / 2
    );
    let (steps, by_hand) = paused.block_on(both_clocks(by_hand(idle)));
    for step in &steps {
        info!("  {step}");
    }

    // The delay server runs on threads of its own, on the real clock.
    let server = running.block_on(course::Server::start())?;
    let url = server.delay_url(args.delay_ms);
    let limit = Duration::from_secs(10);
    let ms = args.delay_ms;
    info!("a request answered after {ms} ms, limit 10 s, on the paused clock");
    // Paused time does not pause sockets. While the client waits on one
    // (for the answer, or on a busy machine even to send), no task can
    // run, so the runtime jumps the clock to the next timer: the 10 s
    // limit, which fires at once.
    let client = course_client()?;
    let (answer, paused_request) =
        paused.block_on(both_clocks(fetch_within(&client, &url, limit)));
    info!("{} after {}", outcome(&answer?), show(paused_request));

    info!("the same request on a running clock");
    // A client of its own: a client's connections belong to the runtime
    // that opened them, and the paused one is not running any more.
    let client = course_client()?;
    let (answer, running_request) =
        running.block_on(both_clocks(fetch_within(&client, &url, limit)));
    info!("{} after {}", outcome(&answer?), show(running_request));

    info!("spawn_blocking(std::thread::sleep({ms} ms)), 10 ms limit, paused");
    let (held, blocking) =
        paused.block_on(both_clocks(blocking_holds_the_clock(args.delay())));
    info!(
        "{} after {}",
        if held {
            "finished in time"
        } else {
            "timed out"
        },
        show(blocking)
    );

    println!();
    println!("Summary: tokio's clock (virtual) against the wall's (real):");
    let rows = [
        (format!("idle timeout of {minutes} min, paused"), hour),
        (String::from("advance() by hand, paused"), by_hand),
        (
            format!("request of {ms} ms, limit 10 s, paused"),
            paused_request,
        ),
        (
            String::from("the same request, running clock"),
            running_request,
        ),
        (format!("spawn_blocking({ms} ms), paused"), blocking),
    ];
    for (what, took) in &rows {
        println!("  {what:<38} {}", show(*took));
    }
    // Usually 2: the paused request is on its way when the clock jumps.
    // (On a very busy machine the jump can come before it is even sent.)
    if let Some(requests) = server.requests() {
        println!("  Requests the delay server saw: {}.", requests.len());
    }
    println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
    Ok(())
}

// ANCHOR: silence
/// One message, then silence: `expire_after` gives up `idle` later. On a
/// paused clock nothing else is ready to run while it waits, so the
/// runtime jumps the clock straight to the timer (auto-advance).
async fn silence(idle: Duration) -> Vec<String> {
    let (tx, mut rx) = mpsc::channel(8);
    tx.send(String::from("hello"))
        .await
        .expect("the receiver is here");
    // `tx` stays alive until the end: a dropped sender would end the
    // session at once, without any timeout.
    let seen = expire_after(idle, &mut rx).await;
    drop(tx);
    seen
}
// ANCHOR_END: silence

// ANCHOR: by_hand
/// The clock moved by hand. `advance` moves the clock, not the tasks: a
/// task whose timer it passed runs only once this one yields, so each
/// step yields before it looks (`yield_now`).
async fn by_hand(idle: Duration) -> Vec<String> {
    let (tx, mut rx) = mpsc::channel(8);
    let start = tokio::time::Instant::now();
    let session =
        tokio::spawn(async move { expire_after(idle, &mut rx).await });
    let mut steps = Vec::new();
    let mut note = |what: &str, done: bool| {
        let at = start.elapsed().as_secs_f64() / 60.0;
        steps.push(format!("at {at:>5.1} min: {what}; expired: {done}"));
    };
    let silent = |d: Duration| format!("{} min of silence", d.as_secs() / 60);
    // Let the session start: its first timer is set when it first runs.
    tokio::task::yield_now().await;
    tokio::time::advance(idle / 2).await;
    tx.send(String::from("ping"))
        .await
        .expect("the session listens");
    // The session takes the message (and sets a new timer) now, at the
    // half-way mark, not later.
    tokio::task::yield_now().await;
    note("a message", session.is_finished());
    let almost = idle - Duration::from_secs(60);
    tokio::time::advance(almost).await;
    note(&silent(almost), session.is_finished());
    tokio::time::advance(Duration::from_secs(60)).await;
    // The timer is due now: awaiting the session lets it fire.
    let seen = session.await.expect("the session does not panic");
    note(&format!("{}, {} seen", silent(idle), seen.len()), true);
    drop(tx);
    steps
}
// ANCHOR_END: by_hand

// ANCHOR: blocking
/// A `spawn_blocking` task holds a paused clock where it is: tokio does
/// not auto-advance while one runs, so the 10 ms timeout cannot fire
/// however long the blocking work takes in real time.
async fn blocking_holds_the_clock(work: Duration) -> bool {
    let blocking = tokio::task::spawn_blocking(move || {
        std::thread::sleep(work);
    });
    tokio::time::timeout(Duration::from_millis(10), blocking)
        .await
        .is_ok()
}
// ANCHOR_END: blocking

/// A client without a timeout of its own: the limit is `fetch_within`'s.
fn course_client() -> course::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().no_proxy().build()?)
}

/// "virtual 3600.000 s, real 0.4 ms"
fn show(took: Took) -> String {
    format!(
        "virtual {:>8.3} s, real {:.1} ms",
        took.virtual_time.as_secs_f64(),
        took.real.as_secs_f64() * 1000.0
    )
}

fn outcome(answer: &Option<String>) -> &'static str {
    match answer {
        Some(_) => "answered",
        None => "gave up",
    }
}
// ANCHOR_END: all
