//! Chapter 14's futures, written by hand: a delay driven by a timer
//! thread, the two classic ways to get one wrong, the state machine an
//! `async fn` becomes, and a wrapper that counts polls and wake-ups.
//! Chapter 15 runs the same futures on an executor of its own.

// ANCHOR: all
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

// ANCHOR: delay
/// A future that is ready once `duration` has passed since it was made.
/// A timer thread, started on the first poll, wakes the task at the end.
pub struct Delay {
    deadline: Instant,
    /// What the future and its timer thread share.
    shared: Arc<Mutex<Shared>>,
    timer_started: bool,
}

struct Shared {
    /// Set by the timer thread when the deadline has passed.
    done: bool,
    /// The waker of the latest poll: the one the timer thread wakes.
    waker: Option<Waker>,
}

impl Delay {
    pub fn new(duration: Duration) -> Delay {
        Delay {
            deadline: Instant::now() + duration,
            shared: Arc::new(Mutex::new(Shared {
                done: false,
                waker: None,
            })),
            timer_started: false,
        }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = self.shared.lock().unwrap();
        if shared.done {
            return Poll::Ready(());
        }
        // Not yet: leave the waker where the timer thread will find it.
        // Every poll replaces it, because the executor may have moved the
        // future to another task since the last poll: waking the old
        // waker would wake the wrong task, or none. Storing it under the
        // same lock as `done` means the timer cannot finish in between
        // and miss it.
        shared.waker = Some(cx.waker().clone());
        drop(shared);
        // Futures are lazy: the timer starts on the first poll, not in
        // `new`.
        if !self.timer_started {
            self.timer_started = true;
            let (deadline, shared) = (self.deadline, Arc::clone(&self.shared));
            std::thread::spawn(move || {
                std::thread::sleep(
                    deadline.saturating_duration_since(Instant::now()),
                );
                let mut shared = shared.lock().unwrap();
                shared.done = true;
                // The task runs again only because of this call.
                if let Some(waker) = shared.waker.take() {
                    waker.wake();
                }
            });
        }
        Poll::Pending
    }
}
// ANCHOR_END: delay

// ANCHOR: forgetful
/// Wrong: a delay that looks at the clock and says "not yet", without
/// arranging for anyone to wake the task. The executor never polls it
/// again, so it never sees that the time has come.
pub struct ForgetfulDelay {
    deadline: Instant,
}

impl ForgetfulDelay {
    pub fn new(duration: Duration) -> ForgetfulDelay {
        ForgetfulDelay {
            deadline: Instant::now() + duration,
        }
    }
}

impl Future for ForgetfulDelay {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            Poll::Ready(())
        } else {
            Poll::Pending // and nobody will ever call wake()
        }
    }
}
// ANCHOR_END: forgetful

// ANCHOR: busy
/// Works, at a price: a delay that wakes its own task on every poll, so
/// the executor polls it again at once, and again, until the time has
/// come. The thread never rests.
pub struct BusyDelay {
    deadline: Instant,
}

impl BusyDelay {
    pub fn new(duration: Duration) -> BusyDelay {
        BusyDelay {
            deadline: Instant::now() + duration,
        }
    }
}

impl Future for BusyDelay {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // "Poll me again right away": a spin loop in disguise.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: busy

// ANCHOR: async_fn
/// Two delays, one after the other, as an `async fn`.
pub async fn two_delays(first: Duration, second: Duration) -> &'static str {
    Delay::new(first).await;
    Delay::new(second).await;
    "both delays are over"
}
// ANCHOR_END: async_fn

// ANCHOR: state_machine
/// The same, written out roughly as the compiler does it: one variant per
/// place where the function can be paused, holding what it needs there.
pub enum TwoDelays {
    /// Made, not yet polled: only the arguments.
    Start { first: Duration, second: Duration },
    /// Paused at the first `.await`.
    First { delay: Delay, second: Duration },
    /// Paused at the second `.await`.
    Second { delay: Delay },
    /// Returned its value; must not be polled again.
    Done,
}

impl Future for TwoDelays {
    type Output = &'static str;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        // Each poll resumes where the last one paused, and runs until the
        // next pause (return Pending) or the end (return Ready).
        loop {
            match &mut *self {
                TwoDelays::Start { first, second } => {
                    let (first, second) = (*first, *second);
                    let delay = Delay::new(first);
                    *self = TwoDelays::First { delay, second };
                }
                TwoDelays::First { delay, second } => {
                    // `.await`: poll the inner future; if it is pending,
                    // so are we (it has stored our waker).
                    if Pin::new(delay).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let delay = Delay::new(*second);
                    *self = TwoDelays::Second { delay };
                }
                TwoDelays::Second { delay } => {
                    if Pin::new(delay).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    *self = TwoDelays::Done;
                    return Poll::Ready("both delays are over");
                }
                TwoDelays::Done => panic!("polled after it returned Ready"),
            }
        }
    }
}
// ANCHOR_END: state_machine

// ANCHOR: counted
/// How often a future was polled, and how often it woke its task.
#[derive(Debug, Default)]
pub struct Stats {
    polls: AtomicU64,
    wakes: AtomicU64,
}

impl Stats {
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }
    pub fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Relaxed)
    }
}

/// Wraps a future, counting its polls, and hands it a waker of its own
/// that counts each wake-up before passing it on to the executor's.
pub struct Counted<F> {
    // Boxed and pinned, so that `Counted` can poll it without `unsafe`
    // (see chapter 15 on pinning).
    inner: Pin<Box<F>>,
    stats: Arc<Stats>,
    /// The executor's waker of the last poll, and ours around it.
    wakers: Option<(Waker, Waker)>,
}

struct CountingWaker {
    inner: Waker,
    stats: Arc<Stats>,
}

// The safe way to make a waker: a type that implements `Wake`, in an
// `Arc` (the other, a `RawWaker`, needs `unsafe`).
impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.stats.wakes.fetch_add(1, Ordering::Relaxed);
        self.inner.wake_by_ref();
    }
}

impl<F: Future> Counted<F> {
    pub fn new(future: F) -> Counted<F> {
        Counted {
            inner: Box::pin(future),
            stats: Arc::default(),
            wakers: None,
        }
    }

    /// The counts, to read while or after it runs.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        this.stats.polls.fetch_add(1, Ordering::Relaxed);
        // One counting waker per executor waker, not one per poll.
        let fresh = match &this.wakers {
            Some((theirs, _)) => !theirs.will_wake(cx.waker()),
            None => true,
        };
        if fresh {
            let counting = Arc::new(CountingWaker {
                inner: cx.waker().clone(),
                stats: Arc::clone(&this.stats),
            });
            this.wakers = Some((cx.waker().clone(), Waker::from(counting)));
        }
        let ours = &this.wakers.as_ref().expect("set above").1;
        this.inner.as_mut().poll(&mut Context::from_waker(ours))
    }
}
// ANCHOR_END: counted
// ANCHOR_END: all
