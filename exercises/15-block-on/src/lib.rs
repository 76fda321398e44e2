//! # Exercise 15: an executor in one page
//!
//! **What to build:** `block_on(future)`, which runs `future` to
//! completion on the calling thread and returns its output, like
//! `futures::executor::block_on` or tokio's `Runtime::block_on` (without
//! the reactor).
//!
//! **Reach for:** chapter 15. A waker that unparks the thread that called
//! `block_on`: a struct holding `std::thread::current()` that implements
//! `std::task::Wake` (its `wake` calls `unpark()`), turned into a `Waker`
//! with `Waker::from(Arc::new(...))`. Then pin the future
//! (`std::pin::pin!`), make a `Context` from the waker, and loop: poll;
//! on `Poll::Ready(output)` return it; on `Poll::Pending` park the thread
//! (`std::thread::park()`) until the waker unparks it.
//!
//! **How it is checked:** `cargo test -p ex15-block-on` runs your
//! `block_on` on a thread of the checker's, on futures that count their
//! polls and wake-ups, each run with a time limit of 4 s:
//!
//! - a future ready at once, and one woken once by a thread after 30 ms:
//!   `block_on` returns the output of each (a number new in every run);
//! - a future woken once after 300 ms: at most 10 polls (a parked
//!   `block_on` makes 2), and at most 30 ms of CPU time on its thread,
//!   which the check measures;
//! - a future woken three times, 40 ms apart: polled again after each
//!   wake-up, it returns its output;
//! - a future that wakes its waker during its own first poll, before
//!   `block_on` can wait: that wake-up must not be lost.
//!
//! **Hint:** `Poll::Pending` means "not yet, and I will wake you": wait
//! for the waker, not for time. A wake-up can come before you start
//! waiting; `thread::park` remembers it.

use std::future::Future;

/// Runs `future` on this thread until it is ready; returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    drop(future);
    todo!("a waker that unparks this thread, then poll and park in a loop")
}
