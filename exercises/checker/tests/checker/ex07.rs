//! Exercise 7, `ones_and_zeros(client, urls, analyse)`: fetch concurrently,
//! analyse on the blocking pool, add up.

use crate::{fails_with, fetch, passes};
use checker::ex07::{self, Analysis};
use futures::future::{join_all, try_join_all};
use futures::stream::{self, FuturesUnordered, StreamExt, TryStreamExt};
use reqwest::Client;
use std::sync::{Arc, Mutex};

/// Fetches one URL and analyses it on the blocking pool: the part every
/// correct approach shares.
async fn fetch_and_count(c: &Client, url: &str, analyse: Analysis) -> anyhow::Result<(u64, u64)> {
    let text = fetch(c, url).await?;
    Ok(tokio::task::spawn_blocking(move || analyse(&text)).await?)
}

fn add((a, b): (u64, u64), (c, d): (u64, u64)) -> (u64, u64) {
    (a + c, b + d)
}

// ---- mistakes --------------------------------------------------------------

#[test]
fn an_analysis_inline_runs_on_the_runtime_thread() {
    fails_with(
        ex07::analysis_runs_on_the_blocking_pool(
            async |c: &Client, urls: &[String], analyse: Analysis| {
                let texts = try_join_all(urls.iter().map(|u| fetch(c, u))).await?;
                Ok(texts.iter().map(|t| analyse(t)).fold((0, 0), add))
            },
        ),
        &[
            "the analysis ran on the runtime's thread for 6 of the 6 bodies",
            "Move it into `tokio::task::spawn_blocking(move || analyse(&text))`",
        ],
    );
}

#[test]
fn an_analysis_in_a_spawned_task_is_still_on_the_runtime_thread() {
    fails_with(
        ex07::analysis_runs_on_the_blocking_pool(
            async |c: &Client, urls: &[String], analyse: Analysis| {
                let tasks = urls.iter().map(|u| {
                    let (c, u) = (c.clone(), u.clone());
                    tokio::spawn(async move { anyhow::Ok(analyse(&fetch(&c, &u).await?)) })
                });
                let mut total = (0, 0);
                for done in join_all(tasks).await {
                    total = add(total, done??);
                }
                Ok(total)
            },
        ),
        &["the analysis ran on the runtime's thread", "spawn_blocking"],
    );
}

#[test]
fn an_analysis_on_a_thread_of_its_own_is_not_the_blocking_pool() {
    fails_with(
        ex07::analysis_runs_on_the_blocking_pool(
            async |c: &Client, urls: &[String], analyse: Analysis| {
                let texts = try_join_all(urls.iter().map(|u| fetch(c, u))).await?;
                let mut total = (0, 0);
                for text in texts {
                    // A thread per body, joined: it blocks the runtime's
                    // thread while it waits.
                    let counted = std::thread::spawn(move || analyse(&text)).join();
                    total = add(total, counted.expect("the counting thread ran"));
                }
                Ok(total)
            },
        ),
        &[
            "the analysis ran on a thread that tokio did not start for 6 of the 6 bodies",
            "std::thread::spawn",
            "spawn_blocking",
        ],
    );
}

#[test]
fn counting_without_the_analysis_is_noticed() {
    fails_with(
        ex07::analysis_runs_on_the_blocking_pool(
            async |c: &Client, urls: &[String], _analyse: Analysis| {
                let texts = try_join_all(urls.iter().map(|u| fetch(c, u))).await?;
                let ones: u64 = texts
                    .iter()
                    .flat_map(|t| t.bytes())
                    .map(|b| u64::from(b.count_ones()))
                    .sum();
                let bits: u64 = texts.iter().map(|t| 8 * t.len() as u64).sum();
                Ok((ones, bits - ones))
            },
        ),
        &["`analyse` was never called for 6 of the 6 bodies"],
    );
}

#[test]
fn awaiting_in_a_loop_is_sequential() {
    fails_with(
        ex07::requests_run_concurrently(async |c: &Client, urls: &[String], analyse: Analysis| {
            let mut total = (0, 0);
            for url in urls {
                total = add(total, fetch_and_count(c, url, analyse).await?);
            }
            Ok(total)
        }),
        &["10 requests of 150 ms took", "never overlapped"],
    );
}

#[test]
fn five_at_a_time_is_not_all_at_once() {
    fails_with(
        ex07::requests_run_concurrently(async |c: &Client, urls: &[String], analyse: Analysis| {
            stream::iter(urls)
                .map(|u| fetch_and_count(c, u, analyse))
                .buffered(5)
                .try_fold((0, 0), async |total, counts| Ok(add(total, counts)))
                .await
        }),
        &["at most 5 were in flight at once", "ran in rounds"],
    );
}

