//! Chapter 3: spawning tasks.
//!
//! `tokio::spawn` hands a future to the runtime as a *task*: the runtime
//! polls it on its own, alongside every other task, and the `JoinHandle` you
//! get back lets you collect its output later. Tasks that wait (on a timer,
//! a socket) overlap: that is concurrency, and one thread is enough for it.
//! Tasks that compute need several threads to overlap: that is parallelism,
//! and the multi-threaded runtime provides it, one worker thread per core.
//!
//! ```text
//! cargo run -p chapter3
//! ```

// ANCHOR: all
use log::info;
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};
// ANCHOR: erratum
// Erratum #1 of the old article: `use tokio::runtime::task;` does not
// compile: `tokio::runtime` has a `task` module, but it is private to
// tokio. The public one sits at the top of the crate: `tokio::task`.
// (`tokio::spawn` is the same function as `tokio::task::spawn`.)
use tokio::task;
// ANCHOR_END: erratum

/// Tasks that wait, and how long each waits.
const SLEEPERS: u32 = 4;
const SLEEP: Duration = Duration::from_millis(500);
/// Tasks that compute, and how much computing each does.
const CRUNCHERS: u32 = 4;
const WORK: Duration = Duration::from_millis(200);

// The default flavor of `#[tokio::main]`: the multi-threaded runtime, with
// one worker thread per core (tokio feature "rt-multi-thread").
#[tokio::main]
async fn main() -> ExitCode {
    let about = "Spawning tasks: concurrency and parallelism";
    course::args::no_args("chapter3", about);
    course::init_logging();
    course::finish(app().await)
}

async fn app() -> course::Result<()> {
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    info!("the runtime has {workers} worker threads");

    // ANCHOR: join_handle
    // `spawn` returns at once; the task starts on a worker thread while
    // app() goes on with its own work.
    let handle = task::spawn(async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        6 * 7
    });
    info!("task spawned; app() goes on meanwhile");
    // Awaiting the handle gives `Result<T, JoinError>`: `Err` if the task
    // panicked or was aborted. Dropping the handle instead would not stop
    // the task; it would run on, and its output would be lost.
    let answer = handle.await?;
    info!("the task's JoinHandle gave {answer}");
    // ANCHOR_END: join_handle

    // ANCHOR: concurrency
    // Concurrency: tasks that wait, wait together. Each sleeps 500 ms; one
    // after the other they would need 2 s.
    let started = Instant::now();
    let mut handles = Vec::new();
    for id in 1..=SLEEPERS {
        handles.push(task::spawn(sleeper(id)));
    }
    // Await every handle. The tasks are already running: the order we
    // await them in does not change when they finish.
    for handle in handles {
        handle.await?;
    }
    let slept = started.elapsed();
    // ANCHOR_END: concurrency

    // ANCHOR: parallelism
    // Parallelism: tasks that compute need threads. On one thread these
    // four would take turns, 4 x 200 ms = 800 ms; with two workers, two run
    // at the same moment and the batch takes about half that.
    let started = Instant::now();
    let mut handles = Vec::new();
    for id in 1..=CRUNCHERS {
        handles.push(task::spawn(cruncher(id)));
    }
    let mut threads = BTreeSet::new();
    for handle in handles {
        threads.extend(handle.await?);
    }
    let crunched = started.elapsed();
    // ANCHOR_END: parallelism

    let serial = WORK * CRUNCHERS;
    println!();
    println!("Summary:");
    println!(
        "  concurrency: {SLEEPERS} tasks sleeping {} ms each took {:.3} s",
        SLEEP.as_millis(),
        slept.as_secs_f64(),
    );
    let one_by_one = (SLEEP * SLEEPERS).as_secs_f64();
    println!("    (one after the other: {one_by_one:.3} s)");
    println!(
        "  parallelism: {CRUNCHERS} tasks computing {} ms each took {:.3} s",
        WORK.as_millis(),
        crunched.as_secs_f64(),
    );
    let names: Vec<_> = threads.iter().cloned().collect();
    println!("    on {} thread(s): {}", names.len(), names.join(", "));
    let verdict = if threads.len() > 1 && crunched < serial * 3 / 4 {
        "they computed in parallel"
    } else if threads.len() > 1 {
        "several threads, but the machine was busy: little gain"
    } else {
        "one thread: they took turns, concurrent but not parallel"
    };
    let serial = serial.as_secs_f64();
    println!("    (one thread would need {serial:.3} s): {verdict}.");
    println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
    Ok(())
}

// ANCHOR: sleeper
/// Waits without holding a thread: while it sleeps, the worker runs others.
/// It may wake on another worker than the one it started on: any free
/// worker can pick up a task that is ready.
async fn sleeper(id: u32) {
    info!("sleeper {id} starts on {}", course::thread_label());
    tokio::time::sleep(SLEEP).await;
    info!("sleeper {id} wakes on {}", course::thread_label());
}
// ANCHOR_END: sleeper

// ANCHOR: cruncher
/// Computes for `WORK` in 1 ms slices, and returns the threads it ran on.
///
/// Between slices it yields (`yield_now`), so that the worker can run
/// other tasks too: a task that computes for long without an `.await`
/// keeps everyone else on its thread waiting (chapter 4). After a yield the
/// task may resume on another worker; that is why `spawn` asks for `Send`
/// futures: a task can move between threads at each `.await`.
async fn cruncher(id: u32) -> BTreeSet<String> {
    let mut threads = BTreeSet::new();
    let started = course::elapsed();
    let mut done = Duration::ZERO;
    while done < WORK {
        threads.insert(course::thread_label());
        let slice = Instant::now();
        // Busy work standing in for a real computation; spinning on the
        // clock makes it last the same on every machine.
        while slice.elapsed() < Duration::from_millis(1) {
            std::hint::spin_loop();
        }
        done += slice.elapsed();
        task::yield_now().await;
    }
    // The summary names the threads; here, how many this one used.
    info!(
        "cruncher {id} computed from {:.3} to {:.3} s on {} thread(s)",
        started.as_secs_f64(),
        course::elapsed().as_secs_f64(),
        threads.len()
    );
    threads
}
// ANCHOR_END: cruncher
// ANCHOR_END: all
