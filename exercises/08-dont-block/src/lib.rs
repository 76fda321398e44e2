//! # Exercise 8: do not block the executor
//!
//! **What to build:** `fetch_after(client, url, pause)` waits `pause`
//! (a polite client backing off before it asks again), then fetches `url`.
//! The code below does that, and while it waits, nothing else can run on
//! its thread: every other task there stalls for the whole pause. Fix it so
//! that the wait leaves the runtime free.
//!
//! **Reach for:** the async counterpart of the blocking call (chapter 8):
//! `tokio::time::sleep(pause).await`.
//!
//! **How it is checked:** `cargo test -p ex08-dont-block` runs your
//! function on a single-threaded runtime beside a ticker task that wakes
//! every 10 ms, three times, with a URL of a local delay server that
//! answers after 50 ms:
//!
//! - with a pause of 100 ms, it must return the body the server sent;
//! - with a pause of 300 ms, the request must reach the server no sooner
//!   than 280 ms after the call (20 ms of slack for the timer's
//!   granularity);
//! - with a pause of 500 ms, the ticker must never have to wait 250 ms or
//!   more beyond its period: a blocked thread holds it up for the whole
//!   pause.
//!
//! **Hint:** `std::thread::sleep` parks the whole OS thread, and with it
//! every task the runtime would run there. `std::fs`, `std::net`,
//! `std::sync` and `std::thread` hold more such calls; tokio has async
//! versions of them.

use anyhow::Context;
use reqwest::Client;
use std::time::Duration;

/// Waits `pause`, then fetches `url`.
pub async fn fetch_after(client: &Client, url: &str, pause: Duration) -> anyhow::Result<String> {
    // Back off before asking.
    std::thread::sleep(pause);
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    Ok(response.text().await?)
}
