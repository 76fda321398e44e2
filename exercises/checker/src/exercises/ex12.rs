//! Exercise 12: a `select!` loop that loses nothing.
//!
//! `async fn relay(input: mpsc::Receiver<u64>, output: mpsc::Sender<u64>,
//! progress: mpsc::UnboundedSender<u64>, period: Duration) -> u64` forwards
//! every item of `input` to `output`, in order, each once; every `period`
//! it sends on `progress` how many it has forwarded so far; once `input` is
//! closed and empty it returns that count.
//!
//! The checks play both ends. A producer sends the numbers `0..n` into
//! `input` as fast as it takes them; a consumer reads `output` slowly (one
//! item per millisecond or so), so the relay often waits for room in
//! `output`, and a short `period` makes the timer's branch win often
//! meanwhile: a branch that had taken an item and is dropped then loses it.
//! The numbers are unique, so what arrived says what was lost, duplicated
//! or reordered. Everything is recorded as it happens, so a run that hangs
//! still tells what it did. No delay server: the exercise is about
//! channels.

use crate::shared::lab::{Lab, Meta};
use crate::shared::{Diagnosis, Verdict};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "forwards_every_item_once_in_order",
    "reports_progress_every_period",
    "returns_when_the_input_closes",
];

/// What the learner's function is.
pub trait Relay:
    AsyncFnOnce(mpsc::Receiver<u64>, mpsc::Sender<u64>, mpsc::UnboundedSender<u64>, Duration) -> u64
    + Send
    + 'static
{
}

impl<F> Relay for F where
    F: AsyncFnOnce(
            mpsc::Receiver<u64>,
            mpsc::Sender<u64>,
            mpsc::UnboundedSender<u64>,
            Duration,
        ) -> u64
        + Send
        + 'static
{
}

/// One run's setting.
#[derive(Debug, Clone, Copy)]
struct Scenario {
    items: u64,
    period: Duration,
    /// How long the consumer waits after each item (`None`: it reads as
    /// fast as items come).
    pause: Option<Duration>,
    /// How long the relay may take in all before the check stops it.
    patience: Duration,
}

/// The room in `input`: the producer runs ahead of the relay by this much.
const INPUT_ROOM: usize = 8;
/// The room in `output`: one, so that the relay waits for the consumer.
const OUTPUT_ROOM: usize = 1;

/// What happened, noted as it happened.
#[derive(Debug, Default)]
struct Record {
    /// Items the producer has handed to `input`.
    sent: u64,
    /// When the producer dropped its sender, closing `input`.
    closed: Option<Instant>,
    /// Items in the order they reached the consumer.
    got: Vec<u64>,
    /// Values sent on `progress`, in order.
    reports: Vec<u64>,
    /// When the relay was first polled, and when it returned what.
    started: Option<Instant>,
    returned: Option<(u64, Instant)>,
}

type Shared = Arc<Mutex<Record>>;

fn lock(record: &Shared) -> std::sync::MutexGuard<'_, Record> {
    record.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a run left: the record, and the run's own result (a diagnosis if
/// it panicked, hung or blocked its thread).
struct Outcome {
    record: Record,
    ran: Result<Meta, Diagnosis>,
    scenario: Scenario,
}

/// Runs `relay` in `scenario` and collects what happened.
fn run(relay: impl Relay, scenario: Scenario) -> Result<Outcome, Diagnosis> {
    let lab = Lab::start()?;
    let shared: Shared = Arc::default();
    let record = Arc::clone(&shared);
    let ran = lab.run_async("relay", move || drive(relay, scenario, record));
    let ran = ran.map(|ran| ran.meta);
    // Tasks left behind have stopped with the runtime: the record is final.
    let record = std::mem::take(&mut *lock(&shared));
    Ok(Outcome {
        record,
        ran,
        scenario,
    })
}

