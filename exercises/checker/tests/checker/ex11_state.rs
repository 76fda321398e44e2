//! Exercise 11, the usual mistakes of the actor's loop and its state:
//! each fails the check that looks at its mechanism, with the words that
//! name it.

use crate::ex11::base;
use crate::ex11_mistakes::actor;
use crate::fails_with;
use checker::ex11::{self, Origin};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc};

// ---- the actor's loop ----------------------------------------------------------

#[test]
fn an_actor_that_stops_after_its_first_message_leaves_the_rest_unserved() {
    let once = |capacity: usize, origin: Origin| {
        let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
        tokio::spawn(async move {
            let mut cache = HashMap::new();
            if let Some(base::Request { key, reply }) = rx.recv().await {
                let _ = reply.send(base::lookup(&mut cache, &origin, key).await);
            }
        });
        base::Cache { tx }
    };
    fails_with(
        ex11::answers_every_caller(once, base::Cache::send, base::Ticket::answer),
        &[
            "`send` failed for",
            "the actor's receiver was gone",
            "after answering 1 request",
            "not an `if let`",
        ],
    );
}

#[test]
fn a_question_mark_in_the_loop_ends_the_actor_at_the_first_error() {
    let stops = |capacity: usize, origin: Origin| {
        let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
        tokio::spawn(async move {
            let mut cache: HashMap<String, String> = HashMap::new();
            let served: anyhow::Result<()> = async {
                while let Some(base::Request { key, reply }) = rx.recv().await {
                    let body = match cache.get(&key) {
                        Some(hit) => hit.clone(),
                        None => origin(key.clone()).await?,
                    };
                    cache.insert(key, body.clone());
                    let _ = reply.send(Ok(body));
                }
                Ok(())
            }
            .await;
            drop(served);
        });
        base::Cache { tx }
    };
    fails_with(
        ex11::an_error_reaches_its_caller_only(stops, base::Cache::send, base::Ticket::answer),
        &[
            "the origin's error for missing-1 ended the actor",
            "A `?` in the actor's loop",
        ],
    );
}

#[test]
fn an_unwrap_in_the_loop_ends_the_actor_with_a_panic() {
    let panics = actor!(|cache, origin, key, reply| {
        let body = base::lookup(&mut cache, &origin, key).await.unwrap();
        let _ = reply.send(Ok(body));
    });
    fails_with(
        ex11::an_error_reaches_its_caller_only(panics, base::Cache::send, base::Ticket::answer),
        &["ended the actor", "Meanwhile your task panicked"],
    );
}

#[test]
fn an_error_turned_into_an_empty_answer_is_not_reported() {
    let swallows = actor!(|cache, origin, key, reply| {
        let body = base::lookup(&mut cache, &origin, key)
            .await
            .unwrap_or_default();
        let _ = reply.send(Ok(body));
    });
    fails_with(
        ex11::an_error_reaches_its_caller_only(swallows, base::Cache::send, base::Ticket::answer),
        &[
            "the caller of missing-1 got Ok(\"\")",
            "send the origin's error back",
        ],
    );
}

// ---- the state -----------------------------------------------------------------

#[test]
fn a_map_made_in_the_loop_forgets_every_answer() {
    let forgets = |capacity: usize, origin: Origin| {
        let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
        tokio::spawn(async move {
            while let Some(base::Request { key, reply }) = rx.recv().await {
                let mut cache = HashMap::new();
                let _ = reply.send(base::lookup(&mut cache, &origin, key).await);
            }
        });
        base::Cache { tx }
    };
    fails_with(
        ex11::remembers_what_it_fetched(forgets, base::Cache::send, base::Ticket::answer),
        &["the cache forgot what it had fetched", "before the loop"],
    );
}

/// No actor: a map behind a lock, and `send` does the work itself.
mod locked {
    use super::*;

    pub struct Cache {
        state: Arc<Mutex<HashMap<String, String>>>,
        origin: Arc<Origin>,
    }

