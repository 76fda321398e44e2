//! # Exercise 10: tasks that share a map
//!
//! **What to build:** `fetch_sizes(client, urls)` fetches every URL at the
//! same time and returns a map from each URL to the size of its body in
//! bytes. The code below does it with one spawned task per URL, each
//! recording its size as its answer comes, in one map they all share. It
//! gets every size right, but it is as slow as fetching one URL after
//! another: each task takes the lock *before* its request and holds it
//! across the `.await`, so while one task waits for its answer, all the
//! others wait for the lock. Make the requests overlap again, without
//! losing a single update.
//!
//! **Reach for:** `Arc<std::sync::Mutex<HashMap<..>>>` (chapter 10): fetch
//! first, with no lock held, then lock for the insert only, in a block of
//! its own so that the guard is gone before any later `.await`. tokio's
//! `Mutex`, locked after the fetch, works too, and so does
//! `std::sync::RwLock`; or share nothing: each task returns its size, and
//! you merge them into the map after awaiting the handles (`JoinSet`,
//! `join_all`). The tasks are the chapter's way, not a rule: the futures
//! polled together in one task (`join_all` on them, unspawned) pass too,
//! if they share the map the same way.
//!
//! **How it is checked:** `cargo test -p ex10-shared-state` calls
//! `fetch_sizes` with URLs of a local delay server, whose bodies change in
//! every run, and checks three things:
//!
//! - every size: 8 URLs whose answers come back in the reverse order of
//!   the URLs, 25 ms apart; the map you return holds each URL, exactly as
//!   given, with the number of bytes its body had, and no other key;
//! - overlap: 8 URLs of 80 ms each; the server's record of arrivals and
//!   answers must show all 8 in flight at once (fewer is forgiven only if
//!   the check's ticker saw the runtime held up for 50 ms or more, which
//!   a loaded machine can do), `fetch_sizes` must return within 1.2 s of
//!   what the requests take, and the sizes must be right as above;
//! - errors: a URL that answers 404, among three that answer, must make
//!   `fetch_sizes` return `Err`.
//!
//! **Hint:** a lock protects the data, not the work that produces it.
//! Taking what you need and releasing the lock early is right; reading
//! the map before the request and writing it back after is not: every
//! task would read it empty, and the last one to write would erase the
//! others' sizes. `drop(guard)` before an `.await` releases the lock, but
//! rustc still counts a std guard as held until the end of its block, and
//! `tokio::spawn` refuses the task: use a block.

use anyhow::Context;
use reqwest::Client;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Fetches every URL at once, one task each; returns each URL with the
/// size of its body, in bytes.
pub async fn fetch_sizes(
    client: &Client,
    urls: &[String],
) -> anyhow::Result<HashMap<String, usize>> {
    let sizes = Arc::new(Mutex::new(HashMap::new()));
    let mut handles = Vec::new();
    for url in urls {
        let (client, url) = (client.clone(), url.clone());
        let sizes = Arc::clone(&sizes);
        handles.push(tokio::spawn(async move {
            // The lock first, then the request: the guard lives across
            // the `.await` below, and so does the lock.
            let mut sizes = sizes.lock().await;
            let body = fetch(&client, &url).await?;
            sizes.insert(url, body.len());
            anyhow::Ok(())
        }));
    }
    for handle in handles {
        handle.await??;
    }
    let sizes = sizes.lock().await;
    Ok(sizes.clone())
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
