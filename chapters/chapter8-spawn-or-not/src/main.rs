//! Chapter 8: to spawn or not to spawn.
//!
//! Some calls park the OS thread that makes them until something happens:
//! `std::thread::sleep`, reading a file with `std::fs`, a `std::net` socket
//! read, locking a `std::sync::Mutex` that someone else holds. Made inside
//! an async task, such a call parks a thread of the runtime, and every task
//! that thread would have run waits with it. This chapter measures it: a
//! ticker task wakes every 10 ms while another task sleeps three ways.
//!
//! ```text
//! cargo run -p chapter8
//! cargo run -p chapter8 -- --sleep-ms 1000
//! ```

// ANCHOR: all
mod args;
mod counterparts;

use counterparts::COUNTERPARTS;
use course::Ticker;
use course::ticker::TickReport;
use log::info;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::task;

/// How often the ticker asks to wake.
const TICK: Duration = Duration::from_millis(10);

// One thread runs every task here, which makes a blocked thread a blocked
// runtime (see chapter 4). On the multi-threaded runtime the same call
// stalls one worker and every task queued on it.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: args::Args = course::args::chapter_args(
        "chapter8",
        "To spawn or not to spawn: std::thread::sleep vs tokio::time::sleep \
         on a runtime",
    );
    course::init_logging();
    course::finish(app(args.sleep(), args.svg).await)
}

async fn app(pause: Duration, svg: Option<PathBuf>) -> course::Result<()> {
    let ms = pause.as_millis();

    // ANCHOR: std_sleep
    // Wrong: `std::thread::sleep` parks the thread, and on this runtime
    // the thread is the only one there is. It is also the thread that
    // drives the timers: the ticker's timer does not fire, and the ticker
    // does not run, until the sleep ends.
    info!("a task calls std::thread::sleep({ms} ms)");
    let ticker = Ticker::start(TICK);
    task::spawn(async move { std::thread::sleep(pause) }).await?;
    let std_sleep = ticker.stop();
    report(&std_sleep);
    // ANCHOR_END: std_sleep

    // ANCHOR: tokio_sleep
    // Right: `tokio::time::sleep` returns a future. Awaiting it parks the
    // *task* and hands the thread back to the runtime, which runs the
    // ticker meanwhile. The task wakes when its timer fires.
    info!("a task awaits tokio::time::sleep({ms} ms)");
    let ticker = Ticker::start(TICK);
    task::spawn(async move { tokio::time::sleep(pause).await }).await?;
    let tokio_sleep = ticker.stop();
    report(&tokio_sleep);
    // ANCHOR_END: tokio_sleep

    // ANCHOR: spawn_blocking
    // Also right, when there is no async version of a blocking call: move it
    // to the blocking pool. Its thread sleeps; the runtime's does not.
    info!("spawn_blocking runs std::thread::sleep({ms} ms) on its own thread");
    let ticker = Ticker::start(TICK);
    task::spawn_blocking(move || std::thread::sleep(pause)).await?;
    let off_runtime = ticker.stop();
    report(&off_runtime);
    // ANCHOR_END: spawn_blocking

    // The picture of what the ticker saw (`--svg`), drawn from this run.
    course::timeline::ticks::write_svg(
        svg.as_deref(),
        &format!("Chapter 8: a ticker beside three {ms} ms sleeps"),
        &[
            ("std::thread::sleep in a task", &std_sleep),
            ("tokio::time::sleep().await", &tokio_sleep),
            ("spawn_blocking(thread::sleep)", &off_runtime),
        ],
    )
    .await?;

    println!();
    print_counterparts();

    println!();
    println!("Summary: each way slept {ms} ms; the ticker (period 10 ms) saw:");
    for (how, seen) in [
        ("std::thread::sleep in a task ", &std_sleep),
        ("tokio::time::sleep().await   ", &tokio_sleep),
        ("spawn_blocking(thread::sleep)", &off_runtime),
    ] {
        println!(
            "  {how}  longest gap {:>5} ms, {:>3} ticks",
            seen.longest_gap.as_millis(),
            seen.ticks
        );
    }
    // The verdict rests on what each way guarantees, not on how busy the
    // machine is: the blocking sleep keeps the ticker from running for all
    // of it, so that gap is at least the sleep; the other two let the
    // ticker wake while they sleep. (A machine busy enough to pause this
    // whole process for a while makes those gaps longer, but the ticker
    // still woke.)
    let verdict = if std_sleep.longest_gap >= pause
        && tokio_sleep.ticks > 0
        && off_runtime.ticks > 0
    {
        "only the blocking call on the runtime's thread stopped the other task"
    } else {
        "the machine was too busy for a clear result: try a longer --sleep-ms"
    };
    println!("  {verdict}.");
    println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
    Ok(())
}

/// One log line for what the ticker saw.
fn report(seen: &TickReport) {
    info!(
        "the ticker woke {} times; longest gap {} ms",
        seen.ticks,
        seen.longest_gap.as_millis()
    );
}

/// The table, within 80 columns: each blocking call, and under it what to
/// use instead.
fn print_counterparts() {
    println!("blocks the thread\n  -> use instead on a runtime");
    for (std, tokio) in COUNTERPARTS {
        println!("{std}\n  -> {tokio}");
    }
}
// ANCHOR_END: all
