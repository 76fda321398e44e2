//! Solution of exercise 8: do not block the executor.

use anyhow::Context;
use reqwest::Client;
use std::time::Duration;

/// Waits `pause`, then fetches `url`.
pub async fn fetch_after(client: &Client, url: &str, pause: Duration) -> anyhow::Result<String> {
    // `tokio::time::sleep` is a future: awaiting it parks this task and
    // gives the thread back to the runtime, which runs other tasks until
    // the timer fires. `std::thread::sleep` parked the thread itself.
    tokio::time::sleep(pause).await;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    Ok(response.text().await?)
}
