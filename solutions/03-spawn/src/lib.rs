//! Solution of exercise 3: spawn tasks and wait for them.

use std::future::Future;

/// Runs every job as its own task, concurrently; returns when all are done.
pub async fn run_all<F>(jobs: Vec<F>)
where
    F: Future<Output = ()> + Send + 'static,
{
    // First start every task. `tokio::spawn` hands the job to the runtime,
    // which runs it on its own from now on, and returns at once. Awaiting
    // each handle right here instead would run the jobs one by one.
    let handles: Vec<_> = jobs.into_iter().map(tokio::spawn).collect();

    // Then wait for each. A task that nobody awaits keeps running, but we
    // would return before it is done: the caller asked for all of them.
    for handle in handles {
        if let Err(error) = handle.await {
            // The job panicked (or the runtime is shutting down). Pass the
            // panic on, as if the job had run here.
            if error.is_panic() {
                std::panic::resume_unwind(error.into_panic());
            }
        }
    }
}
