//! Exercise 9a, the catalogue: every way a learner may bound concurrency
//! passes all four checks; each usual mistake fails with the words that
//! name what it did.
//!
//! The cases run side by side on threads of their own, and so do the
//! checks of one approach (each starts its own delay server): they spend
//! their time waiting, so the catalogue takes about as long as its slowest
//! case.

use crate::{fails_with, fetch, passes};
use checker::{Verdict, ex09_bounded};
use futures::future::try_join_all;
use futures::stream::{self, FuturesUnordered, StreamExt, TryStreamExt};
use reqwest::Client;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// One case of the catalogue: its name (the thread's, in a failure) and
/// what it asserts.
type Case = (&'static str, fn());

/// `cases![a, b]`: each function with its name.
macro_rules! cases {
    ($($case:ident),+ $(,)?) => {
        &[$((stringify!($case), $case as fn())),+]
    };
}
pub(crate) use cases;

/// Runs every case on a thread of its own, all at once, and fails naming
/// the cases that failed (each one's message is printed above). The checks
/// spend their time waiting on their own delay servers, so the whole
/// catalogue takes about as long as its slowest case: the test harness
/// would run them two at a time on a 2-core machine.
pub(crate) fn side_by_side(cases: &[Case]) {
    let failed: Vec<&str> = std::thread::scope(|s| {
        let running: Vec<_> = cases
            .iter()
            .map(|&(name, case)| {
                let thread = std::thread::Builder::new().name(name.to_string());
                (name, thread.spawn_scoped(s, case).expect("a thread starts"))
            })
            .collect();
        running
            .into_iter()
            .filter_map(|(name, handle)| handle.join().is_err().then_some(name))
            .collect()
    });
    assert!(
        failed.is_empty(),
        "these cases failed (see above): {failed:?}"
    );
}

/// The four checks of one approach, side by side.
macro_rules! all_checks {
    ($f:expr) => {{
        std::thread::scope(|s| {
            let order = s.spawn(|| ex09_bounded::returns_the_bodies_in_order($f));
            let limit = s.spawn(|| ex09_bounded::never_exceeds_the_limit($f));
            let whole = s.spawn(|| ex09_bounded::uses_the_whole_limit($f));
            let failed = s.spawn(|| ex09_bounded::reports_a_failed_request($f));
            [order, limit, whole, failed].map(|h| h.join().expect("a check does not panic"))
        })
    }};
}

fn all_pass(verdicts: [Verdict; 4]) {
    for v in verdicts {
        passes(v);
    }
}

// ---- correct approaches ----------------------------------------------------

/// The solution's way: a stream of request futures, `buffered` keeps order.
async fn buffered(client: &Client, urls: &[String], limit: usize) -> anyhow::Result<Vec<String>> {
    stream::iter(urls)
        .map(|u| fetch(client, u))
        .buffered(limit)
        .try_collect()
        .await
}

/// Completion order, then sorted back by index.
async fn buffer_unordered(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let mut pairs: Vec<(usize, String)> = stream::iter(urls.iter().enumerate())
        .map(|(i, u)| async move { fetch(client, u).await.map(|b| (i, b)) })
        .buffer_unordered(limit)
        .try_collect()
        .await?;
    pairs.sort_by_key(|(i, _)| *i);
    Ok(pairs.into_iter().map(|(_, b)| b).collect())
}

/// Chapter 9's way: the permit is taken before each spawn.
async fn semaphore_then_spawn(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let permits = Arc::new(Semaphore::new(limit));
    let mut set = JoinSet::new();
    for (i, url) in urls.iter().enumerate() {
        let permit = Arc::clone(&permits).acquire_owned().await?;
        let (c, u) = (client.clone(), url.clone());
        set.spawn(async move {
            let body = fetch(&c, &u).await;
            drop(permit);
            (i, body)
        });
    }
    let mut out = vec![String::new(); urls.len()];
    while let Some(done) = set.join_next().await {
        let (i, body) = done?;
        out[i] = body?;
    }
    Ok(out)
}

/// A `JoinSet` kept at the limit by hand: one in, one out.
async fn joinset_window(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let mut set = JoinSet::new();
    let mut out = vec![String::new(); urls.len()];
    let mut next = urls.iter().enumerate();
    loop {
        while set.len() < limit {
            let Some((i, u)) = next.next() else { break };
            let (c, u) = (client.clone(), u.clone());
            set.spawn(async move { (i, fetch(&c, &u).await) });
        }
        let Some(done) = set.join_next().await else {
            break;
        };
        let (i, body) = done?;
        out[i] = body?;
    }
    Ok(out)
}

/// `FuturesUnordered` with a window of its own, no tasks at all.
async fn futures_unordered_window(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let mut running = FuturesUnordered::new();
    let mut out = vec![String::new(); urls.len()];
    let mut next = urls.iter().enumerate();
    loop {
        while running.len() < limit {
            let Some((i, u)) = next.next() else { break };
            running.push(async move { (i, fetch(client, u).await) });
        }
        let Some((i, body)) = running.next().await else {
            break;
        };
        out[i] = body?;
    }
    Ok(out)
}

/// `limit` worker tasks, each taking the next URL from a shared queue.
async fn worker_pool(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let queue = Arc::new(Mutex::new(
        urls.iter().cloned().enumerate().collect::<VecDeque<_>>(),
    ));
    let workers = (0..limit).map(|_| {
        let (c, queue) = (client.clone(), Arc::clone(&queue));
        tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                // The lock is released before the await: never held across it.
                let Some((i, u)) = queue.lock().unwrap().pop_front() else {
                    break;
                };
                done.push((i, fetch(&c, &u).await?));
            }
            anyhow::Ok(done)
        })
    });
    let mut out = vec![String::new(); urls.len()];
    for done in try_join_all(workers).await? {
        for (i, body) in done? {
            out[i] = body;
        }
    }
    Ok(out)
}

