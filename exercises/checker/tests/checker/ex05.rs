//! Exercise 5, `fetch(client, url)` and `fetch_in_order(client, urls)`:
//! requests one after the other, errors as errors.

use crate::{fails_with, fetch, passes};
use checker::ex05;
use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Client;

// ---- mistakes --------------------------------------------------------------

#[test]
fn an_error_status_must_not_pass_for_a_body() {
    fails_with(
        ex05::fetch_fails_on_a_server_error(async |c: &Client, url: &str| {
            Ok(c.get(url).send().await?.text().await?)
        }),
        &[
            "returned Ok although the server answered 404 Not Found",
            "the error page's text came back as if it were a body",
            "error_for_status",
        ],
    );
}

#[test]
fn checking_for_404_only_misses_the_other_statuses() {
    fails_with(
        ex05::fetch_fails_on_a_server_error(async |c: &Client, url: &str| {
            let response = c.get(url).send().await?;
            anyhow::ensure!(response.status() != 404, "not found: {url}");
            Ok(response.text().await?)
        }),
        &[
            "`fetch` returned Err for a 404 but Ok for 500 Internal Server Error",
            "every 4xx and 5xx",
        ],
    );
}

#[test]
fn client_errors_only_miss_the_server_errors() {
    fails_with(
        ex05::fetch_fails_on_a_server_error(async |c: &Client, url: &str| {
            let response = c.get(url).send().await?;
            anyhow::ensure!(!response.status().is_client_error(), "failed: {url}");
            Ok(response.text().await?)
        }),
        &["Ok for 500 Internal Server Error", "`is_client_error()`"],
    );
}

#[test]
fn an_error_turned_into_an_empty_body_is_noticed() {
    fails_with(
        ex05::fetch_fails_on_a_server_error(async |c: &Client, url: &str| {
            Ok(fetch(c, url).await.unwrap_or_default())
        }),
        &[
            "returned Ok although the server answered 404 Not Found",
            "the error was noticed, then replaced by an empty default",
        ],
    );
}

#[test]
fn a_trimmed_body_is_not_the_body() {
    fails_with(
        ex05::fetch_returns_the_body(async |c: &Client, url: &str| {
            Ok(fetch(c, url).await?.trim().to_string())
        }),
        &[
            "the body returned for the 1st URL",
            "the server's body trimmed",
        ],
    );
}

#[test]
fn a_failed_url_left_out_is_noticed() {
    fails_with(
        ex05::reports_a_failed_request(async |c: &Client, urls: &[String]| {
            let mut bodies = Vec::new();
            for url in urls {
                if let Ok(body) = fetch(c, url).await {
                    bodies.push(body);
                }
            }
            Ok(bodies)
        }),
        &[
            "`fetch_in_order` returned Ok although the server answered 404 Not Found for the \
             2nd URL",
            "thrown away and the URL left out of the result",
        ],
    );
}

#[test]
fn a_failed_url_replaced_by_an_empty_body_is_noticed() {
    fails_with(
        ex05::reports_a_failed_request(async |c: &Client, urls: &[String]| {
            let mut bodies = Vec::new();
            for url in urls {
                bodies.push(fetch(c, url).await.unwrap_or_default());
            }
            Ok(bodies)
        }),
        &["for the 2nd URL", "replaced by an empty default"],
    );
}

#[test]
fn concurrency_where_one_at_a_time_was_asked() {
    fails_with(
        ex05::sends_one_request_at_a_time(async |c: &Client, urls: &[String]| {
            futures::future::try_join_all(urls.iter().map(|u| fetch(c, u))).await
        }),
        &["4 requests were in flight at once", "one after the other"],
    );
}

#[test]
fn the_wrong_order_is_named_from_one() {
    fails_with(
        ex05::returns_the_bodies_in_order(async |c: &Client, urls: &[String]| {
            let mut bodies = Vec::new();
            for url in urls.iter().rev() {
                bodies.push(fetch(c, url).await?);
            }
            Ok(bodies)
        }),
        &["returned the body of the 4th URL in the 1st place"],
    );
}

// ---- correct approaches (the solution: a `for` loop of `fetch(..).await?`)

async fn fetch_checking_the_status_by_hand(c: &Client, url: &str) -> anyhow::Result<String> {
    let response = c.get(url).send().await?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(response.text().await?)
}

async fn fetch_with_error_for_status_ref(c: &Client, url: &str) -> anyhow::Result<String> {
    let response = c.get(url).send().await?;
    response.error_for_status_ref()?;
    Ok(response.text().await?)
}

async fn fetch_bytes_as_text(c: &Client, url: &str) -> anyhow::Result<String> {
    let bytes = c.get(url).send().await?.error_for_status()?.bytes().await?;
    Ok(String::from_utf8(bytes.to_vec())?)
}

#[test]
fn ex05_fetch_accepts_every_status_check() {
    passes(ex05::fetch_returns_the_body(
        fetch_checking_the_status_by_hand,
    ));
    passes(ex05::fetch_fails_on_a_server_error(
        fetch_checking_the_status_by_hand,
    ));
    passes(ex05::fetch_returns_the_body(
        fetch_with_error_for_status_ref,
    ));
    passes(ex05::fetch_fails_on_a_server_error(
        fetch_with_error_for_status_ref,
    ));
    passes(ex05::fetch_returns_the_body(fetch_bytes_as_text));
    passes(ex05::fetch_fails_on_a_server_error(fetch_bytes_as_text));
}

async fn a_stream_then(c: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    stream::iter(urls).then(|u| fetch(c, u)).try_collect().await
}

async fn buffered_one(c: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    stream::iter(urls)
        .map(|u| fetch(c, u))
        .buffered(1)
        .try_collect()
        .await
}

async fn collected_then_checked(c: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut results = Vec::new();
    for url in urls {
        results.push(fetch(c, url).await);
    }
    // Every request was sent; the first error, if any, is the answer.
    results.into_iter().collect()
}

async fn a_while_loop(c: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut bodies = Vec::with_capacity(urls.len());
    let mut i = 0;
    while i < urls.len() {
        let body = fetch(c, &urls[i]).await?;
        bodies.push(body);
        i += 1;
    }
    Ok(bodies)
}

macro_rules! ex05_accepts {
    ($($name:ident: $f:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            crate::together!(
                passes(ex05::returns_the_bodies_in_order($f)),
                passes(ex05::sends_one_request_at_a_time($f)),
                passes(ex05::reports_a_failed_request($f)),
            );
        }
    )+};
}

ex05_accepts! {
    ex05_accepts_a_stream_then: a_stream_then,
    ex05_accepts_buffered_one: buffered_one,
    ex05_accepts_results_collected_then_checked: collected_then_checked,
    ex05_accepts_a_while_loop: a_while_loop,
}
