//! Exercise 10, the catalogue: every way of sharing a map between the
//! tasks (or of sharing nothing and merging) passes all three checks; each
//! usual mistake fails with the words that name what it did.
//!
//! No atomic approach: the state is a map, which no atomic can hold.

use crate::ex09_bounded::{cases, side_by_side};
use crate::{fails_with, fetch, passes};
use checker::{Verdict, ex10};
use futures::future::{join_all, try_join_all};
use reqwest::Client;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::task::JoinSet;

type Sizes = HashMap<String, usize>;

/// The three checks of one approach, side by side.
macro_rules! all_checks {
    ($f:expr) => {{
        std::thread::scope(|s| {
            let sizes = s.spawn(|| ex10::records_every_size($f));
            let overlap = s.spawn(|| ex10::requests_overlap_while_sharing($f));
            let failed = s.spawn(|| ex10::reports_a_failed_request($f));
            [sizes, overlap, failed].map(|h| h.join().expect("a check does not panic"))
        })
    }};
}

fn all_pass(verdicts: [Verdict; 3]) {
    for v in verdicts {
        passes(v);
    }
}

/// Awaits every handle; the first failure is the result.
async fn wait(handles: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>) -> anyhow::Result<()> {
    for h in handles {
        h.await??;
    }
    Ok(())
}

// ---- correct approaches ----------------------------------------------------

/// The solution's way: std's Mutex, locked in a block after the fetch.
async fn std_mutex_in_a_block(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let sizes = Arc::new(Mutex::new(HashMap::new()));
    let mut handles = Vec::new();
    for url in urls {
        let (c, u, sizes) = (client.clone(), url.clone(), Arc::clone(&sizes));
        handles.push(tokio::spawn(async move {
            let body = fetch(&c, &u).await?;
            {
                sizes.lock().unwrap().insert(u, body.len());
            }
            anyhow::Ok(())
        }));
    }
    wait(handles).await?;
    let sizes = Arc::try_unwrap(sizes).expect("every task is done");
    Ok(sizes.into_inner().unwrap())
}

/// tokio's Mutex, locked only once the body is in.
async fn tokio_mutex_after_the_fetch(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let sizes = Arc::new(tokio::sync::Mutex::new(HashMap::new()));
    let mut handles = Vec::new();
    for url in urls {
        let (c, u, sizes) = (client.clone(), url.clone(), Arc::clone(&sizes));
        handles.push(tokio::spawn(async move {
            let body = fetch(&c, &u).await?;
            sizes.lock().await.insert(u, body.len());
            anyhow::Ok(())
        }));
    }
    wait(handles).await?;
    Ok(sizes.lock().await.clone())
}

/// std's RwLock: a write guard for the insert.
async fn rwlock(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let sizes = Arc::new(RwLock::new(HashMap::new()));
    let handles: Vec<_> = urls
        .iter()
        .map(|url| {
            let (c, u, sizes) = (client.clone(), url.clone(), Arc::clone(&sizes));
            tokio::spawn(async move {
                let body = fetch(&c, &u).await?;
                sizes.write().unwrap().insert(u, body.len());
                anyhow::Ok(())
            })
        })
        .collect();
    wait(handles).await?;
    let sizes = sizes.read().unwrap().clone();
    Ok(sizes)
}

/// Nothing shared: each task returns its size, merged from a JoinSet.
async fn joinset_merge(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let mut set = JoinSet::new();
    for url in urls {
        let (c, u) = (client.clone(), url.clone());
        set.spawn(async move {
            let body = fetch(&c, &u).await?;
            anyhow::Ok((u, body.len()))
        });
    }
    let mut sizes = HashMap::new();
    while let Some(done) = set.join_next().await {
        let (u, len) = done??;
        sizes.insert(u, len);
    }
    Ok(sizes)
}

