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
// compile. The task module sits at the top of the crate: `tokio::task`.
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
    course::args::no_args("chapter3", "Spawning tasks: concurrency and parallelism");
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
        "  concurrency: {SLEEPERS} tasks sleeping {} ms each took {:.3} s in all (one after the other: {:.3} s)",
        SLEEP.as_millis(),
        slept.as_secs_f64(),
        (SLEEP * SLEEPERS).as_secs_f64(),
    );
    println!(
        "  parallelism: {CRUNCHERS} tasks computing {} ms each took {:.3} s on {} worker thread(s): {}",
        WORK.as_millis(),
        crunched.as_secs_f64(),
        threads.len(),
        threads.iter().cloned().collect::<Vec<_>>().join(", "),
    );
    let verdict = if threads.len() > 1 && crunched < serial * 3 / 4 {
        "they computed in parallel"
    } else if threads.len() > 1 {
        "several threads, but the machine was busy: little gain"
    } else {
        "one thread: they took turns, concurrent but not parallel"
    };
    println!(
        "  one thread would need {:.3} s for that work: {verdict}. Total {:.3} s.",
        serial.as_secs_f64(),
        course::elapsed().as_secs_f64()
    );
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
    let list: Vec<_> = threads.iter().cloned().collect();
    info!(
        "cruncher {id} computed from {:.3} to {:.3} s on {}",
        started.as_secs_f64(),
        course::elapsed().as_secs_f64(),
        list.join(", ")
    );
    threads
}
// ANCHOR_END: cruncher
// ANCHOR_END: all
