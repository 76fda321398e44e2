//! Exercise 9b: give up on a slow request.
//!
//! `async fn fetch_within(client: &reqwest::Client, url: &str, limit:
//! Duration) -> anyhow::Result<Option<String>>` returns `Ok(Some(body))` if
//! the answer comes within `limit`, `Ok(None)` if it does not, and returns
//! then, without waiting for the late answer.

use crate::explain::secs;
use crate::lab::Lab;
use crate::{Diagnosis, Verdict, judge};
use reqwest::Client;
use std::time::Duration;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &["returns_the_body_in_time", "gives_up_at_the_deadline"];

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

/// A slow answer gives `None`, at the limit, not when the answer comes.
pub fn gives_up_at_the_deadline(
    fetch_within: impl AsyncFn(&Client, &str, Duration) -> anyhow::Result<Option<String>>
    + Send
    + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let target = lab.target(2000, "slow");
    let (client, url) = (lab.client(), target.url.clone());
    let limit = Duration::from_millis(200);
    let ran = lab.run_async("fetch_within", move || async move {
        fetch_within(&client, &url, limit).await
    })?;
    let took = ran.meta.took;
    let ms = took.as_millis();
    match ran.ok() {
        Ok((Some(_), _)) => Err(Diagnosis::new(format!(
            "`fetch_within` returned a body after {ms} ms, although the limit was 200 ms: \
             return None when the answer does not come within the limit."
        ))),
        Ok((None, _)) if took < Duration::from_millis(150) => Err(Diagnosis::new(format!(
            "`fetch_within` gave up after {ms} ms, before its 200 ms limit: wait the whole \
             limit."
        ))),
        // The time is checked with room to spare: a busy machine may wake
        // the timer late, but not by a second.
        Ok((None, _)) if took < Duration::from_millis(1200) => Ok(()),
        Ok((None, meta)) => Err(Diagnosis::new(format!(
            "`fetch_within` waited {} for an answer that was still missing at its 200 ms limit: \
             wrap the request in `tokio::time::timeout(limit, ...)`, which drops (cancels) it \
             when the time is up.{}",
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
