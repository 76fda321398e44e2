//! Exercise 9b: give up on a slow request.
//!
//! `async fn fetch_within(client: &reqwest::Client, url: &str, limit:
//! Duration) -> anyhow::Result<Option<String>>` returns `Ok(Some(body))` if
//! the answer comes within `limit`, `Ok(None)` if it does not, and returns
//! then, without waiting for the late answer. An error (an error status, a
//! server that is not there) is an `Err`, not a `None`.
//!
//! The checks time the call against a slow answer and against one whose
//! headers come in time but whose body trickles in (`?drip=`), and use the
//! server's record to tell a second try from a late timer.

use crate::shared::explain::secs;
use crate::shared::lab::Lab;
use crate::shared::{Diagnosis, Verdict, judge};
use reqwest::Client;
use std::time::Duration;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_the_body_in_time",
    "gives_up_at_the_deadline",
    "gives_up_on_a_slow_body",
    "an_error_is_not_a_timeout",
];

/// The limit of the checks that wait for a slow answer.
const LIMIT: Duration = Duration::from_millis(300);

/// How late after its limit `fetch_within` may return `None`.
///
/// tokio's timer fires in the first millisecond tick after the deadline;
/// on a loaded machine the runtime's thread may then wait for a core. At a
/// load of 10 to 15 on two cores the catalogue's correct approaches came
/// back at most 10 ms after a 300 ms limit. Half the limit (150 ms) covers
/// that many times over, and stays clear of the usual mistakes that return
/// late: trying again after the first timeout cannot end before twice the
/// limit, and a second timeout for the body (headers at 600 ms of an
/// 800 ms limit) not before 1.4 s.
fn latest(limit: Duration) -> Duration {
    limit + limit / 2
}

/// How early `None` may come: tokio's timers never fire before their
/// deadline, and the run's clock starts before the learner's code does, so
/// a correct `None` comes after the limit. The 5 % only absorbs rounding.
fn earliest(limit: Duration) -> Duration {
    limit - limit / 20
}

/// A quick answer comes back as `Some(body)`.
pub fn returns_the_body_in_time(
    fetch_within: impl AsyncFn(&Client, &str, Duration) -> anyhow::Result<Option<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let target = lab.target(50, "quick");
    let (client, url) = (lab.client(), target.url.clone());
    let limit = Duration::from_secs(3);
    let (body, meta) = lab
        .run_async("fetch_within", move || async move {
            fetch_within(&client, &url, limit).await
        })?
        .ok()?;
    match body {
        Some(body) => judge::bodies_in_order(&meta, &[body], &[target]),
        None => Err(Diagnosis::new(format!(
            "`fetch_within` returned None after {} ms for a request the server answered after \
             50 ms, with a limit of {}: return Some(body) when the answer comes in time.",
            meta.took.as_millis(),
            secs(limit)
        ))),
    }
}

/// A slow answer gives `None`, at the limit: not before it, not when the
/// answer comes, and not after a second try.
pub fn gives_up_at_the_deadline(
    fetch_within: impl AsyncFn(&Client, &str, Duration) -> anyhow::Result<Option<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let target = lab.target(1500, "slow");
    let (client, url) = (lab.client(), target.url.clone());
    let limit = LIMIT;
    let ran = lab.run_async("fetch_within", move || async move {
        fetch_within(&client, &url, limit).await
    })?;
    let took = ran.meta.took;
    let ms = took.as_millis();
    let limit_ms = limit.as_millis();
    let tries = lab
        .requests()
        .iter()
        .filter(|r| r.path == target.path)
        .count();
    match ran.ok() {
        Ok((Some(_), _)) => Err(Diagnosis::new(format!(
            "`fetch_within` returned a body after {ms} ms, although the limit was {limit_ms} ms: \
             return None when the answer does not come within the limit."
        ))),
        Ok((None, _)) if took < earliest(limit) => Err(Diagnosis::new(format!(
            "`fetch_within` gave up after {ms} ms, before its {limit_ms} ms limit: wait the \
             whole limit."
        ))),
        Ok((None, _)) if took <= latest(limit) => Ok(()),
        Ok((None, _)) if tries > 1 => Err(Diagnosis::new(format!(
            "`fetch_within` gave up after {ms} ms, with a limit of {limit_ms} ms, and the server \
             saw {tries} requests for the URL: after the first timeout it tried again. The \
             limit is for the whole call: when it runs out, return None."
        ))),
        Ok((None, meta)) => Err(Diagnosis::new(format!(
            "`fetch_within` waited {} for an answer that was still missing at its {limit_ms} ms \
             limit: wrap the request in `tokio::time::timeout(limit, ...)`, which drops \
             (cancels) it when the time is up.{}",
            secs(took),
            judge::panic_note(&meta.panics)
        ))),
        Err(d) if d.message().starts_with("`fetch_within` returned an error") => {
            Err(Diagnosis::new(format!(
                "{d}. A late answer is not an error here: `tokio::time::timeout` gives \
                 `Err(Elapsed)` when the time is up; turn that into Ok(None).",
            )))
        }
        Err(d) => Err(d),
    }
}

