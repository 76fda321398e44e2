//! Chapter 15: an executor in one page.
//!
//! `block_on` (src/executor.rs) polls a future on the calling thread and
//! parks the thread while the future is pending. It runs chapter 14's
//! futures, an async block that borrows from itself (pinning), and boxed
//! futures of different types; then a reqwest request shows what it lacks:
//! a reactor, which tokio's runtime has.
//!
//! ```text
//! cargo run -p chapter15
//! cargo run -p chapter15 -- --delay-ms 1000
//! ```

// ANCHOR: all
mod args;
mod executor;

use chapter14::{BusyDelay, Counted, Delay};
use course::cpu::CpuClock;
use executor::block_on;
use log::{info, warn};
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::{Duration, Instant};

// No #[tokio::main]: the main thread is ours, and so is the executor.
fn main() -> ExitCode {
    let args: args::Args = course::args::chapter_args(
        "chapter15",
        "An executor in one page: block_on, what a reactor adds, and Pin",
    );
    course::init_logging();
    course::finish(app(args.delay()))
}

fn app(delay: Duration) -> course::Result<()> {
    let ms = delay.as_millis();

    // ANCHOR: run_delays
    // Chapter 14's futures, on our executor instead of tokio's.
    info!("block_on(Delay::new({ms} ms))");
    let quiet = measure("Delay", || Delay::new(delay));
    info!("block_on(BusyDelay::new({ms} ms))");
    let busy = measure("BusyDelay", || BusyDelay::new(delay));
    // ANCHOR_END: run_delays

    // ANCHOR: self_borrow
    // An async block that borrows from itself across an `.await`: `word`
    // points into `text`, and both live in the future's state while it
    // waits. `block_on` pins it, so the state never moves and `word`
    // stays valid.
    info!("block_on(an async block that borrows from itself)");
    let len = block_on(async move {
        let text = String::from("pinned futures may borrow from themselves");
        let word = &text[..6];
        Delay::new(delay / 3).await;
        word.len()
    });
    info!("its word is {len} bytes long");
    // ANCHOR_END: self_borrow

    // ANCHOR: boxed
    // Futures of different types in one Vec: each `Box::pin` puts one on
    // the heap, where it stays, so the box can move around freely.
    type Job = Pin<Box<dyn Future<Output = &'static str>>>;
    let jobs: Vec<Job> = vec![
        Box::pin(async { "an async block" }),
        Box::pin(chapter14::two_delays(delay / 3, delay / 3)),
        Box::pin(async move {
            Delay::new(delay / 3).await;
            "a Delay in an async block"
        }),
    ];
    for job in jobs {
        info!("a boxed job: {}", block_on(job));
    }
    // ANCHOR_END: boxed

    // ANCHOR: reactor
    // A runtime with a worker thread of its own: it serves the delay
    // server while the main thread runs our executor.
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let server = tokio.block_on(course::Server::start())?;
    let url = server.delay_url(ms as u64);

    info!("a reqwest GET on our block_on");
    let client = reqwest::Client::new();
    match catch_panic(|| block_on(client.get(&url).send())) {
        Ok(_) => {
            info!("it worked (is DELAY_SERVER_URL's server in this process?)")
        }
        Err(message) => {
            warn!("our block_on panicked, with this message:");
            print_wrapped(&message);
        }
    }

    // The same GET on our block_on, inside the runtime's context: the
    // socket registers with the reactor that tokio's worker thread runs,
    // which wakes our task through our waker when the answer arrives.
    info!("our block_on again, inside tokio's context (Runtime::enter)");
    let started = Instant::now();
    let status = {
        let _context = tokio.enter();
        block_on(get(&url))?
    };
    info!("{status} after {} ms", started.elapsed().as_millis());

    info!("the same GET on tokio's Runtime::block_on");
    let started = Instant::now();
    let status = tokio.block_on(get(&url))?;
    info!("{status} after {} ms", started.elapsed().as_millis());
    // ANCHOR_END: reactor

    println!();
    println!("Summary, on our block_on:");
    for (name, row) in [("Delay    ", &quiet), ("BusyDelay", &busy)] {
        println!(
            "  {name} {:>5} ms, polls {:>7}, wakes {:>7}, {}",
            row.took.as_millis(),
            row.polls,
            row.wakes,
            course::cpu::describe(row.cpu)
        );
    }
    println!("  Total {:.3} s.", course::elapsed().as_secs_f64());
    Ok(())
}

/// GETs `url` with a new client, reads the body, returns the status.
async fn get(url: &str) -> course::Result<reqwest::StatusCode> {
    let response = reqwest::Client::new().get(url).send().await?;
    let response = response.error_for_status()?;
    let status = response.status();
    response.bytes().await?;
    Ok(status)
}

/// What one future cost on our executor.
struct Row {
    took: Duration,
    polls: u64,
    wakes: u64,
    cpu: Option<Duration>,
}

/// Makes the future with `make` and runs it on our `block_on`, counting
/// polls, wake-ups, time and the CPU time of this thread.
fn measure<F: Future>(name: &str, make: impl FnOnce() -> F) -> Row {
    // Timed from the future's making: a delay counts from when it is made.
    let (started, cpu) = (Instant::now(), CpuClock::start());
    let counted = Counted::new(make());
    let stats = counted.stats();
    block_on(counted);
    let row = Row {
        took: started.elapsed(),
        polls: stats.polls(),
        wakes: stats.wakes(),
        cpu: cpu.used(),
    };
    info!(
        "{name}: {} ms, polls {}, wakes {}, {}",
        row.took.as_millis(),
        row.polls,
        row.wakes,
        course::cpu::describe(row.cpu)
    );
    row
}

/// A long message, indented and wrapped within 80 columns: after a comma
/// where one fits, else at a space.
fn print_wrapped(message: &str) {
    const WIDTH: usize = 72;
    let mut line = String::new();
    for clause in message.split_inclusive(", ") {
        for word in clause.split_inclusive(' ') {
            if line.len() + word.trim_end().len() > WIDTH
                || (line.ends_with(", ") && line.len() + clause.len() > WIDTH)
            {
                println!("    {}", line.trim_end());
                line.clear();
            }
            line.push_str(word);
        }
    }
    println!("    {}", line.trim_end());
}

/// Runs `f`, turning a panic into its message: without the default
/// hook's report, which names a file inside tokio's sources.
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        text.unwrap_or_else(|| String::from("(a panic without a message)"))
    })
}
// ANCHOR_END: all
