//! Solution of exercise 5: requests one after the other.

use anyhow::Context;
use reqwest::Client;

/// Fetches one URL; an error status is an error.
pub async fn fetch(client: &Client, url: &str) -> anyhow::Result<String> {
    let response = client
        .get(url)
        .send()
        .await
        // The URL in the message tells which of many requests failed.
        .with_context(|| format!("GET {url}"))?
        // A 404 or 500 is a valid HTTP response to reqwest; this line makes
        // it an error, so that it cannot pass for a body.
        .error_for_status()?;
    Ok(response.text().await?)
}

/// Fetches the URLs one after the other and returns the bodies in order.
pub async fn fetch_in_order(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut bodies = Vec::with_capacity(urls.len());
    for url in urls {
        // `.await` suspends this function until the answer is in: the next
        // request is not even built before then. N requests of d each take
        // about N * d.
        bodies.push(fetch(client, url).await?);
    }
    Ok(bodies)
}
