//! Exercise 15: an executor, `block_on(future) -> output`.
//!
//! The checks hand the learner's `block_on` futures of their own, which
//! count how often they are polled and when they wake their waker, and
//! run it on a thread of the checker's with a time limit: a `block_on`
//! whose waker does nothing hangs by design. The CPU time of that thread
//! tells a parked wait from a spinning one.

use crate::shared::thread::{Stopped, on_thread};
use crate::shared::{Diagnosis, Verdict, explain, time_limit};
use course::cpu::CpuClock;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The future type the checks give `block_on`: `block_on::<Job>`.
pub type Job = Pin<Box<dyn Future<Output = u64> + Send>>;

/// The checks, in teaching order.
pub const CHECKS: &[&str] = &[
    "returns_the_futures_output",
    "parks_while_waiting",
    "polls_again_after_each_wake",
    "keeps_a_wake_up_that_comes_during_poll",
];

/// How long the future of `parks_while_waiting` waits.
const WAIT: Duration = Duration::from_millis(300);
/// A parked `block_on` polls that future twice; a few more (a spurious
/// wake-up) are fine. A spinning one polls it thousands of times, one
/// that sleeps a millisecond between polls hundreds.
const MOST_POLLS: u64 = 10;
/// A parked thread uses next to no CPU time while it waits (well under a
/// millisecond here). A spinning one uses all it is given: even on a
/// machine loaded ten times over, tens of milliseconds in 300 ms.
const MOST_CPU: Duration = Duration::from_millis(30);

/// What a checker's future saw of the `block_on` that ran it.
#[derive(Default)]
struct Seen {
    polls: AtomicU64,
    /// Wake-ups it gave its waker.
    wakes: AtomicU64,
    /// A wake-up it gave while inside `poll`.
    woke_in_poll: AtomicBool,
}

impl Seen {
    fn polls(&self) -> u64 {
        self.polls.load(Ordering::SeqCst)
    }
    fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::SeqCst)
    }
}

/// Ready with `value` after `ticks` wake-ups from a timer thread, one
/// every `every`, each waking the waker of the latest poll.
struct Ticks {
    value: u64,
    ticks: u64,
    every: Duration,
    seen: Arc<Seen>,
    shared: Arc<Mutex<(u64, Option<Waker>)>>,
    started: bool,
}

impl Future for Ticks {
    type Output = u64;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        self.seen.polls.fetch_add(1, Ordering::SeqCst);
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if shared.0 >= self.ticks {
            return Poll::Ready(self.value);
        }
        shared.1 = Some(cx.waker().clone());
        drop(shared);
        if !self.started {
            self.started = true;
            let (shared, seen) = (Arc::clone(&self.shared), Arc::clone(&self.seen));
            let (ticks, every) = (self.ticks, self.every);
            std::thread::spawn(move || {
                for _ in 0..ticks {
                    std::thread::sleep(every);
                    let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
                    shared.0 += 1;
                    if let Some(waker) = shared.1.take() {
                        seen.wakes.fetch_add(1, Ordering::SeqCst);
                        waker.wake();
                    }
                }
            });
        }
        Poll::Pending
    }
}

fn ticks(value: u64, ticks: u64, every: Duration, seen: &Arc<Seen>) -> Job {
    Box::pin(Ticks {
        value,
        ticks,
        every,
        seen: Arc::clone(seen),
        shared: Arc::default(),
        started: false,
    })
}

/// Wakes its waker inside its first poll and answers Pending, then is
/// ready: the wake-up comes before `block_on` can wait for it.
struct WakesInPoll {
    value: u64,
    seen: Arc<Seen>,
}

