//! Two channels merged in a `select!` loop until both are closed: without
//! `, if` preconditions, a closed channel's branch is polled again on every
//! turn; with them, it is never polled once it is done. Either way the
//! loop ends in the `else` branch, which runs when every branch is
//! disabled.

use log::info;
use std::cell::Cell;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

/// Counts the times a branch's future ran to the end and found its
/// channel closed (`recv()` gave `None`). A future that `select!` never
/// polls never gets here, and is not counted.
#[derive(Default)]
pub struct Closed(Cell<u32>);

impl Closed {
    pub async fn watch<T>(
        &self,
        recv: impl Future<Output = Option<T>>,
    ) -> Option<T> {
        let got = recv.await;
        if got.is_none() {
            self.0.set(self.0.get() + 1);
        }
        got
    }

    pub fn count(&self) -> u32 {
        self.0.get()
    }
}

// ANCHOR: unguarded
/// Merges two channels until both are closed. Once `quick` is closed,
/// `quick.recv()` is ready at once with `None`, which the pattern
/// `Some(x)` does not match: `select!` disables the branch, for this turn
/// only, and waits for the other. The next turn polls it again.
async fn merge_unguarded(
    mut quick: mpsc::Receiver<u64>,
    mut slow: mpsc::Receiver<u64>,
    closed: &Closed,
) -> Vec<u64> {
    let mut got = Vec::new();
    loop {
        tokio::select! {
            Some(x) = closed.watch(quick.recv()) => got.push(x),
            Some(y) = slow.recv() => got.push(y),
            // Both patterns failed this turn: both channels are closed.
            // Without `else`, `select!` would panic here.
            else => break,
        }
    }
    got
}
// ANCHOR_END: unguarded

// ANCHOR: guarded
/// The same with a precondition per branch: once a channel is found
/// closed, its branch's `, if` is false, and `select!` does not poll its
/// future at all (it still builds it, which costs nothing here). When both
/// are false, every branch is disabled and `else` ends the loop.
async fn merge_guarded(
    mut quick: mpsc::Receiver<u64>,
    mut slow: mpsc::Receiver<u64>,
    closed: &Closed,
) -> Vec<u64> {
    let (mut quick_open, mut slow_open) = (true, true);
    let mut got = Vec::new();
    loop {
        tokio::select! {
            x = closed.watch(quick.recv()), if quick_open => match x {
                Some(x) => got.push(x),
                None => quick_open = false,
            },
            y = slow.recv(), if slow_open => match y {
                Some(y) => got.push(y),
                None => slow_open = false,
            },
            else => break,
        }
    }
    got
}
// ANCHOR_END: guarded

/// One merge: what it received, and how often it found `quick` closed.
pub struct Merged {
    pub name: &'static str,
    pub got: usize,
    pub sent: usize,
    pub closed_polls: u32,
}

impl Merged {
    pub fn line(&self) -> String {
        format!(
            "{}: {} of {} items, quick.recv() gave None {}",
            self.name,
            self.got,
            self.sent,
            course::plural(self.closed_polls, "time")
        )
    }
}

/// `quick` sends 3 items and closes at once; `slow` sends `items`, one
/// every `every` from `every` on (so `quick` is drained first), then
/// closes.
fn channels(
    items: u64,
    every: Duration,
) -> (mpsc::Receiver<u64>, mpsc::Receiver<u64>) {
    let (quick_tx, quick) = mpsc::channel(8);
    for x in 0..3 {
        // Room for all three: `try_send` cannot fail here.
        let _ = quick_tx.try_send(x);
    }
    drop(quick_tx);
    let (slow_tx, slow) = mpsc::channel(1);
    tokio::spawn(async move {
        let mut tick = interval_at(Instant::now() + every, every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        for y in 0..items {
            tick.tick().await;
            if slow_tx.send(100 + y).await.is_err() {
                break;
            }
        }
    });
    (quick, slow)
}

/// Runs both merges on the same traffic and reports them.
pub async fn both(items: u64, every: Duration) -> Vec<Merged> {
    let sent = 3 + items as usize;
    let mut runs = Vec::new();
    for guarded in [false, true] {
        let (quick, slow) = channels(items, every);
        let closed = Closed::default();
        let (name, got) = if guarded {
            ("guarded", merge_guarded(quick, slow, &closed).await)
        } else {
            ("unguarded", merge_unguarded(quick, slow, &closed).await)
        };
        let run = Merged {
            name,
            got: got.len(),
            sent,
            closed_polls: closed.count(),
        };
        info!("{}", run.line());
        runs.push(run);
    }
    runs
}
