//! Exercise 10: shared state.
//!
//! `async fn fetch_sizes(client: &reqwest::Client, urls: &[String]) ->
//! anyhow::Result<HashMap<String, usize>>` fetches every URL at once, one
//! task each, and returns each URL with the size of its body in bytes,
//! recorded by the tasks in a map they share. The starter holds tokio's
//! `Mutex` across each request.
//!
//! What each check looks at:
//!
//! - the map, against the sizes the server sent, with answers that come
//!   back in the reverse order of the URLs: a size missing although every
//!   answer came before the function returned is a lost update, and the
//!   record tells which mechanism lost it (a read-modify-write split
//!   across the `.await` keeps the update of the task that wrote last;
//!   updates made on copies of the map leave the returned one empty),
//!   unlike tasks that had not finished when the function returned (their
//!   answers, or their requests, came after it);
//! - the server's record of arrivals: all requests in flight at once. When
//!   they went one at a time while the tasks were alive together (the
//!   count of tasks on the learner's runtime), the lock was held across
//!   the request; a runtime stalled meanwhile, a blocking lock or sleep.
//!
//! The map's type lets no atomic stand for it: every approach locks a map,
//! or shares nothing and merges the tasks' results at the end (a
//! `JoinSet`, `join_all`, a channel). All of them pass.

use crate::shared::judge::{self, Failed, Swallowed};
use crate::shared::lab::{Lab, Meta, Target, urls};
use crate::shared::tasks::{counting_client, counting_tasks, own_tasks};
use crate::shared::{Diagnosis, Verdict, picture};
use mock_server::RequestRecord;
use reqwest::Client;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "records_every_size",
    "requests_overlap_while_sharing",
    "reports_a_failed_request",
];

/// What the learner's function returns.
pub type Sizes = HashMap<String, usize>;

/// The call, for messages.
const CALL: &str = "fetch_sizes";

/// When the number of tasks alive changed, and to what.
type TaskSamples = Vec<(Instant, usize)>;

/// Runs the learner's function on the lab's URLs; the map, how the run
/// went, and the samples of how many tasks were alive on its runtime
/// (beyond the check's own), reqwest's connection tasks included: see
/// [`own_tasks`], which takes those out. The client closes each
/// connection after its response, so that no idle connection's task
/// counts as the learner's.
fn run(
    fetch_sizes: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Sizes> + Send + 'static,
    lab: &Lab,
    list: Vec<String>,
) -> Result<(Sizes, Meta, TaskSamples), Diagnosis> {
    let client = counting_client();
    let ran = lab.run_async(CALL, move || async move {
        let (result, samples) = counting_tasks(fetch_sizes(&client, &list)).await;
        result.map(|sizes| (sizes, samples))
    });
    let ran = ran.map_err(with_lock_hint)?;
    let ((sizes, samples), meta) = ran.ok()?;
    Ok((sizes, meta, samples))
}

/// A runtime blocked for good, in this exercise, is most often a std
/// guard held across an `.await` without `tokio::spawn` (which would have
/// refused it): say so first.
fn with_lock_hint(d: Diagnosis) -> Diagnosis {
    if !d.message().contains("stayed blocked the whole time") {
        return d;
    }
    Diagnosis::new(
        "the runtime's thread blocked for good. With shared state, the usual cause is a \
         `std::sync::MutexGuard` (or RwLock guard) alive across an `.await` in futures that \
         are not spawned (`join_all`, say, where nothing checks `Send`): while the first \
         waits for its answer holding the guard, the next one calls `lock()`, which blocks \
         the thread, and the first can never run again to let go. Or a request awaited with \
         `block_on` under the lock, which parks the thread that should drive it. Lock after \
         the `.await`, in a block of its own.",
    )
    .push(d.message())
}

/// The server's record of each target (the first request for its path).
fn records_of(lab: &Lab, targets: &[Target]) -> Vec<Option<RequestRecord>> {
    let records = lab.requests();
    targets
        .iter()
        .map(|t| records.iter().find(|r| r.path == t.path).cloned())
        .collect()
}

