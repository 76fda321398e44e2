//! expect: error: future cannot be sent between threads safely
//! A std `MutexGuard` held across an `.await` makes the task's future not
//! `Send`, and `tokio::spawn` only takes futures that are: a task may move
//! to another worker thread at any `.await`, and the guard must stay on
//! the thread that locked the mutex.
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::main]
async fn main() {
    let pages = Arc::new(Mutex::new(0_usize));
    let shared = Arc::clone(&pages);
    // ANCHOR: mistake
    let task = tokio::spawn(async move {
        let mut count = shared.lock().unwrap();
        // A request would go here; a sleep stands in for it. The guard
        // `count` is still alive across this `.await`.
        tokio::time::sleep(Duration::from_millis(100)).await;
        *count += 1;
    });
    // ANCHOR_END: mistake
    task.await.unwrap();
    println!("{} page(s)", pages.lock().unwrap());
}
