//! Solution of exercise 10: tasks that share a map.

use anyhow::Context;
use reqwest::Client;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Fetches every URL at once, one task each; returns each URL with the
/// size of its body, in bytes.
pub async fn fetch_sizes(
    client: &Client,
    urls: &[String],
) -> anyhow::Result<HashMap<String, usize>> {
    // One map, shared: every task gets a clone of the `Arc` (a pointer),
    // not of the map. std's Mutex, as the lock is held for an insert only.
    let sizes = Arc::new(Mutex::new(HashMap::new()));
    let mut handles = Vec::new();
    for url in urls {
        let (client, url) = (client.clone(), url.clone());
        let sizes = Arc::clone(&sizes);
        handles.push(tokio::spawn(async move {
            // The request first, with no lock held: the tasks' requests
            // overlap.
            let body = fetch(&client, &url).await?;
            // Then the lock, for the insert only. The block ends the
            // guard's scope: a std guard alive across an `.await` would
            // make this task's future not `Send`, and `tokio::spawn` would
            // refuse it. `lock()` fails only if a task panicked holding it.
            {
                let mut sizes = sizes
                    .lock()
                    .map_err(|_| anyhow::anyhow!("a task panicked holding the lock"))?;
                sizes.insert(url, body.len());
            }
            anyhow::Ok(())
        }));
    }
    // Every task must be done before the map is complete: await them all
    // (`??`: did the task finish, and did its request succeed?).
    for handle in handles {
        handle.await??;
    }
    // The tasks are done and their clones of the `Arc` gone; take the map
    // out from under the lock.
    let mut sizes = sizes
        .lock()
        .map_err(|_| anyhow::anyhow!("a task panicked holding the lock"))?;
    Ok(std::mem::take(&mut *sizes))
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
