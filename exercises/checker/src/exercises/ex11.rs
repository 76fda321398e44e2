//! Exercise 11: a cache actor.
//!
//! `spawn_cache(capacity, origin) -> Cache` starts a task (the actor) that
//! owns a cache of the origin's answers and takes requests from a bounded
//! `mpsc` queue of `capacity`; `Cache::send(&self, key) -> Ticket` puts a
//! request in the queue (waiting while it is full), and `Ticket::answer`
//! waits for the reply, which comes through a `oneshot` channel of the
//! request's own. The actor answers one request at a time.
//!
//! The check hands the cache an origin of its own, which records every
//! call (the key, and the task that made it) and answers after a delay the
//! check chooses, or only when the check opens a gate:
//!
//! - every caller, ten at once, gets the origin's answer for its own key,
//!   though they await their answers in another order than they sent;
//! - with the origin held shut, the check counts how far the callers'
//!   completed sends run ahead of the origin's calls: a request taken by
//!   the actor leads to a call at once, so the difference is what waits in
//!   the queue, and it must never pass `capacity`. An unbounded queue takes
//!   all ten at once;
//! - a key asked for again is not fetched again (the actor keeps its
//!   state);
//! - an error of the origin reaches the caller who asked, and the actor
//!   goes on serving the next requests.
//!
//! All the origin's calls must come from one task: no actor (a cache
//! behind a lock that `send` works on itself) calls it from the caller's
//! own future, a task per request from many tasks.

mod probe;
mod verdicts;

use crate::shared::lab::{Lab, Meta};
use crate::shared::{Diagnosis, Verdict};
use futures::future::{BoxFuture, join, join_all};
use probe::{Outcome, Probe, Sends, caller, origin};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use verdicts::{answers_are_right, one_actor, panic_note};

/// What the cache asks on a miss: the exercise's `Origin`.
pub type Origin = Box<dyn Fn(String) -> BoxFuture<'static, anyhow::Result<String>> + Send + Sync>;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "answers_every_caller",
    "keeps_the_queue_bounded",
    "remembers_what_it_fetched",
    "an_error_reaches_its_caller_only",
];

/// The capacity the checks give `spawn_cache`.
const CAPACITY: usize = 3;

/// How long the check lets the actor run between two openings of the gate.
const STEP: Duration = Duration::from_millis(5);

/// A key's delay at the origin: 4 to 13 ms, different from key to key.
fn varied(key: &str) -> Duration {
    let sum: u64 = key.bytes().map(u64::from).sum();
    Duration::from_millis(4 + sum % 10)
}

/// What the callers got, in the order of the keys.
struct Asked {
    outcomes: Vec<Outcome>,
    /// The most sends that had completed beyond the origin's calls.
    most_ahead: usize,
    meta: Meta,
}

