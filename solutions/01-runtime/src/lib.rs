//! Solution of exercise 1: start a runtime and block on a future.

use anyhow::Context;

/// Fetches `url` from plain, non-async code.
pub fn fetch_blocking(url: &str) -> anyhow::Result<String> {
    // Plain code cannot `.await`: something has to poll the future. That is
    // the runtime's job. `Runtime::new()` builds the multi-threaded runtime
    // with its I/O and timer drivers enabled, which reqwest needs.
    let runtime = tokio::runtime::Runtime::new().context("cannot start a tokio runtime")?;
    // `block_on` polls the future on this thread until it is done and hands
    // back its output: here the `Result` of the fetch, passed on as it is.
    runtime.block_on(fetch(url))
    // The runtime is dropped here, which shuts it down.
}

/// The async part: an ordinary async fn, as the chapters write them.
async fn fetch(url: &str) -> anyhow::Result<String> {
    let response = reqwest::get(url)
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    Ok(response.text().await?)
}

/// The same with the macro: `#[tokio::main]` works on any function, not
/// only `main`. It rewrites this `async fn` into a plain `fn` that builds a
/// runtime and calls `block_on` on the body, exactly as above.
#[tokio::main]
pub async fn fetch_blocking_with_macro(url: &str) -> anyhow::Result<String> {
    fetch(url).await
}
