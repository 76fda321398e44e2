//! Exercise 2: futures are lazy.
//!
//! `async fn notify_all(client: &reqwest::Client, urls: &[String]) ->
//! anyhow::Result<()>` must send a GET to every URL before it returns. The
//! starter builds each request future and drops it unpolled.

use crate::shared::lab::{Lab, urls};
use crate::shared::{Diagnosis, Verdict, judge};
use reqwest::Client;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &["sends_every_request"];

/// When `notify_all` returns, the server has seen every request.
pub fn sends_every_request(
    notify_all: impl AsyncFn(&Client, &[String]) -> anyhow::Result<()> + Send + 'static,
) -> Verdict {
    let lab = Lab::start()?;
    // Different delays: a function that keeps only the first answer
    // (`select_all`) returns well before the others are due.
    let targets: Vec<_> = [50, 80, 110, 140, 170]
        .iter()
        .enumerate()
        .map(|(i, &ms)| lab.target(ms, i))
        .collect();
    let (client, list) = (lab.client(), urls(&targets));
    let ((), meta) = lab
        .run_async("notify_all", move || async move {
            notify_all(&client, &list).await
        })?
        .ok()?;
    let n = targets.len();
    let seen = judge::seen(&lab, &targets);
    if seen == n {
        return answered(&lab, &targets, &meta);
    }
    judge::returned_early(&lab, &meta, &targets)?;
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

/// Every request had been answered when `notify_all` returned: the server
/// answers each at its due time (arrival + delay), so a request due after
/// the return was sent and then given up on.
fn answered(
    lab: &Lab,
    targets: &[crate::shared::lab::Target],
    meta: &crate::shared::lab::Meta,
) -> Verdict {
    let returned = meta.started + meta.took;
    // The answer leaves the server at its due time, or a little later.
    let slack = std::time::Duration::from_millis(5);
    let records = lab.requests();
    let early = targets
        .iter()
        .filter(|t| {
            records
                .iter()
                .filter(|r| r.path == t.path)
                .all(|r| r.due() > returned + slack)
        })
        .count();
    if early == 0 {
        return Ok(());
    }
    judge::returned_early(lab, meta, targets)?;
    Err(Diagnosis::new(format!(
        "`notify_all` returned before {early} of the {} answers had come: those requests were \
         sent, then dropped while in flight (`select!` or `select_all` keep only the first \
         future to finish and drop the rest; so does a `timeout` that fires). Await every \
         request to the end: one after the other, or together with `join_all`.{}",
        targets.len(),
        judge::panic_note(&meta.panics)
    )))
}