/// Headers in time but a body that trickles in: `None` at the limit too.
/// The limit is for the whole answer, reading the body included.
pub fn gives_up_on_a_slow_body(
    fetch_within: impl AsyncFn(&Client, &str, Duration) -> anyhow::Result<Option<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    // The headers come after 600 ms, within the 800 ms limit; the body
    // then takes 1.5 s. A timeout around `send()` alone lets the body
    // take as long as it likes; one timeout for the headers and another
    // for the body gives up at 1.4 s, past `latest(limit)` (1.2 s). Both
    // margins are 200 ms, so that a loaded machine, where the headers come
    // late and the timer fires late, cannot turn one verdict into the
    // other (with 200 ms headers and a 300 ms limit, at 8 checks at once on
    // 2 cores, the headers came after the limit and `send()`'s own timeout
    // passed).
    let (headers, drip) = (600, 1500);
    let target = lab.target(headers, "slow-body");
    let (client, url) = (lab.client(), format!("{}&drip={drip}", target.url));
    let limit = Duration::from_millis(800);
    let ran = lab.run_async("fetch_within", move || async move {
        fetch_within(&client, &url, limit).await
    })?;
    let took = ran.meta.took;
    let (ms, limit_ms) = (took.as_millis(), limit.as_millis());
    let tries = lab
        .requests()
        .iter()
        .filter(|r| r.path == target.path)
        .count();
    let uncovered = format!(
        "the headers came after {headers} ms, within the limit, but the body took {} more: \
         your timeout did not cover reading the body",
        secs(Duration::from_millis(drip))
    );
    match ran.ok() {
        Ok((Some(_), _)) => Err(Diagnosis::new(format!(
            "`fetch_within` returned the body after {}, with a limit of {limit_ms} ms: \
             {uncovered}. `send()` ends when the headers arrive; `.text().await` then reads the \
             body. Put both inside the one `timeout` (wrap the whole `fetch(client, url)`).",
            secs(took)
        ))),
        Ok((None, _)) if took < earliest(limit) => Err(Diagnosis::new(format!(
            "`fetch_within` gave up after {ms} ms, before its {limit_ms} ms limit: wait the \
             whole limit."
        ))),
        Ok((None, _)) if took <= latest(limit) => Ok(()),
        Ok((None, _)) if tries > 1 => Err(Diagnosis::new(format!(
            "`fetch_within` gave up after {ms} ms, with a limit of {limit_ms} ms, and the server \
             saw {tries} requests for the URL: after the first timeout it tried again. The \
             limit is for the whole call: when it runs out, return None."
        ))),
        Ok((None, _)) => Err(Diagnosis::new(format!(
            "`fetch_within` gave up after {ms} ms, with a limit of {limit_ms} ms: the headers \
             came after {headers} ms, and reading the body then had a time limit of its own. The \
             limit is for the whole answer: one `timeout` around the whole fetch, or one \
             deadline (`timeout_at`) for both steps."
        ))),
        Err(d) if d.message().starts_with("`fetch_within` returned an error") => {
            Err(Diagnosis::new(format!(
                "{d}. A late answer is not an error here, even when the headers came in time \
                 and the body did not: turn the timeout's `Err(Elapsed)` into Ok(None).",
            )))
        }
        Err(d) => Err(d),
    }
}

/// An error status and a server that is not there both give `Err`, at
/// once: `None` says only that the time ran out.
pub fn an_error_is_not_a_timeout(
    fetch_within: impl AsyncFn(&Client, &str, Duration) -> anyhow::Result<Option<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    // A port nobody listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Diagnosis::new(format!("the checker could not find a free port: {e}")))?;
    let cases = [
        (
            lab.missing_url(),
            "the server answered 404 Not Found at once",
        ),
        (
            format!("http://127.0.0.1:{port}/delay/10"),
            "nothing listens (the connection was refused at once)",
        ),
    ];
    let limit = Duration::from_secs(3);
    let (client, urls) = (lab.client(), cases.each_ref().map(|(url, _)| url.clone()));
    // Both cases in one run, one after the other, each timed on its own.
    let ran = lab.run_async("fetch_within", move || async move {
        let mut out = Vec::new();
        for url in &urls {
            let started = std::time::Instant::now();
            let result = fetch_within(&client, url, limit).await;
            out.push((result, started.elapsed()));
        }
        out
    })?;
    for ((result, took), (shown, what)) in ran.value.into_iter().zip(&cases) {
        let ms = took.as_millis();
        match result {
            Err(_) => continue,
            Ok(None) => {
                return Err(Diagnosis::new(format!(
                    "`fetch_within` returned None after {ms} ms for {shown}, where {what}, well \
                     within its 3 s limit: None means that the time ran out, and nothing else. \
                     An error status or a failed connection is an Err, as the brief says: pass \
                     the fetch's own result on (`Ok(result) => result.map(Some)`), and turn only \
                     the timeout's `Err(Elapsed)` into Ok(None)."
                )));
            }
            Ok(Some(body)) => {
                return Err(Diagnosis::new(format!(
                    "`fetch_within` returned Some ({} bytes) for {shown}, where {what}: an error \
                     status is still a response to reqwest. Call `.error_for_status()?` and pass \
                     the error on.",
                    body.len()
                )));
            }
        }
    }
    Ok(())
}
