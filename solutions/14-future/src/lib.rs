//! Solution of exercise 14: a future by hand.
//!
//! `poll` answers `Ready` once the timer thread has set `done`; until then
//! it leaves the waker of this poll where the timer thread will find it,
//! and answers `Pending`.

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
        let mut shared = self.shared.lock().unwrap();
        if shared.done {
            return Poll::Ready(());
        }
        // Every poll replaces the waker: the future may belong to another
        // task than at the last poll, and the timer must wake that one.
        // Under the same lock as `done`, so the timer cannot finish between
        // the check and the store and find no waker.
        shared.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
