//! # Exercise 2: a future does nothing until it is polled
//!
//! **What to build:** `notify_all(client, urls)` sends a GET request to
//! every URL (think of pinging a list of web hooks) and returns once each
//! one has been answered. The code below compiles, runs without an error
//! and sends nothing at all. Find out why, and fix it.
//!
//! **Reach for:** `.await` (chapter 2: futures are lazy).
//!
//! **How it is checked:** `cargo test -p ex02-lazy` runs `notify_all` with
//! five URLs of a local delay server that answer after 50, 80, 110, 140
//! and 170 ms. When your function has returned, the server must have seen
//! all five requests, and each answer must have been due by then (5 ms of
//! slack): a request given up on before its answer was sent, then dropped.
//!
//! **Hint:** `client.get(url).send()` does not send anything yet: it
//! returns a future that sends the request when it is polled. Who polls
//! that future here, before it is dropped at the end of the loop body?

use reqwest::Client;

/// Sends a GET request to every URL and waits for each answer.
pub async fn notify_all(client: &Client, urls: &[String]) -> anyhow::Result<()> {
    for url in urls {
        // Send the request to this URL... or does it?
        let _response = client.get(url).send();
    }
    Ok(())
}
