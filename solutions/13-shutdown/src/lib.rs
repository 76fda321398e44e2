//! Solution of exercise 13: shut down gracefully.

use anyhow::Context;
use reqwest::Client;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Runs a request for every job until `shutdown`, then shuts down
/// gracefully: no new job, `grace` for the requests in flight, then the
/// rest cancelled.
pub async fn run_jobs(
    client: &Client,
    mut jobs: mpsc::Receiver<String>,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let tracker = TaskTracker::new();
    // What the tasks watch: cancelled at the deadline only. Not `shutdown`
    // or a child of it, which are cancelled at the signal.
    let abort = CancellationToken::new();
    loop {
        // Both branches are cancel safe: if the signal wins, no job is
        // lost from the channel; if a job wins, the token stays cancelled
        // for the next turn.
        let url = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            job = jobs.recv() => match job {
                Some(url) => url,
                // The channel is closed: the batch is over.
                None => break,
            },
        };
        let (client, abort) = (client.clone(), abort.clone());
        tracker.spawn(async move {
            // `None` if `abort` is cancelled first: the request's future
            // is then dropped, which closes its connection.
            let _ = abort.run_until_cancelled(fetch(&client, &url)).await;
        });
    }
    // No more tasks: `wait()` can now return once the last one is done.
    tracker.close();
    if !shutdown.is_cancelled() {
        // The batch ended without a signal: wait for every job, unless the
        // signal comes meanwhile.
        tokio::select! {
            () = tracker.wait() => return,
            () = shutdown.cancelled() => {}
        }
    }
    // The grace period counts from here, the moment of the signal.
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        abort.cancel();
        // The cancelled tasks end at their next poll: wait until they have.
        tracker.wait().await;
    }
}

/// Fetches one URL and reads its body to the end (exercise 5).
pub async fn fetch(client: &Client, url: &str) -> anyhow::Result<String> {
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()?;
    Ok(response.text().await?)
}