/// Every URL's size is in the map, though the answers come in the reverse
/// order of the URLs, quickly one after another.
pub fn records_every_size(
    fetch_sizes: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Sizes> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    // 40 to 215 ms: the first URL answers last. Every task has sent its
    // request long before the first answer comes.
    let targets: Vec<Target> = (0..8).map(|i| lab.target(40 + 25 * (7 - i), i)).collect();
    let (sizes, meta, _) = run(fetch_sizes, &lab, urls(&targets))?;
    sizes_match(&lab, &meta, &sizes, &targets)
}

/// `sizes` holds exactly the size of every target; if not, what lost them.
fn sizes_match(lab: &Lab, meta: &Meta, sizes: &Sizes, targets: &[Target]) -> Verdict {
    let n = targets.len();
    let missing: Vec<&Target> = targets
        .iter()
        .filter(|t| !sizes.contains_key(&t.url))
        .collect();
    if !missing.is_empty() {
        return Err(lost(lab, meta, sizes, targets, &missing));
    }
    for (i, t) in targets.iter().enumerate() {
        let got = sizes[&t.url];
        if got != t.bytes {
            return Err(Diagnosis::new(format!(
                "the size recorded for {} URL is {got}, but the server sent {} bytes: record \
                 the length of each body as it came (`text.len()`, the bytes of a `String`, \
                 or `bytes().await?.len()`).",
                judge::nth(i),
                t.bytes
            )));
        }
    }
    if sizes.len() > n {
        let extra = sizes
            .keys()
            .find(|k| !targets.iter().any(|t| &t.url == *k))
            .cloned()
            .unwrap_or_default();
        return Err(Diagnosis::new(format!(
            "`{CALL}` returned {} entries for {n} URLs, among them {extra:?}: key the map by \
             each URL exactly as given, one entry per URL.",
            sizes.len()
        )));
    }
    Ok(())
}

