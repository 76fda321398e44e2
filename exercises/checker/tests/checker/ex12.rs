//! Exercise 12, the catalogue: every cancel-safe way to write the relay
//! passes all three checks; each usual mistake of a `select!` loop fails
//! with the words that name what it did.
//!
//! As in `ex09_bounded`, the cases run side by side, and so do the checks
//! of one approach: they spend their time waiting on timers.

use crate::ex09_bounded::{cases, side_by_side};
use crate::{LIMIT, fails_with, fails_without, passes, within};
use checker::{Verdict, ex12};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::error::{TryRecvError, TrySendError};
use tokio::sync::mpsc::{Receiver, Sender, UnboundedSender};
use tokio::time::{Instant, interval, sleep, timeout_at};

/// The three checks of one approach, side by side.
macro_rules! all_checks {
    ($f:expr) => {{
        std::thread::scope(|s| {
            let order = s.spawn(|| ex12::forwards_every_item_once_in_order($f));
            let reports = s.spawn(|| ex12::reports_progress_every_period($f));
            let close = s.spawn(|| ex12::returns_when_the_input_closes($f));
            [order, reports, close].map(|h| h.join().expect("a check does not panic"))
        })
    }};
}

fn all_pass(verdicts: [Verdict; 3]) {
    for v in verdicts {
        passes(v);
    }
}

// ---- correct approaches ----------------------------------------------------

/// The solution's way: `recv()` as the branch, the send in its handler.
async fn recv_as_the_branch(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let mut ticker = interval(period);
    let mut forwarded = 0;
    loop {
        tokio::select! {
            item = input.recv() => match item {
                Some(item) => {
                    if output.send(item).await.is_err() {
                        return forwarded;
                    }
                    forwarded += 1;
                }
                None => return forwarded,
            },
            _ = ticker.tick() => { let _ = progress.send(forwarded); }
        }
    }
}

/// The same with `biased;`, the ticker first: the fast ticker never
/// starves the items (an `interval` is ready once per period).
async fn biased_ticker_first(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let mut ticker = interval(period);
    let mut forwarded = 0;
    loop {
        tokio::select! {
            biased;
            _ = ticker.tick() => { let _ = progress.send(forwarded); }
            item = input.recv() => {
                let Some(item) = item else { return forwarded };
                output.send(item).await.expect("the check reads the output");
                forwarded += 1;
            }
        }
    }
}

/// The taken item kept in the loop's state; `reserve()` (which takes no
/// item) waits for room, and the item goes out only with a permit.
async fn item_kept_in_the_loop(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let mut ticker = interval(period);
    let (mut pending, mut open, mut forwarded) = (None, true, 0);
    loop {
        if !open && pending.is_none() {
            return forwarded;
        }
        tokio::select! {
            item = input.recv(), if open && pending.is_none() => match item {
                Some(item) => pending = Some(item),
                None => open = false,
            },
            permit = output.reserve(), if pending.is_some() => {
                let Ok(permit) = permit else { return forwarded };
                if let Some(item) = pending.take() {
                    permit.send(item);
                    forwarded += 1;
                }
            }
            _ = ticker.tick() => { let _ = progress.send(forwarded); }
        }
    }
}

/// One forwarding future for the whole run, pinned once and resumed with
/// `&mut` on every turn: it is never dropped half-way.
async fn pinned_forwarder(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let forwarded = Cell::new(0);
    let mut forward = std::pin::pin!(async {
        while let Some(item) = input.recv().await {
            if output.send(item).await.is_err() {
                break;
            }
            forwarded.set(forwarded.get() + 1);
        }
    });
    let mut ticker = interval(period);
    loop {
        tokio::select! {
            () = &mut forward => return forwarded.get(),
            _ = ticker.tick() => { let _ = progress.send(forwarded.get()); }
        }
    }
}

/// The forwarding in a task of its own; the loop races its JoinHandle
/// (which `select!` may drop and poll again freely) against the ticker.
async fn forwarding_task(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let forwarded = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&forwarded);
    let mut task = tokio::spawn(async move {
        while let Some(item) = input.recv().await {
            if output.send(item).await.is_err() {
                break;
            }
            count.fetch_add(1, Ordering::Relaxed);
        }
    });
    let mut ticker = interval(period);
    loop {
        tokio::select! {
            _ = &mut task => return forwarded.load(Ordering::Relaxed),
            _ = ticker.tick() => {
                let _ = progress.send(forwarded.load(Ordering::Relaxed));
            }
        }
    }
}

