//! # Exercise 6: concurrent requests
//!
//! **What to build:** `fetch_all(client, urls)` returns the bodies of all
//! URLs, in the order of `urls`. The code below works, but it waits for
//! each answer before it sends the next request: ten requests of 200 ms
//! take two seconds. Make the requests run at the same time, so that they
//! all take about as long as the slowest one.
//!
//! **Reach for:** `tokio::spawn` and its `JoinHandle`s (chapter 6), or
//! `futures::future::try_join_all`. (`FuturesUnordered`, `JoinSet` and
//! `buffer_unordered` work too, but give results in completion order.)
//!
//! **How it is checked:** `cargo test -p ex06-concurrent` calls
//! `fetch_all` with URLs of a local delay server that records when each
//! request arrives and ends, and bodies new in every run:
//!
//! - 5 URLs answering after 250, 200, 150, 100 and 50 ms (the last
//!   first): the bodies, in the order of the URLs;
//! - 10 URLs of 200 ms: all 10 in flight at once at the server, every
//!   body right, and `fetch_all` back within 900 ms (twice the delay and
//!   half a second for a loaded machine);
//! - a URL that answers 404, among three that answer: `Err`.
//!
//! **Hint:** the `.await` inside the loop is the culprit: it waits for one
//! request before the loop starts the next. Start every request first
//! (a spawned task starts at once; to `tokio::spawn` a request, give it
//! its own clone of the client and of the URL), then await them in order.

use anyhow::Context;
use reqwest::Client;

/// Fetches every URL and returns the bodies in the order of `urls`.
pub async fn fetch_all(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut bodies = Vec::with_capacity(urls.len());
    for url in urls {
        bodies.push(fetch(client, url).await?);
    }
    Ok(bodies)
}

/// Fetches one URL (exercise 5); an error status is an error.
pub async fn fetch(client: &Client, url: &str) -> anyhow::Result<String> {
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    Ok(response.text().await?)
}
