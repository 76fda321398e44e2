//! Failures every exercise knows, shown on exercise 6: deadlocks, futures
//! nobody polls, threads blocked for good, panics in tasks. Each fails
//! within its time limit, with the mechanism named.

use crate::{LIMIT, REPORTS_WITHIN, fails_with, fetch, within};
use checker::ex06;
use futures::stream::{FuturesUnordered, StreamExt};
use reqwest::Client;
use std::sync::Mutex;

// ---- a deadlock ------------------------------------------------------------

async fn locks_twice(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let bodies = tokio::sync::Mutex::new(Vec::new());
    let _guard = bodies.lock().await; // held for the whole function...
    for url in urls {
        let body = fetch(client, url).await?;
        bodies.lock().await.push(body); // ...so this waits for ever
    }
    let got = bodies.lock().await.clone();
    Ok(got)
}

async fn tasks_wait_for_each_other(_: &Client, _: &[String]) -> anyhow::Result<Vec<String>> {
    let (to_a, from_b) = tokio::sync::mpsc::channel::<String>(1);
    let (to_b, from_a) = tokio::sync::mpsc::channel::<String>(1);
    let a = tokio::spawn(async move {
        let mut from_b = from_b;
        let got = from_b.recv().await; // waits for b, which waits for a
        let _ = to_b.send(String::from("a")).await;
        got
    });
    let b = tokio::spawn(async move {
        let mut from_a = from_a;
        let got = from_a.recv().await;
        let _ = to_a.send(String::from("b")).await;
        got
    });
    let (a, b) = (a.await?, b.await?);
    Ok(a.into_iter().chain(b).collect())
}

#[test]
fn a_deadlock_times_out_with_a_message() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(locks_twice)
    });
    fails_with(
        verdict,
        &[
            "`fetch_all` did not finish within 0.5 s",
            "a deadlock (a lock held across an `.await`",
            "The delay server saw 1 request.",
        ],
    );
}

#[test]
fn tasks_waiting_for_each_other_time_out_with_a_message() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(tasks_wait_for_each_other)
    });
    fails_with(
        verdict,
        &[
            "did not finish within 0.5 s",
            "two tasks waiting for each other",
        ],
    );
}

// ---- a forgotten .await on a never-ending future ---------------------------

async fn forgets_the_producer(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let producer = async move {
        let mut bodies = Vec::new();
        for url in urls {
            bodies.push(fetch(client, url).await?);
        }
        let _ = tx.send(bodies);
        anyhow::Ok(())
    };
    // Forgotten: `producer.await?;`. The future is kept, never polled; its
    // sender stays alive, so the receiver waits for ever.
    let _producer = producer;
    Ok(rx.await?)
}

#[test]
fn a_forgotten_await_times_out_with_a_message() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(forgets_the_producer)
    });
    fails_with(
        verdict,
        &[
            "did not finish within 0.5 s",
            "a forgotten `.await`",
            "The delay server saw no request.",
        ],
    );
}

// ---- a panic in a spawned task ---------------------------------------------

async fn unwraps_a_panicked_task(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let handles: Vec<_> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move {
                let body = fetch(&c, &u).await?;
                if i == 3 {
                    panic!("body {i} is cursed");
                }
                anyhow::Ok(body)
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap()?);
    }
    Ok(out)
}

async fn passes_the_join_error_on(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let handles: Vec<_> = urls
        .iter()
        .map(|u| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move {
                let body = fetch(&c, &u).await?;
                let third = body.as_bytes()[100_000]; // out of bounds
                anyhow::Ok(format!("{third}{body}"))
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await??);
    }
    Ok(out)
}

async fn ignores_a_panicked_task(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut pending: FuturesUnordered<_> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move {
                let body = fetch(&c, &u).await.unwrap();
                assert!(i != 1, "no body for index {i}");
                (i, body)
            })
        })
        .collect();
    let mut out = Vec::new();
    while let Some(done) = pending.next().await {
        if let Ok((_, body)) = done {
            out.push(body);
        }
    }
    Ok(out)
}

#[test]
fn a_panic_in_a_task_is_named_with_its_place() {
    fails_with(
        ex06::returns_the_bodies_in_order(unwraps_a_panicked_task),
        &[
            "your task panicked: a task spawned by `fetch_all` panicked at",
            "hangs.rs:",
            "\"body 3 is cursed\"",
            "awaiting its JoinHandle gave a `JoinError`",
        ],
    );
    fails_with(
        ex06::returns_the_bodies_in_order(passes_the_join_error_on),
        &[
            "your task panicked",
            "index out of bounds",
            "passed its `JoinError` on as an error",
        ],
    );
    fails_with(
        ex06::returns_the_bodies_in_order(ignores_a_panicked_task),
        &[
            "returned 4 bodies for 5 URLs",
            "Meanwhile your task panicked",
            "no body for index 1",
        ],
    );
}

// ---- blocking forever ------------------------------------------------------

async fn waits_on_a_std_channel(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let (_tx, rx) = std::sync::mpsc::channel::<Vec<String>>();
    let _ = (client, urls);
    // A blocking receive on the runtime's thread: the sender is alive and
    // silent, so this never returns, and nothing else runs on the thread.
    Ok(rx.recv()?)
}

// Clippy sees this mistake coming; the test needs it made.
#[allow(clippy::await_holding_lock)]
async fn locks_a_std_mutex_twice(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let bodies = Mutex::new(Vec::new());
    let first = bodies.lock().unwrap();
    for url in urls {
        let body = fetch(client, url).await?;
        bodies.lock().unwrap().push(body); // blocks the thread for good
    }
    drop(first);
    let got = bodies.lock().unwrap().clone();
    Ok(got)
}

#[test]
fn blocking_forever_is_caught_with_a_message() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(waits_on_a_std_channel)
    });
    fails_with(
        verdict,
        &[
            "`fetch_all` did not return within 1 s and the runtime's thread stayed blocked",
            "something blocks forever",
            "a blocking `recv()`",
        ],
    );
}

#[test]
fn a_std_mutex_locked_twice_is_caught_with_a_message() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(locks_a_std_mutex_twice)
    });
    fails_with(
        verdict,
        &["stayed blocked", "a `std::sync::Mutex` locked twice"],
    );
}

#[test]
fn a_hang_fails_within_a_few_seconds_at_the_default_limit() {
    // No shortened limit here: what a learner gets.
    let started = std::time::Instant::now();
    let verdict = ex06::returns_the_bodies_in_order(forgets_the_producer);
    let took = started.elapsed();
    fails_with(verdict, &["did not finish within 4 s"]);
    assert!(
        took < std::time::Duration::from_secs(7),
        "a hang must fail within a few seconds, not {took:?}"
    );
}
