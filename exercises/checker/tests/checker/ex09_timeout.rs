//! Exercise 9b, the catalogue: every way to give up at a deadline passes
//! all the checks; each usual mistake fails with the words that name what
//! it did.
//!
//! As in `ex09_bounded`, the cases run side by side, and so do the checks
//! of one approach.

use crate::ex09_bounded::{cases, side_by_side};
use crate::{fails_with, fetch, passes};
use anyhow::Context;
use checker::{Verdict, ex09_timeout};
use futures::future::{Either, select};
use reqwest::Client;
use std::pin::pin;
use std::time::Duration;
use tokio::time::{Instant, sleep, timeout, timeout_at};

/// The four checks of one approach, side by side.
macro_rules! all_checks {
    ($f:expr) => {{
        std::thread::scope(|s| {
            let quick = s.spawn(|| ex09_timeout::returns_the_body_in_time($f));
            let slow = s.spawn(|| ex09_timeout::gives_up_at_the_deadline($f));
            let body = s.spawn(|| ex09_timeout::gives_up_on_a_slow_body($f));
            let errors = s.spawn(|| ex09_timeout::an_error_is_not_a_timeout($f));
            [quick, slow, body, errors].map(|h| h.join().expect("a check does not panic"))
        })
    }};
}

fn all_pass(verdicts: [Verdict; 4]) {
    for v in verdicts {
        passes(v);
    }
}

// ---- correct approaches ----------------------------------------------------

/// The solution's way: `timeout` around the whole fetch.
async fn with_timeout(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    match timeout(limit, fetch(client, url)).await {
        Ok(result) => result.map(Some),
        Err(_elapsed) => Ok(None),
    }
}

/// A deadline computed first, then `timeout_at`.
async fn with_timeout_at(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    let deadline = Instant::now() + limit;
    timeout_at(deadline, fetch(client, url))
        .await
        .ok()
        .transpose()
}

/// `select!` between the fetch and a sleep.
async fn with_select(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    tokio::select! {
        body = fetch(client, url) => body.map(Some),
        () = sleep(limit) => Ok(None),
    }
}

/// `futures::future::select`, no macro.
async fn with_futures_select(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    match select(pin!(fetch(client, url)), pin!(sleep(limit))).await {
        Either::Left((body, _)) => body.map(Some),
        Either::Right(((), _)) => Ok(None),
    }
}

/// reqwest's own per-request timeout, which covers the body too.
async fn with_request_timeout(
    client: &Client,
    url: &str,
    limit: Duration,
) -> anyhow::Result<Option<String>> {
    let read = async {
        let response = client.get(url).timeout(limit).send().await?;
        response.error_for_status()?.text().await
    };
    match read.await {
        Ok(body) => Ok(Some(body)),
        Err(e) if e.is_timeout() => Ok(None),
        Err(e) => Err(e).with_context(|| format!("GET {url}")),
    }
}

fn accepts_timeout_around_the_whole_fetch() {
    all_pass(all_checks!(with_timeout));
}

fn accepts_timeout_at_a_deadline() {
    all_pass(all_checks!(with_timeout_at));
}

fn accepts_select_with_a_sleep() {
    all_pass(all_checks!(with_select));
}

fn accepts_futures_select() {
    all_pass(all_checks!(with_futures_select));
}

fn accepts_the_request_timeout_of_reqwest() {
    all_pass(all_checks!(with_request_timeout));
}

// ---- mistakes ----------------------------------------------------------------

fn waiting_out_a_slow_answer_is_not_a_timeout() {
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, _: Duration| {
            fetch(c, url).await.map(Some)
        }),
        &["returned a body after", "the limit was 300 ms"],
    );
}

fn comparing_the_time_afterwards_waits_for_the_answer() {
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, limit: Duration| {
            let started = std::time::Instant::now();
            let body = fetch(c, url).await?;
            Ok((started.elapsed() <= limit).then_some(body))
        }),
        &[
            "waited 1.",
            "still missing at its 300 ms limit",
            "`tokio::time::timeout(limit, ...)`",
        ],
    );
}

fn a_timeout_passed_on_as_an_error_is_not_none() {
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, limit: Duration| {
            Ok(Some(timeout(limit, fetch(c, url)).await??))
        }),
        &["returned an error", "turn that into Ok(None)"],
    );
}

fn giving_up_early_is_not_the_limit() {
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, limit: Duration| {
            with_timeout(c, url, limit / 2).await
        }),
        &["gave up after", "before its 300 ms limit"],
    );
}