/// Runs `rounds` of callers against a fresh cache: the callers of a round
/// at once (each with its key and the pause before it awaits its answer),
/// one round after the other. With `gate`, the origin answers one call
/// each [`STEP`], and then, once the callers are done or the steps run
/// out, all of them.
fn ask<C: 'static, T: 'static>(
    lab: &Lab,
    spawn: impl FnOnce(usize, Origin) -> C + Send + 'static,
    send: impl AsyncFn(&C, String) -> anyhow::Result<T> + Send + 'static,
    answer: impl AsyncFn(T) -> anyhow::Result<String> + Send + 'static,
    probe: &Arc<Probe>,
    rounds: Vec<Vec<(String, Duration)>>,
    gate: Option<Arc<Semaphore>>,
) -> Result<Asked, Diagnosis> {
    let probe = Arc::clone(probe);
    let ran = lab.run_async("spawn_cache", move || async move {
        let cache = spawn(CAPACITY, origin(&probe));
        let sends = Rc::new(Sends::default());
        let total: usize = rounds.iter().map(Vec::len).sum();
        let callers = async {
            let mut outcomes = Vec::new();
            for round in rounds {
                let round = round
                    .into_iter()
                    .map(|(key, pause)| caller(&send, &answer, &cache, key, pause, &probe, &sends));
                outcomes.extend(join_all(round).await);
            }
            outcomes
        };
        let driver = async {
            let Some(gate) = &gate else { return };
            for _ in 0..3 * total {
                tokio::time::sleep(STEP).await;
                if sends.finished.get() == total {
                    return;
                }
                gate.add_permits(1);
            }
            gate.add_permits(total);
        };
        let (outcomes, ()) = join(callers, driver).await;
        (outcomes, sends.most_ahead.get())
    })?;
    let (outcomes, most_ahead) = ran.value;
    Ok(Asked {
        outcomes,
        most_ahead,
        meta: ran.meta,
    })
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

fn run_name(lab: &Lab) -> String {
    format!("run {:08x}", lab.random() & 0xffff_ffff)
}

/// Ten callers at once, each with a key of its own, awaiting their answers
/// in the reverse order of sending: each gets the origin's answer for its
/// key, from the one actor.
pub fn answers_every_caller<C: 'static, T: 'static>(
    spawn: impl FnOnce(usize, Origin) -> C + Send + 'static,
    send: impl AsyncFn(&C, String) -> anyhow::Result<T> + Send + 'static,
    answer: impl AsyncFn(T) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let probe = Arc::new(Probe::new(run_name(&lab), varied));
    let keys = keys("page", 10);
    let n = keys.len();
    let round = (0..n)
        .map(|i| (keys[i].clone(), Duration::from_millis(4 * (n - i) as u64)))
        .collect();
    let asked = ask(&lab, spawn, send, answer, &probe, vec![round], None)?;
    answers_are_right(&probe, &keys, &asked.outcomes, &asked.meta, None)?;
    one_actor(&probe)
}

/// With the origin held shut, ten callers at once: the sends that have
/// completed never run more than `capacity` ahead of the requests the
/// actor has taken (each taken request is a call of the origin).
pub fn keeps_the_queue_bounded<C: 'static, T: 'static>(
    spawn: impl FnOnce(usize, Origin) -> C + Send + 'static,
    send: impl AsyncFn(&C, String) -> anyhow::Result<T> + Send + 'static,
    answer: impl AsyncFn(T) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let gate = Arc::new(Semaphore::new(0));
    let probe = Arc::new(Probe::new(run_name(&lab), varied).gated(Arc::clone(&gate)));
    let keys = keys("item", 10);
    let n = keys.len();
    let round = keys.iter().map(|k| (k.clone(), Duration::ZERO)).collect();
    let asked = ask(&lab, spawn, send, answer, &probe, vec![round], Some(gate))?;
    answers_are_right(&probe, &keys, &asked.outcomes, &asked.meta, None)?;
    one_actor(&probe)?;
    if probe.peak() > 1 {
        return Err(Diagnosis::new(format!(
            "the actor worked on {} requests at once (`for_each_concurrent`? a `select!` \
             over several fetches?): it takes the next request before it has answered the \
             last, so its queue never fills and never holds a caller back. Handle one \
             request at a time: take it, answer it, then take the next.",
            probe.peak()
        )));
    }
    let queued = asked.most_ahead;
    if queued + 1 >= n {
        return Err(Diagnosis::new(format!(
            "all {n} sends returned at once while the actor was still waiting for its first \
             answer from the origin: the producer never waited, and {queued} requests sat in \
             the queue, with a capacity of {CAPACITY}. The queue is unbounded \
             (`mpsc::unbounded_channel()`?) or bigger than the capacity `spawn_cache` was \
             given. With `mpsc::channel(capacity)`, `send(...).await` waits while the queue \
             is full: that wait is the backpressure."
        )));
    }
    if queued > CAPACITY {
        return Err(Diagnosis::new(format!(
            "up to {queued} requests waited in the queue at once, with a capacity of \
             {CAPACITY}: make the channel with `mpsc::channel(capacity)`, the capacity \
             `spawn_cache` is given (or a smaller one), so that `send` waits once it is \
             full."
        )));
    }
    Ok(())
}

/// Three keys, each asked for twice at once, then once more: the origin
/// is asked for each key only once.
pub fn remembers_what_it_fetched<C: 'static, T: 'static>(
    spawn: impl FnOnce(usize, Origin) -> C + Send + 'static,
    send: impl AsyncFn(&C, String) -> anyhow::Result<T> + Send + 'static,
    answer: impl AsyncFn(T) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let probe = Arc::new(Probe::new(run_name(&lab), varied));
    let three = keys("user", 3);
    let first: Vec<String> = three.iter().chain(&three).cloned().collect();
    let again: Vec<String> = three.iter().rev().cloned().collect();
    let all: Vec<String> = first.iter().chain(&again).cloned().collect();
    let pause = |i: usize| Duration::from_millis(2 * i as u64);
    let rounds = vec![
        first
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), pause(i)))
            .collect(),
        again
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), pause(i)))
            .collect(),
    ];
    let asked = ask(&lab, spawn, send, answer, &probe, rounds, None)?;
    answers_are_right(&probe, &all, &asked.outcomes, &asked.meta, None)?;
    one_actor(&probe)?;
    for key in &three {
        let calls = probe.calls_of(key);
        if calls > 1 {
            return Err(Diagnosis::new(format!(
                "the origin was asked for {key} {calls} times for 3 requests, the last ones \
                 after the first answer had come: the cache forgot what it had fetched. State \
                 made inside the actor's loop (a `HashMap::new()` per message) is lost at the \
                 end of each turn: make it once, before the loop (or as a field of the actor), \
                 and keep each answer in it."
            )));
        }
    }
    Ok(())
}

