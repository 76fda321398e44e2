//! The code chapter 16 tests: two small async functions whose behaviour
//! depends on time, the kind that is slow or flaky to test on a real clock.
//!
//! - [`expire_after`]: collect messages until the sender has been silent
//!   for `idle` (an idle timeout, like a session that expires after an
//!   hour without activity). Testing it on a real clock takes an hour.
//! - [`fetch_within`]: a request with a time limit (exercise 9b): it talks
//!   HTTP, so its tests need a server.
//!
//! The tests are in `tests/testing.rs`; `src/main.rs` shows the same
//! tools outside a test, with the real and the virtual time side by side.

use anyhow::Context as _;
use std::time::Duration;
use tokio::sync::mpsc;

// ANCHOR: expire_after
/// Collects the messages that arrive on `messages` until none has come for
/// `idle`, or until the sender is dropped; returns them in order.
///
/// Each message restarts the wait: the session expires `idle` after the
/// *last* message, not after the first.
pub async fn expire_after(
    idle: Duration,
    messages: &mut mpsc::Receiver<String>,
) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        // A fresh timer for each wait. `timeout` polls `recv()` first, then
        // its timer: a message that is already there always wins.
        match tokio::time::timeout(idle, messages.recv()).await {
            Ok(Some(message)) => seen.push(message),
            // The sender is gone: nothing more can come.
            Ok(None) => return seen,
            // `idle` passed without a message: the session expires.
            Err(_elapsed) => return seen,
        }
    }
}
// ANCHOR_END: expire_after

// ANCHOR: fetch_within
/// Fetches `url`, or gives up with `Ok(None)` once `limit` has passed
/// (exercise 9b). An error status is an `Err`.
pub async fn fetch_within(
    client: &reqwest::Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    let fetch = async {
        let response = client.get(url).send().await?.error_for_status()?;
        response.text().await
    };
    match tokio::time::timeout(limit, fetch).await {
        Ok(body) => Ok(Some(body.with_context(|| format!("GET {url}"))?)),
        Err(_elapsed) => Ok(None),
    }
}
// ANCHOR_END: fetch_within
