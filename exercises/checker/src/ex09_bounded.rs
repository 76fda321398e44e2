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

use crate::lab::{Lab, Meta, Target, urls};
use crate::picture;
use crate::{Diagnosis, Verdict, judge};
use mock_server::RequestRecord;
use reqwest::Client;
use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_the_bodies_in_order",
    "never_exceeds_the_limit",
    "uses_the_whole_limit",
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
const EMPTY_SLOTS: Duration = Duration::from_millis(600);

/// See [`own_tasks`].
const SLACK: Duration = Duration::from_millis(25);

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

/// A client that closes each connection once its response is read: the
/// number of connection tasks then follows the requests in flight, and
/// the count of tasks shows the learner's own (`never_exceeds_the_limit`).
fn counting_client() -> Client {
    Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a plain HTTP client builds")
}

/// Polls `future` and, after each poll and every 2 ms, notes how many
/// tasks are alive on this runtime beyond those alive at the start: one
/// sample each time the number changes.
async fn counting_tasks<T>(future: impl Future<Output = T>) -> (T, Vec<(Instant, usize)>) {
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let mut samples: Vec<(Instant, usize)> = Vec::new();
    let mut every = tokio::time::interval(Duration::from_millis(2));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut future = pin!(future);
    let out = std::future::poll_fn(|cx| {
        let polled = future.as_mut().poll(cx);
        // Keep the interval registered, so that we also look between polls.
        while every.poll_tick(cx).is_ready() {}
        let alive = metrics.num_alive_tasks().saturating_sub(before);
        if samples.last().is_none_or(|&(_, last)| last != alive) {
            samples.push((Instant::now(), alive));
        }
        polled
    })
    .await;
    (out, samples)
}