/// No tasks at all: the futures polled together by `try_join_all`, a std
/// Mutex borrowed by each, locked after its fetch.
async fn borrowed_mutex_with_try_join_all(
    client: &Client,
    urls: &[String],
) -> anyhow::Result<Sizes> {
    let sizes = Mutex::new(HashMap::new());
    try_join_all(urls.iter().map(|u| {
        let sizes = &sizes;
        async move {
            let body = fetch(client, u).await?;
            sizes.lock().unwrap().insert(u.clone(), body.len());
            anyhow::Ok(())
        }
    }))
    .await?;
    Ok(sizes.into_inner().unwrap())
}

/// A channel: the tasks send their sizes, the function collects them.
async fn channel(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut handles = Vec::new();
    for url in urls {
        let (c, u, tx) = (client.clone(), url.clone(), tx.clone());
        handles.push(tokio::spawn(async move {
            let body = fetch(&c, &u).await?;
            let _ = tx.send((u, body.len()));
            anyhow::Ok(())
        }));
    }
    drop(tx);
    wait(handles).await?;
    let mut sizes = HashMap::new();
    while let Some((u, len)) = rx.recv().await {
        sizes.insert(u, len);
    }
    Ok(sizes)
}

/// A struct with a non-async method that locks inside (tokio's docs'
/// pattern, as in mini-redis).
#[derive(Clone, Default)]
struct Shared {
    sizes: Arc<Mutex<Sizes>>,
}

impl Shared {
    fn record(&self, url: String, len: usize) {
        self.sizes.lock().unwrap().insert(url, len);
    }
}

async fn shared_struct_with_a_method(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let shared = Shared::default();
    let handles: Vec<_> = urls
        .iter()
        .map(|url| {
            let (c, u, shared) = (client.clone(), url.clone(), shared.clone());
            tokio::spawn(async move {
                let body = fetch(&c, &u).await?;
                shared.record(u, body.len());
                anyhow::Ok(())
            })
        })
        .collect();
    for done in join_all(handles).await {
        done??;
    }
    let sizes = shared.sizes.lock().unwrap().clone();
    Ok(sizes)
}

fn accepts_a_std_mutex_locked_in_a_block() {
    all_pass(all_checks!(std_mutex_in_a_block));
}

fn accepts_a_tokio_mutex_locked_after_the_fetch() {
    all_pass(all_checks!(tokio_mutex_after_the_fetch));
}

fn accepts_an_rwlock() {
    all_pass(all_checks!(rwlock));
}

fn accepts_a_joinset_merged_at_the_end() {
    all_pass(all_checks!(joinset_merge));
}

fn accepts_a_borrowed_mutex_without_tasks() {
    all_pass(all_checks!(borrowed_mutex_with_try_join_all));
}

fn accepts_a_channel() {
    all_pass(all_checks!(channel));
}

fn accepts_a_struct_that_locks_inside_a_method() {
    all_pass(all_checks!(shared_struct_with_a_method));
}

// ---- usual mistakes ---------------------------------------------------------

/// The starter: tokio's Mutex locked before the request.
async fn tokio_mutex_across_the_request(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let sizes = Arc::new(tokio::sync::Mutex::new(HashMap::new()));
    let mut handles = Vec::new();
    for url in urls {
        let (c, u, sizes) = (client.clone(), url.clone(), Arc::clone(&sizes));
        handles.push(tokio::spawn(async move {
            let mut sizes = sizes.lock().await;
            let body = fetch(&c, &u).await?;
            sizes.insert(u, body.len());
            anyhow::Ok(())
        }));
    }
    wait(handles).await?;
    Ok(sizes.lock().await.clone())
}

fn a_lock_held_across_the_request_serialises_them() {
    fails_with(
        ex10::requests_overlap_while_sharing(tokio_mutex_across_the_request),
        &[
            "the lock was held across the request: your 8 requests ran one at a time",
            // The learner's 8 tasks, not reqwest's connection task beside them.
            "although up to 8 tasks were alive at once",
            "Fetch first, with no lock held",
            "#8 ",
        ],
    );
}

