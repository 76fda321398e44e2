//! Exercise 9a: many requests, at most `limit` at a time.
//!
//! `async fn fetch_all_bounded(client: &reqwest::Client, urls: &[String],
//! limit: usize) -> anyhow::Result<Vec<String>>` fetches every URL with
//! never more than `limit` requests in flight, and returns the bodies in
//! the order of `urls`.
//!
//! What each check looks at:
//!
//! - the bodies and their order, against what the server sent;
//! - the server's record of each request from its arrival to the last byte
//!   of its body (dripped over 100 ms): never more than `limit` in flight,
//!   so a permit given back when the headers come, before the body is
//!   read, shows; and the number of tasks alive on the learner's runtime
//!   (tokio's `num_alive_tasks`): one task per URL spawned at once, each
//!   waiting for a permit inside, bounds the requests but not the tasks,
//!   the mistake chapter 9 warns about;
//! - with delays chosen so that a full window never has a slot empty, the
//!   record of arrivals and ends: a new request must start as soon as one
//!   ends, which fixed batches (`chunks(limit)`, each awaited whole) do not
//!   do.
//!
//! Every failure about concurrency ends with a picture of the run.

mod record;

use crate::shared::lab::{Lab, Meta, Target, urls};
use crate::shared::picture;
use crate::shared::tasks::{counting_client, counting_tasks, own_tasks};
use crate::shared::{Diagnosis, Verdict, judge};
use mock_server::RequestRecord;
use record::{peak, window};
use reqwest::Client;
use std::time::{Duration, Instant};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_the_bodies_in_order",
    "never_exceeds_the_limit",
    "uses_the_whole_limit",
    "reports_a_failed_request",
];

const LIMIT: usize = 3;

/// When each of the URLs of `uses_the_whole_limit` ends, in ms from the
/// start, if the window stays full: URL `i + 3` starts the moment URL `i`
/// ends, so its delay is `ENDS[i + 3] - ENDS[i]`.
///
/// The ends come in the order of the URLs, at least 60 ms apart, so even
/// `buffered(3)`, which frees a slot only once the oldest request is done,
/// never leaves one empty. Each batch of three mixes short and long delays
/// (60, 360 and 450 ms; then 480, 300, 300): fixed batches, which wait for
/// the slowest of each, leave slots empty for up to 390 ms.
const ENDS: [u64; 9] = [60, 360, 450, 540, 660, 750, 840, 930, 990];

/// How long, all slots together, the window may stand below the limit
/// while requests wait, in a correct run, unless it ran in batches (which
/// [`window`] tells by the order of arrivals and ends, whatever the
/// timing). Each of the six hand-overs (a response ends, the next request
/// arrives) takes a millisecond or two on a quiet machine. At a load of 11
/// to 15 on two cores, 70 correct runs left at most 286 ms in all (the
/// first hand-over is the slowest: up to 221 ms). Fixed batches leave
/// 840 ms or more here: a window that stays below its limit by as much as
/// batches do fails even if it never waits for a whole batch.
///
/// Only on a machine that kept time, though (see [`STALLED`]): in a full
/// `cargo test` beside CPU-heavy checks, one correct run left 929 ms, with
/// its runtime stalled for 290 ms and the server 100 ms late. A stalled
/// thread holds up every slot at once; batches are told apart all the same.
const EMPTY_SLOTS: Duration = Duration::from_millis(600);

/// A run in which the learner's runtime or the server was held up this
/// long (the ticker's longest stall; a response sent this late) says
/// nothing about empty slots but whether it ran in batches.
const STALLED: Duration = Duration::from_millis(50);

/// How late the server sent its latest response, beyond its delay: a
/// measure of how busy the machine was during the run.
fn server_lateness(records: &[RequestRecord]) -> Duration {
    records
        .iter()
        .filter(|r| r.drip.is_zero())
        .filter_map(|r| r.ended.map(|end| end.saturating_duration_since(r.due())))
        .max()
        .unwrap_or_default()
}

/// More of the learner's tasks than this alive at once is one task per
/// URL. A correct run has at most one per request in flight (`LIMIT`), or
/// none with a stream. A connection slow to open or close can count as
/// one for a moment (see [`own_tasks`]), at most one per slot, as the
/// client keeps no idle ones: up to 6 were seen beside five busy builds.
/// Two more leave room for tasks that coordinate the others. One task per
/// URL, spawned up front, gives 12.
const TASKS: usize = 2 * LIMIT + 2;

/// What a run returned, and how many tasks were alive at most meanwhile.
struct Run {
    bodies: Vec<String>,
    meta: Meta,
    /// How many tasks were alive, beyond the check's own, and since when.
    tasks: Vec<(Instant, usize)>,
}

