//! Exercise 5: requests one after the other.
//!
//! `async fn fetch(client: &reqwest::Client, url: &str) ->
//! anyhow::Result<String>` returns the body of one URL (an error for an
//! error status); `async fn fetch_in_order(client, urls: &[String]) ->
//! anyhow::Result<Vec<String>>` fetches them one at a time, in order, and
//! returns the error of a URL that fails instead of the bodies.

use crate::shared::judge::{Failed, Swallowed};
use crate::shared::lab::{Lab, urls};
use crate::shared::{Diagnosis, Verdict, judge};
use reqwest::Client;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "fetch_returns_the_body",
    "fetch_fails_on_a_server_error",
    "returns_the_bodies_in_order",
    "sends_one_request_at_a_time",
    "reports_a_failed_request",
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
    judge::bodies_returned(&lab, &meta, &[body], &[target])
}

/// `fetch` gives `Err` for every error status: a `404` (with a page of
/// text), then a `500` and a `403` (empty bodies), so that code that looks
/// for one status only, or for client errors only, fails too.
pub fn fetch_fails_on_a_server_error(
    fetch: impl AsyncFn(&Client, &str) -> anyhow::Result<String> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let cases = [
        (lab.missing_url(), "404 Not Found"),
        (lab.status_url(500), "500 Internal Server Error"),
        (lab.status_url(403), "403 Forbidden"),
    ];
    let (client, list) = (lab.client(), cases.clone());
    let ran = lab.run_async("fetch", move || async move {
        let mut results = Vec::new();
        for (url, _) in &list {
            results.push(fetch(&client, url).await);
        }
        results
    })?;
    for (n, ((url, status), result)) in cases.iter().zip(ran.value).enumerate() {
        let result = result
            .map_err(|e| crate::shared::explain::returned_error("fetch", &e, &ran.meta.panics));
        let failed = Failed {
            url,
            status,
            index: None,
        };
        if n == 0 {
            judge::reported_failure("fetch", result, &failed, |text: &String| {
                if text.is_empty() {
                    Swallowed::AsDefault
                } else {
                    Swallowed::AsBody
                }
            })?;
            continue;
        }
        match result {
            Ok(_) => {
                return Err(Diagnosis::new(format!(
                    "`fetch` returned Err for a 404 but Ok for {status} ({url}): only some \
                     error statuses were treated as errors. `.error_for_status()` turns every \
                     4xx and 5xx answer into an error; a test of `status() == 404` (or of \
                     `is_client_error()`) misses the others."
                )));
            }
            Err(d) if d.message().starts_with("`fetch` returned an error") => {}
            Err(d) => return Err(d),
        }
    }
    Ok(())
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
    judge::bodies_returned(&lab, &meta, &bodies, &targets)
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

/// A URL that answers `404` among others makes `fetch_in_order` return its
/// error: not the other bodies without it, not an empty body in its place.
pub fn reports_a_failed_request(
    fetch_in_order: impl AsyncFn(&Client, &[String]) -> anyhow::Result<Vec<String>> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let missing = lab.missing_url();
    let mut list = urls(&lab.targets(3, 20));
    list.insert(1, missing.clone());
    let (client, count) = (lab.client(), list.len());
    let ran = lab.run_async("fetch_in_order", move || async move {
        fetch_in_order(&client, &list).await
    })?;
    let failed = Failed {
        url: &missing,
        status: "404 Not Found",
        index: Some(1),
    };
    judge::reported_failure(
        "fetch_in_order",
        ran.ok().map(|(bodies, _)| bodies),
        &failed,
        |bodies: &Vec<String>| judge::swallowed_in_list(bodies, count, 1),
    )
}