#[test]
fn unawaited_tasks_return_before_the_tasks_ran() {
    let leaves_the_tasks = async |c: &Client, urls: &[String], analyse: Analysis| {
        let total = Arc::new(Mutex::new((0_u64, 0_u64)));
        for url in urls {
            let (c, u, total) = (c.clone(), url.clone(), Arc::clone(&total));
            // The handle is dropped: nobody waits for this task.
            tokio::spawn(async move {
                let counts = fetch_and_count(&c, &u, analyse).await.unwrap_or_default();
                let mut t = total.lock().unwrap();
                *t = add(*t, counts);
            });
        }
        let got = *total.lock().unwrap();
        Ok(got)
    };
    fails_with(
        ex07::requests_run_concurrently(leaves_the_tasks),
        &["`ones_and_zeros` returned before the tasks it spawned had run: 10 of the 10 requests"],
    );
    fails_with(
        ex07::counts_the_bits_of_every_body(leaves_the_tasks),
        &[
            "returned before the tasks it spawned had run",
            "`.await` it",
        ],
    );
}

#[test]
fn wrong_totals_are_named() {
    fails_with(
        ex07::counts_the_bits_of_every_body(
            async |c: &Client, urls: &[String], analyse: Analysis| {
                let counts =
                    try_join_all(urls.iter().map(|u| fetch_and_count(c, u, analyse))).await?;
                let (ones, zeros) = counts.into_iter().fold((0, 0), add);
                Ok((zeros, ones))
            },
        ),
        &["ones and zeros are swapped"],
    );
    fails_with(
        ex07::counts_the_bits_of_every_body(async |c: &Client, urls: &[String], _: Analysis| {
            let texts = try_join_all(urls.iter().map(|u| fetch(c, u))).await?;
            let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
            Ok((bytes / 2, bytes - bytes / 2))
        }),
        &["the number of bytes, not bits"],
    );
    fails_with(
        ex07::counts_the_bits_of_every_body(async |_: &Client, _: &[String], _: Analysis| {
            Ok((40_000, 50_000))
        }),
        &["the totals cover 90000 bits"],
    );
}

#[test]
fn a_failed_request_left_out_of_the_totals_is_noticed() {
    fails_with(
        ex07::reports_a_failed_request(async |c: &Client, urls: &[String], analyse: Analysis| {
            let counts = join_all(urls.iter().map(|u| fetch_and_count(c, u, analyse))).await;
            Ok(counts.into_iter().filter_map(Result::ok).fold((0, 0), add))
        }),
        &[
            "answered 404 Not Found for the 3rd URL",
            "the URL left out of the result",
        ],
    );
}

// ---- correct approaches (the solution: join_all over spawned tasks) -------

async fn bits_unordered(
    client: &Client,
    urls: &[String],
    analyse: Analysis,
) -> anyhow::Result<(u64, u64)> {
    let mut tasks: FuturesUnordered<_> = urls
        .iter()
        .map(|u| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move { fetch_and_count(&c, &u, analyse).await })
        })
        .collect();
    let mut total = (0, 0);
    while let Some(done) = tasks.next().await {
        total = add(total, done??);
    }
    Ok(total)
}

async fn bits_joinset(
    client: &Client,
    urls: &[String],
    analyse: Analysis,
) -> anyhow::Result<(u64, u64)> {
    let mut set = tokio::task::JoinSet::new();
    for u in urls {
        let (c, u) = (client.clone(), u.clone());
        set.spawn(async move { fetch_and_count(&c, &u, analyse).await });
    }
    let mut total = (0, 0);
    while let Some(done) = set.join_next().await {
        total = add(total, done??);
    }
    Ok(total)
}

async fn bits_try_join_all_of_tasks(
    client: &Client,
    urls: &[String],
    analyse: Analysis,
) -> anyhow::Result<(u64, u64)> {
    let tasks = urls.iter().map(|u| {
        let (c, u) = (client.clone(), u.clone());
        tokio::spawn(async move { fetch_and_count(&c, &u, analyse).await })
    });
    let mut total = (0, 0);
    for counts in try_join_all(tasks).await? {
        total = add(total, counts?);
    }
    Ok(total)
}

async fn bits_buffer_unordered(
    client: &Client,
    urls: &[String],
    analyse: Analysis,
) -> anyhow::Result<(u64, u64)> {
    stream::iter(urls)
        .map(|u| fetch_and_count(client, u, analyse))
        .buffer_unordered(urls.len().max(1))
        .try_fold((0, 0), async |total, counts| Ok(add(total, counts)))
        .await
}

async fn bits_join_all_of_futures(
    client: &Client,
    urls: &[String],
    analyse: Analysis,
) -> anyhow::Result<(u64, u64)> {
    let counts = join_all(urls.iter().map(|u| fetch_and_count(client, u, analyse))).await;
    counts
        .into_iter()
        .try_fold((0, 0), |total, c| Ok(add(total, c?)))
}

macro_rules! ex07_accepts {
    ($($name:ident: $f:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            crate::together!(
                passes(ex07::counts_the_bits_of_every_body($f)),
                passes(ex07::analysis_runs_on_the_blocking_pool($f)),
                passes(ex07::requests_run_concurrently($f)),
                passes(ex07::reports_a_failed_request($f)),
            );
        }
    )+};
}

ex07_accepts! {
    ex07_accepts_futures_unordered_over_tasks: bits_unordered,
    ex07_accepts_a_joinset: bits_joinset,
    ex07_accepts_try_join_all_over_tasks: bits_try_join_all_of_tasks,
    ex07_accepts_buffer_unordered: bits_buffer_unordered,
    ex07_accepts_join_all_of_futures: bits_join_all_of_futures,
}