/// `recv_many` (cancel safe too) into a buffer, each batch sent in the
/// handler.
async fn batches_with_recv_many(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let mut ticker = interval(period);
    let (mut batch, mut forwarded) = (Vec::new(), 0);
    loop {
        tokio::select! {
            n = input.recv_many(&mut batch, 4) => {
                if n == 0 {
                    return forwarded;
                }
                for item in batch.drain(..) {
                    output.send(item).await.expect("the check reads the output");
                    forwarded += 1;
                }
            }
            _ = ticker.tick() => { let _ = progress.send(forwarded); }
        }
    }
}

/// A pinned `sleep`, reset after each report, instead of an `interval`.
async fn pinned_sleep_reset(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let timer = sleep(period);
    tokio::pin!(timer);
    let mut forwarded = 0;
    loop {
        tokio::select! {
            item = input.recv() => match item {
                Some(item) => {
                    output.send(item).await.expect("the check reads the output");
                    forwarded += 1;
                }
                None => return forwarded,
            },
            () = &mut timer => {
                let _ = progress.send(forwarded);
                timer.as_mut().reset(Instant::now() + period);
            }
        }
    }
}

/// No `select!`: `timeout_at` around `recv()` (cancel safe) up to the
/// next report's deadline. Loses nothing, but `timeout_at` polls `recv()`
/// first, and while items keep coming it is always ready: the deadline
/// never elapses, and no report goes out.
async fn timeout_at_the_next_report(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let (mut next, mut forwarded) = (Instant::now() + period, 0);
    loop {
        match timeout_at(next, input.recv()).await {
            Ok(Some(item)) => {
                output.send(item).await.expect("the check reads the output");
                forwarded += 1;
            }
            Ok(None) => return forwarded,
            Err(_elapsed) => {
                let _ = progress.send(forwarded);
                next += period;
            }
        }
    }
}

fn accepts_recv_as_the_branch() {
    all_pass(all_checks!(recv_as_the_branch));
}

fn accepts_a_biased_select() {
    all_pass(all_checks!(biased_ticker_first));
}

fn accepts_an_item_kept_in_the_loop_until_sent() {
    all_pass(all_checks!(item_kept_in_the_loop));
}

fn accepts_one_pinned_forwarder_resumed_with_a_reference() {
    all_pass(all_checks!(pinned_forwarder));
}

fn accepts_a_forwarding_task() {
    all_pass(all_checks!(forwarding_task));
}

fn accepts_batches_with_recv_many() {
    all_pass(all_checks!(batches_with_recv_many));
}

fn accepts_a_pinned_sleep_reset_after_each_report() {
    all_pass(all_checks!(pinned_sleep_reset));
}

fn a_timeout_around_recv_never_elapses_while_items_come() {
    passes(ex12::forwards_every_item_once_in_order(
        timeout_at_the_next_report,
    ));
    fails_with(
        ex12::reports_progress_every_period(timeout_at_the_next_report),
        &[
            "hardly ever fired",
            "only elapses when `recv()` has to wait",
        ],
    );
}

// ---- mistakes ----------------------------------------------------------------

/// The starter: a helper that takes an item, then waits to send it.
async fn forward_one(input: &mut Receiver<u64>, output: &Sender<u64>) -> Option<()> {
    let item = input.recv().await?;
    output.send(item).await.ok()
}

fn a_branch_that_takes_an_item_then_waits_loses_it() {
    fails_with(
        ex12::forwards_every_item_once_in_order(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut ticker = interval(period);
                let mut forwarded = 0;
                loop {
                    tokio::select! {
                        sent = forward_one(&mut input, &output) => match sent {
                            Some(()) => forwarded += 1,
                            None => return forwarded,
                        },
                        _ = ticker.tick() => { let _ = progress.send(forwarded); }
                    }
                }
            },
        ),
        &[
            "200 items sent",
            "taken from `input` by a future that select! dropped",
        ],
    );
}

fn an_async_block_that_receives_and_sends_loses_items_too() {
    fails_with(
        ex12::forwards_every_item_once_in_order(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut ticker = interval(period);
                let mut forwarded = 0;
                loop {
                    tokio::select! {
                        done = async {
                            let item = input.recv().await?;
                            output.send(item).await.ok()
                        } => match done {
                            Some(()) => forwarded += 1,
                            None => return forwarded,
                        },
                        _ = ticker.tick() => { let _ = progress.send(forwarded); }
                    }
                }
            },
        ),
        &["lost items", "select! dropped", "send in the handler"],
    );
}

