//! Chapter 7: join_all and analysis.
//!
//! Ten spawned tasks each fetch a body from the delay server (I/O: the
//! task waits without holding a thread) and then count its one bits and
//! zero bits (CPU work: handed to `spawn_blocking`, so it cannot stall the
//! runtime). `futures::future::join_all` waits for all ten handles and
//! gives back their results, which the program adds up into a ratio.
//!
//! ```text
//! cargo run -p chapter7
//! cargo run -p chapter7 -- --sum try-fold --bytes 100000
//! ```

// ANCHOR: all
mod args;

use anyhow::Context as _;
use args::{Args, SumWith};
use course::Timeline;
use course::timeline::Kind;
use futures::future::join_all;
use log::info;
use std::process::ExitCode;
use std::time::Instant;

/// The sizes of the bodies, in KiB, unless `--bytes` sets one for all
/// (480 KiB in all). Real pages differ in size, and so does the time their
/// analysis takes: a small body that arrives after a big one can be done
/// before it.
const PAGE_KIB: [u64; 10] = [128, 16, 64, 8, 96, 32, 8, 64, 16, 48];

/// What one task gives back: the numbers of one bits and zero bits.
type Counts = (u64, u64);

/// What awaiting one task's handle gives: tokio's `Result` (did the task
/// run to its end?) around the task's own `Result` (did the request and
/// the analysis work?).
type Joined = Result<course::Result<Counts>, tokio::task::JoinError>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Args = course::args::parse_with_defaults(
        "chapter7",
        "join_all and analysis: spawned requests, their bodies analysed in spawn_blocking",
        10,
        1000,
        std::env::args_os(),
    );
    course::init_logging();
    course::finish(app(args).await)
}

// ANCHOR: analyze
/// Counts the one bits and the zero bits of the text. Two passes over the
/// bytes where one would do, as in the article: the point is to keep a CPU
/// busy for a while, like real analysis would.
fn analyze(text: &str) -> Counts {
    let bytes = text.as_bytes();
    let ones = bytes.iter().map(|b| u64::from(b.count_ones())).sum();
    let zeros = bytes.iter().map(|b| u64::from(b.count_zeros())).sum();
    (ones, zeros)
}
// ANCHOR_END: analyze

// ANCHOR: task
/// One task: fetch a body (I/O), then analyse it (CPU).
async fn fetch_and_analyze(
    n: usize,
    client: reqwest::Client,
    url: String,
    timeline: Timeline,
) -> course::Result<Counts> {
    let text = timeline
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
    info!("Got response {n} ({} bytes)", text.len());

    // ANCHOR: erratum5
    // Counting bits is CPU work with no `.await` in it. Run here, it would
    // hold this runtime thread until done, and every task queued on the
    // thread would wait (chapter 4). `spawn_blocking` runs it on tokio's
    // pool of threads for blocking work instead; this task waits on the
    // handle without holding a thread.
    //
    // Erratum #5: the article wrote `spawn_blocking(move || analyze(txt))`,
    // which does not compile: `analyze` takes a `&str` and `txt` is a
    // `String`. Nor can the closure borrow the text from this task
    // (`|| analyze(&text)` without `move`): the blocking thread may still
    // run after this function is gone, so `spawn_blocking` only takes
    // closures that own what they use (`'static`). The fix: `move` the
    // `String` into the closure, which owns it, and lend it to `analyze`
    // from there.
    let work = tokio::task::spawn_blocking(move || analyze(&text));
    let (ones, zeros) = timeline
        .track_work(format!("request {n}"), work)
        .await
        .map_err(|e| course::join_error(n, e).context("analysis"))?;
    // ANCHOR_END: erratum5
    info!("Processed {n}: {ones} ones, {zeros} zeros");
    Ok((ones, zeros))
}
// ANCHOR_END: task

async fn app(args: Args) -> course::Result<()> {
    let server = course::Server::start().await?;
    // One client, its connection pool shared by all the tasks (chapter 5).
    let client = args.common.client()?;

    // When each answer arrived and when each analysis was done. Chapters
    // 5, 6 and 7 draw their timelines on one axis, two delays long, so that
    // their pictures compare at a glance.
    let delay = args.common.delay();
    let timeline = Timeline::new().with_axis(2 * delay + delay / 20);
    let started = Instant::now();

    // ANCHOR: spawn
    let mut handles = Vec::with_capacity(args.common.count());
    for n in 1..=args.common.count() {
        let url = page_url(&server, &args, n);
        let task = fetch_and_analyze(n, client.clone(), url, timeline.clone());
        // Spawned: the request starts now, while the loop goes on.
        handles.push(tokio::spawn(task));
    }
    // ANCHOR_END: spawn

    // ANCHOR: join_all
    // `join_all` turns many futures into one that is done when all of them
    // are, with their outputs in the order of `handles` (not in the order
    // they finished). To handle each result as soon as its task is done,
    // put the handles in a `futures::stream::FuturesUnordered` (or a tokio
    // `JoinSet`, chapter 9) and take results out as they come.
    let results: Vec<Joined> = join_all(handles).await;
    // ANCHOR_END: join_all
    // `--sum` picks one of the two ways of adding up, shown below.
    let (ones, zeros) = match args.sum {
        SumWith::ForLoop => sum_with_for_loop(results)?,
        SumWith::TryFold => sum_with_try_fold(results)?,
    };

    let took = started.elapsed();
    info!("Total: {ones} ones, {zeros} zeros");
    // The article got 0.95 from the HTML of a real page. The delay server
    // invents lower-case letters and spaces, which have fewer one bits:
    // expect about 0.87.
    info!("Ratio of ones to zeros: {:.2}", ones as f64 / zeros as f64);
    // The answers arrive in one order; the analyses, running on several
    // threads at once, can finish in another.
    info!("Arrival order:    {}", order(&timeline, Kind::Request));
    info!("Processing order: {}", order(&timeline, Kind::Work));
    timeline.show(&args.common, "Chapter 7: join_all").await?;
    println!(
        "{}",
        course::requests_summary(
            args.common.count(),
            args.common.delay(),
            took,
            server.peak_in_flight()
        )
    );
    Ok(())
}