impl Future for WakesInPoll {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if self.seen.polls.fetch_add(1, Ordering::SeqCst) > 0 {
            return Poll::Ready(self.value);
        }
        self.seen.wakes.fetch_add(1, Ordering::SeqCst);
        self.seen.woke_in_poll.store(true, Ordering::SeqCst);
        // Another thread wakes it, by value, before this poll returns.
        let waker = cx.waker().clone();
        let woke = std::thread::spawn(move || waker.wake()).join();
        if woke.is_err() {
            // The learner's `wake` panicked: the check's thread says so.
            panic!("your waker's `wake` panicked");
        }
        Poll::Pending
    }
}

/// A number that differs from run to run, so that only the future's own
/// output is the right answer.
fn fresh_value() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(7);
    1_000 + u64::from(nanos % 1_000_000)
}

/// What running `block_on` on one future gave.
struct Run {
    output: u64,
    took: Duration,
    cpu: Option<Duration>,
}

/// Runs `block_on(job)` on a thread of the checker's, with the time limit.
fn run_block_on(
    block_on: impl FnOnce(Job) -> u64 + Send + 'static,
    job: Job,
    seen: &Arc<Seen>,
    needs: &str,
) -> Result<Run, Diagnosis> {
    let limit = time_limit();
    let started = Instant::now();
    let outcome = on_thread(limit, move || {
        let cpu = CpuClock::start();
        let output = block_on(job);
        (output, cpu.used())
    });
    match outcome {
        Ok((output, cpu)) => Ok(Run {
            output,
            took: started.elapsed(),
            cpu,
        }),
        Err(Stopped::Hung) => Err(hung(seen, limit, needs)),
        Err(Stopped::Panicked(payload, records)) => {
            let mut d = explain::panicked("block_on", &payload, &records);
            if !d.is_not_started() && seen.polls() > 0 {
                d = d.push(&format!(
                    "The future had been polled {} and had woken its waker {}; it needed \
                     {needs}. Keep polling, in a loop, after every wake-up, until it answers \
                     `Poll::Ready`: `Pending` only means \"not yet\".",
                    times(seen.polls()),
                    times(seen.wakes())
                ));
            }
            Err(d)
        }
    }
}

/// `block_on` did not return within the limit: what the future saw says
/// why.
fn hung(seen: &Seen, limit: Duration, needs: &str) -> Diagnosis {
    let (polls, wakes) = (seen.polls(), seen.wakes());
    let within = explain::secs(limit);
    if polls == 0 {
        return Diagnosis::new(format!(
            "`block_on` did not return within {within} and never polled the future: call \
             `future.as_mut().poll(&mut cx)` (pin it first, with `std::pin::pin!`), with a \
             `Context` made from your waker."
        ));
    }
    if seen.woke_in_poll.load(Ordering::SeqCst) && polls == 1 {
        return Diagnosis::new(format!(
            "the future called `wake()` while `block_on` was still inside `poll`, and \
             `block_on` then waited for good (no result within {within}): that wake-up was \
             lost. A wake-up may come at any time, also before you start to wait. \
             `thread::park` keeps it (`unpark` leaves a token, and the next `park` returns \
             at once); with a `Condvar`, the waker must set a flag under the Mutex, and \
             `block_on` wait only while the flag is unset (then clear it)."
        ));
    }
    if wakes >= polls {
        return Diagnosis::new(format!(
            "`block_on` never woke up: the future returned Pending, woke its waker {}, and \
             was polled only {}, never after its last wake-up (no \
             result within {within}; it needed {needs}). Your waker does not wake the thread \
             that waits: a waker that does nothing (`Waker::noop()`?) or one that unparks \
             another thread. Make `wake` unpark the thread that called `block_on` \
             (`thread::current()`, taken in `block_on`), and park between polls.",
            times(wakes),
            times(polls)
        ));
    }
    Diagnosis::new(format!(
        "`block_on` did not return within {within}: it polled the future {} and the future \
         woke its waker {}. Poll again after every wake-up until the future answers \
         `Poll::Ready`.",
        times(polls),
        times(wakes)
    ))
}

