//! Exercise 6, `fetch_all(client, urls)`: every request at the same time,
//! the bodies in the order of the URLs.

use crate::{fails_with, fetch, passes};
use checker::ex06;
use futures::future::{join_all, try_join_all};
use futures::stream::{self, FuturesUnordered, StreamExt, TryStreamExt};
use reqwest::Client;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---- mistakes --------------------------------------------------------------

async fn awaits_in_a_loop(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut bodies = Vec::new();
    for url in urls {
        bodies.push(fetch(client, url).await?);
    }
    Ok(bodies)
}

#[test]
fn awaiting_in_a_loop_is_sequential() {
    fails_with(
        ex06::requests_run_concurrently(awaits_in_a_loop),
        &[
            "10 requests of 200 ms took",
            "never overlapped: they ran one after another. Did you `.await` each request inside \
             the loop?",
        ],
    );
}

async fn buffered_six(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    stream::iter(urls)
        .map(|u| fetch(client, u))
        .buffered(6)
        .try_collect()
        .await
}

#[test]
fn six_at_a_time_is_not_all_at_once() {
    fails_with(
        ex06::requests_run_concurrently(buffered_six),
        &[
            "at most 6 were in flight at once",
            "they ran in rounds of at most 6 at a time",
        ],
    );
}

#[test]
fn batches_of_chunks_run_in_rounds() {
    fails_with(
        ex06::requests_run_concurrently(async |c: &Client, urls: &[String]| {
            let mut bodies = Vec::new();
            for batch in urls.chunks(5) {
                bodies.extend(try_join_all(batch.iter().map(|u| fetch(c, u))).await?);
            }
            Ok(bodies)
        }),
        &["at most 5 were in flight at once", "ran in rounds"],
    );
}

#[test]
fn a_blocking_pause_between_spawns_holds_it_up() {
    // Every request goes out at once (the tasks start when the loop is
    // done), but the loop itself blocked the thread for a second first.
    fails_with(
        ex06::requests_run_concurrently(async |c: &Client, urls: &[String]| {
            let mut handles = Vec::new();
            for url in urls {
                let (c, u) = (c.clone(), url.clone());
                handles.push(tokio::spawn(async move { fetch(&c, &u).await }));
                std::thread::sleep(Duration::from_millis(100));
            }
            let mut bodies = Vec::new();
            for h in handles {
                bodies.push(h.await??);
            }
            Ok(bodies)
        }),
        &[
            "all 10 requests were in flight at once, but `fetch_all` took",
            "something held it up",
        ],
    );
}

async fn collects_in_the_background(
    client: &Client,
    urls: &[String],
) -> anyhow::Result<Vec<String>> {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    for url in urls {
        let (c, u, bodies) = (client.clone(), url.clone(), Arc::clone(&bodies));
        // The handle is dropped: nobody waits for this task.
        tokio::spawn(async move {
            if let Ok(body) = fetch(&c, &u).await {
                bodies.lock().unwrap().push(body);
            }
        });
    }
    let got = bodies.lock().unwrap().clone();
    Ok(got)
}

#[test]
fn unawaited_tasks_lose_their_results() {
    fails_with(
        ex06::returns_the_bodies_in_order(collects_in_the_background),
        &[
            "`fetch_all` returned before the tasks it spawned had run: 5 of the 5 requests",
            "Keep every JoinHandle and `.await` it",
        ],
    );
    fails_with(
        ex06::requests_run_concurrently(collects_in_the_background),
        &["returned before the tasks it spawned had run: 10 of the 10"],
    );
}

#[test]
fn completion_order_is_not_input_order() {
    fails_with(
        ex06::returns_the_bodies_in_order(async |c: &Client, urls: &[String]| {
            let mut pending: FuturesUnordered<_> = urls.iter().map(|u| fetch(c, u)).collect();
            let mut out = Vec::new();
            while let Some(body) = pending.next().await {
                out.push(body?);
            }
            Ok(out)
        }),
        &[
            "returned the body of the 5th URL in the 1st place",
            "keep each index with its result",
        ],
    );
}

#[test]
fn a_failed_request_left_out_is_noticed() {
    fails_with(
        ex06::reports_a_failed_request(async |c: &Client, urls: &[String]| {
            let results = join_all(urls.iter().map(|u| fetch(c, u))).await;
            Ok(results.into_iter().filter_map(Result::ok).collect())
        }),
        &[
            "`fetch_all` returned Ok although the server answered 404 Not Found for the 2nd URL",
            "the URL left out of the result",
        ],
    );
}

#[test]
fn a_failed_request_replaced_by_a_default_is_noticed() {
    fails_with(
        ex06::reports_a_failed_request(async |c: &Client, urls: &[String]| {
            let results = join_all(urls.iter().map(|u| fetch(c, u))).await;
            Ok(results.into_iter().map(Result::unwrap_or_default).collect())
        }),
        &["for the 2nd URL", "replaced by an empty default"],
    );
}

#[test]
fn an_unchecked_status_passes_the_error_page_for_a_body() {
    fails_with(
        ex06::reports_a_failed_request(async |c: &Client, urls: &[String]| {
            let unchecked = urls
                .iter()
                .map(|u| async move { anyhow::Ok(c.get(u).send().await?.text().await?) });
            try_join_all(unchecked).await
        }),
        &["the error page's text came back as if it were a body"],
    );
}

#[test]
fn trimmed_bodies_are_not_the_bodies() {
    fails_with(
        ex06::returns_the_bodies_in_order(async |c: &Client, urls: &[String]| {
            let bodies = try_join_all(urls.iter().map(|u| fetch(c, u))).await?;
            Ok(bodies.iter().map(|b| b.trim().to_string()).collect())
        }),
        &[
            "the body returned for the 1st URL",
            "the server's body trimmed",
        ],
    );
}

#[test]
fn a_hard_coded_answer_fails() {
    fails_with(
        ex06::returns_the_bodies_in_order(async |_: &Client, urls: &[String]| {
            Ok((0..urls.len())
                .map(|i| mock_server::body_for(&format!("/delay/50/url/{i}"), 2000))
                .collect())
        }),
        &[
            "is not what the server sent for it",
            "invents new bodies in every run",
        ],
    );
}

// ---- correct approaches (the solution spawns and awaits in order) ----------

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
            crate::together!(
                passes(ex06::returns_the_bodies_in_order($f)),
                passes(ex06::requests_run_concurrently($f)),
                passes(ex06::reports_a_failed_request($f)),
            );
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

async fn with_joinset_join_all(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, u) in urls.iter().enumerate() {
        let (c, u) = (client.clone(), u.clone());
        set.spawn(async move { fetch(&c, &u).await.map(|b| (i, b)) });
    }
    let mut pairs = set
        .join_all()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    pairs.sort_by_key(|(i, _)| *i);
    Ok(pairs.into_iter().map(|(_, b)| b).collect())
}

ex06_accepts! {
    ex06_accepts_joinset_join_all: with_joinset_join_all,
}
