//! Solution of exercise 15: an executor in one page.
//!
//! The waker unparks the thread that called `block_on`; the loop polls,
//! and parks while the future is pending.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the task by unparking the thread that runs it.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` on this thread until it is ready; returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    // `poll` needs `Pin<&mut F>`: the future stays on this stack frame
    // until it is done.
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A wake-up that came during `poll` left a token: `park` returns
        // at once. A spurious return only costs one more poll.
        thread::park();
    }
}
