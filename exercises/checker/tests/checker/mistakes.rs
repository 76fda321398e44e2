//! Each usual mistake fails its check, within the time limit, with a
//! diagnosis in async terms.

use crate::{fails_with, fetch, within};
use checker::{ex01, ex02, ex03, ex04, ex05, ex06, ex07, ex08, ex09_bounded, ex09_timeout};
use futures::stream::{FuturesUnordered, StreamExt};
use reqwest::Client;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The limit for the hang tests: short, so the suite stays fast.
const LIMIT: Duration = Duration::from_secs(1);
/// A check that hits the limit reports within this (limit + the checker's
/// grace for a blocked thread + room for a loaded machine).
const REPORTS_WITHIN: Duration = Duration::from_secs(5);

// ---- awaiting in a loop --------------------------------------------------

async fn awaits_in_a_loop(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut bodies = Vec::new();
    for url in urls {
        bodies.push(fetch(client, url).await?);
    }
    Ok(bodies)
}

#[test]
fn awaiting_in_a_loop_is_sequential() {
    fails_with(
        ex06::requests_run_concurrently(awaits_in_a_loop),
        &[
            "10 requests of 200 ms took",
            "never overlapped: they ran one after another. Did you `.await` each request inside the loop?",
        ],
    );
}

#[test]
fn awaiting_in_a_loop_is_sequential_in_the_analysis_too() {
    fails_with(
        ex07::requests_run_concurrently(async |c: &Client, urls: &[String]| {
            let mut total = (0, 0);
            for url in urls {
                let text = fetch(c, url).await?;
                let ones: u64 = text.bytes().map(|b| u64::from(b.count_ones())).sum();
                total = (total.0 + ones, total.1 + 8 * text.len() as u64 - ones);
            }
            Ok(total)
        }),
        &["10 requests of 100 ms took", "never overlapped"],
    );
}

#[test]
fn awaiting_in_a_loop_ignores_the_limit() {
    fails_with(
        ex09_bounded::uses_the_whole_limit(async |c: &Client, urls: &[String], _limit: usize| {
            awaits_in_a_loop(c, urls).await
        }),
        &["never overlapped, with a limit of 3", "buffer_unordered(3)"],
    );
}

// ---- blocking sleep --------------------------------------------------------

async fn sleeps_on_the_thread(
    client: &Client,
    url: &str,
    pause: Duration,
) -> anyhow::Result<String> {
    std::thread::sleep(pause);
    fetch(client, url).await
}