/// Why sizes are missing: the function returned before its tasks were
/// done, or their updates were lost, and how.
fn lost(
    lab: &Lab,
    meta: &Meta,
    sizes: &Sizes,
    targets: &[Target],
    missing: &[&Target],
) -> Diagnosis {
    let n = targets.len();
    if let Err(d) = judge::returned_early(lab, meta, targets) {
        return d;
    }
    let records = records_of(lab, targets);
    let seen = records.iter().flatten().count();
    // Returned sooner than any URL answers: no task could have recorded
    // anything. (On a busy machine the tasks may not even have sent their
    // requests by then.)
    let quickest = targets.iter().map(|t| t.delay).min().unwrap_or_default();
    if meta.took < quickest {
        return Diagnosis::new(format!(
            "`{CALL}` returned after {} ms, before even the quickest of its URLs could answer \
             ({} ms), with {} of the {n} sizes missing: it did not wait for the tasks it \
             spawned. A spawned task runs on its own, and returning does not wait for it. Keep \
             every JoinHandle and `.await` all of them (or drain a JoinSet) before you take \
             the map out.{}",
            meta.took.as_millis(),
            quickest.as_millis(),
            missing.len(),
            judge::panic_note(&meta.panics)
        ));
    }
    // Answers due only after the function had returned: their tasks could
    // not have recorded them in time. (Due, not ended: the server stamps
    // the end of a response a moment after the client may have read it.)
    let returned = meta.returned();
    let unanswered = records
        .iter()
        .flatten()
        .filter(|r| r.due() > returned)
        .count();
    if unanswered > 0 {
        return Diagnosis::new(format!(
            "`{CALL}` returned while {unanswered} of its {n} requests were still waiting for \
             their answers, so their sizes were not in the map yet: it read the map before \
             every task was done. Keep each JoinHandle and `.await` all of them (or drain a \
             JoinSet) before you take the map out.{}",
            judge::panic_note(&meta.panics)
        ));
    }
    if seen < n {
        return Diagnosis::new(format!(
            "the delay server saw only {seen} of the {n} requests while `{CALL}` ran, and {} \
             of the sizes are missing: some URLs got no request, or their tasks had not sent \
             it yet when `{CALL}` returned. Send one request per URL, and keep every \
             JoinHandle and `.await` it before you return.{}",
            missing.len(),
            judge::panic_note(&meta.panics)
        ));
    }
    let kept = n - missing.len();
    if sizes.is_empty() {
        return Diagnosis::new(format!(
            "every one of the {n} requests was answered before `{CALL}` returned, yet the map it \
             returned is empty: the tasks recorded their sizes somewhere else. Did each task \
             get a copy of the map (`Arc::new(Mutex::new(map.clone()))`, or a clone of the \
             `HashMap` moved into the task) instead of a clone of one shared `Arc`? Create the \
             `Arc<Mutex<HashMap<..>>>` once, give each task `Arc::clone(&shared)`, and return \
             what is inside it once every task is done.{}",
            judge::panic_note(&meta.panics)
        ));
    }
    // The target whose answer came last: the one a read-modify-write
    // split across the `.await` keeps, as every task read the map while it
    // was still empty and the last to write back overwrote all the others.
    let last = records
        .iter()
        .zip(targets)
        .filter_map(|(r, t)| r.as_ref().map(|r| (r.due(), t)))
        .max_by_key(|(due, _)| *due)
        .map(|(_, t)| t);
    if kept == 1 && last.is_some_and(|t| sizes.contains_key(&t.url)) {
        return Diagnosis::new(format!(
            "updates were lost: the map holds 1 of the {n} sizes, the one of the URL that \
             answered last, though every request was answered before `{CALL}` returned. Each task read \
             the map (or took a copy of it) before its request, while it was still empty, and \
             wrote it back after the `.await` with its own size added, overwriting what the \
             others had written meanwhile: the last writer wins. A lock makes one access safe, \
             not a read, an `.await` and a write: fetch first, then lock once and insert under \
             that one guard."
        ));
    }
    Diagnosis::new(format!(
        "updates were lost: the map holds {kept} of the {n} sizes, though every request was \
         answered before `{CALL}` returned. A task that reads the map, awaits, and writes back \
         what it read overwrites the updates made meanwhile; a task that updates a copy \
         updates nothing shared. Fetch first, then lock the one shared map and insert under \
         one guard.{}",
        judge::panic_note(&meta.panics)
    ))
}

