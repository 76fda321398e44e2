//! Chapter 2: async functions and lazy futures.
//!
//! Calling an `async fn` runs none of its body: it returns a future, a value
//! that describes the work. The work happens when the future is polled,
//! which is what `.await` and `tokio::spawn` do. This chapter proves it with
//! the log, then looks at what an `async fn` returns and how `?` behaves in
//! async blocks.
//!
//! ```text
//! cargo run -p chapter2
//! ```

// ANCHOR: all
use anyhow::Context as _;
use log::info;
use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

/// How long the created future is left alone before it is awaited.
const WAIT: Duration = Duration::from_millis(500);

// One thread is enough for everything here, so this chapter uses the
// current-thread runtime (tokio features "rt" and "macros" only, plus
// "time" for sleeping). Chapter 3 turns to the multi-threaded one.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    course::args::no_args("chapter2", "Async functions and lazy futures");
    course::init_logging();
    course::finish(app().await)
}

async fn app() -> course::Result<()> {
    // ANCHOR: lazy
    // Calling the async fn builds a future and returns at once. Not one line
    // of `note_when_run`'s body has run yet: look for its log line below.
    let future = note_when_run("the awaited future");
    let created_at = course::elapsed();
    info!(
        "future created; waiting {} ms before awaiting it",
        WAIT.as_millis()
    );
    tokio::time::sleep(WAIT).await;
    info!("now awaiting the future");
    // Only now does the body run: its log line comes after "now awaiting",
    // half a second after the future was created.
    let ran_at = future.await;
    // ANCHOR_END: lazy

    // ANCHOR: spawned
    // Spawning is the other way to get a future polled: the runtime takes it
    // as a task and runs it as soon as a thread is free, awaited or not.
    let handle = tokio::spawn(note_when_run("the spawned task"));
    info!(
        "task spawned; waiting {} ms before awaiting its handle",
        WAIT.as_millis()
    );
    // While this task sleeps, the runtime's only thread is free, so it runs
    // the spawned task now: its log line comes *before* "now awaiting".
    tokio::time::sleep(WAIT).await;
    let handle_awaited_at = course::elapsed();
    info!("now awaiting the handle");
    // The handle gives the task's output (or an error if it panicked).
    let task_ran_at = handle.await?;
    // ANCHOR_END: spawned

    // ANCHOR: return_types
    // Declared `-> u64`, but the caller gets a future; `.await` on it gives
    // the u64. `add_later` and `add_later_by_hand` are one thing written twice.
    let sum = add_later(20, 1).await + add_later_by_hand(20, 1).await;
    info!("add_later(20, 1) + add_later_by_hand(20, 1) = {sum}");
    // ANCHOR_END: return_types

    // ANCHOR: async_block
    // An async block is a future too, written inline. `?` inside it returns
    // from the *block*, converting the error into the block's error type
    // with `From`. A block has no declared return type, so that type comes
    // from what the block returns. Here nothing fixes it: `Ok(n)` could be
    // any `Result<u64, E>`, and `parse.await?` below accepts any `E` that
    // converts into anyhow's error. Without the `Ok::<_, anyhow::Error>`
    // the line fails with "type annotations needed". A block whose last
    // expression has a known error type (a call to a function returning
    // `course::Result`, say) needs no hint, and neither does an async fn:
    // its declared return type names the error.
    let parse = async {
        let n: u64 = "42".parse().context("not a number")?;
        Ok::<_, anyhow::Error>(n)
    };
    let n = parse.await?;
    info!("the async block parsed {n}");
    // ANCHOR_END: async_block

    // ANCHOR: erratum
    // Erratum #4 of the old article: `future::ok("...".to_string()).await?`
    // does not compile, because nothing says what the error type is. Name
    // it with a turbofish ...
    let ready = "ready".to_string();
    let text = futures::future::ok::<String, anyhow::Error>(ready).await?;
    // ... or let a function's declared return type decide it (`ready_now`).
    let same = ready_now().await?;
    info!("future::ok gave {text:?} and {same:?}");
    // ANCHOR_END: erratum

    println!();
    println!("Summary:");
    println!(
        "  the future created at {:.3} s ran at {:.3} s, once awaited: \
         futures are lazy",
        created_at.as_secs_f64(),
        ran_at.as_secs_f64(),
    );
    println!(
        "  the spawned task ran at {:.3} s, before its handle was \
         awaited at {:.3} s",
        task_ran_at.as_secs_f64(),
        handle_awaited_at.as_secs_f64(),
    );
    println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
    Ok(())
}

/// Logs when its body runs, so the log shows *when* a future is polled,
/// and returns that moment (seconds since start).
async fn note_when_run(what: &'static str) -> Duration {
    info!("{what} runs now");
    course::elapsed()
}

// ANCHOR: add_later
/// The declared return type is what `.await` gives: `u64`, not a future.
async fn add_later(a: u64, b: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    a + b
}

/// What the compiler makes of `add_later`: a plain function that returns a
/// future whose output is the declared type. (Clippy would have us write it
/// as an `async fn`: that it can is the point.)
#[allow(clippy::manual_async_fn)]
fn add_later_by_hand(a: u64, b: u64) -> impl Future<Output = u64> {
    async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        a + b
    }
}
// ANCHOR_END: add_later

// ANCHOR: ready_now
/// The return type `course::Result<String>` fixes the error type, so
/// `future::ok` needs no turbofish here.
async fn ready_now() -> course::Result<String> {
    futures::future::ok("ready".to_string()).await
}
// ANCHOR_END: ready_now
// ANCHOR_END: all