// ANCHOR: for_loop
/// Adds up the counts with a plain `for` loop, as the article did.
///
/// Erratum #6: each element is a `Result` inside a `Result`, and `?` has to
/// be applied once per layer. The outer one is tokio's `JoinError`: the
/// task panicked or was cancelled, so it never produced a result of its
/// own. The inner one is the task's own error: the request failed, say.
fn sum_with_for_loop(results: Vec<Joined>) -> course::Result<Counts> {
    let (mut ones, mut zeros) = (0, 0);
    for (n, joined) in (1..).zip(results) {
        // Layer 1: did task `n` finish? A `JoinError` becomes a readable
        // error ("task 3 panicked: ...") and `?` returns it.
        let outcome: course::Result<Counts> =
            joined.map_err(|e| course::join_error(n, e))?;
        // Layer 2: did its request and analysis succeed?
        let (task_ones, task_zeros) = outcome?;
        ones += task_ones;
        zeros += task_zeros;
    }
    Ok((ones, zeros))
}
// ANCHOR_END: for_loop

// ANCHOR: try_fold
/// The same with `Iterator::try_fold`: it carries the running totals from
/// one element to the next and stops at the first `Err`, which becomes the
/// result. `??` peels both layers in one line, outer first.
fn sum_with_try_fold(results: Vec<Joined>) -> course::Result<Counts> {
    (1..)
        .zip(results)
        .try_fold((0, 0), |(ones, zeros), (n, joined)| {
            let (task_ones, task_zeros) =
                joined.map_err(|e| course::join_error(n, e))??;
            Ok((ones + task_ones, zeros + task_zeros))
        })
}
// ANCHOR_END: try_fold

/// The URL of task `n`: a different page per task, so each body is
/// different text. The server never fetches it; `?bytes=` sets how much
/// text it invents.
fn page_url(server: &course::Server, args: &Args, n: usize) -> String {
    let target = format!("http://www.google.co.uk/{n}");
    let bytes = args
        .bytes
        .unwrap_or(PAGE_KIB[(n - 1) % PAGE_KIB.len()] * 1024);
    let url = server.delay_url_to(args.common.delay_ms(), &target);
    format!("{url}?bytes={bytes}")
}

/// The request numbers of a timeline's spans of `kind`, in the order they
/// ended.
fn order(timeline: &Timeline, kind: Kind) -> String {
    timeline
        .end_order(kind)
        .iter()
        .map(|label| label.trim_start_matches("request "))
        .collect::<Vec<_>>()
        .join(" ")
}
// ANCHOR_END: all

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways of adding up agree, and report the first failure the same
    /// way: a task's own error, a panicked task.
    #[tokio::test(flavor = "current_thread")]
    async fn for_loop_and_try_fold_agree() {
        async fn results(
            fail: Option<usize>,
            panic: Option<usize>,
        ) -> Vec<Joined> {
            let handles = (1..=4).map(|n| {
                tokio::spawn(async move {
                    if Some(n) == panic {
                        panic!("analysis {n} went wrong");
                    }
                    if Some(n) == fail {
                        anyhow::bail!("request {n} failed");
                    }
                    Ok((n as u64, 10 * n as u64))
                })
            });
            join_all(handles).await
        }
        assert_eq!(
            sum_with_for_loop(results(None, None).await).unwrap(),
            (10, 100)
        );
        assert_eq!(
            sum_with_try_fold(results(None, None).await).unwrap(),
            (10, 100)
        );
        for sum in [sum_with_for_loop, sum_with_try_fold] {
            let e = sum(results(Some(3), None).await).unwrap_err();
            assert_eq!(e.to_string(), "request 3 failed");
            let e = sum(results(Some(4), Some(2)).await).unwrap_err();
            assert_eq!(e.to_string(), "task 2 panicked: analysis 2 went wrong");
        }
    }

    #[test]
    fn analyze_counts_every_bit() {
        // 'a' = 0110_0001: 3 ones, 5 zeros. ' ' = 0010_0000: 1 one, 7 zeros.
        assert_eq!(analyze("a a"), (7, 17));
        assert_eq!(analyze(""), (0, 0));
    }
}