/// The origin fails for one key: that caller gets the origin's error, and
/// the actor answers the requests that come after it.
pub fn an_error_reaches_its_caller_only<C: 'static, T: 'static>(
    spawn: impl FnOnce(usize, Origin) -> C + Send + 'static,
    send: impl AsyncFn(&C, String) -> anyhow::Result<T> + Send + 'static,
    answer: impl AsyncFn(T) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let bad = String::from("missing-1");
    let probe = Arc::new(Probe::new(run_name(&lab), varied).failing(&bad));
    let after = keys("after", 2);
    let all: Vec<String> = std::iter::once(bad.clone()).chain(after.clone()).collect();
    let rounds = vec![
        vec![(bad.clone(), Duration::ZERO)],
        after.iter().map(|k| (k.clone(), Duration::ZERO)).collect(),
    ];
    let asked = ask(&lab, spawn, send, answer, &probe, rounds, None)?;
    let note = panic_note(&asked.meta);
    let error = probe.error(&bad);
    let later_failed = asked.outcomes[1..]
        .iter()
        .any(|o| !matches!(o, Outcome::Answer(_)));
    match &asked.outcomes[0] {
        Outcome::AnswerFailed(e) if e.contains(&error) => {}
        Outcome::AnswerFailed(e) | Outcome::SendFailed(e) if later_failed => {
            return Err(Diagnosis::new(format!(
                "the origin's error for {bad} ended the actor: its caller got \"{e}\" instead \
                 of the origin's error, and the requests after it found no actor. A `?` in \
                 the actor's loop (or an `unwrap`) ends its task at the first error. Send the \
                 error to the caller who asked (`let _ = reply.send(result);`, the reply \
                 carrying an `anyhow::Result<String>`) and go on with the next request.{note}"
            )));
        }
        Outcome::AnswerFailed(e) => {
            return Err(Diagnosis::new(format!(
                "the caller of {bad} got the error \"{e}\", not the origin's (\"{error}\"): \
                 send the origin's own error back through the reply.{note}"
            )));
        }
        Outcome::Answer(body) => {
            return Err(Diagnosis::new(format!(
                "the caller of {bad} got Ok({body:?}), although the origin failed for it: \
                 send the origin's error back to the caller, the reply carrying an \
                 `anyhow::Result<String>`."
            )));
        }
        Outcome::SendFailed(_) | Outcome::NoAnswer => {}
    }
    answers_are_right(&probe, &all, &asked.outcomes, &asked.meta, Some(&bad))?;
    one_actor(&probe)
}
