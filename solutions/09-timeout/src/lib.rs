//! Solution of exercise 9b: give up on a slow request.

use anyhow::Context;
use reqwest::Client;
use std::time::Duration;

/// Fetches `url`, or gives up with `Ok(None)` once `limit` has passed.
pub async fn fetch_within(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    match tokio::time::timeout(limit, fetch(client, url)).await {
        // In time: the fetch's own result, body or error.
        Ok(result) => result.map(Some),
        // Too late. `timeout` has dropped the fetch future, and dropping a
        // future cancels it: reqwest closes the connection, nothing more
        // happens, and we return at the limit.
        Err(_elapsed) => Ok(None),
    }
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
