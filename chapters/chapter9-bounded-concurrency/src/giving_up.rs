//! Giving up on purpose (the chapter's second page): a request under
//! `tokio::time::timeout`, and one raced against a deadline with
//! `select!`. Each is run by the tour and by its own `--mode`.

use crate::args::Args;
use crate::fetch;
use course::Timeline;
use log::info;

// ANCHOR: timeout
/// `tokio::time::timeout` gives a future a deadline. A request that the
/// server answers after two delays gets one delay to finish.
pub async fn with_timeout(
    args: &Args,
    server: &course::Server,
    timeline: &Timeline,
) -> course::Result<()> {
    let client = args.common.client()?;
    let patience = args.common.delay();
    let slow = server.delay_url(2 * args.common.delay_ms());
    info!(
        "timeout: a request the server answers after {} ms, given {} ms",
        2 * patience.as_millis(),
        patience.as_millis()
    );
    let request = timeline.track("timeout", fetch(&client, &slow));
    match tokio::time::timeout(patience, request).await {
        Ok(answer) => {
            answer?;
            info!("The answer came in time");
        }
        // The deadline passed first. The request lived inside the
        // `Timeout` future, and the `.await` above dropped that future as
        // it completed, with the request in it: reqwest closes the
        // connection, and the answer, when the server sends it, goes
        // nowhere. No thread was stopped; the future simply is no more.
        // (With `timeout(d, &mut request)` only the reference would go:
        // the request would live on, and could be awaited again.)
        Err(_elapsed) => info!(
            "No answer within {} ms: gave up, the request was cancelled",
            patience.as_millis()
        ),
    }
    Ok(())
}
// ANCHOR_END: timeout

// ANCHOR: select
/// `select!` polls its futures in turn, on this one task, each time the
/// task is woken; it runs the branch of the first one to finish and drops
/// the others. Here a request races a deadline; the run as a whole races
/// Ctrl-C the same way (see `app`).
pub async fn with_select(
    args: &Args,
    server: &course::Server,
    timeline: &Timeline,
) -> course::Result<()> {
    let client = args.common.client()?;
    let patience = args.common.delay();
    let slow = server.delay_url(2 * args.common.delay_ms());
    info!(
        "select!: a request answered after {} ms vs a {} ms deadline",
        2 * patience.as_millis(),
        patience.as_millis()
    );
    tokio::select! {
        answer = timeline.track("select", fetch(&client, &slow)) => {
            answer?;
            info!("The answer came first");
        }
        () = tokio::time::sleep(patience) => {
            // Dropping the request cancelled it, as with the timeout.
            info!("The deadline came first: select! dropped the request");
        }
    }
    Ok(())
}
// ANCHOR_END: select