#[test]
fn a_blocking_sleep_stalls_the_runtime() {
    fails_with(
        ex08::does_not_block_the_runtime(sleeps_on_the_thread),
        &[
            "the runtime was stalled for",
            "ms while `fetch_after` ran: something blocked the executor thread (std::thread::sleep? CPU work outside spawn_blocking?)",
            "tokio::time::sleep",
        ],
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

// ---- CPU work outside spawn_blocking ---------------------------------------

async fn computes_inline<T, F: FnOnce() -> T>(work: F) -> T {
    work()
}

async fn joins_a_thread<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(work: F) -> T {
    std::thread::spawn(work).join().expect("the work panicked")
}

async fn block_in_place<T, F: FnOnce() -> T>(work: F) -> T {
    tokio::task::block_in_place(work)
}

#[test]
fn cpu_work_on_the_runtime_thread_stalls_it() {
    fails_with(
        ex04::does_not_block_the_runtime(computes_inline::<u64, ex04::Work>),
        &[
            "the runtime was stalled for",
            "something blocked the executor thread",
            "The work ran on the runtime's own thread",
            "spawn_blocking",
        ],
    );
    fails_with(
        ex04::does_not_block_the_runtime(joins_a_thread::<u64, ex04::Work>),
        &[
            "stalled",
            "The work ran on another thread, but your function blocked",
        ],
    );
    fails_with(
        ex04::does_not_block_the_runtime(block_in_place::<u64, ex04::Work>),
        &[
            "`run_blocking` panicked at",
            "`block_in_place` needs the multi-threaded runtime",
        ],
    );
}

#[test]
fn dropping_the_work_is_noticed() {
    fails_with(
        ex04::returns_what_the_work_returns(async |_work: ex04::Work| 42),
        &["without ever calling the work"],
    );
}

// ---- not awaiting JoinHandles ----------------------------------------------

async fn spawns_and_leaves<F: Future<Output = ()> + Send + 'static>(jobs: Vec<F>) {
    for job in jobs {
        tokio::spawn(job);
    }
}

#[test]
fn unawaited_tasks_are_still_running_at_return() {
    fails_with(
        ex03::waits_for_every_job(spawns_and_leaves::<ex03::Job>),
        &[
            "`run_all` returned while 10 of the 10 jobs were still running",
            "`.await` it",
        ],
    );
}

async fn collects_in_the_background(
    client: &Client,
    urls: &[String],
) -> anyhow::Result<Vec<String>> {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    for url in urls {
        let (c, u, bodies) = (client.clone(), url.clone(), Arc::clone(&bodies));
        // The handle is dropped: nobody waits for this task.
        tokio::spawn(async move {
            if let Ok(body) = fetch(&c, &u).await {
                bodies.lock().unwrap().push(body);
            }
        });
    }
    let got = bodies.lock().unwrap().clone();
    Ok(got)
}

#[test]
fn unawaited_tasks_lose_their_results() {
    fails_with(
        ex06::returns_the_bodies_in_order(collects_in_the_background),
        &["returned 0 bodies for 5 URLs", "`.await` every JoinHandle"],
    );
    fails_with(
        ex07::counts_the_bits_of_every_body(async |c: &Client, urls: &[String]| {
            let total = Arc::new(Mutex::new((0_u64, 0_u64)));
            for url in urls {
                let (c, u, total) = (c.clone(), url.clone(), Arc::clone(&total));
                // The handle is dropped: nobody waits for this task.
                tokio::spawn(async move {
                    let text = fetch(&c, &u).await.unwrap_or_default();
                    let ones: u64 = text.bytes().map(|b| u64::from(b.count_ones())).sum();
                    let mut t = total.lock().unwrap();
                    *t = (t.0 + ones, t.1 + 8 * text.len() as u64 - ones);
                });
            }
            let got = *total.lock().unwrap();
            Ok(got)
        }),
        &["some bodies were not counted", "`.await` every JoinHandle"],
    );
}

// ---- unbounded spawning ----------------------------------------------------

async fn spawns_them_all(
    client: &Client,
    urls: &[String],
    _limit: usize,
) -> anyhow::Result<Vec<String>> {
    let handles: Vec<_> = urls
        .iter()
        .map(|u| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move { fetch(&c, &u).await })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await??);
    }
    Ok(out)
}

#[test]
fn unbounded_spawning_exceeds_the_limit() {
    fails_with(
        ex09_bounded::never_exceeds_the_limit(spawns_them_all),
        &[
            "12 requests were in flight at once; the limit was 3: use buffer_unordered(3) or a Semaphore",
        ],
    );
}

// ---- a deadlock ------------------------------------------------------------

async fn locks_twice(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let bodies = tokio::sync::Mutex::new(Vec::new());
    let _guard = bodies.lock().await; // held for the whole function...
    for url in urls {
        let body = fetch(client, url).await?;
        bodies.lock().await.push(body); // ...so this waits for ever
    }
    let got = bodies.lock().await.clone();
    Ok(got)
}

async fn tasks_wait_for_each_other(_: &Client, _: &[String]) -> anyhow::Result<Vec<String>> {
    let (to_a, from_b) = tokio::sync::mpsc::channel::<String>(1);
    let (to_b, from_a) = tokio::sync::mpsc::channel::<String>(1);
    let a = tokio::spawn(async move {
        let mut from_b = from_b;
        let got = from_b.recv().await; // waits for b, which waits for a
        let _ = to_b.send(String::from("a")).await;
        got
    });
    let b = tokio::spawn(async move {
        let mut from_a = from_a;
        let got = from_a.recv().await;
        let _ = to_a.send(String::from("b")).await;
        got
    });
    let (a, b) = (a.await?, b.await?);
    Ok(a.into_iter().chain(b).collect())
}

#[test]
fn a_deadlock_times_out_with_a_message() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(locks_twice)
    });
    fails_with(
        verdict,
        &[
            "`fetch_all` did not finish within 1 s",
            "a deadlock (a lock held across an `.await`",
            "The delay server saw 1 request.",
        ],
    );
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(tasks_wait_for_each_other)
    });
    fails_with(
        verdict,
        &[
            "did not finish within 1 s",
            "two tasks waiting for each other",
        ],
    );
}

// ---- a forgotten .await on a never-ending future ---------------------------

async fn forgets_the_producer(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let producer = async move {
        let mut bodies = Vec::new();
        for url in urls {
            bodies.push(fetch(client, url).await?);
        }
        let _ = tx.send(bodies);
        anyhow::Ok(())
    };
    // Forgotten: `producer.await?;`. The future is kept, never polled; its
    // sender stays alive, so the receiver waits for ever.
    let _producer = producer;
    Ok(rx.await?)
}

