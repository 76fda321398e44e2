//! Exercise 14, `Delay::poll`: a future by hand. Each wrong `poll` below
//! is one a learner may write; each right one passes every check.

use crate::{LIMIT, REPORTS_WITHIN, fails_with, passes, within};
use checker::ex14;
use futures::task::AtomicWaker;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How a `poll` goes about it.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The solution: Ready if done, else store the waker, Pending.
    Right,
    /// Stores the waker only if it has none (clones only a new one).
    WillWake,
    /// Looks at the clock instead of `done`, stores the waker.
    Clock,
    /// Returns Pending without storing the waker.
    Forgets,
    /// Wakes the task on every pending poll.
    Busy,
    /// Stores the first waker only.
    FirstWakerOnly,
    /// Ready at once.
    ReadyAtOnce,
    /// Sleeps until the deadline inside `poll`.
    Sleeps,
    /// Spins until the deadline inside `poll`.
    Spins,
    /// Waits on a tokio timer inside `poll`.
    TokioSleep,
}

/// The starter's `Delay`, with `poll` written in one of the ways above.
struct Delay {
    mode: Mode,
    deadline: Instant,
    shared: Arc<Mutex<(bool, Option<Waker>)>>,
}

fn delay(mode: Mode) -> impl Fn(Duration) -> Delay + Send + Clone + 'static {
    move |duration| {
        let deadline = Instant::now() + duration;
        let shared = Arc::new(Mutex::new((false, None::<Waker>)));
        let timer = Arc::clone(&shared);
        std::thread::spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            let mut shared = timer.lock().unwrap();
            shared.0 = true;
            if let Some(waker) = shared.1.take() {
                waker.wake();
            }
        });
        Delay {
            mode,
            deadline,
            shared,
        }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = self.shared.lock().unwrap();
        match self.mode {
            Mode::ReadyAtOnce => return Poll::Ready(()),
            Mode::Sleeps => {
                drop(shared);
                std::thread::sleep(self.deadline.saturating_duration_since(Instant::now()));
                return Poll::Ready(());
            }
            Mode::Spins => {
                drop(shared);
                while Instant::now() < self.deadline {
                    std::hint::spin_loop();
                }
                return Poll::Ready(());
            }
            Mode::TokioSleep => {
                drop(shared);
                let sleep = std::pin::pin!(tokio::time::sleep_until(self.deadline.into()));
                return sleep.poll(cx);
            }
            Mode::Clock if Instant::now() >= self.deadline => return Poll::Ready(()),
            _ if shared.0 && self.mode != Mode::Clock => return Poll::Ready(()),
            _ => {}
        }
        match self.mode {
            Mode::Right | Mode::Clock => shared.1 = Some(cx.waker().clone()),
            Mode::WillWake => match &mut shared.1 {
                Some(w) if w.will_wake(cx.waker()) => {}
                Some(w) => w.clone_from(cx.waker()),
                None => shared.1 = Some(cx.waker().clone()),
            },
            Mode::Forgets => {}
            Mode::Busy => cx.waker().wake_by_ref(),
            Mode::FirstWakerOnly => {
                if shared.1.is_none() {
                    shared.1 = Some(cx.waker().clone());
                }
            }
            _ => unreachable!("returned above"),
        }
        Poll::Pending
    }
}

/// Every check of exercise 14 on one `new`.
fn all_pass<F: Future<Output = ()> + Send + 'static>(
    new: impl Fn(Duration) -> F + Send + Clone + 'static,
) {
    passes(ex14::is_ready_after_its_delay(new.clone()));
    passes(ex14::wakes_the_task_when_ready(new.clone()));
    passes(ex14::does_not_wake_the_task_in_vain(new.clone()));
    passes(ex14::wakes_the_waker_of_the_latest_poll(new));
}

// ---- mistakes --------------------------------------------------------------

#[test]
fn pending_without_the_waker_never_wakes() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex14::wakes_the_task_when_ready(delay(Mode::Forgets))
    });
    fails_with(
        verdict,
        &[
            "returned Pending and never woke the task",
            "polled once",
            "cx.waker().clone()",
        ],
    );
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex14::wakes_the_waker_of_the_latest_poll(delay(Mode::Forgets))
    });
    fails_with(verdict, &["returned Pending and never woke the task"]);
}

#[test]
fn waking_on_every_poll_is_a_spin_loop() {
    let message = fails_with(
        ex14::does_not_wake_the_task_in_vain(delay(Mode::Busy)),
        &["busy-wakes", "times and woke the task", "spin loop"],
    );
    // The counts are numbers, and the CPU time is named (on Linux, where
    // it can be measured).
    if course::cpu::thread_cpu_time().is_some() {
        assert!(message.contains("ms of CPU"), "{message}");
    }
    // It is on time, though, and wakes its task: those checks pass it.
    passes(ex14::wakes_the_task_when_ready(delay(Mode::Busy)));
}

