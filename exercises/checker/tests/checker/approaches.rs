//! Every correct approach a chapter's APIs allow passes the checks.

use crate::{fetch, passes};
use checker::{ex01, ex03, ex04, ex06, ex07, ex09_bounded, ex09_timeout};
use futures::future::{join_all, try_join_all};
use futures::stream::{self, FuturesUnordered, StreamExt, TryStreamExt};
use reqwest::Client;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

// ---- exercise 1: any way to start a runtime -----------------------------

fn with_runtime_new(url: &str) -> anyhow::Result<String> {
    tokio::runtime::Runtime::new()?.block_on(fetch(&Client::new(), url))
}

#[tokio::main(flavor = "current_thread")]
async fn with_the_macro(url: &str) -> anyhow::Result<String> {
    fetch(&Client::new(), url).await
}

fn with_a_current_thread_builder(url: &str) -> anyhow::Result<String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(fetch(&Client::new(), url))
}

#[test]
fn ex01_accepts_runtime_new_the_macro_and_a_builder() {
    passes(ex01::returns_the_body(with_runtime_new));
    passes(ex01::returns_the_body(with_the_macro));
    passes(ex01::returns_the_body(with_a_current_thread_builder));
    passes(ex01::returns_an_error_for_a_dead_server(with_the_macro));
}

// ---- exercise 3: spawn, JoinSet, join_all of handles ---------------------

async fn joinset<F: Future<Output = ()> + Send + 'static>(jobs: Vec<F>) {
    let mut set = tokio::task::JoinSet::new();
    for job in jobs {
        set.spawn(job);
    }
    while let Some(done) = set.join_next().await {
        done.expect("a job panicked");
    }
}

async fn join_all_handles<F: Future<Output = ()> + Send + 'static>(jobs: Vec<F>) {
    for done in join_all(jobs.into_iter().map(tokio::spawn)).await {
        done.expect("a job panicked");
    }
}

#[test]
fn ex03_accepts_a_joinset() {
    passes(ex03::waits_for_every_job(joinset::<ex03::Job>));
    passes(ex03::jobs_run_concurrently(joinset::<ex03::Job>));
    passes(ex03::each_job_runs_in_its_own_task(joinset::<ex03::Job>));
}

#[test]
fn ex03_accepts_join_all_over_handles() {
    passes(ex03::waits_for_every_job(join_all_handles::<ex03::Job>));
    passes(ex03::jobs_run_concurrently(join_all_handles::<ex03::Job>));
    passes(ex03::each_job_runs_in_its_own_task(
        join_all_handles::<ex03::Job>,
    ));
}

// ---- exercise 4: spawn_blocking, or a thread of one's own ---------------

async fn on_a_std_thread<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(work: F) -> T {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.expect("the thread ended without a result")
}

async fn spawn_blocking_expect<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(work: F) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .expect("the work panicked")
}

#[test]
fn ex04_accepts_spawn_blocking_and_a_thread_with_a_channel() {
    passes(ex04::returns_what_the_work_returns(
        spawn_blocking_expect::<u64, ex04::Work>,
    ));
    passes(ex04::does_not_block_the_runtime(
        spawn_blocking_expect::<u64, ex04::Work>,
    ));
    passes(ex04::does_not_block_the_runtime(
        on_a_std_thread::<u64, ex04::Work>,
    ));
}

// ---- exercise 6: every way to run requests concurrently -----------------

async fn spawn_and_await(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
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

async fn with_try_join_all(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    try_join_all(urls.iter().map(|u| fetch(client, u))).await
}

async fn with_join_all(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    join_all(urls.iter().map(|u| fetch(client, u)))
        .await
        .into_iter()
        .collect()
}

async fn with_futures_unordered(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut pending: FuturesUnordered<_> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| async move { (i, fetch(client, u).await) })
        .collect();
    let mut out = vec![String::new(); urls.len()];
    while let Some((i, body)) = pending.next().await {
        out[i] = body?;
    }
    Ok(out)
}

async fn with_joinset(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, u) in urls.iter().enumerate() {
        let (c, u) = (client.clone(), u.clone());
        set.spawn(async move { (i, fetch(&c, &u).await) });
    }
    let mut out = vec![String::new(); urls.len()];
    while let Some(done) = set.join_next().await {
        let (i, body) = done?;
        out[i] = body?;
    }
    Ok(out)
}

async fn with_buffer_unordered(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut pairs: Vec<(usize, String)> = stream::iter(urls.iter().enumerate())
        .map(|(i, u)| async move { fetch(client, u).await.map(|b| (i, b)) })
        .buffer_unordered(urls.len().max(1))
        .try_collect()
        .await?;
    pairs.sort_by_key(|(i, _)| *i);
    Ok(pairs.into_iter().map(|(_, b)| b).collect())
}