/// The requests overlap at the server, while the tasks share the map.
pub fn requests_overlap_while_sharing(
    fetch_sizes: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Sizes> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(8, DELAY_MS);
    let n = targets.len();
    let (sizes, meta, samples) = run(fetch_sizes, &lab, urls(&targets))?;
    let records: Vec<RequestRecord> = records_of(&lab, &targets).into_iter().flatten().collect();
    // The learner's own tasks: the connection task of each request in
    // flight is reqwest's.
    let tasks = own_tasks(&samples, &records);
    if records.len() < n {
        // Requests missing: returned early, or never sent.
        judge::overlapped(&lab, &meta, &targets)?;
    }
    let peak = peak_waiting(&records);
    let delay = Duration::from_millis(DELAY_MS);
    let took = meta.took.as_secs_f64();
    // Longer than the requests take, however they were ordered, by more
    // than a busy machine holds a run up: the code blocked the thread.
    let blocked = |requests_take: Duration| meta.took > requests_take + BLOCKED;
    let shape = "Shared briefly, the bars would lie one above the other, starting together.";
    if peak <= 1 {
        let what = if tasks >= n / 2 + 2 {
            format!(
                "the lock was held across the request: your {n} requests ran one at a time \
                 ({took:.1} s for requests of {DELAY_MS} ms), although up to {tasks} tasks were \
                 alive at once. Each task locked the map, then awaited its request with the \
                 guard alive, and every other task waited for the lock meanwhile. tokio's \
                 Mutex lets a guard cross an `.await`, and that is what it costs. Fetch first, \
                 with no lock held; then lock for the insert only (std's Mutex, in a block \
                 that ends the guard)."
            )
        } else {
            format!(
                "your {n} requests ran one at a time ({took:.1} s for requests of {DELAY_MS} \
                 ms), and no tasks of yours waited meanwhile: each request was awaited before \
                 the next one started (an `.await` inside the loop?), or futures polled \
                 together (`join_all`) shared a lock held across the request. Spawn one task \
                 per URL, fetch with no lock held, and lock for the insert only."
            )
        };
        let note = if blocked(delay * n as u32) {
            format!(
                " Meanwhile {}: a task that blocks its thread under the lock holds up every \
                 task.",
                crate::shared::explain::stalled(CALL, meta.stall)
            )
        } else {
            String::new()
        };
        return Err(Diagnosis::new(format!(
            "{what}{note}{}",
            picture::of_run(&lab, &meta, &targets, shape)
        )));
    }
    if blocked(delay) {
        let how_many = if peak == n {
            format!("all {n}")
        } else {
            format!("{peak} of your {n}")
        };
        return Err(Diagnosis::new(format!(
            "{how_many} requests were in flight at once, but `{CALL}` took {took:.1} s where \
             the requests take {DELAY_MS} ms: {}. A task that blocks its thread while holding \
             a lock (`std::thread::sleep`, `block_on`, a long computation) holds up every \
             task, those waiting for the lock and the others. Hold a lock only for the \
             update, and wait with `.await`.{}",
            crate::shared::explain::stalled(CALL, meta.stall),
            picture::of_run(&lab, &meta, &targets, shape)
        )));
    }
    // Not all at once, on a runtime that kept time: in rounds. (A runtime
    // the machine held up while the requests went out can spread them.)
    if peak < n && meta.stall < STALLED {
        return Err(Diagnosis::new(format!(
            "at most {peak} of your {n} requests were in flight at once: start every request \
             before you await any (spawn a task per URL), and hold no lock while a request \
             runs.{}",
            picture::of_run(&lab, &meta, &targets, shape)
        )));
    }
    sizes_match(&lab, &meta, &sizes, &targets)
}

/// Each request's delay in [`requests_overlap_while_sharing`].
const DELAY_MS: u64 = 80;

/// How much longer than its requests a run may take before the check
/// says the code blocked its thread. A correct run stalled by a busy
/// machine was seen taking 0.9 s for requests of 80 ms (at a load of 21 on
/// two cores, beside the checker's other cases); sleeping 300 ms under a
/// std lock in each of 8 tasks takes 2.4 s.
const BLOCKED: Duration = Duration::from_millis(1200);

/// A run whose runtime was held up this long (the ticker's longest stall)
/// may have had its requests spread out by the machine, not the code.
const STALLED: Duration = Duration::from_millis(50);

/// The most requests that waited for their answers at once: each from its
/// arrival to the moment its answer was due. A request sent after the one
/// before it was answered arrives after that one was due, however late the
/// server stamps the end of writing it.
fn peak_waiting(records: &[RequestRecord]) -> usize {
    let mut events: Vec<(Instant, i32)> = Vec::new();
    for r in records {
        events.push((r.arrived, 1));
        events.push((r.due(), -1));
    }
    // At equal instants an end (-1) sorts before a start (+1).
    events.sort();
    let (mut now, mut peak) = (0_i32, 0_i32);
    for (_, step) in events {
        now += step;
        peak = peak.max(now);
    }
    peak as usize
}

/// A URL that answers `404` makes `fetch_sizes` return `Err`.
pub fn reports_a_failed_request(
    fetch_sizes: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Sizes> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let missing = lab.missing_url();
    let mut list = urls(&lab.targets(3, 50));
    list.insert(1, missing.clone());
    let result = run(fetch_sizes, &lab, list).map(|(sizes, _, _)| sizes);
    let failed = Failed {
        url: &missing,
        status: "404 Not Found",
        index: Some(1),
    };
    judge::reported_failure(CALL, result, &failed, |sizes: &Sizes| {
        match sizes.get(&missing) {
            None => Swallowed::LeftOut,
            Some(0) => Swallowed::AsDefault,
            Some(_) => Swallowed::AsBody,
        }
    })
}