#[test]
fn a_forgotten_await_times_out_with_a_message() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(forgets_the_producer)
    });
    fails_with(
        verdict,
        &[
            "did not finish within 1 s",
            "a forgotten `.await`",
            "The delay server saw no request.",
        ],
    );
}

#[test]
fn a_future_never_polled_sends_nothing() {
    fails_with(
        ex02::sends_every_request(async |c: &Client, urls: &[String]| {
            for url in urls {
                let _request = c.get(url).send();
            }
            Ok(())
        }),
        &[
            "had seen 0 of the 5 requests",
            "never polled",
            "`.await` it",
        ],
    );
}

// ---- a panic in a spawned task ---------------------------------------------

async fn unwraps_a_panicked_task(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let handles: Vec<_> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move {
                let body = fetch(&c, &u).await?;
                if i == 3 {
                    panic!("body {i} is cursed");
                }
                anyhow::Ok(body)
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap()?);
    }
    Ok(out)
}

async fn passes_the_join_error_on(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let handles: Vec<_> = urls
        .iter()
        .map(|u| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move {
                let body = fetch(&c, &u).await?;
                let third = body.as_bytes()[100_000]; // out of bounds
                anyhow::Ok(format!("{third}{body}"))
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await??);
    }
    Ok(out)
}

async fn ignores_a_panicked_task(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let mut pending: FuturesUnordered<_> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (c, u) = (client.clone(), u.clone());
            tokio::spawn(async move {
                let body = fetch(&c, &u).await.unwrap();
                assert!(i != 1, "no body for index {i}");
                (i, body)
            })
        })
        .collect();
    let mut out = Vec::new();
    while let Some(done) = pending.next().await {
        if let Ok((_, body)) = done {
            out.push(body);
        }
    }
    Ok(out)
}

#[test]
fn a_panic_in_a_task_is_named_with_its_place() {
    fails_with(
        ex06::returns_the_bodies_in_order(unwraps_a_panicked_task),
        &[
            "your task panicked: a task spawned by `fetch_all` panicked at",
            "mistakes.rs:",
            "\"body 3 is cursed\"",
            "awaiting its JoinHandle gave a `JoinError`",
        ],
    );
    fails_with(
        ex06::returns_the_bodies_in_order(passes_the_join_error_on),
        &[
            "your task panicked",
            "index out of bounds",
            "passed its `JoinError` on as an error",
        ],
    );
    fails_with(
        ex06::returns_the_bodies_in_order(ignores_a_panicked_task),
        &[
            "returned 4 bodies for 5 URLs",
            "Meanwhile your task panicked",
            "no body for index 1",
        ],
    );
}

// ---- blocking forever ------------------------------------------------------

async fn waits_on_a_std_channel(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let (_tx, rx) = std::sync::mpsc::channel::<Vec<String>>();
    let _ = (client, urls);
    // A blocking receive on the runtime's thread: the sender is alive and
    // silent, so this never returns, and nothing else runs on the thread.
    Ok(rx.recv()?)
}

// Clippy sees this mistake coming; the test needs it made.
#[allow(clippy::await_holding_lock)]
async fn locks_a_std_mutex_twice(client: &Client, urls: &[String]) -> anyhow::Result<Vec<String>> {
    let bodies = Mutex::new(Vec::new());
    let first = bodies.lock().unwrap();
    for url in urls {
        let body = fetch(client, url).await?;
        bodies.lock().unwrap().push(body); // blocks the thread for good
    }
    drop(first);
    let got = bodies.lock().unwrap().clone();
    Ok(got)
}

#[test]
fn blocking_forever_is_caught_with_a_message() {
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(waits_on_a_std_channel)
    });
    fails_with(
        verdict,
        &[
            "`fetch_all` did not return within 2 s and the runtime's thread stayed blocked",
            "something blocks forever",
            "a blocking `recv()`",
        ],
    );
    let verdict = within(LIMIT, REPORTS_WITHIN, || {
        ex06::returns_the_bodies_in_order(locks_a_std_mutex_twice)
    });
    fails_with(
        verdict,
        &["stayed blocked", "a `std::sync::Mutex` locked twice"],
    );
}

// ---- wrong results ---------------------------------------------------------

#[test]
fn a_hard_coded_answer_fails() {
    fails_with(
        ex06::returns_the_bodies_in_order(async |_: &Client, urls: &[String]| {
            Ok((0..urls.len())
                .map(|i| mock_server::body_for(&format!("/delay/50/url/{i}"), 2000))
                .collect())
        }),
        &[
            "is not what the server sent for URL 0",
            "invents new bodies in every run",
        ],
    );
    fails_with(
        ex07::counts_the_bits_of_every_body(async |_: &Client, _: &[String]| Ok((40_000, 50_000))),
        &["the totals cover 90000 bits"],
    );
}

