//! # Exercise 9a: many requests, a few at a time
//!
//! **What to build:** `fetch_all_bounded(client, urls, limit)` returns the
//! bodies of all URLs in the order of `urls`, with never more than `limit`
//! requests in flight at once, and always up to `limit` while there are
//! requests left. If a request fails (an error status, say), it returns
//! that error, not the bodies that came. Servers and operating systems
//! have limits: ten thousand requests at once run out of file descriptors
//! (chapter 9).
//!
//! **Reach for:** `futures::stream::iter(urls).map(...).buffered(limit)`
//! (keeps the order) or `buffer_unordered(limit)` (completion order), then
//! `try_collect`; or, with tasks, a `tokio::sync::Semaphore` with `limit`
//! permits and a `JoinSet` (chapter 9).
//!
//! **How it is checked:** `cargo test -p ex09-bounded` calls your function
//! with URLs of a local delay server and a limit of 3. The server records
//! every request, from its arrival to the last byte of its body (a request
//! is in flight until its body is read). Bodies change in every run.
//!
//! - 7 URLs answering after 200, 50, 150, 50, 100, 50 and 50 ms: the
//!   bodies, in the order of the URLs;
//! - 12 URLs of 50 ms whose bodies trickle in over 100 ms: never more than
//!   3 in flight, bodies included; and never more than 8 tasks of yours
//!   alive at once (the check counts the tasks on your runtime, less
//!   reqwest's one per connection: one task per URL, spawned up front,
//!   makes 12);
//! - 9 URLs whose delays are chosen so that a window kept full ends them
//!   in the order of the URLs, 60 ms or more apart: the bodies in order, 3
//!   in flight at some moment, no batches (3 started, all 3 awaited, then
//!   the next 3, by the order of arrivals and ends), and the slots empty
//!   while requests wait for no more than 600 ms in all (forgiven when the
//!   runtime or the server was held up 50 ms or more);
//! - a URL that answers 404, third among four that answer: `Err`.
//!
//! **Hint:** spawning one task per URL with nothing to hold them back sends
//! all twelve at once. A stream adaptor polls at most `limit` of the
//! futures at a time. With tasks, take the permit *before* you spawn each
//! one (`acquire_owned().await`, then move the permit into the task), and
//! keep it until the body is read: the loop then waits while `limit` tasks
//! run. Spawning every task at once, each waiting for a permit inside,
//! bounds the requests but not the tasks: ten thousand URLs would be ten
//! thousand tasks.

// The parameters are unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

use anyhow::Context;
use reqwest::Client;

/// Fetches every URL with at most `limit` requests in flight; returns the
/// bodies in the order of `urls`.
pub async fn fetch_all_bounded(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    todo!()
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