/// The same with futures polled together instead of tasks.
fn a_lock_held_across_the_request_without_tasks_serialises_them() {
    fails_with(
        ex10::requests_overlap_while_sharing(async |c: &Client, urls: &[String]| {
            let sizes = tokio::sync::Mutex::new(HashMap::new());
            try_join_all(urls.iter().map(|u| {
                let sizes = &sizes;
                async move {
                    let mut sizes = sizes.lock().await;
                    let body = fetch(c, u).await?;
                    sizes.insert(u.clone(), body.len());
                    anyhow::Ok(())
                }
            }))
            .await?;
            Ok(sizes.into_inner())
        }),
        &[
            "your 8 requests ran one at a time",
            "shared a lock held across the request",
        ],
    );
}

/// Read before the request, write back after: a read-modify-write split
/// across the `.await`, under two locks.
async fn read_then_write_back(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let sizes = Arc::new(Mutex::new(HashMap::new()));
    let mut handles = Vec::new();
    for url in urls {
        let (c, u, sizes) = (client.clone(), url.clone(), Arc::clone(&sizes));
        handles.push(tokio::spawn(async move {
            let mut copy: Sizes = sizes.lock().unwrap().clone();
            let body = fetch(&c, &u).await?;
            copy.insert(u, body.len());
            *sizes.lock().unwrap() = copy;
            anyhow::Ok(())
        }));
    }
    wait(handles).await?;
    let sizes = sizes.lock().unwrap().clone();
    Ok(sizes)
}

fn a_read_modify_write_split_across_the_await_loses_updates() {
    fails_with(
        ex10::records_every_size(read_then_write_back),
        &[
            "updates were lost: the map holds 1 of the 8 sizes",
            "wr",
            "back",
        ],
    );
}

/// Each task updates a copy of the map of its own.
async fn a_copy_per_task(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let sizes: Sizes = HashMap::new();
    let mut handles = Vec::new();
    for url in urls {
        let (c, u) = (client.clone(), url.clone());
        let mine = Arc::new(Mutex::new(sizes.clone()));
        handles.push(tokio::spawn(async move {
            let body = fetch(&c, &u).await?;
            mine.lock().unwrap().insert(u, body.len());
            anyhow::Ok(())
        }));
    }
    wait(handles).await?;
    Ok(sizes)
}

fn updates_on_copies_of_the_map_are_lost() {
    fails_with(
        ex10::records_every_size(a_copy_per_task),
        &[
            "the map it returned is empty",
            "a copy of the map",
            "Arc::clone(&shared)",
        ],
    );
}

/// The tasks are spawned and never awaited.
async fn not_awaited(client: &Client, urls: &[String]) -> anyhow::Result<Sizes> {
    let sizes = Arc::new(Mutex::new(HashMap::new()));
    for url in urls {
        let (c, u, sizes) = (client.clone(), url.clone(), Arc::clone(&sizes));
        tokio::spawn(async move {
            if let Ok(body) = fetch(&c, &u).await {
                sizes.lock().unwrap().insert(u, body.len());
            }
        });
    }
    let sizes = sizes.lock().unwrap().clone();
    Ok(sizes)
}

fn tasks_not_awaited_miss_their_updates() {
    // Whether their requests left before the runtime ended depends on how
    // busy the machine is: each diagnosis names the missing `.await`.
    fails_with_one_of(
        ex10::records_every_size(not_awaited),
        &["JoinHandle"],
        &[
            "returned before the tasks it spawned had run",
            "did not wait for the tasks it spawned",
            "their tasks had not sent it yet",
        ],
    );
}

/// The check fails with all of `words` and at least one of `any`.
#[track_caller]
fn fails_with_one_of(verdict: Verdict, words: &[&str], any: &[&str]) {
    let message = fails_with(verdict, words);
    assert!(
        any.iter().any(|w| message.contains(w)),
        "the diagnosis holds none of {any:?}:\n{message}"
    );
}

