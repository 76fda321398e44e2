//! Exercise 6: concurrent requests.
//!
//! `async fn fetch_all(client: &reqwest::Client, urls: &[String]) ->
//! anyhow::Result<Vec<String>>` fetches every URL at the same time and
//! returns the bodies in the order of `urls`. The starter awaits each
//! request inside its loop.

use crate::shared::judge::Failed;
use crate::shared::lab::{Lab, urls};
use crate::shared::{Verdict, judge};
use reqwest::Client;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_the_bodies_in_order",
    "requests_run_concurrently",
    "reports_a_failed_request",
];

/// Every body, in the order of `urls`, although the later URLs answer
/// first.
pub fn returns_the_bodies_in_order(
    fetch_all: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    // Decreasing delays: completion order is the reverse of `urls`.
    let targets: Vec<_> = [250, 200, 150, 100, 50]
        .iter()
        .enumerate()
        .map(|(i, &ms)| lab.target(ms, i))
        .collect();
    let (client, list) = (lab.client(), urls(&targets));
    let (bodies, meta) = lab
        .run_async("fetch_all", move || async move {
            fetch_all(&client, &list).await
        })?
        .ok()?;
    judge::bodies_returned(&lab, &meta, &bodies, &targets)
}

/// The requests overlap at the server.
pub fn requests_run_concurrently(
    fetch_all: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(10, 200);
    let (client, list) = (lab.client(), urls(&targets));
    let (bodies, meta) = lab
        .run_async("fetch_all", move || async move {
            fetch_all(&client, &list).await
        })?
        .ok()?;
    judge::overlapped(&lab, &meta, &targets)?;
    judge::bodies_returned(&lab, &meta, &bodies, &targets)
}

/// A URL that answers `404` makes `fetch_all` return `Err`.
pub fn reports_a_failed_request(
    fetch_all: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let missing = lab.missing_url();
    let mut list = urls(&lab.targets(3, 50));
    list.insert(1, missing.clone());
    let (client, count) = (lab.client(), list.len());
    let ran = lab.run_async("fetch_all", move || async move {
        fetch_all(&client, &list).await
    })?;
    let failed = Failed {
        url: &missing,
        status: "404 Not Found",
        index: Some(1),
    };
    judge::reported_failure(
        "fetch_all",
        ran.ok().map(|(bodies, _)| bodies),
        &failed,
        |bodies: &Vec<String>| judge::swallowed_in_list(bodies, count, 1),
    )
}