async fn with_buffered(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    stream::iter(urls)
        .map(|u| fetch(client, u))
        .buffered(urls.len().max(1))
        .try_collect()
        .await
}

macro_rules! ex06_accepts {
    ($($name:ident: $f:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            passes(ex06::returns_the_bodies_in_order($f));
            passes(ex06::requests_run_concurrently($f));
            passes(ex06::reports_a_failed_request($f));
        }
    )+};
}

ex06_accepts! {
    ex06_accepts_spawn_and_await: spawn_and_await,
    ex06_accepts_try_join_all: with_try_join_all,
    ex06_accepts_join_all: with_join_all,
    ex06_accepts_futures_unordered: with_futures_unordered,
    ex06_accepts_a_joinset: with_joinset,
    ex06_accepts_buffer_unordered: with_buffer_unordered,
    ex06_accepts_buffered: with_buffered,
}

// ---- exercise 7: join_all is not the only way ---------------------------

async fn bits_unordered(client: &Client, urls: &[String]) -> anyhow::Result<(u64, u64)> {
    let mut tasks: FuturesUnordered<_> = urls
        .iter()
        .map(|u| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move {
                let text = fetch(&c, &u).await?;
                let counted = tokio::task::spawn_blocking(move || {
                    let ones: u64 = text.bytes().map(|b| u64::from(b.count_ones())).sum();
                    (ones, 8 * text.len() as u64 - ones)
                })
                .await?;
                anyhow::Ok(counted)
            })
        })
        .collect();
    let mut total = (0, 0);
    while let Some(done) = tasks.next().await {
        let (o, z) = done??;
        total = (total.0 + o, total.1 + z);
    }
    Ok(total)
}

#[test]
fn ex07_accepts_futures_unordered_over_tasks() {
    passes(ex07::counts_the_bits_of_every_body(bits_unordered));
    passes(ex07::requests_run_concurrently(bits_unordered));
    passes(ex07::reports_a_failed_request(bits_unordered));
}

// ---- exercise 9a: every way to bound concurrency ------------------------

async fn bounded_buffered(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    stream::iter(urls)
        .map(|u| fetch(client, u))
        .buffered(limit)
        .try_collect()
        .await
}

async fn bounded_unordered(
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

async fn bounded_semaphore(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    // The permit is taken before each spawn: at most `limit` tasks exist.
    let permits = Arc::new(tokio::sync::Semaphore::new(limit));
    let mut handles = Vec::new();
    for u in urls {
        let permit = Arc::clone(&permits).acquire_owned().await?;
        let (c, u) = (client.clone(), u.clone());
        handles.push(tokio::spawn(async move {
            let _permit = permit;
            fetch(&c, &u).await
        }));
    }
    let mut out = Vec::new();
    for done in join_all(handles).await {
        out.push(done??);
    }
    Ok(out)
}

async fn bounded_joinset(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    // At most `limit` tasks in the set: add one each time one finishes.
    let mut set = tokio::task::JoinSet::new();
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

macro_rules! ex09_accepts {
    ($($name:ident: $f:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            passes(ex09_bounded::returns_the_bodies_in_order($f));
            passes(ex09_bounded::never_exceeds_the_limit($f));
            passes(ex09_bounded::uses_the_whole_limit($f));
        }
    )+};
}

ex09_accepts! {
    ex09_accepts_buffered: bounded_buffered,
    ex09_accepts_buffer_unordered: bounded_unordered,
    ex09_accepts_a_semaphore: bounded_semaphore,
    ex09_accepts_a_joinset_kept_at_the_limit: bounded_joinset,
}

// ---- exercise 9b: timeout, select!, or the client's own timeout ---------

async fn with_select(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    tokio::select! {
        body = fetch(client, url) => body.map(Some),
        () = tokio::time::sleep(limit) => Ok(None),
    }
}

async fn with_request_timeout(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    let sent = client.get(url).timeout(limit).send().await;
    let response = match sent {
        Err(e) if e.is_timeout() => return Ok(None),
        other => other?.error_for_status()?,
    };
    match response.text().await {
        Err(e) if e.is_timeout() => Ok(None),
        other => Ok(Some(other?)),
    }
}

#[test]
fn ex09_timeout_accepts_select_and_a_request_timeout() {
    passes(ex09_timeout::returns_the_body_in_time(with_select));
    passes(ex09_timeout::gives_up_at_the_deadline(with_select));
    passes(ex09_timeout::returns_the_body_in_time(with_request_timeout));
    passes(ex09_timeout::gives_up_at_the_deadline(with_request_timeout));
}