fn a_sleep_made_anew_on_every_turn_never_fires() {
    fails_with(
        ex12::reports_progress_every_period(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut forwarded = 0;
                loop {
                    tokio::select! {
                        item = input.recv() => match item {
                            Some(item) => {
                                output.send(item).await.unwrap();
                                forwarded += 1;
                            }
                            None => return forwarded,
                        },
                        () = sleep(period) => { let _ = progress.send(forwarded); }
                    }
                }
            },
        ),
        &["hardly ever fired", "made anew on every turn"],
    );
}

fn a_sleep_never_reset_fires_on_every_turn() {
    fails_with(
        ex12::reports_progress_every_period(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let timer = sleep(period);
                tokio::pin!(timer);
                let mut forwarded = 0;
                loop {
                    tokio::select! {
                        item = input.recv() => match item {
                            Some(item) => {
                                output.send(item).await.unwrap();
                                forwarded += 1;
                            }
                            None => return forwarded,
                        },
                        () = &mut timer => { let _ = progress.send(forwarded); }
                    }
                }
            },
        ),
        &["reported on nearly every turn", "reset"],
    );
}

fn returning_on_the_first_tick_leaves_items_behind() {
    fails_with(
        ex12::forwards_every_item_once_in_order(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   _progress: UnboundedSender<u64>,
                   period| {
                let mut ticker = interval(period);
                let mut forwarded = 0;
                loop {
                    tokio::select! {
                        Some(item) = input.recv() => {
                            output.send(item).await.unwrap();
                            forwarded += 1;
                        }
                        // "The timer fired: we are done."
                        _ = ticker.tick() => return forwarded,
                    }
                }
            },
        ),
        &["while `input` was still open", "gives `None`"],
    );
}

/// `Some(item) = input.recv()` and a ticker: closed, the branch is
/// disabled, and the ticker's branch goes on for ever.
async fn some_pattern_without_none(
    mut input: Receiver<u64>,
    output: Sender<u64>,
    progress: UnboundedSender<u64>,
    period: Duration,
) -> u64 {
    let mut ticker = interval(period);
    let mut forwarded = 0;
    loop {
        tokio::select! {
            Some(item) = input.recv() => {
                output.send(item).await.unwrap();
                forwarded += 1;
            }
            _ = ticker.tick() => { let _ = progress.send(forwarded); }
        }
    }
}

fn a_loop_that_ignores_the_closed_channel_never_ends() {
    fails_with(
        ex12::returns_when_the_input_closes(some_pattern_without_none),
        &["kept looping after `input` was closed", "all 5 items"],
    );
}

fn an_else_branch_does_not_end_a_loop_with_a_ticker() {
    fails_with(
        ex12::returns_when_the_input_closes(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut ticker = interval(period);
                let mut forwarded = 0;
                loop {
                    tokio::select! {
                        Some(item) = input.recv() => {
                            output.send(item).await.unwrap();
                            forwarded += 1;
                        }
                        _ = ticker.tick() => { let _ = progress.send(forwarded); }
                        else => return forwarded,
                    }
                }
            },
        ),
        &["kept looping", "`else => break` does not help"],
    );
}

fn a_busy_loop_without_an_await_blocks_the_thread() {
    // The loop below spins until `input` is closed, and the task that would
    // close it waits on the thread the loop holds: the check gives up, the
    // thread spins on. Set once the verdict is in, this flag lets it stop,
    // or it would burn a core for the rest of the test binary's run (the
    // whole catalogue then ran some 10 s slower).
    static GAVE_UP: AtomicBool = AtomicBool::new(false);
    let verdict = within(LIMIT, crate::REPORTS_WITHIN, || {
        ex12::forwards_every_item_once_in_order(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut next = std::time::Instant::now() + period;
                let mut forwarded = 0;
                loop {
                    match input.try_recv() {
                        Ok(item) => {
                            output.send(item).await.unwrap();
                            forwarded += 1;
                        }
                        // Nothing yet: go round again, without an await.
                        Err(TryRecvError::Empty) => {}
                        Err(TryRecvError::Disconnected) => return forwarded,
                    }
                    if GAVE_UP.load(Ordering::Relaxed) {
                        return forwarded;
                    }
                    if std::time::Instant::now() >= next {
                        let _ = progress.send(forwarded);
                        next += period;
                    }
                }
            },
        )
    });
    GAVE_UP.store(true, Ordering::Relaxed);
    fails_without(
        verdict,
        &["stayed blocked", "a loop that never reaches an `.await`"],
        &["delay server"],
    );
}