#[test]
fn ready_at_once_is_too_early() {
    fails_with(
        ex14::is_ready_after_its_delay(delay(Mode::ReadyAtOnce)),
        &[
            "returned Ready after 0 ms, on poll 1",
            "before its time was up",
        ],
    );
    fails_with(
        ex14::wakes_the_task_when_ready(delay(Mode::ReadyAtOnce)),
        &["returned Ready on its first poll"],
    );
    fails_with(
        ex14::wakes_the_waker_of_the_latest_poll(delay(Mode::ReadyAtOnce)),
        &["before its time was up"],
    );
}

#[test]
fn a_delay_that_is_ready_halfway_is_too_early() {
    let half = move |d: Duration| delay(Mode::Right)(d / 2);
    fails_with(
        ex14::is_ready_after_its_delay(half),
        &[
            "`Delay::new(150 ms)` returned Ready after",
            "before its time was up",
        ],
    );
}

#[test]
fn keeping_the_first_waker_wakes_a_stale_one() {
    fails_with(
        ex14::wakes_the_waker_of_the_latest_poll(delay(Mode::FirstWakerOnly)),
        &["woke a stale waker", "never the second", "on every poll"],
    );
    // With one waker throughout, the mistake does not show.
    passes(ex14::wakes_the_task_when_ready(delay(Mode::FirstWakerOnly)));
}

#[test]
fn waiting_inside_poll_blocks_the_executor() {
    for mode in [Mode::Sleeps, Mode::Spins] {
        fails_with(
            ex14::is_ready_after_its_delay(delay(mode)),
            &["one call to `poll` took", "ms: a poll must return at once"],
        );
    }
}

#[test]
fn a_tokio_timer_needs_a_tokio_runtime() {
    fails_with(
        ex14::is_ready_after_its_delay(delay(Mode::TokioSleep)),
        &[
            "`Delay::poll` panicked",
            "no reactor running",
            "time the delay with a thread",
        ],
    );
}

#[test]
fn todo_is_not_started() {
    struct Todo;
    impl Future for Todo {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            todo!()
        }
    }
    let message = fails_with(
        ex14::is_ready_after_its_delay(|_| Todo),
        &["`Delay::poll` is still `todo!()`"],
    );
    assert!(!message.contains("no reactor"), "{message}");
}

// ---- correct approaches ----------------------------------------------------

#[test]
fn the_solution_passes() {
    all_pass(delay(Mode::Right));
}

#[test]
fn keeping_the_waker_when_it_would_wake_the_same_task_passes() {
    all_pass(delay(Mode::WillWake));
}

#[test]
fn looking_at_the_clock_instead_of_done_passes() {
    all_pass(delay(Mode::Clock));
}

/// `futures`' AtomicWaker and a flag, with no lock: register, then look at
/// the flag again (a timer that finished in between is not missed).
struct Atomic {
    done: Arc<(AtomicBool, AtomicWaker)>,
}

fn atomic(duration: Duration) -> Atomic {
    let done = Arc::new((AtomicBool::new(false), AtomicWaker::new()));
    let timer = Arc::clone(&done);
    std::thread::spawn(move || {
        std::thread::sleep(duration);
        timer.0.store(true, Ordering::SeqCst);
        timer.1.wake();
    });
    Atomic { done }
}

impl Future for Atomic {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done.0.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        self.done.1.register(cx.waker());
        if self.done.0.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn an_atomic_waker_passes() {
    all_pass(atomic);
}

/// A timer thread started on the first poll, told of each new waker over
/// a channel.
struct Lazy {
    duration: Duration,
    done: Arc<AtomicBool>,
    wakers: Option<std::sync::mpsc::Sender<Waker>>,
}

impl Future for Lazy {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        if self.wakers.is_none() {
            let (tx, rx) = std::sync::mpsc::channel::<Waker>();
            let (end, done) = (Instant::now() + self.duration, Arc::clone(&self.done));
            std::thread::spawn(move || {
                let mut latest = None;
                while let Ok(w) = rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
                    latest = Some(w);
                }
                while let Ok(w) = rx.try_recv() {
                    latest = Some(w);
                }
                done.store(true, Ordering::SeqCst);
                // Wakers sent after this see `done` on their next poll.
                if let Some(w) = latest {
                    w.wake();
                }
            });
            self.wakers = Some(tx);
        }
        let _ = self.wakers.as_ref().map(|tx| tx.send(cx.waker().clone()));
        if self.done.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

#[test]
fn a_timer_started_on_the_first_poll_passes() {
    all_pass(|duration| Lazy {
        duration,
        done: Arc::default(),
        wakers: None,
    });
}
