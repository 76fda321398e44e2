//! Solution of exercise 9a: many requests, a few at a time.

use anyhow::Context;
use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Client;

/// Fetches every URL with at most `limit` requests in flight; returns the
/// bodies in the order of `urls`.
pub async fn fetch_all_bounded(
    client: &Client,
    urls: &[String],
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    // A stream of request futures, none started yet: futures are lazy.
    // `buffered(limit)` polls at most `limit` of them at a time and starts
    // the next one as soon as one finishes; it yields the results in the
    // order of the stream. `try_collect` stops at the first error.
    // (A limit of 0 would never start anything: treat it as 1.)
    stream::iter(urls)
        .map(|url| fetch(client, url))
        .buffered(limit.max(1))
        .try_collect()
        .await
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
