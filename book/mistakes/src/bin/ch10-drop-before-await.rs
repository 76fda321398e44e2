//! expect: error: future cannot be sent between threads safely
//! `drop(guard)` before the `.await` releases the lock at run time, but
//! rustc decides whether a future is `Send` from the guard's scope: the
//! guard's variable lives to the end of its block, across the `.await`.
//! A block around the guard ends its scope before the `.await`.
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::main]
async fn main() {
    let pages = Arc::new(Mutex::new(0_usize));
    let shared = Arc::clone(&pages);
    // ANCHOR: mistake
    let task = tokio::spawn(async move {
        let mut count = shared.lock().unwrap();
        *count += 1;
        drop(count);
        tokio::time::sleep(Duration::from_millis(100)).await;
    });
    // ANCHOR_END: mistake
    task.await.unwrap();
    println!("{} page(s)", pages.lock().unwrap());
}