fn run(
    fetch_all_bounded: impl AsyncFn(&Client, &[String], usize) -> anyhow::Result<Vec<String>>
    + Send
    + 'static,
    lab: &Lab,
    targets: &[Target],
    client: Client,
) -> Result<Run, Diagnosis> {
    let list = urls(targets);
    let ((bodies, tasks), meta) = lab
        .run_async("fetch_all_bounded", move || async move {
            let (result, tasks) = counting_tasks(fetch_all_bounded(&client, &list, LIMIT)).await;
            result.map(|bodies| (bodies, tasks))
        })?
        .ok()?;
    Ok(Run {
        bodies,
        meta,
        tasks,
    })
}

/// The server's record of each target (the first request for its path),
/// in the order of the targets.
fn records_of(lab: &Lab, targets: &[Target]) -> Vec<Option<RequestRecord>> {
    let records = lab.requests();
    targets
        .iter()
        .map(|t| records.iter().find(|r| r.path == t.path).cloned())
        .collect()
}

/// `target` with its body dripped over `ms`.
fn dripped(target: Target, ms: u64) -> Target {
    Target {
        url: format!("{}&drip={ms}", target.url),
        ..target
    }
}

/// Every body, in the order of `urls`, although they complete out of order.
pub fn returns_the_bodies_in_order(
    fetch_all_bounded: impl AsyncFn(&Client, &[String], usize) -> anyhow::Result<Vec<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets: Vec<_> = [200, 50, 150, 50, 100, 50, 50]
        .iter()
        .enumerate()
        .map(|(i, &ms)| lab.target(ms, i))
        .collect();
    let run = run(fetch_all_bounded, &lab, &targets, lab.client())?;
    judge::bodies_in_order(&run.meta, &run.bodies, &targets)
}

/// Never more than `limit` requests in flight at the server, and never
/// one task per URL waiting for its turn.
pub fn never_exceeds_the_limit(
    fetch_all_bounded: impl AsyncFn(&Client, &[String], usize) -> anyhow::Result<Vec<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    // 50 ms to the headers, then a body that takes 100 ms: a request is in
    // flight until its body is read, and the server counts it so.
    let targets: Vec<Target> = (0..12).map(|i| dripped(lab.target(50, i), 100)).collect();
    let run = run(fetch_all_bounded, &lab, &targets, counting_client())?;
    let records: Vec<RequestRecord> = records_of(&lab, &targets).into_iter().flatten().collect();
    let whole = peak(&records, RequestRecord::end);
    let heads = peak(&records, RequestRecord::due);
    let tasks = own_tasks(&run.tasks, &records);
    let within =
        format!("Within the limit, no more than {LIMIT} bars would overlap at any moment.");
    if whole > LIMIT && heads <= LIMIT {
        return Err(Diagnosis::new(format!(
            "{whole} requests were in flight at once, counting their bodies; the limit was \
             {LIMIT}. No more than {LIMIT} waited for their headers at once: you gave the \
             permit back when the headers came, before the body was read (each body took \
             100 ms more). A request is in flight until its body is read: hold the permit until \
             `.text().await` is done (keep it in a variable, `let _permit = ...`, that lives to \
             the end of the fetch).{}",
            picture::of_run(&lab, &run.meta, &targets, &within)
        )));
    }
    if whole > LIMIT {
        return Err(Diagnosis::new(format!(
            "{whole} requests were in flight at once; the limit was {LIMIT}: use \
             buffer_unordered({LIMIT}) or a Semaphore (spawning one task per URL with nothing \
             to hold them back sends them all at once).{}",
            picture::of_run(&lab, &run.meta, &targets, &within)
        )));
    }
    if tasks > TASKS {
        let n = targets.len();
        let how_many = if tasks >= n {
            format!("{n} tasks, one per URL, were alive at once")
        } else {
            format!("{tasks} tasks were alive at once for {n} URLs")
        };
        return Err(Diagnosis::new(format!(
            "{how_many}, with a limit of {LIMIT}: you spawned them up front, each waiting for \
             its turn (for a permit, say): the requests were bounded, the tasks were not. With 10,000 URLs that is 10,000 tasks, each holding its future's memory \
             (chapter 9). Take the permit before you spawn (`acquire_owned().await`, then move \
             it into the task), so the loop waits and at most {LIMIT} tasks exist; or spawn \
             nothing and use `buffered({LIMIT})`."
        )));
    }
    judge::bodies_in_order(&run.meta, &run.bodies, &targets)
}

