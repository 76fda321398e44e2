//! Solution of exercise 6: concurrent requests.

use anyhow::Context;
use reqwest::Client;

/// Fetches every URL and returns the bodies in the order of `urls`.
pub async fn fetch_all(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    // Start every request before waiting for any. A spawned task must own
    // what it uses (`'static`): it may outlive this call. Cloning a
    // `reqwest::Client` is cheap, the clones share one connection pool.
    let handles: Vec<_> = urls
        .iter()
        .map(|url| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move { fetch(&client, &url).await })
        })
        .collect();

    // All requests are in flight now; wait for them in the order of `urls`.
    // The first `?` turns a `JoinError` (the task panicked) into an error,
    // the second passes on the fetch's own error.
    let mut bodies = Vec::with_capacity(handles.len());
    for handle in handles {
        bodies.push(handle.await??);
    }
    Ok(bodies)
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
