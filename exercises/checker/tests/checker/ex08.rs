//! Exercise 8, `fetch_after(client, url, pause)`: wait without blocking the
//! executor.

use crate::{LIMIT, REPORTS_WITHIN, fails_with, fetch, passes, within};
use checker::ex08;
use reqwest::Client;
use std::time::{Duration, Instant};

// ---- mistakes --------------------------------------------------------------

#[test]
fn a_blocking_sleep_stalls_the_runtime() {
    fails_with(
        ex08::does_not_block_the_runtime(async |c: &Client, url: &str, pause: Duration| {
            std::thread::sleep(pause);
            fetch(c, url).await
        }),
        &[
            "the runtime was stalled for",
            "ms while `fetch_after` ran: something blocked the executor thread \
             (std::thread::sleep? CPU work outside spawn_blocking?)",
            "tokio::time::sleep",
        ],
    );
}

#[test]
fn a_busy_wait_stalls_the_runtime() {
    fails_with(
        ex08::does_not_block_the_runtime(async |c: &Client, url: &str, pause: Duration| {
            let end = Instant::now() + pause;
            while Instant::now() < end {
                std::hint::spin_loop();
            }
            fetch(c, url).await
        }),
        &["the runtime was stalled for", "parks only this task"],
    );
}

#[test]
fn skipping_the_pause_is_noticed() {
    fails_with(
        ex08::waits_before_sending(async |c: &Client, url: &str, _pause: Duration| {
            fetch(c, url).await
        }),
        &["before the 300 ms pause was over"],
    );
}

#[test]
fn half_the_pause_is_not_the_pause() {
    fails_with(
        ex08::waits_before_sending(async |c: &Client, url: &str, pause: Duration| {
            tokio::time::sleep(pause / 2).await;
            fetch(c, url).await
        }),
        &["reached the server", "before the 300 ms pause was over"],
    );
}

#[test]
fn pausing_after_the_request_is_too_late() {
    fails_with(
        ex08::waits_before_sending(async |c: &Client, url: &str, pause: Duration| {
            let body = fetch(c, url).await?;
            tokio::time::sleep(pause).await;
            Ok(body)
        }),
        &["before the 300 ms pause was over", "wait first"],
    );
}

#[test]
fn another_executor_on_a_tokio_timer_blocks_for_good() {
    // The timer is driven by the runtime's own thread, which `block_on`
    // parks: the sleep can never end.
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex08::does_not_block_the_runtime(async |c: &Client, url: &str, pause: Duration| {
            futures::executor::block_on(tokio::time::sleep(pause));
            fetch(c, url).await
        })
    });
    fails_with(
        verdict,
        &["stayed blocked", "`futures::executor::block_on`"],
    );
}

#[test]
fn block_in_place_needs_the_multi_threaded_runtime() {
    fails_with(
        ex08::does_not_block_the_runtime(async |c: &Client, url: &str, pause: Duration| {
            tokio::task::block_in_place(|| std::thread::sleep(pause));
            fetch(c, url).await
        }),
        &["`block_in_place` needs the multi-threaded runtime"],
    );
}

#[test]
fn a_runtime_inside_a_runtime_is_explained() {
    fails_with(
        ex08::returns_the_body(async |c: &Client, url: &str, _pause: Duration| {
            tokio::runtime::Runtime::new()?.block_on(fetch(c, url))
        }),
        &[
            "Cannot start a runtime from within a runtime",
            "`.await` the future instead",
        ],
    );
}

// ---- correct approaches (the solution: `tokio::time::sleep(pause).await`) -

async fn with_sleep_until(c: &Client, url: &str, pause: Duration) -> anyhow::Result<String> {
    tokio::time::sleep_until(tokio::time::Instant::now() + pause).await;
    fetch(c, url).await
}

async fn with_a_timeout_on_nothing(
    c: &Client,
    url: &str,
    pause: Duration,
) -> anyhow::Result<String> {
    // A future that never finishes, given `pause` to do it.
    let _ = tokio::time::timeout(pause, std::future::pending::<()>()).await;
    fetch(c, url).await
}

async fn with_an_interval(c: &Client, url: &str, pause: Duration) -> anyhow::Result<String> {
    let mut every = tokio::time::interval(pause);
    every.tick().await; // the first tick is at once
    every.tick().await;
    fetch(c, url).await
}

async fn sleeping_on_the_blocking_pool(
    c: &Client,
    url: &str,
    pause: Duration,
) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || std::thread::sleep(pause)).await?;
    fetch(c, url).await
}

macro_rules! ex08_accepts {
    ($($name:ident: $f:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            crate::together!(
                passes(ex08::returns_the_body($f)),
                passes(ex08::waits_before_sending($f)),
                passes(ex08::does_not_block_the_runtime($f)),
            );
        }
    )+};
}

ex08_accepts! {
    ex08_accepts_sleep_until: with_sleep_until,
    ex08_accepts_a_timeout_on_a_pending_future: with_a_timeout_on_nothing,
    ex08_accepts_an_interval: with_an_interval,
    ex08_accepts_a_sleep_on_the_blocking_pool: sleeping_on_the_blocking_pool,
}
