//! Every correct approach chapter 9's APIs allow passes its checks (the
//! other exercises' approaches are in their own files).

use crate::{fetch, passes};
use checker::{ex09_bounded, ex09_timeout};
use futures::future::join_all;
use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Client;
use std::sync::Arc;
use std::time::Duration;

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
