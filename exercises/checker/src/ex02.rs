//! Exercise 2: futures are lazy.
//!
//! `async fn notify_all(client: &reqwest::Client, urls: &[String]) ->
//! anyhow::Result<()>` must send a GET to every URL before it returns. The
//! starter builds each request future and drops it unpolled.

use crate::lab::{Lab, urls};
use crate::{Diagnosis, Verdict, judge};
use reqwest::Client;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &["sends_every_request"];

/// When `notify_all` returns, the server has seen every request.
pub fn sends_every_request(
    notify_all: impl AsyncFn(&Client, &[String]) -> anyhow::Result<()> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    let targets = lab.targets(5, 50);
    let (client, list) = (lab.client(), urls(&targets));
    let ((), meta) = lab
        .run_async("notify_all", move || async move {
            notify_all(&client, &list).await
        })?
        .ok()?;
    let n = targets.len();
    let seen = judge::seen(&lab, &targets);
    if seen == n {
        return Ok(());
    }
    Err(Diagnosis::new(format!(
        "when `notify_all` returned, the delay server had seen {seen} of the {n} requests: \
         {}A future does nothing until it is polled: `.await` it (`client.get(url).send().await?`), \
         or spawn it and await its JoinHandle before returning.{}",
        if seen == 0 {
            "the request futures were created but never polled. "
        } else {
            "some request futures were never polled. "
        },
        judge::panic_note(&meta.panics)
    )))
}
