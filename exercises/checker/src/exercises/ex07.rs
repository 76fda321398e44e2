//! Exercise 7: fetch and analyse, then gather with `join_all`.
//!
//! `async fn ones_and_zeros(client: &reqwest::Client, urls: &[String],
//! analyse: fn(&str) -> (u64, u64)) -> anyhow::Result<(u64, u64)>` fetches
//! every URL concurrently, counts the one bits and zero bits of each body
//! with `analyse` (on the blocking pool) and returns the totals.
//!
//! The check hands it an `analyse` that counts and notes the thread it ran
//! on. On the check's single-threaded runtime, tasks are polled on the
//! thread that runs the runtime; `spawn_blocking` runs its closure on a
//! thread of the blocking pool instead. So "was the analysis kept off the
//! runtime?" is a fact the check reads, not a stall it has to provoke (the
//! bodies are far too small for the ticker to notice an inline count).

use crate::shared::judge::{Failed, Swallowed};
use crate::shared::lab::{Lab, Meta, Target, urls};
use crate::shared::{Diagnosis, Verdict, judge};
use reqwest::Client;
use std::sync::Mutex;
use std::thread::ThreadId;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "counts_the_bits_of_every_body",
    "analysis_runs_on_the_blocking_pool",
    "requests_run_concurrently",
    "reports_a_failed_request",
];

/// The analysis `ones_and_zeros` is handed: `count_bits` in a program.
pub type Analysis = fn(&str) -> (u64, u64);

/// Which thread analysed which text: (a hash of the text, the thread).
/// Checks running side by side share it; each takes out its own bodies'.
static ANALYSED: Mutex<Vec<(u64, Analyser)>> = Mutex::new(Vec::new());

/// The thread an analysis ran on, and whether the check's runtime started
/// it. Every thread that runtime starts (its blocking pool's, here: a
/// current-thread runtime has no workers) bears the check thread's name;
/// a thread the learner's code started with `std::thread::spawn` does not.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Analyser {
    thread: ThreadId,
    runtime_thread: bool,
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The check's `analyse`: counts the bits like `count_bits`, and notes the
/// thread it runs on.
fn analyse_noting_the_thread(text: &str) -> (u64, u64) {
    {
        let mut seen = ANALYSED.lock().unwrap_or_else(|e| e.into_inner());
        // Texts of nobody's check (an error page) must not pile up.
        if seen.len() > 10_000 {
            seen.drain(..5_000);
        }
        let current = std::thread::current();
        let runtime_thread = current
            .name()
            .is_some_and(|n| n.starts_with(crate::shared::panics::PREFIX));
        seen.push((
            fnv(text),
            Analyser {
                thread: current.id(),
                runtime_thread,
            },
        ));
    }
    let ones: u64 = text.bytes().map(|b| u64::from(b.count_ones())).sum();
    (ones, 8 * text.len() as u64 - ones)
}

/// The threads that analysed each target's body, taken out of the record.
fn threads(targets: &[Target]) -> Vec<Vec<Analyser>> {
    let mut seen = ANALYSED.lock().unwrap_or_else(|e| e.into_inner());
    targets
        .iter()
        .map(|t| {
            let hash = fnv(&t.body());
            let mine = seen
                .iter()
                .filter(|(h, _)| *h == hash)
                .map(|(_, analyser)| *analyser)
                .collect();
            seen.retain(|(h, _)| *h != hash);
            mine
        })
        .collect()
}

/// The totals, counted here over the bodies the server sent.
fn expected(targets: &[Target]) -> (u64, u64) {
    targets.iter().fold((0, 0), |(ones, zeros), t| {
        let o: u64 = t.body().bytes().map(|b| u64::from(b.count_ones())).sum();
        (ones + o, zeros + 8 * t.bytes as u64 - o)
    })
}

fn judge_totals(lab: &Lab, got: (u64, u64), targets: &[Target], meta: &Meta) -> Verdict {
    let want = expected(targets);
    if got == want {
        return Ok(());
    }
    let (bits, want_bits) = (got.0 + got.1, want.0 + want.1);
    let bytes: u64 = targets.iter().map(|t| t.bytes as u64).sum();
    if bits < want_bits {
        judge::returned_early(lab, meta, targets)?;
    }
    let text = if got == (want.1, want.0) {
        String::from("ones and zeros are swapped: return (ones, zeros).")
    } else if bits == bytes {
        format!(
            "ones + zeros = {bits}, the number of bytes, not bits: count the bits of each byte \
             (`analyse` does)."
        )
    } else if bits < want_bits {
        format!(
            "the totals cover {bits} bits, but the {} bodies hold {want_bits}: some bodies were \
             not counted. Did you `.await` every JoinHandle (and add up every result) before \
             returning?",
            targets.len()
        )
    } else if bits > want_bits {
        format!(
            "the totals cover {bits} bits, but the {} bodies hold only {want_bits}: some bodies \
             were counted twice.",
            targets.len()
        )
    } else {
        format!(
            "the totals ({}, {}) have the right number of bits but not the server's \
             ({}, {}): count the bodies exactly as they came (a hard-coded answer cannot pass: \
             the server invents new bodies in every run).",
            got.0, got.1, want.0, want.1
        )
    };
    Err(Diagnosis::new(format!(
        "{text}{}",
        judge::panic_note(&meta.panics)
    )))
}

