//! expect: error: future cannot be sent between threads safely
//! `Span::entered` returns a guard that owns the span and keeps it entered
//! on this thread until dropped. It is not `Send`, so a spawned task (which
//! a multi-threaded runtime may move between threads at any `.await`)
//! cannot hold it across an `.await`. (`Span::enter`'s borrowed guard is
//! `Send`: the same mistake with it compiles, and mislabels lines.)
use std::time::Duration;

// ANCHOR: mistake
async fn request(n: usize) {
    let _entered = tracing::info_span!("request", n).entered();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tracing::info!("done");
}

#[tokio::main]
async fn main() {
    tokio::spawn(request(1)).await.unwrap();
}
// ANCHOR_END: mistake
