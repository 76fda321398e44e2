//! Exercise 9a: many requests, at most `limit` at a time.
//!
//! `async fn fetch_all_bounded(client: &reqwest::Client, urls: &[String],
//! limit: usize) -> anyhow::Result<Vec<String>>` fetches every URL with
//! never more than `limit` requests in flight, and returns the bodies in
//! the order of `urls`.

use crate::lab::{Lab, Meta, Target, urls};
use crate::{Diagnosis, Verdict, judge};
use reqwest::Client;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_the_bodies_in_order",
    "never_exceeds_the_limit",
    "uses_the_whole_limit",
];

const LIMIT: usize = 3;

fn run(
    fetch_all_bounded: impl AsyncFn(&Client, &[String], usize) -> anyhow::Result<Vec<String>>
    + Send
    + 'static,
    lab: &Lab,
    targets: &[Target],
) -> Result<(Vec<String>, Meta), Diagnosis> {
    let (client, list) = (lab.client(), urls(targets));
    lab.run_async("fetch_all_bounded", move || async move {
        fetch_all_bounded(&client, &list, LIMIT).await
    })?
    .ok()
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
    let (bodies, meta) = run(fetch_all_bounded, &lab, &targets)?;
    judge::bodies_in_order(&meta, &bodies, &targets)
}

/// Never more than `limit` requests in flight at the server.
pub fn never_exceeds_the_limit(
    fetch_all_bounded: impl AsyncFn(&Client, &[String], usize) -> anyhow::Result<Vec<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(12, 100);
    let (bodies, meta) = run(fetch_all_bounded, &lab, &targets)?;
    let peak = lab.peak_in_flight();
    if peak > LIMIT {
        return Err(Diagnosis::new(format!(
            "{peak} requests were in flight at once; the limit was {LIMIT}: use \
             buffer_unordered({LIMIT}) or a Semaphore (spawning one task per URL with nothing \
             to hold them back sends them all at once)."
        )));
    }
    judge::bodies_in_order(&meta, &bodies, &targets)
}

/// Up to `limit` requests run at once: the bound is not a queue of one.
pub fn uses_the_whole_limit(
    fetch_all_bounded: impl AsyncFn(&Client, &[String], usize) -> anyhow::Result<Vec<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(12, 100);
    let (bodies, meta) = run(fetch_all_bounded, &lab, &targets)?;
    judge::bodies_in_order(&meta, &bodies, &targets)?;
    let peak = lab.peak_in_flight();
    if peak >= LIMIT {
        return Ok(());
    }
    let took = meta.took.as_secs_f64();
    Err(Diagnosis::new(if peak <= 1 {
        format!(
            "12 requests of 100 ms took {took:.1} s and never overlapped, with a limit of \
             {LIMIT}: they ran one after another. Did you `.await` each request inside the \
             loop? Keep up to {LIMIT} in flight (`buffered({LIMIT})`, `buffer_unordered({LIMIT})` \
             or a Semaphore with {LIMIT} permits)."
        )
    } else {
        format!(
            "at most {peak} requests were in flight at once, with a limit of {LIMIT}: keep up \
             to {LIMIT} running, not fewer."
        )
    }))
}
