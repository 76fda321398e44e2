//! expect: error[E0277]
//! A `block_on` that asks for `Unpin` futures, so that it can poll them
//! through `Pin::new(&mut future)` without pinning them itself. An async
//! block that keeps a reference into its own state across an `.await` is
//! not `Unpin`: moving it between two polls would leave the reference
//! pointing at the place the state was moved from.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

// ANCHOR: mistake
fn block_on<F: Future + Unpin>(mut future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        // `Pin::new` only pins what does not care about being moved.
        if let Poll::Ready(output) = Pin::new(&mut future).poll(&mut cx) {
            return output;
        }
    }
}

fn main() {
    let len = block_on(async {
        let text = String::from("borrowed across an await");
        let word = &text[..8]; // borrows `text`, in the future's own state
        tokio::task::yield_now().await;
        word.len()
    });
    println!("{len}");
}
// ANCHOR_END: mistake
