//! # Exercise 9b: give up on a slow request
//!
//! **What to build:** `fetch_within(client, url, limit)` returns
//! `Ok(Some(body))` if the answer comes within `limit`, and `Ok(None)` if it
//! does not, at the limit: without waiting for the late answer, and without
//! trying again. `None` means only that the time ran out: an error status
//! (404) or a server that is not there is an `Err`, returned as soon as it
//! happens, as `fetch` returns it.
//!
//! **Reach for:** `tokio::time::timeout(limit, future)` (chapter 9). It
//! gives `Ok(output)` if the future finished in time, and `Err(Elapsed)`
//! otherwise, after dropping the future, which cancels the request.
//! `tokio::time::timeout_at(deadline, future)` does the same with an
//! `Instant`, and `tokio::select!` can race the fetch against
//! `tokio::time::sleep(limit)`.
//!
//! **How it is checked:** `cargo test -p ex09-timeout` calls your function
//! with a URL that answers after 50 ms (limit 3 s), with one that answers
//! after 1.5 s (limit 300 ms: `None` must come at the limit, not before it
//! and not long after), with one whose headers come after 600 ms but whose
//! body trickles in over 1.5 s (limit 800 ms: the limit covers reading the
//! body too), and with a URL that answers 404 and one where nothing listens
//! (both must be an `Err`). The delay server records every request it sees.
//!
//! **Hint:** wrap the whole `fetch(client, url)` future, not a part of it
//! (`send()` ends when the headers arrive; the body comes after), and turn
//! the two layers of the result into one: `Ok(Ok(body))` is a body,
//! `Ok(Err(e))` an error, `Err(_)` a `None`.

// The parameters are unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

use anyhow::Context;
use reqwest::Client;
use std::time::Duration;

/// Fetches `url`, or gives up with `Ok(None)` once `limit` has passed.
pub async fn fetch_within(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
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