/// `for_each_concurrent`, each result written to its place.
async fn for_each_concurrent(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let out = Mutex::new((0..urls.len()).map(|_| None).collect::<Vec<_>>());
    stream::iter(urls.iter().enumerate())
        .for_each_concurrent(limit, |(i, u)| {
            let out = &out;
            async move {
                let body = fetch(client, u).await;
                out.lock().unwrap()[i] = Some(body);
            }
        })
        .await;
    out.into_inner()
        .unwrap()
        .into_iter()
        .map(|b| b.expect("every URL was fetched"))
        .collect()
}

/// Tasks spawned lazily, inside the stream: `buffered` pulls (and so
/// spawns) the next one only when a slot is free.
async fn tasks_spawned_inside_the_stream(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut done = stream::iter(urls)
        .map(|u| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move { fetch(&c, &u).await })
        })
        .buffered(limit);
    while let Some(body) = done.next().await {
        out.push(body??);
    }
    Ok(out)
}

fn accepts_buffered() {
    all_pass(all_checks!(buffered));
}

fn accepts_buffer_unordered_sorted_by_index() {
    all_pass(all_checks!(buffer_unordered));
}

fn accepts_a_semaphore_taken_before_each_spawn() {
    all_pass(all_checks!(semaphore_then_spawn));
}

fn accepts_a_joinset_kept_at_the_limit() {
    all_pass(all_checks!(joinset_window));
}

fn accepts_futures_unordered_with_a_window() {
    all_pass(all_checks!(futures_unordered_window));
}

fn accepts_a_pool_of_workers() {
    all_pass(all_checks!(worker_pool));
}

fn accepts_tasks_spawned_inside_the_stream() {
    all_pass(all_checks!(tasks_spawned_inside_the_stream));
}

fn accepts_for_each_concurrent() {
    all_pass(all_checks!(for_each_concurrent));
}

// ---- mistakes ----------------------------------------------------------------

