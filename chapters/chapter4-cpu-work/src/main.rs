//! Chapter 4: CPU-heavy work.
//!
//! A task gives its thread back to the runtime only at an `.await`. A long
//! computation has none, so run inline in an async task it holds the thread
//! from start to end, and every other task that needs that thread waits.
//! `tokio::task::spawn_blocking` runs such work on a separate pool of
//! threads kept for blocking jobs, and the runtime's own threads stay free.
//!
//! A ticker task wakes every 10 ms and notes when it did. The chapter
//! computes a Fibonacci number twice, once with `spawn_blocking`, once
//! inline, and prints the ticker's longest wait in each case.
//!
//! ```text
//! cargo run -p chapter4              # fib(39): about 0.5 s, debug build
//! cargo run -p chapter4 -- --fib 30  # the article's fib(30): ~10 ms
//! ```

// ANCHOR: all
mod args;

use course::Ticker;
use log::info;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::task;

/// How often the ticker wakes. A gap much longer than this means the
/// runtime's thread was busy elsewhere.
const TICK: Duration = Duration::from_millis(10);

// ANCHOR: runtime
// The current-thread runtime: one thread runs every task, and the same
// thread drives the timers and the sockets while no task is running. That
// makes the effect of blocking it total and easy to see: while it
// computes, nothing else runs at all, and no timer even fires. On the
// multi-threaded runtime the harm is the same but spread out: the blocked
// worker stalls the tasks waiting in its queue until other workers, when
// they have time to spare, steal them; the task in its LIFO slot (the one
// woken last on it) cannot be stolen and waits for the end. `spawn_blocking`
// needs no extra feature: its pool is part of every tokio runtime.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: args::Args = course::args::chapter_args(
        "chapter4",
        "CPU-heavy work: spawn_blocking keeps the runtime free, \
         inline work stalls it",
    );
    course::init_logging();
    course::finish(app(args).await)
}
// ANCHOR_END: runtime

async fn app(args: args::Args) -> course::Result<()> {
    let n = args.fib;
    // ANCHOR: spawn_blocking
    info!("computing fib({n}) with spawn_blocking; the ticker runs meanwhile");
    let ticker = Ticker::start(TICK);
    // The closure runs on a thread of the blocking pool. Awaiting its
    // handle parks only this task; the runtime's thread goes on running
    // the ticker. `move` hands `n` to the other thread.
    let (value, took) = task::spawn_blocking(move || timed_fib(n)).await?;
    let off_runtime = ticker.stop();
    info!(
        "fib({n}) = {value} in {:.3} s; longest ticker gap {} ms",
        took.as_secs_f64(),
        off_runtime.longest_gap.as_millis()
    );
    // ANCHOR_END: spawn_blocking
    let blocking_took = took;

    // ANCHOR: inline
    info!("computing fib({n}) inline in a task; the ticker should stall");
    let ticker = Ticker::start(TICK);
    // The same work, in an ordinary task. Nothing inside `fib` awaits, so
    // once this task starts it keeps the runtime's only thread until the
    // result is ready. That thread is also the one that drives the timers:
    // the ticker's timer does not even fire until `fib` returns, and then
    // the ticker runs late. Do not do this in real code.
    let (value, took) = task::spawn(async move { timed_fib(n) }).await?;
    let on_runtime = ticker.stop();
    info!(
        "fib({n}) = {value} in {:.3} s; longest ticker gap {} ms",
        took.as_secs_f64(),
        on_runtime.longest_gap.as_millis()
    );
    // ANCHOR_END: inline

    // The picture of what the ticker saw (`--svg`), drawn from this run.
    course::timeline::ticks::write_svg(
        args.svg.as_deref(),
        &format!("Chapter 4: a ticker beside fib({n})"),
        &[
            ("with spawn_blocking", &off_runtime),
            ("inline in a task", &on_runtime),
        ],
    )
    .await?;

    println!();
    println!(
        "Summary: fib({n}) twice, with a ticker that asks to wake every {} ms",
        TICK.as_millis()
    );
    println!(
        "  with spawn_blocking: computed in {:.3} s, longest ticker gap {} ms",
        blocking_took.as_secs_f64(),
        off_runtime.longest_gap.as_millis()
    );
    println!(
        "  inline in a task:    computed in {:.3} s, longest ticker gap {} ms",
        took.as_secs_f64(),
        on_runtime.longest_gap.as_millis()
    );
    // The verdict compares each gap with its own computation, which holds
    // however busy the machine is: inline, the ticker cannot run at all
    // until fib is done, so its longest gap spans the whole computation;
    // with spawn_blocking, it wakes in the middle of it. (When fib takes
    // less than one tick, the ticker has no chance to wake in between.)
    let verdict = if on_runtime.longest_gap >= took
        && off_runtime.longest_gap < blocking_took
    {
        "inline, the computation froze every other task on the runtime;\n  \
         spawn_blocking kept it running"
    } else {
        "the difference is small at this size: try a larger --fib"
    };
    println!("  {verdict}.");
    println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
    Ok(())
}

// ANCHOR: fib
/// The naive recursive Fibonacci: exponential time, no `.await` anywhere.
/// A stand-in for any long computation (parsing, hashing, compression).
fn fib(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib(n - 1) + fib(n - 2)
    }
}
// ANCHOR_END: fib

/// `fib(n)` and how long it took.
fn timed_fib(n: u32) -> (u64, Duration) {
    let started = Instant::now();
    let value = fib(n);
    (value, started.elapsed())
}
// ANCHOR_END: all