/// The targets of `uses_the_whole_limit`: see [`ENDS`].
fn staggered(lab: &Lab) -> Vec<Target> {
    (0..ENDS.len())
        .map(|i| {
            let before = if i >= LIMIT { ENDS[i - LIMIT] } else { 0 };
            lab.target(ENDS[i] - before, i)
        })
        .collect()
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// "1st", "2nd", "3rd", "4th"... "11th", "12th", "13th", "21st".
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Up to `limit` requests run at once, and a new one starts as soon as one
/// ends: the window stays full.
pub fn uses_the_whole_limit(
    fetch_all_bounded: impl AsyncFn(&Client, &[String], usize) -> anyhow::Result<Vec<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = staggered(&lab);
    let n = targets.len();
    // The lab's usual client, which keeps its connections: a request that
    // takes a free slot reuses one instead of opening a new one, so the
    // hand-over is quick also on a loaded machine.
    let run = run(fetch_all_bounded, &lab, &targets, lab.client())?;
    judge::bodies_in_order(&run.meta, &run.bodies, &targets)?;
    let records: Vec<RequestRecord> = records_of(&lab, &targets).into_iter().flatten().collect();
    let peak = peak(&records, RequestRecord::end);
    let side_by_side = "With the limit used, three bars would run side by side from the start.";
    let took = run.meta.took.as_secs_f64();
    if peak <= 1 {
        return Err(Diagnosis::new(format!(
            "{n} requests took {took:.1} s and never overlapped, with a limit of {LIMIT}: they \
             ran one after another. Did you `.await` each request inside the loop? Keep up to \
             {LIMIT} in flight (`buffered({LIMIT})`, `buffer_unordered({LIMIT})` or a Semaphore \
             with {LIMIT} permits).{}",
            picture::of_run(&lab, &run.meta, &targets, side_by_side)
        )));
    }
    if peak < LIMIT {
        return Err(Diagnosis::new(format!(
            "at most {peak} requests were in flight at once, with a limit of {LIMIT}: keep up \
             to {LIMIT} running, not fewer.{}",
            picture::of_run(&lab, &run.meta, &targets, side_by_side)
        )));
    }
    let seen = window(&records, LIMIT);
    let stalled = run.meta.stall.max(server_lateness(&records)) > STALLED;
    if !seen.batches && (seen.total <= EMPTY_SLOTS || stalled) {
        return Ok(());
    }
    let shape = "A full window starts the next request the moment one ends: each bar would \
                 begin where another ends, with no gap.";
    let what = if seen.batches {
        format!(
            "`fetch_all_bounded` ran in batches: it started {LIMIT} requests, waited until all \
             of them had ended, then started the next {LIMIT}. A batch is as slow as its \
             slowest request: after a response ended, its slot stood empty for up to {} ms \
             ({} ms in all) while requests waited. Instead of `chunks({LIMIT})`, stream all the \
             URLs through `buffer_unordered({LIMIT})`, which starts the next request as soon as \
             any one ends (`buffered({LIMIT})`: as soon as the oldest has), or give each request \
             a Semaphore permit.",
            ms(seen.longest),
            ms(seen.total)
        )
    } else {
        format!(
            "after the {} response to end, its slot stood empty for {} ms ({} ms in all) while \
             requests waited: the window of {LIMIT} did not stay full. Start the next request \
             as soon as any one ends (`buffer_unordered({LIMIT})`, or a Semaphore whose permit \
             each request gives back when it is done).",
            ordinal(seen.after),
            ms(seen.longest),
            ms(seen.total)
        )
    };
    let picture = picture::of_run(&lab, &run.meta, &targets, shape);
    Err(Diagnosis::new(format!("{what}{picture}")))
}

/// A URL that answers `404` makes `fetch_all_bounded` return `Err`: the
/// brief asks for every body or the error, not for the bodies that came.
pub fn reports_a_failed_request(
    fetch_all_bounded: impl AsyncFn(&Client, &[String], usize) -> anyhow::Result<Vec<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let missing = lab.missing_url();
    let mut list = urls(&lab.targets(4, 50));
    list.insert(2, missing.clone());
    let n = list.len();
    let client = lab.client();
    let ran = lab.run_async("fetch_all_bounded", move || async move {
        fetch_all_bounded(&client, &list, LIMIT).await
    })?;
    match ran.ok() {
        Err(d)
            if d.message()
                .starts_with("`fetch_all_bounded` returned an error") =>
        {
            Ok(())
        }
        Err(d) => Err(d),
        Ok((bodies, _)) if bodies.len() < n => Err(Diagnosis::new(format!(
            "`fetch_all_bounded` returned Ok with {} bodies for {n} URLs, although the server \
             answered 404 Not Found for the 3rd ({missing}): the failed request was dropped, \
             and nobody can tell which body belongs to which URL. Pass the error on: \
             `try_collect` (or `?` on each result) stops at the first one.",
            bodies.len()
        ))),
        Ok(_) => Err(Diagnosis::new(format!(
            "`fetch_all_bounded` returned Ok with {n} bodies although the server answered 404 \
             Not Found for the 3rd URL ({missing}): the error page came back as if it were a \
             body. To reqwest an error status is still a response: call \
             `.error_for_status()?` on it (as `fetch` does) and pass the error on."
        ))),
    }
}
