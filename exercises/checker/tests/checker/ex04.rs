//! Exercise 4, `run_blocking(work)`: CPU work on the blocking pool.

use crate::{fails_with, passes};
use checker::ex04::{self, Work};

// ---- mistakes --------------------------------------------------------------

#[test]
fn cpu_work_on_the_runtime_thread_stalls_it() {
    fails_with(
        ex04::does_not_block_the_runtime(async |work: Work| work()),
        &[
            "the runtime was stalled for",
            "something blocked the executor thread",
            "The work ran on the runtime's own thread",
            "spawn_blocking",
        ],
    );
}

#[test]
fn a_task_is_not_a_thread_of_its_own() {
    // `tokio::spawn` makes a task, polled by the same single runtime thread.
    fails_with(
        ex04::does_not_block_the_runtime(async |work: Work| {
            tokio::spawn(async move { work() }).await.unwrap()
        }),
        &["stalled", "The work ran on the runtime's own thread"],
    );
}

#[test]
fn joining_a_thread_blocks_the_runtime() {
    fails_with(
        ex04::does_not_block_the_runtime(async |work: Work| {
            std::thread::spawn(work).join().expect("the work panicked")
        }),
        &[
            "stalled",
            "The work ran on another thread, but your function blocked",
        ],
    );
}

#[test]
fn a_blocking_receive_blocks_the_runtime() {
    fails_with(
        ex04::does_not_block_the_runtime(async |work: Work| {
            let (tx, rx) = std::sync::mpsc::channel();
            tokio::task::spawn_blocking(move || tx.send(work()));
            rx.recv().expect("the work panicked")
        }),
        &["stalled", "a blocking `recv()`"],
    );
}

#[test]
fn block_in_place_needs_the_multi_threaded_runtime() {
    fails_with(
        ex04::does_not_block_the_runtime(async |work: Work| tokio::task::block_in_place(work)),
        &[
            "`run_blocking` panicked at",
            "`block_in_place` needs the multi-threaded runtime",
        ],
    );
}

#[test]
fn dropping_the_work_is_noticed() {
    fails_with(
        ex04::returns_what_the_work_returns(async |_work: Work| 42),
        &["`run_blocking` returned 42 without ever calling the work"],
    );
}

#[test]
fn a_handle_not_awaited_gives_no_result() {
    fails_with(
        ex04::returns_what_the_work_returns(async |work: Work| {
            drop(tokio::task::spawn_blocking(work));
            0
        }),
        &["`run_blocking` returned 0"],
    );
}

#[test]
fn another_executor_on_the_handle_blocks_the_runtime() {
    // The work runs on the pool and ends, so the thread comes back: a stall,
    // not a hang.
    fails_with(
        ex04::does_not_block_the_runtime(async |work: Work| {
            futures::executor::block_on(tokio::task::spawn_blocking(work)).unwrap()
        }),
        &["The work ran on another thread"],
    );
}

// ---- correct approaches (the solution matches on `spawn_blocking`'s result)

async fn spawn_blocking_expect(work: Work) -> u64 {
    tokio::task::spawn_blocking(work)
        .await
        .expect("the work panicked")
}

async fn on_the_handles_pool(work: Work) -> u64 {
    tokio::runtime::Handle::current()
        .spawn_blocking(work)
        .await
        .expect("the work panicked")
}

async fn a_thread_and_a_tokio_channel(work: Work) -> u64 {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.expect("the thread ended without a result")
}

async fn a_thread_and_a_futures_channel(work: Work) -> u64 {
    let (tx, rx) = futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.expect("the thread ended without a result")
}

macro_rules! ex04_accepts {
    ($($name:ident: $f:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            crate::together!(
                passes(ex04::returns_what_the_work_returns($f)),
                passes(ex04::does_not_block_the_runtime($f)),
            );
        }
    )+};
}

ex04_accepts! {
    ex04_accepts_spawn_blocking_and_expect: spawn_blocking_expect,
    ex04_accepts_the_handles_spawn_blocking: on_the_handles_pool,
    ex04_accepts_a_thread_and_a_tokio_channel: a_thread_and_a_tokio_channel,
    ex04_accepts_a_thread_and_a_futures_channel: a_thread_and_a_futures_channel,
}
