//! Solution of exercise 11: an actor that owns a cache.

use anyhow::anyhow;
use futures::future::BoxFuture;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// What the cache asks when it does not have a key: the origin's answer
/// for the key, or its error. Call it as `origin(key).await`.
pub type Origin = Box<dyn Fn(String) -> BoxFuture<'static, anyhow::Result<String>> + Send + Sync>;

/// One request: the key, and the way back to the one caller who asked.
struct Request {
    key: String,
    reply: oneshot::Sender<anyhow::Result<String>>,
}

/// The handle to the actor: what callers hold.
pub struct Cache {
    requests: mpsc::Sender<Request>,
}

/// A request in the queue: what its caller awaits for the reply.
pub struct Ticket {
    reply: oneshot::Receiver<anyhow::Result<String>>,
}

/// Starts the actor with a queue of `capacity` requests and returns its
/// handle.
pub fn spawn_cache(capacity: usize, origin: Origin) -> Cache {
    // A bounded queue: once `capacity` requests wait in it, `send` waits
    // too, until the actor takes one. (`channel(0)` panics: at least 1.)
    let (requests, inbox) = mpsc::channel(capacity.max(1));
    tokio::spawn(run(inbox, origin));
    Cache { requests }
}

/// The actor: it owns the cache, so nothing else can touch it and it
/// needs no lock. One request at a time; while it waits for the origin,
/// the next requests wait in the queue.
async fn run(mut inbox: mpsc::Receiver<Request>, origin: Origin) {
    // Made once, before the loop: it lives as long as the actor.
    let mut cache: HashMap<String, String> = HashMap::new();
    // `None` once every `Cache` (every Sender) is dropped and the queue
    // is empty: the actor's work is done.
    while let Some(Request { key, reply }) = inbox.recv().await {
        let answer = match cache.get(&key) {
            Some(body) => Ok(body.clone()),
            None => {
                // No `?` here: an error is the caller's answer, not the
                // end of the actor. Only answers are kept.
                let fetched = origin(key.clone()).await;
                if let Ok(body) = &fetched {
                    cache.insert(key, body.clone());
                }
                fetched
            }
        };
        // The caller may have dropped its Ticket: then nobody wants the
        // answer, and the actor goes on.
        let _ = reply.send(answer);
    }
}

impl Cache {
    /// Puts a request for `key` in the actor's queue, waiting while the
    /// queue is full.
    pub async fn send(&self, key: String) -> anyhow::Result<Ticket> {
        // A fresh oneshot channel per request: its reply can only reach
        // this caller.
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { key, reply })
            .await
            .map_err(|_| anyhow!("the cache actor has stopped"))?;
        Ok(Ticket { reply: answer })
    }

    /// The answer for `key`: a request, then its reply.
    pub async fn get(&self, key: String) -> anyhow::Result<String> {
        self.send(key).await?.answer().await
    }
}

impl Ticket {
    /// Waits for the actor's reply to this request.
    pub async fn answer(self) -> anyhow::Result<String> {
        // `Err` from the oneshot: the actor dropped the Sender unanswered.
        self.reply
            .await
            .map_err(|_| anyhow!("the cache actor dropped the request"))?
    }
}
