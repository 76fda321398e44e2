//! Solution of exercise 2: a future does nothing until it is polled.

use anyhow::Context;
use reqwest::Client;

/// Sends a GET request to every URL and waits for each answer.
pub async fn notify_all(client: &Client, urls: &[String]) -> anyhow::Result<()> {
    for url in urls {
        // `send()` only builds a future: a description of the request.
        // `.await` polls it, and polling is what sends the request and
        // waits for the answer. Without `.await`, the future was dropped at
        // the end of the loop body and the request never left.
        client
            .get(url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?
            .error_for_status()?;
    }
    Ok(())
}