/// The tasks are given a moment, not awaited: their answers (on a busy
/// machine, even their requests) had not come when the map was read.
fn a_sleep_instead_of_awaiting_reads_the_map_too_early() {
    fails_with_one_of(
        ex10::records_every_size(async |c: &Client, urls: &[String]| {
            let sizes = Arc::new(Mutex::new(HashMap::new()));
            for url in urls {
                let (c, u, sizes) = (c.clone(), url.clone(), Arc::clone(&sizes));
                tokio::spawn(async move {
                    if let Ok(body) = fetch(&c, &u).await {
                        sizes.lock().unwrap().insert(u, body.len());
                    }
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let sizes = sizes.lock().unwrap().clone();
            Ok(sizes)
        }),
        &["JoinHandle"],
        &[
            "were still waiting for their answers",
            "returned before the tasks it spawned had run",
            "their tasks had not sent it yet",
        ],
    );
}

/// A std guard across the `.await`, in futures that are not spawned (so
/// nothing checks `Send`): the second `lock()` blocks the only thread.
// The mistake clippy's `await_holding_lock` warns about.
#[allow(clippy::await_holding_lock)]
fn a_std_guard_across_the_await_without_tasks_deadlocks() {
    let verdict = crate::within(crate::LIMIT, crate::REPORTS_WITHIN, || {
        ex10::records_every_size(async |c: &Client, urls: &[String]| {
            let sizes = Mutex::new(HashMap::new());
            try_join_all(urls.iter().map(|u| {
                let sizes = &sizes;
                async move {
                    let mut sizes = sizes.lock().unwrap();
                    let body = fetch(c, u).await?;
                    sizes.insert(u.clone(), body.len());
                    anyhow::Ok(())
                }
            }))
            .await?;
            Ok(sizes.into_inner().unwrap())
        })
    });
    fails_with(
        verdict,
        &[
            "`std::sync::MutexGuard` (or RwLock guard) alive across an `.await`",
            "blocked",
        ],
    );
}

/// A request awaited with `block_on` under a std lock (which compiles
/// under `tokio::spawn`): it parks the thread that should drive it.
fn a_request_blocked_on_under_the_lock_deadlocks() {
    let verdict = crate::within(crate::LIMIT, crate::REPORTS_WITHIN, || {
        ex10::requests_overlap_while_sharing(async |c: &Client, urls: &[String]| {
            let sizes = Arc::new(Mutex::new(HashMap::new()));
            let mut handles = Vec::new();
            for url in urls {
                let (c, u, sizes) = (c.clone(), url.clone(), Arc::clone(&sizes));
                handles.push(tokio::spawn(async move {
                    let mut sizes = sizes.lock().unwrap();
                    let body = futures::executor::block_on(fetch(&c, &u))?;
                    sizes.insert(u, body.len());
                    anyhow::Ok(())
                }));
            }
            wait(handles).await?;
            let sizes = sizes.lock().unwrap().clone();
            Ok(sizes)
        })
    });
    fails_with(verdict, &["blocked for good", "`block_on` under the lock"]);
}

/// `std::thread::sleep` under the lock after each fetch: the requests
/// overlap, but each task blocks the runtime's thread while it holds the
/// lock.
fn sleeping_under_a_std_lock_blocks_every_task() {
    fails_with(
        ex10::requests_overlap_while_sharing(async |c: &Client, urls: &[String]| {
            let sizes = Arc::new(Mutex::new(HashMap::new()));
            let mut handles = Vec::new();
            for url in urls {
                let (c, u, sizes) = (c.clone(), url.clone(), Arc::clone(&sizes));
                handles.push(tokio::spawn(async move {
                    let body = fetch(&c, &u).await?;
                    let mut sizes = sizes.lock().unwrap();
                    std::thread::sleep(Duration::from_millis(300));
                    sizes.insert(u, body.len());
                    anyhow::Ok(())
                }));
            }
            wait(handles).await?;
            let sizes = sizes.lock().unwrap().clone();
            Ok(sizes)
        }),
        // "all 8" on a quiet machine; with the checks run side by side on a
        // loaded one, a task may sleep under the lock before the last
        // requests are written ("6 of your 8 requests"): the same verdict.
        &[
            "requests were in flight at once",
            "the runtime was stalled for",
        ],
    );
}

/// One request after another, no tasks.
fn awaiting_in_the_loop_runs_one_at_a_time() {
    fails_with(
        ex10::requests_overlap_while_sharing(async |c: &Client, urls: &[String]| {
            let mut sizes = HashMap::new();
            for u in urls {
                sizes.insert(u.clone(), fetch(c, u).await?.len());
            }
            Ok(sizes)
        }),
        &[
            "your 8 requests ran one at a time",
            "an `.await` inside the loop?",
        ],
    );
}

/// A failed request left out of the map.
fn a_failed_request_left_out_is_not_reported() {
    fails_with(
        ex10::reports_a_failed_request(async |c: &Client, urls: &[String]| {
            let sizes = Arc::new(Mutex::new(HashMap::new()));
            let mut handles = Vec::new();
            for url in urls {
                let (c, u, sizes) = (c.clone(), url.clone(), Arc::clone(&sizes));
                handles.push(tokio::spawn(async move {
                    if let Ok(body) = fetch(&c, &u).await {
                        sizes.lock().unwrap().insert(u, body.len());
                    }
                }));
            }
            for h in handles {
                h.await?;
            }
            let sizes = sizes.lock().unwrap().clone();
            Ok(sizes)
        }),
        &[
            "returned Ok although the server answered 404 Not Found",
            "thrown away",
        ],
    );
}

/// The size of the error page recorded as if it were a body.
fn the_size_of_an_error_page_is_not_a_size() {
    fails_with(
        ex10::reports_a_failed_request(async |c: &Client, urls: &[String]| {
            let mut set = JoinSet::new();
            for url in urls {
                let (c, u) = (c.clone(), url.clone());
                set.spawn(async move {
                    let text = c.get(&u).send().await?.text().await?;
                    anyhow::Ok((u, text.len()))
                });
            }
            let mut sizes = HashMap::new();
            while let Some(done) = set.join_next().await {
                let (u, len) = done??;
                sizes.insert(u, len);
            }
            Ok(sizes)
        }),
        &["`.error_for_status()?`"],
    );
}

// ---- the catalogue ----------------------------------------------------------

#[test]
fn every_correct_approach_passes_every_check() {
    side_by_side(cases![
        accepts_a_std_mutex_locked_in_a_block,
        accepts_a_tokio_mutex_locked_after_the_fetch,
        accepts_an_rwlock,
        accepts_a_joinset_merged_at_the_end,
        accepts_a_borrowed_mutex_without_tasks,
        accepts_a_channel,
        accepts_a_struct_that_locks_inside_a_method,
    ]);
}

#[test]
fn every_usual_mistake_fails_with_its_diagnosis() {
    side_by_side(cases![
        a_lock_held_across_the_request_serialises_them,
        a_lock_held_across_the_request_without_tasks_serialises_them,
        a_read_modify_write_split_across_the_await_loses_updates,
        updates_on_copies_of_the_map_are_lost,
        tasks_not_awaited_miss_their_updates,
        a_sleep_instead_of_awaiting_reads_the_map_too_early,
        a_std_guard_across_the_await_without_tasks_deadlocks,
        a_request_blocked_on_under_the_lock_deadlocks,
        sleeping_under_a_std_lock_blocks_every_task,
        awaiting_in_the_loop_runs_one_at_a_time,
        a_failed_request_left_out_is_not_reported,
        the_size_of_an_error_page_is_not_a_size,
    ]);
}
