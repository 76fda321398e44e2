//! Solution of exercise 4: CPU-heavy work on the blocking pool.

/// Runs `work` without blocking the runtime and returns its result.
pub async fn run_blocking<T, F>(work: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // `spawn_blocking` runs the closure on a thread of tokio's blocking
    // pool, not on the threads that run tasks. Awaiting the handle parks
    // only this task; the runtime runs other tasks meanwhile. Calling
    // `work()` here instead would keep this thread busy until it returns.
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        // The work panicked: pass its panic on to our caller.
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => panic!("the runtime shut down before the work finished: {error}"),
    }
}