fn an_item_kept_but_never_cleared_is_sent_again() {
    fails_with(
        ex12::forwards_every_item_once_in_order(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut ticker = interval(period);
                let (mut last, mut forwarded) = (None, 0);
                loop {
                    tokio::select! {
                        item = input.recv() => match item {
                            Some(item) => last = Some(item),
                            None => return forwarded,
                        },
                        _ = ticker.tick() => { let _ = progress.send(forwarded); }
                    }
                    // Sent after every turn, the tick's too: never cleared.
                    if let Some(item) = last {
                        output.send(item).await.unwrap();
                        forwarded += 1;
                    }
                }
            },
        ),
        &["more than once", "`pending.take()`"],
    );
}

fn try_send_drops_items_when_the_output_is_full() {
    fails_with(
        ex12::forwards_every_item_once_in_order(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut ticker = interval(period);
                let mut forwarded = 0;
                loop {
                    tokio::select! {
                        item = input.recv() => match item {
                            Some(item) => match output.try_send(item) {
                                Ok(()) => forwarded += 1,
                                Err(TrySendError::Full(_)) => {} // "never mind"
                                Err(TrySendError::Closed(_)) => return forwarded,
                            },
                            None => return forwarded,
                        },
                        _ = ticker.tick() => { let _ = progress.send(forwarded); }
                    }
                }
            },
        ),
        &["`try_send` gives up"],
    );
}

fn returning_on_is_closed_leaves_the_last_items_in_the_channel() {
    fails_with(
        ex12::forwards_every_item_once_in_order(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut ticker = interval(period);
                let mut forwarded = 0;
                loop {
                    if input.is_closed() {
                        return forwarded;
                    }
                    tokio::select! {
                        Some(item) = input.recv() => {
                            output.send(item).await.unwrap();
                            forwarded += 1;
                        }
                        _ = ticker.tick() => { let _ = progress.send(forwarded); }
                    }
                }
            },
        ),
        &["were still in `input`", "`is_closed()`"],
    );
}

fn reporting_the_ticks_is_not_the_progress() {
    fails_with(
        ex12::reports_progress_every_period(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   progress: UnboundedSender<u64>,
                   period| {
                let mut ticker = interval(period);
                let (mut ticks, mut forwarded) = (0, 0);
                loop {
                    tokio::select! {
                        item = input.recv() => match item {
                            Some(item) => {
                                output.send(item).await.unwrap();
                                forwarded += 1;
                            }
                            None => return forwarded,
                        },
                        _ = ticker.tick() => {
                            ticks += 1;
                            let _ = progress.send(ticks);
                        }
                    }
                }
            },
        ),
        &["not the number of ticks"],
    );
}

fn returning_a_wrong_count_is_caught() {
    fails_with(
        ex12::returns_when_the_input_closes(
            async |mut input: Receiver<u64>,
                   output: Sender<u64>,
                   _progress: UnboundedSender<u64>,
                   _period| {
                while let Some(item) = input.recv().await {
                    output.send(item).await.unwrap();
                }
                0
            },
        ),
        &["forwarded all 5 items but returned 0"],
    );
}

// ---- the catalogue ----------------------------------------------------------

#[test]
fn every_correct_approach_passes_every_check() {
    side_by_side(cases![
        accepts_recv_as_the_branch,
        accepts_a_biased_select,
        accepts_an_item_kept_in_the_loop_until_sent,
        accepts_one_pinned_forwarder_resumed_with_a_reference,
        accepts_a_forwarding_task,
        accepts_batches_with_recv_many,
        accepts_a_pinned_sleep_reset_after_each_report,
    ]);
}

#[test]
fn every_usual_mistake_fails_with_its_diagnosis() {
    side_by_side(cases![
        a_branch_that_takes_an_item_then_waits_loses_it,
        an_async_block_that_receives_and_sends_loses_items_too,
        a_sleep_made_anew_on_every_turn_never_fires,
        a_sleep_never_reset_fires_on_every_turn,
        returning_on_the_first_tick_leaves_items_behind,
        a_loop_that_ignores_the_closed_channel_never_ends,
        an_else_branch_does_not_end_a_loop_with_a_ticker,
        a_busy_loop_without_an_await_blocks_the_thread,
        an_item_kept_but_never_cleared_is_sent_again,
        try_send_drops_items_when_the_output_is_full,
        returning_on_is_closed_leaves_the_last_items_in_the_channel,
        reporting_the_ticks_is_not_the_progress,
        a_timeout_around_recv_never_elapses_while_items_come,
        returning_a_wrong_count_is_caught,
    ]);
}
