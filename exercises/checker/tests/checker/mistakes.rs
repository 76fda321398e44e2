//! Chapter 9's usual mistakes fail their checks, within the time limit,
//! with a diagnosis in async terms (the other exercises' mistakes are in
//! their own files).

use crate::{fails_with, fetch};
use checker::{ex09_bounded, ex09_timeout};
use reqwest::Client;
use std::time::Duration;

// ---- awaiting in a loop --------------------------------------------------

async fn awaits_in_a_loop(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut bodies = Vec::new();
    for url in urls {
        bodies.push(fetch(client, url).await?);
    }
    Ok(bodies)
}

#[test]
fn awaiting_in_a_loop_ignores_the_limit() {
    fails_with(
        ex09_bounded::uses_the_whole_limit(async |c: &Client, urls: &[String], _limit: usize| {
            awaits_in_a_loop(c, urls).await
        }),
        &["never overlapped, with a limit of 3", "buffer_unordered(3)"],
    );
}

// ---- unbounded spawning ----------------------------------------------------

async fn spawns_them_all(
    client: &Client,
    urls: &[String],
    _limit: usize,
) -> anyhow::Result<Vec<String>> {
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

#[test]
fn unbounded_spawning_exceeds_the_limit() {
    fails_with(
        ex09_bounded::never_exceeds_the_limit(spawns_them_all),
        &[
            "12 requests were in flight at once; the limit was 3: use buffer_unordered(3) or a Semaphore",
        ],
    );
}

// ---- timeouts --------------------------------------------------------------

#[test]
fn waiting_out_a_slow_answer_is_not_a_timeout() {
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, _limit: Duration| {
            fetch(c, url).await.map(Some)
        }),
        &["returned a body after", "the limit was 300 ms"],
    );
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, limit: Duration| {
            // Waits for the answer, then compares: too late to give up.
            let started = std::time::Instant::now();
            let body = fetch(c, url).await?;
            Ok((started.elapsed() <= limit).then_some(body))
        }),
        &[
            "waited 1.5 s",
            "wrap the request in `tokio::time::timeout(limit, ...)`",
        ],
    );
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, limit: Duration| {
            Ok(Some(tokio::time::timeout(limit, fetch(c, url)).await??))
        }),
        &["returned an error", "turn that into Ok(None)"],
    );
}