/// "once", "twice", "3 times".
fn times(n: u64) -> String {
    match n {
        1 => String::from("once"),
        2 => String::from("twice"),
        n => format!("{n} times"),
    }
}

fn check_output(run: &Run, expected: u64) -> Verdict {
    if run.output == expected {
        return Ok(());
    }
    Err(Diagnosis::new(format!(
        "`block_on` returned {} where the future's output was {expected}: return what \
         `Poll::Ready(output)` holds.",
        run.output
    )))
}

/// `block_on` returns the output of a future that is ready at once, and
/// of one that is ready after a wake-up from another thread.
pub fn returns_the_futures_output(
    block_on: impl Fn(Job) -> u64 + Send + Clone + 'static,
) -> Verdict {
    let value = fresh_value();
    let seen = Arc::new(Seen::default());
    let run = run_block_on(
        block_on.clone(),
        Box::pin(std::future::ready(value)),
        &seen,
        "one poll",
    )?;
    check_output(&run, value)?;
    let value = fresh_value() + 1;
    let seen = Arc::new(Seen::default());
    let job = ticks(value, 1, Duration::from_millis(30), &seen);
    let run = run_block_on(block_on, job, &seen, "one wake-up")?;
    check_output(&run, value)
}

/// While the future waits 300 ms for its timer thread, `block_on` polls
/// it only a few times and its thread uses next to no CPU time.
pub fn parks_while_waiting(block_on: impl Fn(Job) -> u64 + Send + 'static) -> Verdict {
    let value = fresh_value();
    let seen = Arc::new(Seen::default());
    let job = ticks(value, 1, WAIT, &seen);
    let run = run_block_on(block_on, job, &seen, "one wake-up")?;
    check_output(&run, value)?;
    let polls = seen.polls();
    let cpu = course::cpu::describe(run.cpu);
    let waited = run.took.as_millis();
    if polls > MOST_POLLS {
        return Err(Diagnosis::new(format!(
            "`block_on` polled the future {polls} times in {waited} ms while it waited for \
             one wake-up, and its thread burned {cpu}: it polls in a loop without waiting \
             for the waker (spinning, with or without `yield_now`, or sleeping a little \
             between polls). After `Poll::Pending`, park the thread (`thread::park()`) \
             until your waker unparks it: then the future is polled twice."
        )));
    }
    if let Some(used) = run.cpu
        && used > MOST_CPU
    {
        return Err(Diagnosis::new(format!(
            "`block_on` polled the future only {}, but its thread burned {cpu} \
             in the {waited} ms the future waited: it waits by spinning (a loop on a flag, \
             `thread::yield_now()`?). Park the thread (`thread::park()`, or a Condvar's \
             `wait`) so that it uses no CPU until the waker wakes it.",
            times(polls)
        )));
    }
    Ok(())
}

/// A future that needs three wake-ups is polled again after each one.
pub fn polls_again_after_each_wake(block_on: impl Fn(Job) -> u64 + Send + 'static) -> Verdict {
    let value = fresh_value();
    let seen = Arc::new(Seen::default());
    let job = ticks(value, 3, Duration::from_millis(40), &seen);
    let run = run_block_on(block_on, job, &seen, "three wake-ups, 40 ms apart")?;
    check_output(&run, value)
}

/// A future that wakes its waker inside `poll`, before `block_on` gets
/// to wait, is polled again (the wake-up is not lost).
pub fn keeps_a_wake_up_that_comes_during_poll(
    block_on: impl Fn(Job) -> u64 + Send + 'static,
) -> Verdict {
    let value = fresh_value();
    let seen = Arc::new(Seen::default());
    let job: Job = Box::pin(WakesInPoll {
        value,
        seen: Arc::clone(&seen),
    });
    let run = run_block_on(
        block_on,
        job,
        &seen,
        "one wake-up, given during its first poll",
    )?;
    check_output(&run, value)
}