/// The producer, the consumer and the progress reader around the relay.
async fn drive(relay: impl Relay, s: Scenario, record: Shared) {
    let (to_relay, input) = mpsc::channel(INPUT_ROOM);
    let (output, mut from_relay) = mpsc::channel(OUTPUT_ROOM);
    let (progress, mut reports) = mpsc::unbounded_channel();
    let producer = Arc::clone(&record);
    tokio::spawn(async move {
        for item in 0..s.items {
            if to_relay.send(item).await.is_err() {
                break;
            }
            lock(&producer).sent += 1;
        }
        drop(to_relay);
        lock(&producer).closed = Some(Instant::now());
    });
    let consumer = Arc::clone(&record);
    tokio::spawn(async move {
        let mut pause = s.pause.map(|p| {
            let mut pause = interval(p);
            pause.set_missed_tick_behavior(MissedTickBehavior::Delay);
            pause
        });
        while let Some(item) = from_relay.recv().await {
            lock(&consumer).got.push(item);
            if let Some(pause) = &mut pause {
                pause.tick().await;
            }
        }
    });
    let reader = Arc::clone(&record);
    tokio::spawn(async move {
        while let Some(count) = reports.recv().await {
            lock(&reader).reports.push(count);
        }
    });
    lock(&record).started = Some(Instant::now());
    let relayed = tokio::time::timeout(s.patience, relay(input, output, progress, s.period));
    if let Ok(count) = relayed.await {
        lock(&record).returned = Some((count, Instant::now()));
        // Let the consumer take what the relay left in `output`.
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
    }
}

