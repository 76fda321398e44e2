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
//! with URLs of a local delay server, which records every request it sees:
//!
//! - an answer after 50 ms, limit 3 s: `Some` of the body it sent;
//! - an answer after 1.5 s, limit 300 ms: `None`, no sooner than 285 ms
//!   (the limit less 5 %, for rounding) and no later than 450 ms (half the
//!   limit again, for a loaded machine) after the call;
//! - headers after 600 ms and a body that trickles in over 1.5 s, limit
//!   800 ms: `None` between 760 ms and 1.2 s, as the limit covers reading
//!   the body too;
//! - a URL that answers 404 and one where nothing listens: both `Err`.
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
