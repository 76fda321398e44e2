//! Solution of exercise 7: fetch, analyse, and gather with `join_all`.

use anyhow::Context;
use futures::future::join_all;
use reqwest::Client;

/// Fetches every URL concurrently and returns the total (ones, zeros) of
/// the bits of all bodies, each counted by `analyse` (`count_bits` below,
/// in a program).
pub async fn ones_and_zeros(
    client: &Client,
    urls: &[String],
    analyse: fn(&str) -> (u64, u64),
) -> anyhow::Result<(u64, u64)> {
    let tasks = urls.iter().map(|url| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
            let text = fetch(&client, &url).await?;
            // The analysis is CPU work: on the blocking pool it cannot
            // stall the tasks that wait for the other responses (here, the
            // runtime's thread polls every task). The closure owns `text`
            // (`move`) and lends it to `analyse`, a `Copy` fn pointer.
            let counts = tokio::task::spawn_blocking(move || analyse(&text)).await?;
            anyhow::Ok(counts)
        })
    });

    // `join_all` waits for every handle and keeps the order. Each item is
    // `Result<anyhow::Result<(u64, u64)>, JoinError>`: outer layer, did the
    // task finish (or panic)? inner layer, did the fetch work? `try_fold`
    // adds up while both are `Ok` and stops at the first error.
    join_all(tasks)
        .await
        .into_iter()
        .try_fold((0, 0), |(ones, zeros), result| {
            let (o, z) = result??;
            Ok((ones + o, zeros + z))
        })
}

/// Counts the one bits and the zero bits of the bytes of `text`: a stand-in
/// for real analysis, CPU work that takes time on a large text. It makes
/// two passes, as the article's did.
pub fn count_bits(text: &str) -> (u64, u64) {
    let ones = text.bytes().map(|b| u64::from(b.count_ones())).sum();
    let zeros = text.bytes().map(|b| u64::from(b.count_zeros())).sum();
    (ones, zeros)
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
