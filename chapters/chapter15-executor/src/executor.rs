//! An executor in one page: `block_on` runs one future on the calling
//! thread, parking the thread whenever the future is pending.

// ANCHOR: all
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

// ANCHOR: waker
/// The waker: waking the task means unparking the thread that waits in
/// `block_on`.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
// ANCHOR_END: waker

// ANCHOR: block_on
/// Runs `future` to completion on this thread and returns its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    // `poll` takes `Pin<&mut F>`: pin the future where it is, on this
    // stack frame, which it will not leave until it is done.
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            // Sleep until the future's waker unparks us, then poll again.
            // A wake-up that came before we park is not lost: `unpark`
            // leaves a token, and `park` then returns at once. `park` may
            // also return for no reason at all; polling again is harmless.
            Poll::Pending => thread::park(),
        }
    }
}
// ANCHOR_END: block_on
// ANCHOR_END: all