/// The most tasks of the learner's own alive at once. reqwest runs each
/// connection as a task, and the check's client keeps none idle, so each
/// request in flight at the server has one such task, opened just before
/// the request arrives and closed just after its response ends (`SLACK`
/// either side): those are not the learner's. A connection slower to open
/// or close than that counts for a moment, which the margin in [`TASKS`]
/// absorbs.
fn own_tasks(samples: &[(Instant, usize)], records: &[RequestRecord]) -> usize {
    samples
        .iter()
        .map(|&(at, alive)| {
            let in_flight = records
                .iter()
                .filter(|r| r.arrived <= at + SLACK && at < r.end() + SLACK)
                .count();
            alive.saturating_sub(in_flight)
        })
        .max()
        .unwrap_or(0)
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

/// How long two requests must overlap to count as in flight together.
///
/// The server stamps a response's end just after it wrote the last byte;
/// a client that reads that byte and sends its next request at once can
/// arrive a moment before the stamp, if the server's thread was paused in
/// between. A correct run never overlaps for longer than that; a permit
/// given back before the body overlaps for the whole body (100 ms here).
const OVERLAP: Duration = Duration::from_millis(10);

/// The most requests in flight at once, each from its arrival to `end`,
/// minus [`OVERLAP`].
fn peak(records: &[RequestRecord], end: impl Fn(&RequestRecord) -> Instant) -> usize {
    let mut events: Vec<(Instant, i32)> = Vec::new();
    for r in records {
        events.push((r.arrived, 1));
        events.push((
            end(r)
                .checked_sub(OVERLAP)
                .unwrap_or(r.arrived)
                .max(r.arrived),
            -1,
        ));
    }
    // At equal instants the end (-1) sorts before the start (+1).
    events.sort();
    let (mut now, mut most) = (0_i32, 0_i32);
    for (_, step) in events {
        now += step;
        most = most.max(now);
    }
    most as usize
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

/// How long slots stood empty while requests waited to be sent.
#[derive(Debug, PartialEq)]
struct Window {
    /// The longest single wait from the end of one response to the start
    /// of the request that took its slot.
    longest: Duration,
    /// Which response's end (1 = the first to end) began that wait.
    after: usize,
    /// All such waits together: how long, in slot-milliseconds, the
    /// window stood below the limit while requests waited.
    total: Duration,
    /// The requests went out in groups of `limit`, each group only after
    /// every request of the group before it had ended.
    batches: bool,
}

/// The `k`-th response to end frees a slot; the `limit + k`-th request to
/// arrive takes it. The time between the two is how long that slot stood
/// empty (zero if the request came first: the run was above the limit).
fn window(records: &[RequestRecord], limit: usize) -> Window {
    let mut arrivals: Vec<Instant> = records.iter().map(|r| r.arrived).collect();
    let mut ends: Vec<Instant> = records.iter().map(RequestRecord::end).collect();
    arrivals.sort();
    ends.sort();
    let mut out = Window {
        longest: Duration::ZERO,
        after: 0,
        total: Duration::ZERO,
        batches: false,
    };
    for (k, end) in ends.iter().enumerate() {
        let Some(next) = arrivals.get(limit + k) else {
            break;
        };
        let empty = next.saturating_duration_since(*end);
        out.total += empty;
        if empty > out.longest {
            out.longest = empty;
            out.after = k + 1;
        }
    }
    let mut by_arrival: Vec<&RequestRecord> = records.iter().collect();
    by_arrival.sort_by_key(|r| r.arrived);
    let groups: Vec<_> = by_arrival.chunks(limit.max(1)).collect();
    out.batches = groups.len() > 1
        && groups.windows(2).all(|pair| {
            let last_end = pair[0].iter().map(|r| r.end()).max();
            let first_arrival = pair[1].iter().map(|r| r.arrived).min();
            first_arrival >= last_end
        });
    out
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
    if !seen.batches && seen.total <= EMPTY_SLOTS {
        return Ok(());
    }
    let shape = "A full window starts the next request the moment one ends: each bar would \
                 begin where another ends, with no gap.";
    let what = if seen.batches {
        format!(
            "`fetch_all_bounded` ran in batches: it started {LIMIT} requests, waited until all \
             of them had ended, then started the next {LIMIT}. A batch is as slow as its \
             slowest request: after a response ended, its slot stood empty for up to {} ms \
             ({} ms in all) while requests waited. Start the next request as soon as any one \
             ends: `buffer_unordered({LIMIT})` or `buffered({LIMIT})` over all the URLs, or a \
             Semaphore, instead of `chunks({LIMIT})`.",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(t0: Instant, at: u64, delay: u64) -> RequestRecord {
        RequestRecord {
            arrived: t0 + Duration::from_millis(at),
            delay: Duration::from_millis(delay),
            drip: Duration::ZERO,
            path: String::new(),
            status: 200,
            ended: Some(t0 + Duration::from_millis(at + delay)),
            abandoned: None,
        }
    }

    fn delays() -> Vec<u64> {
        (0..ENDS.len())
            .map(|i| ENDS[i] - if i >= LIMIT { ENDS[i - LIMIT] } else { 0 })
            .collect()
    }

    /// A full window over `delays`: each request starts `late` ms after a
    /// slot frees.
    fn full_window(t0: Instant, delays: &[u64], late: u64) -> Vec<RequestRecord> {
        let mut free = [0_u64; LIMIT];
        delays
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                free.sort();
                let at = if i < LIMIT { 0 } else { free[0] + late };
                free[0] = at + d;
                record(t0, at, d)
            })
            .collect()
    }

    #[test]
    fn a_full_window_leaves_no_slot_empty_and_ends_in_url_order() {
        let t0 = Instant::now();
        let records = full_window(t0, &delays(), 0);
        let seen = window(&records, LIMIT);
        assert_eq!(seen.longest, Duration::ZERO, "{seen:?}");
        assert!(!seen.batches);
        let ends: Vec<u64> = records
            .iter()
            .map(|r| r.due().duration_since(t0).as_millis() as u64)
            .collect();
        assert_eq!(ends, ENDS, "the delays give the planned ends");
    }

    #[test]
    fn a_slow_machine_is_not_a_batch() {
        // Every hand-over 80 ms late: slow, but a window all the same.
        let seen = window(&full_window(Instant::now(), &delays(), 80), LIMIT);
        assert!(!seen.batches, "{seen:?}");
        assert_eq!(seen.total, Duration::from_millis(6 * 80), "{seen:?}");
        assert!(seen.total <= EMPTY_SLOTS, "{seen:?}");
    }

    #[test]
    fn the_peak_ignores_a_moment_of_overlap_but_not_a_body() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // Each next request arrives 2 ms before the last one's stamped end.
        let touching: Vec<_> = (0..4).map(|i| record(t0, i * 98, 100)).collect();
        assert_eq!(peak(&touching, RequestRecord::end), 1);
        // Permits given back at the headers (50 ms), bodies of 100 ms more.
        let early: Vec<_> = (0..6)
            .map(|i| {
                let mut r = record(t0, (i / 3) * 50, 50);
                r.drip = ms(100);
                r.ended = Some(r.due() + ms(100));
                r
            })
            .collect();
        assert_eq!(peak(&early, RequestRecord::due), 3);
        assert_eq!(peak(&early, RequestRecord::end), 6);
    }

    #[test]
    fn fixed_batches_leave_slots_empty() {
        let t0 = Instant::now();
        let mut at = 0;
        let mut records = Vec::new();
        for batch in delays().chunks(LIMIT) {
            records.extend(batch.iter().map(|&d| record(t0, at, d)));
            at += batch.iter().max().unwrap();
        }
        let seen = window(&records, LIMIT);
        assert!(seen.batches, "{seen:?}");
        assert_eq!(seen.longest, Duration::from_millis(390), "{seen:?}");
        assert_eq!(seen.total, Duration::from_millis(840), "{seen:?}");
        assert!(seen.total > EMPTY_SLOTS, "{seen:?}");
    }
}
