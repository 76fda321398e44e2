//! Chapter 1: starting the runtime.
//!
//! Rust's standard library can describe async work (`async fn`, `Future`)
//! but cannot run it: that takes a runtime, here tokio. This chapter starts
//! one in two ways and runs the same `app()` in each:
//!
//! 1. by hand: build a `tokio::runtime::Runtime`, then `block_on(app())`;
//! 2. with the `#[tokio::main]` attribute, which writes form 1 for you.
//!
//! It also sets up the project template the later chapters share: an
//! `app()` entry point, an error type, and a logger that stamps each line
//! with the seconds since start.
//!
//! ```text
//! cargo run -p chapter1
//! ```

// ANCHOR: all
use anyhow::Context as _;
use log::info;
use std::error::Error;
use std::process::ExitCode;
use std::time::{Duration, Instant};

// ANCHOR: main
fn main() -> ExitCode {
    // Only `--help`: this chapter has no flags.
    course::args::no_args(
        "chapter1",
        "Starting the runtime: Runtime + block_on(app()), and #[tokio::main]",
    );
    // The template's logger: `0.203 [INFO] - message`, seconds since start.
    // It prints `info` lines by default; `RUST_LOG=warn` silences them.
    course::init_logging();

    // ANCHOR: explicit
    info!("Form 1: build a Runtime by hand, then block_on(app())");
    let started = Instant::now();
    // `Runtime::new()` would do the same: a multi-threaded runtime with the
    // I/O and timer drivers on (`enable_all`). Without `enable_all`, the
    // first `tokio::time::sleep` would panic: no timer to wake the task.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")
    {
        Ok(runtime) => runtime,
        Err(e) => return course::finish(Err(e)),
    };
    // `block_on` drives `app()` on *this* thread, the main one, until it
    // finishes; the runtime's worker threads run whatever app() spawns.
    // Note the old article's `let mut rt`: tokio 1.x's `block_on` takes
    // `&self`, so no `mut` is needed.
    let first = runtime.block_on(app());
    // Dropping the runtime shuts it down and stops its worker threads.
    // Form 2 builds a runtime of its own; that works only from plain code
    // like this, never from inside an async task (tokio panics rather than
    // block a runtime's thread with a second `block_on`).
    drop(runtime);
    let first_took = started.elapsed();
    // ANCHOR_END: explicit

    info!("Form 2: #[tokio::main] on an async fn that awaits app()");
    let started = Instant::now();
    let second = with_the_attribute();
    let second_took = started.elapsed();

    if first.is_ok() && second.is_ok() {
        println!();
        println!("Summary: the same app() ran twice; compare the two logs.");
        println!(
            "  Runtime + block_on(app()): {:.3} s",
            first_took.as_secs_f64()
        );
        println!(
            "  #[tokio::main]:            {:.3} s",
            second_took.as_secs_f64()
        );
        println!("  Same lines, same thread: the attribute writes form 1.");
        println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
    }
    // An error prints one line (`error: ...`) and exits with code 1.
    course::finish(first.and(second))
}
// ANCHOR_END: main

// ANCHOR: attribute
// ANCHOR: errata_main
// Errata #2 and #3 of the old article: `#[tokio::main]` does not call some
// `app()` behind your back. It rewrites the function it sits on into a
// plain, non-async function that starts a runtime and blocks on that
// function's own body. In a real program it sits on `main` itself, and the
// attribute is part of the code, not optional decoration:
//
//     #[tokio::main]
//     async fn main() -> course::Result<()> {
//         app().await
//     }
//
// Here it sits on a second function, so that one program can run both forms.
// ANCHOR_END: errata_main
#[tokio::main]
async fn with_the_attribute() -> course::Result<()> {
    app().await
}
// ANCHOR_END: attribute

// ANCHOR: expansion
/// What `#[tokio::main]` turns `with_the_attribute` into, written out by
/// hand (simplified from tokio-macros 2.7; see the real thing with `cargo
/// install cargo-expand` then `cargo expand -p chapter1`). It compiles, and
/// `main` could call it in place of `with_the_attribute`: nothing does, the
/// attribute's own version runs instead.
#[allow(dead_code)]
fn with_the_attribute_expanded() -> course::Result<()> {
    // The original body, as a future: nothing of it has run yet.
    let body = async { app().await };
    // Form 1: build a runtime and block on the body. A runtime that fails
    // to build panics here, where form 1 in `main` reports an error.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("Failed building the Runtime")
        .block_on(body)
}
// ANCHOR_END: expansion

// ANCHOR: app
/// The template's entry point: everything async starts here. `main` only
/// starts the runtime and reports the result.
async fn app() -> course::Result<()> {
    // `block_on` polls this future on the thread that called it: `main #1`.
    info!("app() runs on thread {}", course::thread_label());

    // Both error styles below work with `?`. A boxed error needs one
    // explicit step into anyhow: `Box<dyn Error>` does not implement the
    // `Error` trait itself, so `?` has no conversion to pick.
    let boxed = delay_ms_boxed("100").map_err(anyhow::Error::from_boxed)?;
    let ms = boxed + delay_ms("50")?;

    // A timer on the runtime: the task sleeps, the thread is free meanwhile.
    tokio::time::sleep(Duration::from_millis(ms)).await;
    info!("slept {ms} ms on the runtime's timer");

    // What each error type has to say about bad input.
    if let Err(e) = delay_ms_boxed("soon") {
        info!("boxed error:  {e}");
    }
    if let Err(e) = delay_ms("soon") {
        // `{:#}` prints anyhow's context and its cause on one line.
        info!("anyhow error: {e:#}");
    }
    Ok(())
}
// ANCHOR_END: app

// ANCHOR: errors
/// The article's error alias: any error, boxed. `Send` lets the error move
/// to another thread: a spawned task's result, error included, may be made
/// on one worker thread and read on another. `Sync` lets several threads
/// read the same error through shared references (`&e`, an `Arc`); anyhow
/// asks for both of every error it holds, so `from_boxed` in `app()` needs
/// them too.
type BoxResult<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// With the boxed alias, `?` boxes the parse error as it is: the message
/// says what went wrong, not which input.
fn delay_ms_boxed(text: &str) -> BoxResult<u64> {
    Ok(text.trim().parse()?)
}

/// With anyhow (`course::Result<T>` is `Result<T, anyhow::Error>`): the
/// same kind of box, `Send + Sync` too, plus context that names the input.
fn delay_ms(text: &str) -> course::Result<u64> {
    text.trim()
        .parse()
        .with_context(|| format!("{text:?} is no delay"))
}
// ANCHOR_END: errors
// ANCHOR_END: all
