//! # Exercise 17: spans that tell interleaved requests apart (solution)
//!
//! `#[instrument]` on `fetch`: each call's future runs inside a span
//! `fetch{url=...}`, entered at every poll and left when the future
//! yields, so each of the three events happens inside the span of its own
//! request, however the requests interleave.

use anyhow::Context;
use futures::future::try_join_all;
use reqwest::Client;
use tracing::info;
use tracing_attributes::instrument;

/// Fetches every URL at once; returns the bodies in the order of `urls`.
pub async fn fetch_all(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    try_join_all(urls.iter().map(|url| fetch(client, url))).await
}

/// Fetches one URL and logs what happens to it, inside a span named
/// `fetch` with the URL as a field (`skip(client)`: the client's `Debug`
/// form says nothing about the request).
#[instrument(skip(client))]
pub async fn fetch(client: &Client, url: &str) -> anyhow::Result<String> {
    info!("sending");
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    info!(status = response.status().as_u16(), "got headers");
    let body = response.text().await?;
    info!(bytes = body.len(), "got body");
    Ok(body)
}
