//! Exercise 8: do not block the executor.
//!
//! `async fn fetch_after(client: &reqwest::Client, url: &str, pause:
//! Duration) -> anyhow::Result<String>` waits `pause`, then fetches `url`.
//! The starter waits with `std::thread::sleep`.

use crate::shared::lab::Lab;
use crate::shared::{Diagnosis, Verdict, judge};
use reqwest::Client;
use std::time::Duration;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_the_body",
    "waits_before_sending",
    "does_not_block_the_runtime",
];

/// `fetch_after` returns the body the server sent.
pub fn returns_the_body(
    fetch_after: impl AsyncFn(&Client, &str, Duration) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let target = lab.target(50, "one");
    let (client, url) = (lab.client(), target.url.clone());
    let (body, meta) = lab
        .run_async("fetch_after", move || async move {
            fetch_after(&client, &url, Duration::from_millis(100)).await
        })?
        .ok()?;
    judge::bodies_returned(&lab, &meta, &[body], &[target])
}

/// The request reaches the server only after the pause.
pub fn waits_before_sending(
    fetch_after: impl AsyncFn(&Client, &str, Duration) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let pause = Duration::from_millis(300);
    let lab = Lab::start()?;
    let target = lab.target(50, "one");
    let (client, url) = (lab.client(), target.url.clone());
    let (_, meta) = lab
        .run_async("fetch_after", move || async move {
            fetch_after(&client, &url, pause).await
        })?
        .ok()?;
    let Some(arrived) = lab
        .requests()
        .iter()
        .find(|r| r.path == target.path)
        .map(|r| r.arrived)
    else {
        return Err(Diagnosis::new(
            "the delay server never saw the request: `fetch_after` must send it.",
        ));
    };
    let after = arrived.saturating_duration_since(meta.started);
    // A little slack for timer granularity; a missing pause is far below.
    if after + Duration::from_millis(20) >= pause {
        return Ok(());
    }
    Err(Diagnosis::new(format!(
        "the request reached the server {} ms after `fetch_after` was called, before the {} ms \
         pause was over: wait first (`tokio::time::sleep(pause).await`), then send.",
        after.as_millis(),
        pause.as_millis()
    )))
}

/// While `fetch_after` waits, the runtime runs other tasks.
pub fn does_not_block_the_runtime(
    fetch_after: impl AsyncFn(&Client, &str, Duration) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let pause = Duration::from_millis(500);
    let lab = Lab::start()?;
    let target = lab.target(50, "one");
    let (client, url) = (lab.client(), target.url.clone());
    let (_, meta) = lab
        .run_async("fetch_after", move || async move {
            fetch_after(&client, &url, pause).await
        })?
        .ok()?;
    judge::kept_running(
        &meta,
        pause / 2,
        "`std::thread::sleep` parks the whole thread; `tokio::time::sleep(pause).await` \
         parks only this task and lets the runtime run others meanwhile.",
    )
}