fn trying_again_after_a_timeout_goes_past_the_limit() {
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, limit: Duration| {
            match with_timeout(c, url, limit).await? {
                Some(body) => Ok(Some(body)),
                None => with_timeout(c, url, limit).await,
            }
        }),
        &["the server saw 2 requests for the URL", "tried again"],
    );
}

fn every_error_as_none_hides_the_error() {
    fails_with(
        ex09_timeout::an_error_is_not_a_timeout(async |c: &Client, url: &str, limit: Duration| {
            match timeout(limit, fetch(c, url)).await {
                Ok(Ok(body)) => Ok(Some(body)),
                _ => Ok(None),
            }
        }),
        &[
            "returned None after",
            "404 Not Found",
            "None means that the time ran out",
        ],
    );
}

fn a_refused_connection_as_none_hides_the_error() {
    fails_with(
        ex09_timeout::an_error_is_not_a_timeout(async |c: &Client, url: &str, limit: Duration| {
            // "A server that does not answer is like a slow one."
            let refused = |e: &anyhow::Error| {
                e.downcast_ref::<reqwest::Error>()
                    .is_some_and(reqwest::Error::is_connect)
            };
            match timeout(limit, fetch(c, url)).await {
                Ok(Ok(body)) => Ok(Some(body)),
                Ok(Err(e)) if refused(&e) => Ok(None),
                Ok(Err(e)) => Err(e),
                Err(_elapsed) => Ok(None),
            }
        }),
        &["where nothing listens", "a failed connection is an Err"],
    );
}

fn an_error_status_is_not_a_body() {
    fails_with(
        ex09_timeout::an_error_is_not_a_timeout(async |c: &Client, url: &str, limit: Duration| {
            let read = async { c.get(url).send().await?.text().await };
            Ok(timeout(limit, read).await.ok().transpose()?)
        }),
        &["returned Some", "`.error_for_status()?`"],
    );
}

fn a_timeout_around_send_alone_lets_the_body_take_its_time() {
    fails_with(
        ex09_timeout::gives_up_on_a_slow_body(async |c: &Client, url: &str, limit: Duration| {
            let Ok(sent) = timeout(limit, c.get(url).send()).await else {
                return Ok(None);
            };
            Ok(Some(sent?.error_for_status()?.text().await?))
        }),
        &[
            // The seconds are measured (2.1 s quiet, 2.2 s seen under
            // load): not asserted.
            "`fetch_within` returned the body after ",
            " s, with a limit of 800 ms",
            "the headers came after 600 ms, within the limit, but the body took 1.5 s more",
            "your timeout did not cover reading the body",
        ],
    );
}

fn a_second_timeout_for_the_body_goes_past_the_limit() {
    fails_with(
        ex09_timeout::gives_up_on_a_slow_body(async |c: &Client, url: &str, limit: Duration| {
            let Ok(sent) = timeout(limit, c.get(url).send()).await else {
                return Ok(None);
            };
            let response = sent?.error_for_status()?;
            match timeout(limit, response.text()).await {
                Ok(body) => Ok(Some(body?)),
                Err(_elapsed) => Ok(None),
            }
        }),
        &[
            // Measured (about 1400 ms: the headers' 600 ms and a second
            // 800 ms), not asserted to the digit.
            "gave up after ",
            "ms, with a limit of 800 ms: the headers came after 600 ms",
            "reading the body then had a time limit of its own",
        ],
    );
}

// ---- the catalogue ----------------------------------------------------------

#[test]
fn every_correct_approach_passes_every_check() {
    side_by_side(cases![
        accepts_timeout_around_the_whole_fetch,
        accepts_timeout_at_a_deadline,
        accepts_select_with_a_sleep,
        accepts_futures_select,
        accepts_the_request_timeout_of_reqwest,
    ]);
}

#[test]
fn every_usual_mistake_fails_with_its_diagnosis() {
    side_by_side(cases![
        waiting_out_a_slow_answer_is_not_a_timeout,
        comparing_the_time_afterwards_waits_for_the_answer,
        a_timeout_passed_on_as_an_error_is_not_none,
        giving_up_early_is_not_the_limit,
        trying_again_after_a_timeout_goes_past_the_limit,
        every_error_as_none_hides_the_error,
        a_refused_connection_as_none_hides_the_error,
        an_error_status_is_not_a_body,
        a_timeout_around_send_alone_lets_the_body_take_its_time,
        a_second_timeout_for_the_body_goes_past_the_limit,
    ]);
}
