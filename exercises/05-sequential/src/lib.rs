//! # Exercise 5: requests one after the other
//!
//! **What to build:** `fetch(client, url)` returns the body of one URL, and
//! an error if the server answers with an error status such as 404.
//! `fetch_in_order(client, urls)` fetches the URLs one at a time, in order,
//! and returns their bodies (as if the server allowed only one request at a
//! time).
//!
//! **Reach for:** `client.get(url).send().await?`, then
//! `.error_for_status()?` and `.text().await?` (chapter 5). `anyhow::Context`
//! adds the URL to an error.
//!
//! **How it is checked:** `cargo test -p ex05-sequential` calls both
//! functions with URLs of a local delay server whose bodies change in every
//! run. The server records every request: `fetch_in_order` must never have
//! two in flight.
//!
//! **Hint:** to reqwest, a 404 is a perfectly good response; only
//! `error_for_status()` turns it into an error. In `fetch_in_order`, a
//! plain `for` loop that awaits `fetch` for each URL is all it takes.

// The parameters are unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

use reqwest::Client;

/// Fetches one URL; an error status is an error.
pub async fn fetch(client: &Client, url: &str) -> anyhow::Result<String> {
    todo!()
}

/// Fetches the URLs one after the other and returns the bodies in order.
pub async fn fetch_in_order(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    todo!()
}
