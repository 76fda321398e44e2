//! # Exercise 14: a future by hand
//!
//! **What to build:** the `poll` method of `Delay`, a future that is ready
//! once its duration has passed since `Delay::new`. Everything else is
//! written: `new` starts a timer thread that sleeps until the deadline,
//! then sets `shared.done` and wakes the waker it finds in
//! `shared.waker`, if any. (Chapter 14's `Delay` starts its thread on the
//! first poll, as a lazy future should; here `new` does it, so that all
//! you write is `poll`.)
//!
//! **Reach for:** chapter 14's `Delay`. In `poll`, lock `shared`: if
//! `done` is set, return `Poll::Ready(())`; otherwise store
//! `cx.waker().clone()` in `shared.waker`, so that the timer thread wakes
//! this task, and return `Poll::Pending`.
//!
//! **How it is checked:** `cargo test -p ex14-future` polls your
//! `Delay::new(150 ms)` with executors of the checker's own, whose wakers
//! count every wake-up, each run with a time limit of 4 s:
//!
//! - ready after its time and not before: not before 150 ms after it was
//!   made;
//! - it wakes the task when it is ready: not Ready on the first poll,
//!   Pending then, and ready at last because it woke the task (a future
//!   that returns Pending and never wakes the task hangs its executor);
//! - it does not wake the task in vain: at most 10 polls in all (2 do;
//!   waking on every poll is a spin loop, and the check reports how many
//!   polls and how much CPU time it cost);
//! - it wakes the waker of the *latest* poll: polled twice right after it
//!   is made, with one waker and then another (as when an executor moves
//!   the future to another task), it must wake the second within 600 ms
//!   of its making.
//!
//! **Hint:** a poll returns at once, Ready or Pending. Never wait inside
//! it: waiting is what the waker is for.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A future that is ready `duration` after it was made.
pub struct Delay {
    shared: Arc<Mutex<Shared>>,
}

/// What the future and its timer thread share.
struct Shared {
    /// Set by the timer thread when the deadline has passed.
    done: bool,
    /// The waker the timer thread wakes at the deadline.
    waker: Option<Waker>,
}

impl Delay {
    /// A delay of `duration`, with its timer thread.
    pub fn new(duration: Duration) -> Delay {
        let deadline = Instant::now() + duration;
        let shared = Arc::new(Mutex::new(Shared {
            done: false,
            waker: None,
        }));
        let timer = Arc::clone(&shared);
        std::thread::spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            let mut shared = timer.lock().unwrap();
            shared.done = true;
            if let Some(waker) = shared.waker.take() {
                waker.wake();
            }
        });
        Delay { shared }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _ = (&self.shared, cx);
        todo!("Ready if done; otherwise store the waker and return Pending")
    }
}
