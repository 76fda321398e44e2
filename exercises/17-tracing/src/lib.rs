//! # Exercise 17: spans that tell interleaved requests apart
//!
//! **What to build:** `fetch_all(client, urls)` fetches every URL at once
//! and returns the bodies in the order of `urls`; `fetch` logs three events
//! per request: `sending`, `got headers`, `got body`. It works, but the
//! requests run at the same time, so their events interleave, and no line
//! says which request it belongs to: which of eight "got headers" came
//! from the slow URL? Add spans so that every event of a request happens
//! inside a span of that request, with a field that names it (its URL, or
//! its number in the list). Keep the `info!` lines as they are.
//!
//! **Reach for:** `#[instrument]` on `fetch` (import it with `use
//! tracing_attributes::instrument;`): it records the arguments as fields,
//! and `skip(client)` leaves one out. Or `.instrument(info_span!("request",
//! %url))` on each request's future (`use tracing::{Instrument,
//! info_span};`). Both are in chapter 17. If you spawn the requests,
//! instrument the future you hand to `tokio::spawn`, not its `JoinHandle`.
//!
//! **How it is checked:** `cargo test -p ex17-tracing` calls `fetch_all`
//! with URLs of a local delay server whose answers come back in another
//! order than they were sent, under a subscriber of the checker's own
//! that records every span and event. It checks that the requests
//! overlapped, that every event happened inside a span that names one
//! request, and that it is the right one: each URL's body has its own
//! size, so `got body bytes=N` tells the check which request it came from.
//! The check runs your code on a single-threaded runtime.
//!
//! **Hint:** a span covers only what runs while it is entered. Creating
//! one enters nothing; `span.enter()` held across an `.await` stays
//! entered while the future waits, so the next request polled on the
//! thread runs inside the wrong span. `.instrument(span)` (which
//! `#[instrument]` writes for you on an `async fn`) enters the span each
//! time the future is polled and leaves it when the future yields.

use anyhow::Context;
use futures::future::try_join_all;
use reqwest::Client;
use tracing::info;

/// Fetches every URL at once; returns the bodies in the order of `urls`.
pub async fn fetch_all(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    try_join_all(urls.iter().map(|url| fetch(client, url))).await
}

/// Fetches one URL and logs what happens to it.
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