#[test]
fn completion_order_is_not_input_order() {
    fails_with(
        ex06::returns_the_bodies_in_order(async |c: &Client, urls: &[String]| {
            let mut pending: FuturesUnordered<_> = urls.iter().map(|u| fetch(c, u)).collect();
            let mut out = Vec::new();
            while let Some(body) = pending.next().await {
                out.push(body?);
            }
            Ok(out)
        }),
        &[
            "returned the body of URL 4 at index 0",
            "keep each index with its result",
        ],
    );
}

#[test]
fn an_error_status_must_not_pass_for_a_body() {
    let no_status_check = async |c: &Client, url: &str| -> anyhow::Result<String> {
        Ok(c.get(url).send().await?.text().await?)
    };
    fails_with(
        ex05::fetch_fails_on_a_server_error(no_status_check),
        &[
            "returned Ok although the server answered 404",
            "error_for_status",
        ],
    );
    fails_with(
        ex06::reports_a_failed_request(async |c: &Client, urls: &[String]| {
            let mut out = Vec::new();
            for u in urls {
                if let Ok(body) = fetch(c, u).await {
                    out.push(body);
                }
            }
            Ok(out)
        }),
        &["`fetch_all` returned Ok although the server answered 404"],
    );
}

#[test]
fn concurrency_where_one_at_a_time_was_asked() {
    fails_with(
        ex05::sends_one_request_at_a_time(async |c: &Client, urls: &[String]| {
            futures::future::try_join_all(urls.iter().map(|u| fetch(c, u))).await
        }),
        &["4 requests were in flight at once", "one after the other"],
    );
}

#[test]
fn join_all_of_plain_futures_is_not_spawning() {
    fails_with(
        ex03::each_job_runs_in_its_own_task(async |jobs: Vec<ex03::Job>| {
            futures::future::join_all(jobs).await;
        }),
        &[
            "10 of the 10 jobs ran inside `run_all`'s own future, not as tasks",
            "tokio::spawn",
        ],
    );
    fails_with(
        ex03::jobs_run_concurrently(async |jobs: Vec<ex03::Job>| {
            for job in jobs {
                tokio::spawn(job).await.unwrap();
            }
        }),
        &[
            "never overlapped",
            "`.await` each JoinHandle right after spawning it",
        ],
    );
}

// ---- timeouts --------------------------------------------------------------

#[test]
fn waiting_out_a_slow_answer_is_not_a_timeout() {
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, _limit: Duration| {
            fetch(c, url).await.map(Some)
        }),
        &["returned a body after", "the limit was 300 ms"],
    );
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, limit: Duration| {
            // Waits for the answer, then compares: too late to give up.
            let started = std::time::Instant::now();
            let body = fetch(c, url).await?;
            Ok((started.elapsed() <= limit).then_some(body))
        }),
        &[
            "waited 1.5 s",
            "wrap the request in `tokio::time::timeout(limit, ...)`",
        ],
    );
    fails_with(
        ex09_timeout::gives_up_at_the_deadline(async |c: &Client, url: &str, limit: Duration| {
            Ok(Some(tokio::time::timeout(limit, fetch(c, url)).await??))
        }),
        &["returned an error", "turn that into Ok(None)"],
    );
}

// ---- starting a runtime ----------------------------------------------------

#[test]
fn runtime_mistakes_are_explained() {
    fails_with(
        ex01::returns_the_body(|url: &str| {
            tokio::runtime::Builder::new_current_thread()
                .build()?
                .block_on(fetch(&Client::new(), url))
        }),
        &[
            "`fetch_blocking` panicked",
            "without its drivers",
            ".enable_all()",
        ],
    );
    fails_with(
        ex01::returns_an_error_for_a_dead_server(|url: &str| {
            let body = tokio::runtime::Runtime::new()?
                .block_on(fetch(&Client::new(), url))
                .unwrap();
            Ok(body)
        }),
        &["`fetch_blocking` panicked", "return the error instead"],
    );
    fails_with(
        ex08::returns_the_body(async |c: &Client, url: &str, _pause: Duration| {
            // block_on inside async code
            tokio::runtime::Runtime::new()?.block_on(fetch(c, url))
        }),
        &[
            "Cannot start a runtime from within a runtime",
            "`.await` the future instead",
        ],
    );
}