/// Batches of `limit`, each awaited whole before the next starts.
async fn fixed_batches(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for batch in urls.chunks(limit) {
        out.extend(try_join_all(batch.iter().map(|u| fetch(client, u))).await?);
    }
    Ok(out)
}

fn fixed_batches_leave_slots_empty() {
    let message = fails_with(
        ex09_bounded::uses_the_whole_limit(fixed_batches),
        &[
            "ran in batches",
            "waited until all of them had ended",
            "its slot stood empty for up to",
            "Instead of `chunks(3)`, stream all the URLs through `buffer_unordered(3)`",
            "#9 ",
        ],
    );
    // The picture's rows fit 80 columns, in ASCII.
    for line in message.lines().filter(|l| l.starts_with('#')) {
        assert!(line.chars().count() <= 80 && line.is_ascii(), "{line}");
    }
}

/// One task per URL at once, each waiting for a permit inside.
async fn permit_inside_the_task(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let permits = Arc::new(Semaphore::new(limit));
    let handles: Vec<_> = urls
        .iter()
        .map(|u| {
            let (c, u, permits) = (client.clone(), u.clone(), Arc::clone(&permits));
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await?;
                fetch(&c, &u).await
            })
        })
        .collect();
    let mut out = Vec::new();
    for done in futures::future::join_all(handles).await {
        out.push(done??);
    }
    Ok(out)
}

fn a_permit_taken_inside_each_task_leaves_the_tasks_unbounded() {
    fails_with(
        ex09_bounded::never_exceeds_the_limit(permit_inside_the_task),
        &[
            "tasks, one per URL, were alive at once, with a limit of 3",
            "the requests were bounded, the tasks were not",
            "Take the permit before you spawn",
        ],
    );
}

/// One task per URL and nothing to hold them back.
async fn unbounded(client: &Client, urls: &[String], _limit: usize) -> anyhow::Result<Vec<String>> {
    let handles: Vec<_> = urls
        .iter()
        .map(|u| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move { fetch(&c, &u).await })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await??);
    }
    Ok(out)
}

fn unbounded_spawning_exceeds_the_limit() {
    fails_with(
        ex09_bounded::never_exceeds_the_limit(unbounded),
        &[
            "12 requests were in flight at once; the limit was 3",
            "no more than 3 bars would overlap",
            "#12 ",
        ],
    );
}

/// `let _ = ...` drops the permit at once: it bounds nothing.
async fn permit_dropped_at_once(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let permits = Semaphore::new(limit);
    try_join_all(urls.iter().map(|u| {
        let permits = &permits;
        async move {
            let _ = permits.acquire().await?;
            fetch(client, u).await
        }
    }))
    .await
}

/// Every task spawned first, then `buffered` over the handles: a task
/// runs from the moment it is spawned, whoever awaits its handle.
fn tasks_spawned_up_front_then_buffered_run_at_once() {
    fails_with(
        ex09_bounded::never_exceeds_the_limit(async |c: &Client, urls: &[String], limit: usize| {
            let handles: Vec<_> = urls
                .iter()
                .map(|u| {
                    let (c, u) = (c.clone(), u.clone());
                    tokio::spawn(async move { fetch(&c, &u).await })
                })
                .collect();
            let mut out = Vec::new();
            let mut done = stream::iter(handles).buffered(limit);
            while let Some(body) = done.next().await {
                out.push(body??);
            }
            Ok(out)
        }),
        &["requests were in flight at once; the limit was 3"],
    );
}

fn a_permit_bound_to_underscore_bounds_nothing() {
    fails_with(
        ex09_bounded::never_exceeds_the_limit(permit_dropped_at_once),
        &["requests were in flight at once; the limit was 3"],
    );
}

/// The permit bounds only the wait for the headers: it is given back
/// before the body is read.
async fn permit_dropped_before_the_body(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let permits = Semaphore::new(limit);
    try_join_all(urls.iter().map(|u| {
        let permits = &permits;
        async move {
            let response = {
                let _permit = permits.acquire().await?;
                client.get(u).send().await?.error_for_status()?
            };
            anyhow::Ok(response.text().await?)
        }
    }))
    .await
}

