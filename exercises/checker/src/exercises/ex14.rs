//! Exercise 14: a future by hand.
//!
//! The learner writes `poll` for `Delay::new(duration)`, a future whose
//! timer thread marks it done and wakes the stored waker. The checks poll
//! it with executors of their own, whose wakers count every wake-up and
//! unpark the polling thread, on a thread of the checker's with a time
//! limit (a future that never wakes would hang any executor).
//!
//! These drivers are also used by exercise 15's checks (`Probe`,
//! `on_thread`).

use crate::shared::thread::{Stopped, on_thread};
use crate::shared::{Diagnosis, Verdict, explain, time_limit};
use course::cpu::CpuClock;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "is_ready_after_its_delay",
    "wakes_the_task_when_ready",
    "does_not_wake_the_task_in_vain",
    "wakes_the_waker_of_the_latest_poll",
];

/// The delay every check asks for.
const DELAY: Duration = Duration::from_millis(150);
/// A correct delay is polled twice: Pending, then (after one wake) Ready.
/// A few more (a spurious wake-up) are fine; a busy one is polled
/// thousands of times.
const MOST_POLLS: u64 = 10;

/// A waker that counts its wake-ups and unparks the thread that polls.
pub(crate) struct Probe {
    wakes: AtomicU64,
    thread: Thread,
}

impl Probe {
    pub fn new() -> Arc<Probe> {
        Arc::new(Probe {
            wakes: AtomicU64::new(0),
            thread: std::thread::current(),
        })
    }
    pub fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// What driving one delay to the end (or to the limit) showed.
#[derive(Debug, Default)]
struct Drive {
    polls: u64,
    wakes: u64,
    /// When it returned Ready, after it was made.
    ready_after: Option<Duration>,
    longest_poll: Duration,
    cpu: Option<Duration>,
    /// It returned Pending and no wake-up came until the limit.
    stuck: bool,
}

/// Polls `future` like an executor: poll, and on Pending park until the
/// waker unparks this thread, then poll again; gives up when `limit` has
/// passed with no wake-up.
fn drive<F: Future>(future: F, made: Instant, limit: Duration) -> Drive {
    let mut future = std::pin::pin!(future);
    let probe = Probe::new();
    let waker = Waker::from(Arc::clone(&probe));
    let mut cx = Context::from_waker(&waker);
    let cpu = CpuClock::start();
    let mut drive = Drive::default();
    loop {
        let before = probe.wakes();
        let start = Instant::now();
        let poll = future.as_mut().poll(&mut cx);
        drive.polls += 1;
        drive.longest_poll = drive.longest_poll.max(start.elapsed());
        if poll.is_ready() {
            drive.ready_after = Some(made.elapsed());
            break;
        }
        // Park until a wake-up that came after this poll began (one
        // during the poll counts: `unpark` before `park` is not lost).
        while probe.wakes() == before {
            let left = limit.saturating_sub(made.elapsed());
            if left.is_zero() {
                drive.stuck = true;
                break;
            }
            std::thread::park_timeout(left);
        }
        if drive.stuck {
            break;
        }
    }
    drive.wakes = probe.wakes();
    drive.cpu = cpu.used();
    drive
}

/// Makes a delay of `DELAY` with the learner's `new` and drives it, on a
/// thread of the checker's.
fn driven<F, New>(new: New) -> Result<Drive, Diagnosis>
where
    New: Fn(Duration) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let limit = time_limit();
    let outcome = on_thread(limit + Duration::from_secs(1), move || {
        let made = Instant::now();
        let delay = new(DELAY);
        drive(delay, made, limit)
    });
    outcome.map_err(|stopped| stopped_diagnosis(stopped, limit))
}