    pub struct Ticket(anyhow::Result<String>);

    pub fn spawn_cache(_capacity: usize, origin: Origin) -> Cache {
        Cache {
            state: Arc::new(Mutex::new(HashMap::new())),
            origin: Arc::new(origin),
        }
    }

    impl Cache {
        pub async fn send(&self, key: String) -> anyhow::Result<Ticket> {
            let mut state = self.state.lock().await;
            Ok(Ticket(base::lookup(&mut state, &self.origin, key).await))
        }
    }

    impl Ticket {
        pub async fn answer(self) -> anyhow::Result<String> {
            self.0
        }
    }
}

#[test]
fn a_mutex_instead_of_an_actor_works_on_the_callers_own_future() {
    fails_with(
        ex11::answers_every_caller(
            locked::spawn_cache,
            locked::Cache::send,
            locked::Ticket::answer,
        ),
        &[
            "by the caller's own code, not by a task",
            "there is no actor",
            "Mutex",
        ],
    );
}

#[test]
fn a_task_per_request_is_not_one_actor() {
    let spawns = |capacity: usize, origin: Origin| {
        let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
        tokio::spawn(async move {
            let origin = Arc::new(origin);
            let cache = Arc::new(Mutex::new(HashMap::new()));
            while let Some(base::Request { key, reply }) = rx.recv().await {
                let (origin, cache) = (Arc::clone(&origin), Arc::clone(&cache));
                tokio::spawn(async move {
                    let hit = cache.lock().await.get(&key).cloned();
                    let answer = match hit {
                        Some(body) => Ok(body),
                        None => origin(key.clone()).await,
                    };
                    if let Ok(body) = &answer {
                        cache.lock().await.insert(key, body.clone());
                    }
                    let _ = reply.send(answer);
                });
            }
        });
        base::Cache { tx }
    };
    fails_with(
        ex11::answers_every_caller(spawns, base::Cache::send, base::Ticket::answer),
        &[
            "the origin was called from 10 different tasks",
            "not one actor owning its cache",
        ],
    );
}

/// A handle that starts a new actor for every request: each has a cache
/// of its own, which serves one request and is gone.
mod actor_per_request {
    use super::*;

    pub struct Cache {
        origin: Arc<Origin>,
    }

    pub fn spawn_cache(_capacity: usize, origin: Origin) -> Cache {
        Cache {
            origin: Arc::new(origin),
        }
    }

    impl Cache {
        pub async fn send(&self, key: String) -> anyhow::Result<base::Ticket> {
            let (tx, mut rx) = mpsc::channel::<base::Request>(1);
            let origin = Arc::clone(&self.origin);
            tokio::spawn(async move {
                let mut cache = HashMap::new();
                while let Some(base::Request { key, reply }) = rx.recv().await {
                    let _ = reply.send(base::lookup(&mut cache, &origin, key).await);
                }
            });
            base::Cache { tx }.send(key).await
        }
    }
}

#[test]
fn a_new_actor_per_request_keeps_nothing() {
    fails_with(
        ex11::remembers_what_it_fetched(
            actor_per_request::spawn_cache,
            actor_per_request::Cache::send,
            base::Ticket::answer,
        ),
        &[
            "the origin was called from 9 different tasks",
            "not one actor",
        ],
    );
}

#[test]
fn an_actor_that_fetches_a_batch_at_once_never_fills_its_queue() {
    let batches = |capacity: usize, origin: Origin| {
        let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while rx.recv_many(&mut batch, 10).await > 0 {
                let fetches = batch.drain(..).map(|base::Request { key, reply }| {
                    let fetch = origin(key);
                    async move {
                        let _ = reply.send(fetch.await);
                    }
                });
                futures::future::join_all(fetches).await;
            }
        });
        base::Cache { tx }
    };
    fails_with(
        ex11::keeps_the_queue_bounded(batches, base::Cache::send, base::Ticket::answer),
        &[
            "the actor worked on 3 requests at once",
            "one request at a time",
        ],
    );
}