fn run(
    ones_and_zeros: impl AsyncFn(&Client, &[String], Analysis) -> anyhow::Result<(u64, u64)>
    + Send
    + 'static,
    lab: &Lab,
    list: Vec<String>,
) -> Result<crate::shared::lab::Ran<anyhow::Result<(u64, u64)>>, Diagnosis> {
    let client = lab.client();
    lab.run_async("ones_and_zeros", move || async move {
        ones_and_zeros(&client, &list, analyse_noting_the_thread).await
    })
}

/// The totals equal the bits of the bodies the server sent.
pub fn counts_the_bits_of_every_body(
    ones_and_zeros: impl AsyncFn(&Client, &[String], Analysis) -> anyhow::Result<(u64, u64)>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(6, 50);
    let ran = run(ones_and_zeros, &lab, urls(&targets));
    threads(&targets);
    let (got, meta) = ran?.ok()?;
    judge_totals(&lab, got, &targets, &meta)
}

/// Every body is analysed by `analyse`, and never on the runtime's thread.
pub fn analysis_runs_on_the_blocking_pool(
    ones_and_zeros: impl AsyncFn(&Client, &[String], Analysis) -> anyhow::Result<(u64, u64)>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(6, 30);
    let ran = run(ones_and_zeros, &lab, urls(&targets));
    let threads = threads(&targets);
    let (_, meta) = ran?.ok()?;
    let n = targets.len();
    let never = threads.iter().filter(|t| t.is_empty()).count();
    let inline = threads
        .iter()
        .filter(|t| t.iter().any(|a| a.thread == meta.thread))
        .count();
    let foreign = threads
        .iter()
        .filter(|t| t.iter().any(|a| !a.runtime_thread))
        .count();
    if inline > 0 {
        return Err(Diagnosis::new(format!(
            "the analysis ran on the runtime's thread for {inline} of the {n} bodies: that \
             thread polls every task of this runtime, so while it counts bits no other request \
             makes progress (a large text would stall them all). Move it into \
             `tokio::task::spawn_blocking(move || analyse(&text))` and `.await` the JoinHandle: \
             the blocking pool has threads of its own for such work.{}",
            judge::panic_note(&meta.panics)
        )));
    }
    if foreign > 0 {
        return Err(Diagnosis::new(format!(
            "the analysis ran on a thread that tokio did not start for {foreign} of the {n} \
             bodies (a `std::thread::spawn` of your own?). One OS thread per body does not \
             scale, and joining it blocks the runtime's thread while it waits. \
             `tokio::task::spawn_blocking(move || analyse(&text))` hands the work to the \
             runtime's blocking pool, which reuses its threads, and its JoinHandle is awaited \
             without blocking.{}",
            judge::panic_note(&meta.panics)
        )));
    }
    if never > 0 {
        judge::returned_early(&lab, &meta, &targets)?;
        return Err(Diagnosis::new(format!(
            "`analyse` was never called for {never} of the {n} bodies: count each body with \
             the `analyse` you are given (`spawn_blocking(move || analyse(&text))`), not with \
             code of your own, so that the check sees where the analysis ran.{}",
            judge::panic_note(&meta.panics)
        )));
    }
    Ok(())
}

/// The requests overlap at the server.
pub fn requests_run_concurrently(
    ones_and_zeros: impl AsyncFn(&Client, &[String], Analysis) -> anyhow::Result<(u64, u64)>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(10, 150);
    let ran = run(ones_and_zeros, &lab, urls(&targets));
    threads(&targets);
    let (got, meta) = ran?.ok()?;
    judge::overlapped(&lab, &meta, &targets)?;
    judge_totals(&lab, got, &targets, &meta)
}

/// A URL that answers `404` makes `ones_and_zeros` return `Err`.
pub fn reports_a_failed_request(
    ones_and_zeros: impl AsyncFn(&Client, &[String], Analysis) -> anyhow::Result<(u64, u64)>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let missing = lab.missing_url();
    let targets = lab.targets(3, 50);
    let mut list = urls(&targets);
    list.insert(2, missing.clone());
    let ran = run(ones_and_zeros, &lab, list);
    threads(&targets);
    let failed = Failed {
        url: &missing,
        status: "404 Not Found",
        index: Some(2),
    };
    let good = expected(&targets);
    judge::reported_failure(
        "ones_and_zeros",
        ran?.ok().map(|(got, _)| got),
        &failed,
        |got: &(u64, u64)| {
            let (bits, good_bits) = (got.0 + got.1, good.0 + good.1);
            if *got == good {
                Swallowed::LeftOut
            } else if bits > good_bits {
                Swallowed::AsBody
            } else {
                Swallowed::Unknown
            }
        },
    )
}
