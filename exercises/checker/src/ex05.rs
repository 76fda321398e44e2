//! Exercise 5: requests one after the other.
//!
//! `async fn fetch(client: &reqwest::Client, url: &str) ->
//! anyhow::Result<String>` returns the body of one URL (an error for an
//! error status); `async fn fetch_in_order(client, urls: &[String]) ->
//! anyhow::Result<Vec<String>>` fetches them one at a time, in order.

use crate::lab::{Lab, urls};
use crate::{Diagnosis, Verdict, judge};
use reqwest::Client;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "fetch_returns_the_body",
    "fetch_fails_on_a_server_error",
    "returns_the_bodies_in_order",
    "sends_one_request_at_a_time",
];

/// `fetch(client, url)` returns the body the server sent.
pub fn fetch_returns_the_body(
    fetch: impl AsyncFn(&Client, &str) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let target = lab.target(50, "one");
    let (client, url) = (lab.client(), target.url.clone());
    let (body, meta) = lab
        .run_async("fetch", move || async move { fetch(&client, &url).await })?
        .ok()?;
    judge::bodies_in_order(&meta, &[body], &[target])
}

/// `fetch` gives `Err` when the server answers `404`.
pub fn fetch_fails_on_a_server_error(
    fetch: impl AsyncFn(&Client, &str) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let missing = lab.missing_url();
    let (client, url) = (lab.client(), missing.clone());
    let ran = lab.run_async("fetch", move || async move { fetch(&client, &url).await })?;
    judge::reported_failure("fetch", ran.ok(), &missing)
}

/// `fetch_in_order` returns every body, in the order of `urls`.
pub fn returns_the_bodies_in_order(
    fetch_in_order: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(4, 50);
    let (client, list) = (lab.client(), urls(&targets));
    let (bodies, meta) = lab
        .run_async("fetch_in_order", move || async move {
            fetch_in_order(&client, &list).await
        })?
        .ok()?;
    judge::bodies_in_order(&meta, &bodies, &targets)
}

/// `fetch_in_order` never has two requests in flight.
pub fn sends_one_request_at_a_time(
    fetch_in_order: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(4, 100);
    let (client, list) = (lab.client(), urls(&targets));
    let (_, meta) = lab
        .run_async("fetch_in_order", move || async move {
            fetch_in_order(&client, &list).await
        })?
        .ok()?;
    let seen = judge::seen(&lab, &targets);
    if seen < targets.len() {
        return Err(Diagnosis::new(format!(
            "the delay server saw only {seen} of the {} requests: send one request per URL.{}",
            targets.len(),
            judge::panic_note(&meta.panics)
        )));
    }
    let peak = lab.peak_in_flight();
    if peak <= 1 {
        return Ok(());
    }
    Err(Diagnosis::new(format!(
        "{peak} requests were in flight at once: this exercise asks for one after the other. \
         `.await` each request before you send the next (chapter 6 makes them concurrent)."
    )))
}
