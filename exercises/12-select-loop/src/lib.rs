//! # Exercise 12: a select! loop that loses nothing
//!
//! **What to build:** `relay(input, output, progress, period)` forwards
//! every number that arrives on `input` to `output`, in order, each exactly
//! once. Every `period` it sends on `progress` how many items it has
//! forwarded so far. When `input` is closed and empty, it returns that
//! count. The loop below does all that, and loses items: fix it.
//!
//! **Reach for:** `tokio::select!` in a loop with `input.recv()` as a
//! branch (it is cancel safe: if another branch wins, no item was taken),
//! `tokio::time::interval(period)` made once before the loop, and the
//! branch's handler for the work that must not be cut short: `select!`
//! never cancels a handler (chapter 12). Also right: keep a taken item in
//! a variable of the loop until it is sent, or pin one future outside the
//! loop and resume it with `&mut fut`.
//!
//! **How it is checked:** `cargo test -p ex12-select-loop` runs `relay`
//! three times, with `input` room for 8 items and `output` room for 1:
//!
//! - the numbers 0 to 199 into `input`, and `output` read slowly, one
//!   item per millisecond, so your relay often waits for room in `output`;
//!   with a period of 2 ms the timer's branch wins many turns meanwhile.
//!   Every number must arrive once, in order, and `relay` must return
//!   200, within 3 s, once `input` is closed;
//! - the same with a period of 20 ms, to count the progress reports. With
//!   P the periods that fit in the run (its length over 20 ms), there must
//!   be at least one report, at least P / 3 of them when P is 9 or more,
//!   and at most 2 P + 4 (one per turn is far more); they must never go
//!   down, and the last one must be at most 200, and at least 100 when
//!   there were 4 reports or more;
//! - 5 items, then `input` closes: `relay` must forward all 5 and return
//!   5, within 500 ms of the close (and within 1 s in all).
//!
//! **Hint:** when the timer's branch wins, `select!` drops the other
//! branch's future, wherever it was waiting. `forward_one` below waits
//! twice: once for an item, then for room in `output`. Dropped at the
//! second wait, it had already taken its item, and the item is gone. Ask
//! of each branch: "if this future is dropped at any of its `.await`s, is
//! anything lost?" (tokio's docs answer it for each method, under "Cancel
//! safety").

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
    let mut ticker = tokio::time::interval(period);
    let mut forwarded = 0;
    loop {
        tokio::select! {
            sent = forward_one(&mut input, &output) => match sent {
                Some(()) => forwarded += 1,
                None => return forwarded,
            },
            _ = ticker.tick() => {
                // Nobody reading the reports is not a reason to stop.
                let _ = progress.send(forwarded);
            }
        }
    }
}

/// Takes one item from `input` and sends it on; `None` once `input` is
/// closed and empty (or nobody reads `output` any more).
async fn forward_one(input: &mut mpsc::Receiver<u64>, output: &mpsc::Sender<u64>) -> Option<()> {
    let item = input.recv().await?;
    output.send(item).await.ok()
}
