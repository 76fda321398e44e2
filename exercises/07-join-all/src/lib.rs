//! # Exercise 7: fetch, analyse, and gather with `join_all`
//!
//! **What to build:** `ones_and_zeros(client, urls, analyse)` fetches every
//! URL at the same time, counts the one bits and the zero bits of each body
//! with `analyse(&text)` (CPU work: run it with `spawn_blocking`), and
//! returns the totals `(ones, zeros)` over all bodies. Any failed request
//! (a 404, say) makes it return `Err`. In a program, `analyse` is
//! `count_bits` below: `ones_and_zeros(&client, &urls, count_bits)`.
//!
//! **Reach for:** `tokio::spawn` for each URL, `tokio::task::spawn_blocking`
//! for the analysis, and `futures::future::join_all` to wait for all the
//! handles (chapter 7).
//!
//! **How it is checked:** `cargo test -p ex07-join-all` calls your function
//! with URLs of a local delay server that invents new bodies in every run.
//! The `analyse` it hands you counts like `count_bits` and notes the thread
//! it runs on:
//!
//! - 6 URLs of 50 ms: your totals equal the server's own count of the
//!   bodies' bits;
//! - 6 URLs of 30 ms: `analyse` ran once per body, every time on the
//!   runtime's blocking pool, never on the runtime's own thread (the one
//!   that polls your tasks) nor on a thread you start yourself;
//! - 10 URLs of 150 ms: all 10 in flight at once at the server, back
//!   within 800 ms (twice the delay and half a second for a loaded
//!   machine), the totals right;
//! - a URL that answers 404 among three that answer: `Err`.
//!
//! **Hint:** `join_all` over `JoinHandle`s of tasks that return
//! `anyhow::Result<(u64, u64)>` gives a
//! `Vec<Result<anyhow::Result<(u64, u64)>, JoinError>>`: the outer `Result`
//! says whether the task ran to the end, the inner one whether the fetch
//! worked. `result??` unwraps both in a loop (`try_fold` does it without
//! one). `analyse` is a plain `fn` pointer, `Copy`: a `move` closure takes
//! its own copy, so `spawn_blocking(move || analyse(&text))` just works.

// The parameters are unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

use anyhow::Context;
use reqwest::Client;

/// Fetches every URL concurrently and returns the total (ones, zeros) of
/// the bits of all bodies, each counted by `analyse`.
pub async fn ones_and_zeros(
    client: &Client,
    urls: &[String],
    analyse: fn(&str) -> (u64, u64),
) -> anyhow::Result<(u64, u64)> {
    todo!()
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