fn stopped_diagnosis(stopped: Stopped, limit: Duration) -> Diagnosis {
    match stopped {
        Stopped::Panicked(payload, records) => {
            let mut d = explain::panicked("Delay::poll", &payload, &records);
            if payload.contains("no reactor running") || payload.contains("Tokio 1.x runtime") {
                d = d.push(
                    "The check polls your future with an executor of its own, as \
                     chapter 15's block_on does, and no tokio runtime is running: \
                     time the delay with a thread (the starter's timer thread), not \
                     with tokio's timers.",
                );
            }
            d
        }
        Stopped::Hung => Diagnosis::new(format!(
            "a call to `Delay::poll` did not return within {}: a poll must return at once, \
             Ready or Pending, and never wait (a loop until the deadline? a \
             `thread::sleep`? a lock the timer thread holds?).",
            secs(limit)
        )),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// The failures every check reports first: a poll that blocked, or a
/// future that went quiet.
fn sound(d: &Drive) -> Verdict {
    // By mechanism first: a `poll` that waits returns Ready on the first
    // call, after the whole delay. Then any single poll that lasted the
    // whole delay (a loaded machine pauses a thread for tens of
    // milliseconds, not for the whole delay, inside a poll that returns at
    // once).
    let waited_in_first = d.polls == 1 && d.ready_after.is_some_and(|after| after >= DELAY);
    if waited_in_first || d.longest_poll >= DELAY {
        return Err(Diagnosis::new(format!(
            "one call to `poll` took {} ms: a poll must return at once. Waiting inside `poll` \
             (a `thread::sleep`, a loop until the deadline) blocks the executor's thread, and \
             every other task on it, for the whole delay. Return `Poll::Pending` and let the \
             timer thread wake the task.",
            ms(d.longest_poll)
        )));
    }
    if d.stuck {
        return Err(never_woke(d.polls));
    }
    Ok(())
}

fn never_woke(polls: u64) -> Diagnosis {
    let times = if polls == 1 { "once" } else { "more than once" };
    Diagnosis::new(format!(
        "`Delay` returned Pending and never woke the task: it was polled {times}, its {} ms \
         passed, and no wake-up came within {}. An executor polls a future again only when \
         its waker is woken, so this one would hang forever. Before returning \
         `Poll::Pending`, store `cx.waker().clone()` where the timer thread finds it \
         (`shared.waker`), under the same lock as `done`.",
        ms(DELAY),
        secs(time_limit())
    ))
}

/// `Delay::new(150 ms)` returns Ready, and not before 150 ms.
pub fn is_ready_after_its_delay<F, New>(new: New) -> Verdict
where
    New: Fn(Duration) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let d = driven(new)?;
    sound(&d)?;
    let after = d.ready_after.unwrap_or_default();
    // `Instant`s are exact enough: a correct delay is never early.
    if after < DELAY {
        return Err(Diagnosis::new(format!(
            "`Delay::new({} ms)` returned Ready after {} ms, on poll {}: before its time was \
             up. Return `Poll::Ready(())` only once the timer thread has set `done` (or the \
             deadline has passed); until then, `Poll::Pending`.",
            ms(DELAY),
            ms(after),
            d.polls
        )));
    }
    Ok(())
}

/// A pending `Delay` wakes its task once its time is up.
pub fn wakes_the_task_when_ready<F, New>(new: New) -> Verdict
where
    New: Fn(Duration) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let d = driven(new)?;
    sound(&d)?;
    if d.polls == 1 {
        // Ready on the first poll: nothing to wake. The first check
        // explains why that is early.
        return Err(Diagnosis::new(format!(
            "`Delay::new({} ms)` returned Ready on its first poll, so it never had a task \
             to wake: return `Poll::Pending` until the timer thread has set `done`.",
            ms(DELAY)
        )));
    }
    Ok(())
}

/// A pending `Delay` does not wake its task before there is news.
pub fn does_not_wake_the_task_in_vain<F, New>(new: New) -> Verdict
where
    New: Fn(Duration) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let d = driven(new)?;
    sound(&d)?;
    if d.polls <= MOST_POLLS {
        return Ok(());
    }
    Err(Diagnosis::new(format!(
        "`Delay` busy-wakes: in {} ms it was polled {} times and woke the task {} times, \
         burning {} on the polling thread, where two polls and one wake-up do. Each \
         `wake()` (or `wake_by_ref()`) during `poll` asks the executor to poll again at \
         once: a spin loop. Store the waker and let the timer thread wake it once, when \
         the time is up.",
        ms(d.ready_after.unwrap_or(DELAY)),
        d.polls,
        d.wakes,
        course::cpu::describe(d.cpu),
    )))
}

/// Polled first with one waker and then with another (as when an
/// executor moves the future to another task), `Delay` wakes the second.
pub fn wakes_the_waker_of_the_latest_poll<F, New>(new: New) -> Verdict
where
    New: Fn(Duration) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let limit = time_limit();
    let outcome = on_thread(limit + Duration::from_secs(1), move || {
        let made = Instant::now();
        let mut delay = Box::pin(new(DELAY));
        let (first, second) = (Probe::new(), Probe::new());
        let polls = [&first, &second].map(|probe| {
            let waker = Waker::from(Arc::clone(probe));
            delay.as_mut().poll(&mut Context::from_waker(&waker))
        });
        // Wait past the deadline for the second waker to be woken.
        while second.wakes() == 0 && made.elapsed() < DELAY * 2 + Duration::from_millis(300) {
            std::thread::park_timeout(Duration::from_millis(10));
        }
        (polls.map(|p| p.is_ready()), first.wakes(), second.wakes())
    });
    let (ready, first, second) = outcome.map_err(|s| stopped_diagnosis(s, limit))?;
    if ready[0] || ready[1] {
        return Err(Diagnosis::new(format!(
            "`Delay::new({} ms)` returned Ready on a poll right after it was made: before \
             its time was up.",
            ms(DELAY)
        )));
    }
    match (first, second) {
        (_, 1..) => Ok(()),
        (1.., 0) => Err(Diagnosis::new(
            "`Delay` woke a stale waker: polled first with one waker and then with \
             another (as when an executor moves the future to another task), it woke the \
             first and never the second. The task that now owns the future is never \
             polled again. Store the waker on every poll that returns Pending (replace \
             the old one), not only on the first.",
        )),
        (0, 0) => Err(never_woke(2)),
    }
}
