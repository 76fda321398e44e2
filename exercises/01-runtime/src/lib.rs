//! # Exercise 1: start a runtime and block on a future
//!
//! **What to build:** `fetch_blocking(url)`, a plain function (not `async`)
//! that returns the body of `url`. Plain code cannot `.await`, so it has to
//! start a tokio runtime and let the runtime drive an async request to the
//! end.
//!
//! **Reach for:** `tokio::runtime::Runtime::new()` and `Runtime::block_on`
//! (chapter 1), and `reqwest::get(url).await?.error_for_status()?.text().await?`
//! for the request itself. Or put `#[tokio::main]` on an `async fn`: it
//! works on any function, not only `main`.
//!
//! **How it is checked:** `cargo test -p ex01-runtime` calls your function
//! from a plain thread (no runtime around it) with a URL of a local delay
//! server whose bodies change in every run, and compares the body. A URL
//! where nothing listens must give `Err`, not a panic.
//!
//! **Hint:** `block_on` returns whatever the future returns. If the future
//! is an `async fn` returning `anyhow::Result<String>`, return what
//! `block_on` gives you.

// The parameter is unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

/// Fetches `url` from plain, non-async code and returns the body.
pub fn fetch_blocking(url: &str) -> anyhow::Result<String> {
    todo!()
}
