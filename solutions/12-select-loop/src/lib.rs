//! Solution of exercise 12: a select! loop that loses nothing.

use std::time::Duration;
use tokio::sync::mpsc;

/// Forwards every item of `input` to `output`, in order; sends the count so
/// far on `progress` every `period`; returns the count once `input` is
/// closed and empty.
pub async fn relay(
    mut input: mpsc::Receiver<u64>,
    output: mpsc::Sender<u64>,
    progress: mpsc::UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    // Made once: every turn polls the same timer. An `interval` also
    // waits for the *next* period after each tick (its first tick is at
    // once), where a `sleep` that has fired stays ready.
    let mut ticker = tokio::time::interval(period);
    let mut forwarded = 0;
    loop {
        tokio::select! {
            // `recv()` is cancel safe: when the timer wins the turn, this
            // future is dropped before or without taking an item, and the
            // next turn's `recv()` gets it. Matching `None` here, rather
            // than writing `Some(item) = input.recv()`, is what ends the
            // loop: that pattern would only disable the branch, and the
            // timer's branch would keep the loop going forever.
            item = input.recv() => match item {
                Some(item) => {
                    // The handler: once a branch has won, select! runs its
                    // code to the end, so this wait for room in `output`
                    // is never cut short, and the item is never lost. (No
                    // report goes out meanwhile; the first tick after is
                    // then at once.)
                    if output.send(item).await.is_err() {
                        return forwarded; // nobody reads the output
                    }
                    forwarded += 1;
                }
                // Closed, and every item it held has been received.
                None => return forwarded,
            },
            _ = ticker.tick() => {
                // Unbounded: `send` does not wait. An error only means
                // that nobody reads the reports, no reason to stop.
                let _ = progress.send(forwarded);
            }
        }
    }
}
