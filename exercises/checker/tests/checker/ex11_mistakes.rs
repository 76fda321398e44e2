//! Exercise 11, the usual mistakes of the queue and the replies: each
//! fails the check that looks at its mechanism, with the words that name
//! it. The actor's loop and its state: `ex11_state.rs`.

use crate::ex11::base;
use crate::fails_with;
use anyhow::anyhow;
use checker::ex11::{self, Origin};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// A `base` actor whose loop body is `$body` (with `cache`, `origin`,
/// `key` and `reply` in scope), on a queue of `capacity`.
macro_rules! actor {
    (|$cache:ident, $origin:ident, $key:ident, $reply:ident| $body:block) => {
        |capacity: usize, $origin: Origin| {
            let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
            tokio::spawn(async move {
                #[allow(unused_mut)]
                let mut $cache: HashMap<String, String> = HashMap::new();
                while let Some(base::Request {
                    key: $key,
                    reply: $reply,
                }) = rx.recv().await
                {
                    $body
                }
            });
            base::Cache { tx }
        }
    };
}
pub(crate) use actor;

// ---- the queue ---------------------------------------------------------------

/// An unbounded queue: `send` never waits.
mod unbounded {
    use super::*;

    pub struct Cache {
        tx: mpsc::UnboundedSender<base::Request>,
    }

    pub fn spawn_cache(_capacity: usize, origin: Origin) -> Cache {
        let (tx, mut rx) = mpsc::unbounded_channel::<base::Request>();
        tokio::spawn(async move {
            let mut cache = HashMap::new();
            while let Some(base::Request { key, reply }) = rx.recv().await {
                let _ = reply.send(base::lookup(&mut cache, &origin, key).await);
            }
        });
        Cache { tx }
    }

    impl Cache {
        pub async fn send(&self, key: String) -> anyhow::Result<base::Ticket> {
            let (reply, rx) = oneshot::channel();
            self.tx.send(base::Request { key, reply })?;
            Ok(base::Ticket { rx })
        }
    }
}

#[test]
fn an_unbounded_queue_never_makes_the_producer_wait() {
    fails_with(
        ex11::keeps_the_queue_bounded(
            unbounded::spawn_cache,
            unbounded::Cache::send,
            base::Ticket::answer,
        ),
        &[
            "all 10 sends returned at once",
            "the producer never waited",
            "`mpsc::unbounded_channel()`?",
            "backpressure",
        ],
    );
}

#[test]
fn a_queue_bigger_than_the_capacity_holds_too_many() {
    let spawn = |capacity: usize, origin: Origin| {
        let (tx, mut rx) = mpsc::channel::<base::Request>(capacity + 2);
        tokio::spawn(async move {
            let mut cache = HashMap::new();
            while let Some(base::Request { key, reply }) = rx.recv().await {
                let _ = reply.send(base::lookup(&mut cache, &origin, key).await);
            }
        });
        base::Cache { tx }
    };
    fails_with(
        ex11::keeps_the_queue_bounded(spawn, base::Cache::send, base::Ticket::answer),
        &[
            "up to 5 requests waited in the queue at once, with a capacity of 3",
            "`mpsc::channel(capacity)`",
        ],
    );
}

/// `try_send`: an error when the queue is full (`?`), or, with the error
/// ignored, a request dropped.
mod try_send {
    use super::*;

    pub async fn or_fail(cache: &base::Cache, key: String) -> anyhow::Result<base::Ticket> {
        let (reply, rx) = oneshot::channel();
        cache.tx.try_send(base::Request { key, reply })?;
        Ok(base::Ticket { rx })
    }

    pub async fn or_drop(cache: &base::Cache, key: String) -> anyhow::Result<base::Ticket> {
        let (reply, rx) = oneshot::channel();
        let _ = cache.tx.try_send(base::Request { key, reply });
        Ok(base::Ticket { rx })
    }
}

fn plain(capacity: usize, origin: Origin) -> base::Cache {
    actor!(|cache, origin, key, reply| {
        let _ = reply.send(base::lookup(&mut cache, &origin, key).await);
    })(capacity, origin)
}

#[test]
fn try_send_fails_instead_of_waiting() {
    fails_with(
        ex11::answers_every_caller(plain, try_send::or_fail, base::Ticket::answer),
        &[
            "no available capacity",
            "`try_send` fails at once when the queue is full",
        ],
    );
}

#[test]
fn try_send_with_its_error_ignored_drops_requests() {
    fails_with(
        ex11::keeps_the_queue_bounded(plain, try_send::or_drop, base::Ticket::answer),
        &[
            "of the 10 requests never reached the actor",
            "`try_send` drops it when the queue is full",
        ],
    );
}

// ---- the replies -------------------------------------------------------------

/// One reply channel for everybody: whoever waits first gets the next.
mod shared_replies {
    use super::*;

    pub struct Cache {
        tx: mpsc::Sender<String>,
        replies: Arc<Mutex<mpsc::Receiver<anyhow::Result<String>>>>,
    }

    pub struct Ticket {
        replies: Arc<Mutex<mpsc::Receiver<anyhow::Result<String>>>>,
    }

    pub fn spawn_cache(capacity: usize, origin: Origin) -> Cache {
        let (tx, mut rx) = mpsc::channel::<String>(capacity);
        let (reply_tx, replies) = mpsc::channel(capacity);
        tokio::spawn(async move {
            let mut cache = HashMap::new();
            while let Some(key) = rx.recv().await {
                let answer = base::lookup(&mut cache, &origin, key).await;
                if reply_tx.send(answer).await.is_err() {
                    break;
                }
            }
        });
        Cache {
            tx,
            replies: Arc::new(Mutex::new(replies)),
        }
    }

    impl Cache {
        pub async fn send(&self, key: String) -> anyhow::Result<Ticket> {
            self.tx.send(key).await?;
            Ok(Ticket {
                replies: Arc::clone(&self.replies),
            })
        }
    }

    impl Ticket {
        pub async fn answer(self) -> anyhow::Result<String> {
            let mut replies = self.replies.lock().await;
            replies.recv().await.ok_or_else(|| anyhow!("no reply"))?
        }
    }
}

#[test]
fn a_shared_reply_channel_hands_replies_to_the_wrong_caller() {
    fails_with(
        ex11::answers_every_caller(
            shared_replies::spawn_cache,
            shared_replies::Cache::send,
            shared_replies::Ticket::answer,
        ),
        &[
            "got the answer for",
            "replies went to the wrong caller",
            "a `oneshot::channel()` per request",
        ],
    );
}

#[test]
fn a_reply_dropped_unanswered_is_a_lost_answer() {
    // It replies from the cache only; a fetched answer is kept, and the
    // reply's Sender dropped at the end of the turn.
    let forgets = actor!(|cache, origin, key, reply| {
        if let Some(hit) = cache.get(&key) {
            let _ = reply.send(Ok(hit.clone()));
        } else if let Ok(body) = origin(key.clone()).await {
            cache.insert(key, body);
        }
    });
    fails_with(
        ex11::answers_every_caller(forgets, base::Cache::send, base::Ticket::answer),
        &[
            "callers lost their answer",
            "the actor asked the origin for page-",
            "oneshot Sender was dropped without a `send`",
        ],
    );
}