/// "3, 9, 14" or "3, 9, 14, ... (29 in all)".
fn some(items: &[u64]) -> String {
    let shown: Vec<String> = items.iter().take(5).map(u64::to_string).collect();
    if items.len() > 5 {
        format!("{}, ...", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

impl Outcome {
    /// The run ended: it returned, or the diagnosis says why not.
    fn returned(&self) -> Result<(u64, Instant), Diagnosis> {
        let r = &self.record;
        if let Err(d) = &self.ran {
            // The lab's messages count the delay server's requests; this
            // exercise sends none, so that sentence would only distract.
            let text = d.message().replace(" The delay server saw no request.", "");
            return Err(Diagnosis::new(text));
        }
        if let Some(returned) = r.returned {
            return Ok(returned);
        }
        let n = self.scenario.items;
        let forwarded = r.got.len();
        let patience = crate::shared::explain::secs(self.scenario.patience);
        let text = if r.closed.is_some() && forwarded as u64 >= n {
            format!(
                "`relay` kept looping after `input` was closed: all {n} items had been \
                 forwarded and the channel closed, but it had not returned {patience} later. \
                 When the channel is closed and empty, `recv()` gives `None`: that is the \
                 signal to return. A branch `Some(item) = input.recv()` only disables itself \
                 on `None` (for that turn), and the timer's branch keeps `select!` going, \
                 forever; `else => break` does not help either, as it runs only when every \
                 branch is disabled, and the timer never is. Match the `None`: `item = \
                 input.recv() => match item {{ Some(item) => ..., None => break }}`."
            )
        } else if r.closed.is_some() {
            format!(
                "`relay` forwarded {forwarded} of {n} items and then neither forwarded \
                 another nor returned within {patience}, although `input` had been closed: \
                 the items it had not forwarded were lost on the way, or it waits for \
                 something that never comes."
            )
        } else {
            format!(
                "`relay` forwarded {forwarded} of {n} items and then stopped: the producer \
                 still had {} items to send after {patience}, and `relay` took no more of \
                 them. Something in the loop waits forever (a branch whose future never \
                 completes, an `.await` on something nobody sends?).",
                n - r.sent.min(n)
            )
        };
        Err(Diagnosis::new(text))
    }

    /// Every item reached `output` once, in order.
    fn forwarded_all(&self) -> Verdict {
        let (count, returned_at) = self.returned()?;
        let r = &self.record;
        let n = self.scenario.items;
        // Returned while the producer still had items to send?
        if r.closed.is_none_or(|closed| closed > returned_at) {
            let left = n - r.sent.min(n);
            return Err(Diagnosis::new(format!(
                "`relay` returned after forwarding {} of {n} items, while `input` was still \
                 open: the producer still had {left} items to send. Return only when \
                 `input.recv()` gives `None` (closed and empty), not when the timer fires or \
                 when the channel happens to be empty for a moment (`try_recv`).",
                r.got.len()
            )));
        }
        let mut seen = vec![0u32; n as usize];
        let mut strangers = Vec::new();
        for &item in &r.got {
            match seen.get_mut(item as usize) {
                Some(times) => *times += 1,
                None => strangers.push(item),
            }
        }
        if let Some(item) = strangers.first() {
            return Err(Diagnosis::new(format!(
                "`relay` sent {item} to `output`, which the producer never sent: forward the \
                 items as they come."
            )));
        }
        let twice: Vec<u64> = (0..n).filter(|&i| seen[i as usize] > 1).collect();
        if !twice.is_empty() {
            return Err(Diagnosis::new(format!(
                "{n} items sent, {} received: {} of them reached `output` more than once \
                 ({}). An item kept in the loop's state must be sent once: take it out \
                 (`pending.take()`) when it goes, so the next turn does not send it again.",
                r.got.len(),
                twice.len(),
                some(&twice)
            )));
        }
        let lost: Vec<u64> = (0..n).filter(|&i| seen[i as usize] == 0).collect();
        if !lost.is_empty() {
            let k = lost.len() as u64;
            let suffix = lost.iter().copied().eq(n - k..n);
            let text = if suffix && k <= INPUT_ROOM as u64 {
                format!(
                    "{n} items sent, {} received: the last {k} were still in `input` when \
                     `relay` returned. A closed channel may still hold items: `recv()` gives \
                     them all first, then `None`; return on that `None` (not on \
                     `is_closed()`).",
                    r.got.len()
                )
            } else if k > r.reports.len() as u64 + 2 {
                format!(
                    "{n} items sent, {} received: {k} lost ({}), more than there were \
                     turns of the timer. They were dropped where `output` was full: \
                     `try_send` gives up when there is no room; wait for room with \
                     `output.send(item).await`.",
                    r.got.len(),
                    some(&lost)
                )
            } else {
                format!(
                    "{n} items sent, {} received: the {k} lost items ({}) were taken from \
                     `input` by a future that select! dropped. A branch's future is dropped \
                     whenever another branch (here the timer, every {} ms) wins the turn; \
                     if it had already received an item and was waiting for room in \
                     `output`, the item went with it. Make every branch cancel safe: use \
                     `input.recv()` itself as the branch and send in the handler (select! \
                     never cancels a handler), or keep the item in a variable of the loop \
                     until it is sent, or pin one future outside the loop and resume it \
                     with `&mut`.",
                    r.got.len(),
                    some(&lost),
                    self.scenario.period.as_millis()
                )
            };
            return Err(Diagnosis::new(text));
        }
        if let Some(w) = r.got.windows(2).find(|w| w[0] > w[1]) {
            return Err(Diagnosis::new(format!(
                "every item arrived once, but not in order: {} reached `output` before {}. \
                 Forward the items in the order `input` gives them.",
                w[0], w[1]
            )));
        }
        if count != n {
            return Err(Diagnosis::new(format!(
                "`relay` forwarded all {n} items but returned {count}: return how many items \
                 it forwarded."
            )));
        }
        Ok(())
    }
}

/// Items lost, duplicated or reordered while the timer's branch fires
/// every 2 ms and the consumer is slow.
pub fn forwards_every_item_once_in_order(relay: impl Relay) -> Verdict {
    let outcome = run(
        relay,
        Scenario {
            items: 200,
            period: Duration::from_millis(2),
            pause: Some(Duration::from_millis(1)),
            patience: Duration::from_secs(3),
        },
    )?;
    outcome.forwarded_all()
}

/// About one report per period, of the count so far: not none (a timer
/// made anew on every turn), not one per turn (a timer that fired once and
/// is polled again without being reset).
pub fn reports_progress_every_period(relay: impl Relay) -> Verdict {
    let period = Duration::from_millis(20);
    let outcome = run(
        relay,
        Scenario {
            items: 200,
            period,
            pause: Some(Duration::from_millis(1)),
            patience: Duration::from_secs(3),
        },
    )?;
    let (_, returned_at) = outcome.returned()?;
    let r = &outcome.record;
    let started = r.started.unwrap_or(returned_at);
    let took = returned_at.saturating_duration_since(started);
    let (ms, period_ms) = (took.as_millis(), period.as_millis());
    // Periods that fit in the run; a correct loop reports about once each
    // (one more at the start, as an `interval` ticks at once).
    let periods = (took.as_secs_f64() / period.as_secs_f64()) as usize;
    let reports = r.reports.len();
    if reports == 0 || (periods >= 9 && reports < periods / 3) {
        return Err(Diagnosis::new(format!(
            "`relay` ran for {ms} ms with a period of {period_ms} ms, but sent {reports} \
             progress reports (about {periods} expected): its timer hardly ever fired, \
             though items kept coming. A `sleep(period)` written inside `select!` is made \
             anew on every turn, and every item that arrives before it fires starts it again \
             from zero; a `timeout(period, input.recv())` only elapses when `recv()` has to \
             wait, and while items keep coming it never does. Make the timer once, before \
             the loop: `let mut ticker = tokio::time::interval(period);` and \
             `_ = ticker.tick() => ...` as the branch (or a pinned `sleep`, `reset` after it \
             fires)."
        )));
    }
    if reports > 2 * periods + 4 {
        return Err(Diagnosis::new(format!(
            "`relay` sent {reports} progress reports in {ms} ms, with a period of {period_ms} \
             ms (about {periods} expected): it reported on nearly every turn. A `Sleep` that \
             has fired stays ready: polled again through `&mut` it completes at once, every \
             time. Reset it after it fires (`sleep.as_mut().reset(Instant::now() + period)`), \
             or use `tokio::time::interval(period)`, whose `tick()` waits for the next \
             period."
        )));
    }
    if let Some(w) = r.reports.windows(2).find(|w| w[0] > w[1]) {
        return Err(Diagnosis::new(format!(
            "the progress reports went down, from {} to {}: report how many items have been \
             forwarded so far, a count that only grows.",
            w[0], w[1]
        )));
    }
    let n = outcome.scenario.items;
    let last = r.reports.last().copied().unwrap_or(0);
    if last > n || (reports >= 4 && last < n / 2) {
        return Err(Diagnosis::new(format!(
            "the last of {reports} progress reports said {last}, while {} of {n} items had \
             been forwarded by the end: report how many items have been forwarded so far \
             (not the number of ticks).",
            r.got.len()
        )));
    }
    Ok(())
}

/// A few items, then `input` closes: `relay` returns at once with the
/// count, and does not keep looping on its timer.
pub fn returns_when_the_input_closes(relay: impl Relay) -> Verdict {
    let outcome = run(
        relay,
        Scenario {
            items: 5,
            period: Duration::from_millis(10),
            pause: None,
            patience: Duration::from_secs(1),
        },
    )?;
    let (_, returned_at) = outcome.returned()?;
    if let Some(closed) = outcome.record.closed {
        let late = returned_at.saturating_duration_since(closed);
        if late > Duration::from_millis(500) {
            return Err(Diagnosis::new(format!(
                "`relay` returned {} ms after `input` was closed and empty: return as soon \
                 as `recv()` gives `None`, not on a later tick.",
                late.as_millis()
            )));
        }
    }
    outcome.forwarded_all()
}