fn a_permit_given_back_before_the_body_is_read_exceeds_the_limit() {
    fails_with(
        ex09_bounded::never_exceeds_the_limit(permit_dropped_before_the_body),
        &[
            "requests were in flight at once, counting their bodies; the limit was 3",
            "you gave the permit back when the headers came, before the body was read",
            "~ the body",
        ],
    );
}

fn awaiting_in_the_loop_ignores_the_limit() {
    fails_with(
        ex09_bounded::uses_the_whole_limit(async |c: &Client, urls: &[String], _: usize| {
            let mut out = Vec::new();
            for u in urls {
                out.push(fetch(c, u).await?);
            }
            Ok(out)
        }),
        &["never overlapped, with a limit of 3", "inside the loop"],
    );
}

fn a_smaller_window_does_not_use_the_limit() {
    fails_with(
        ex09_bounded::uses_the_whole_limit(async |c: &Client, urls: &[String], limit: usize| {
            buffered(c, urls, limit - 1).await
        }),
        &["at most 2 requests were in flight at once, with a limit of 3"],
    );
}

fn failed_requests_dropped_from_the_result_are_not_reported() {
    fails_with(
        ex09_bounded::reports_a_failed_request(
            async |c: &Client, urls: &[String], limit: usize| {
                let bodies: Vec<anyhow::Result<String>> = stream::iter(urls)
                    .map(|u| fetch(c, u))
                    .buffered(limit)
                    .collect()
                    .await;
                Ok(bodies.into_iter().filter_map(Result::ok).collect())
            },
        ),
        &[
            "returned Ok with 4 bodies for 5 URLs",
            "the failed request was dropped",
        ],
    );
}

fn an_error_page_is_not_a_body() {
    fails_with(
        ex09_bounded::reports_a_failed_request(
            async |c: &Client, urls: &[String], limit: usize| {
                stream::iter(urls)
                    .map(|u| async move { anyhow::Ok(c.get(u).send().await?.text().await?) })
                    .buffered(limit)
                    .try_collect()
                    .await
            },
        ),
        &[
            "the error page came back as if it were a body",
            "`.error_for_status()?`",
        ],
    );
}

fn completion_order_is_not_the_order_of_the_urls() {
    fails_with(
        ex09_bounded::returns_the_bodies_in_order(
            async |c: &Client, urls: &[String], limit: usize| {
                stream::iter(urls)
                    .map(|u| fetch(c, u))
                    .buffer_unordered(limit)
                    .try_collect()
                    .await
            },
        ),
        &["return the bodies in the order of `urls`"],
    );
}

// ---- the catalogue ----------------------------------------------------------

#[test]
fn every_correct_approach_passes_every_check() {
    side_by_side(cases![
        accepts_buffered,
        accepts_buffer_unordered_sorted_by_index,
        accepts_a_semaphore_taken_before_each_spawn,
        accepts_a_joinset_kept_at_the_limit,
        accepts_futures_unordered_with_a_window,
        accepts_a_pool_of_workers,
        accepts_for_each_concurrent,
        accepts_tasks_spawned_inside_the_stream,
    ]);
}

#[test]
fn every_usual_mistake_fails_with_its_diagnosis() {
    side_by_side(cases![
        fixed_batches_leave_slots_empty,
        a_permit_taken_inside_each_task_leaves_the_tasks_unbounded,
        unbounded_spawning_exceeds_the_limit,
        a_permit_bound_to_underscore_bounds_nothing,
        tasks_spawned_up_front_then_buffered_run_at_once,
        a_permit_given_back_before_the_body_is_read_exceeds_the_limit,
        awaiting_in_the_loop_ignores_the_limit,
        a_smaller_window_does_not_use_the_limit,
        completion_order_is_not_the_order_of_the_urls,
        failed_requests_dropped_from_the_result_are_not_reported,
        an_error_page_is_not_a_body,
    ]);
}
