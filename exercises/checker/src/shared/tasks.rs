//! Counting the tasks alive on the learner's runtime while a bounded run
//! goes: one task per URL, each waiting for a permit, is the mistake
//! chapter 9 warns about.

use mock_server::RequestRecord;
use reqwest::Client;
use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

/// See [`own_tasks`].
const SLACK: Duration = Duration::from_millis(25);

/// A client that closes each connection once its response is read: the
/// number of connection tasks then follows the requests in flight, and
/// the count of tasks shows the learner's own (`never_exceeds_the_limit`).
pub(crate) fn counting_client() -> Client {
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
pub(crate) async fn counting_tasks<T>(
    future: impl Future<Output = T>,
) -> (T, Vec<(Instant, usize)>) {
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
pub(crate) fn own_tasks(samples: &[(Instant, usize)], records: &[RequestRecord]) -> usize {
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
