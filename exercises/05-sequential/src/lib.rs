//! # Exercise 5: requests one after the other
//!
//! **What to build:** `fetch(client, url)` returns the body of one URL,
//! exactly as the server sent it, and an error if the server answers with
//! any error status (a 404, a 403, a 500: every 4xx and 5xx).
//! `fetch_in_order(client, urls)` fetches the URLs one at a time, in order,
//! and returns their bodies (as if the server allowed only one request at a
//! time). If a URL fails, `fetch_in_order` returns that URL's error, not the
//! bodies of the others: no failed URL may be left out or replaced by an
//! empty body.
//!
//! **Reach for:** `client.get(url).send().await?`, then
//! `.error_for_status()?` and `.text().await?` (chapter 5). `anyhow::Context`
//! adds the URL to an error.
//!
//! **How it is checked:** `cargo test -p ex05-sequential` calls both
//! functions with URLs of a local delay server whose bodies change in every
//! run (and start and end with whitespace, which must come back too):
//!
//! - `fetch` with a URL answering after 50 ms: the body it sent;
//! - `fetch` with URLs that answer 404 (with a page of text), 500 and 403
//!   (empty): `Err` for each;
//! - `fetch_in_order` with 4 URLs of 50 ms: the 4 bodies, in the order of
//!   the URLs;
//! - `fetch_in_order` with 4 URLs of 100 ms: all 4 reach the server, and
//!   the server's record never shows two in flight at once;
//! - `fetch_in_order` with a URL that answers 404 second among three that
//!   answer: `Err`, not the other bodies.
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
