//! The cache actor of chapter 11: its messages, the actor that owns the
//! cache, and the handle that callers hold.

use anyhow::anyhow;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

use crate::fetch;

// ANCHOR: messages
/// What the cache actor can be asked. Each request carries the sending
/// half of a `oneshot` channel: the way back to the one caller who asked.
enum Command {
    Get {
        path: String,
        reply: oneshot::Sender<course::Result<String>>,
    },
    Stats {
        reply: oneshot::Sender<Stats>,
    },
}

/// What the actor counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Answers from the cache.
    pub hits: usize,
    /// Answers it had to fetch: requests that reached the server.
    pub misses: usize,
}
// ANCHOR_END: messages

// ANCHOR: actor
/// The actor: a task that owns the cache. No other task can reach the
/// map, so it needs no lock; the only way in is a message in its queue.
struct CacheActor {
    inbox: mpsc::Receiver<Command>,
    cache: HashMap<String, String>,
    stats: Stats,
    client: reqwest::Client,
    base_url: String,
}

impl CacheActor {
    /// One message at a time, until every handle is dropped.
    async fn run(mut self) {
        while let Some(command) = self.inbox.recv().await {
            match command {
                Command::Get { path, reply } => {
                    let answer = self.get(&path).await;
                    // The caller may have given up and dropped its end:
                    // `send` then gives the answer back, and there is
                    // nobody to tell. The actor carries on either way.
                    let _ = reply.send(answer);
                }
                Command::Stats { reply } => {
                    let _ = reply.send(self.stats);
                }
            }
        }
    }

    async fn get(&mut self, path: &str) -> course::Result<String> {
        if let Some(body) = self.cache.get(path) {
            self.stats.hits += 1;
            return Ok(body.clone());
        }
        self.stats.misses += 1;
        // While the actor waits for the server, new requests wait in its
        // queue: one fetch at a time, so each path is fetched only once.
        // (An error is not cached: the next caller tries again.)
        let url = format!("{}{path}", self.base_url);
        let body = fetch(&self.client, &url).await?;
        self.cache.insert(path.to_string(), body.clone());
        Ok(body)
    }
}
// ANCHOR_END: actor

// ANCHOR: handle
/// The handle: what callers hold. Cloning it clones the sender, so any
/// number of tasks can talk to the one actor.
#[derive(Clone)]
pub struct Cache {
    sender: mpsc::Sender<Command>,
}

impl Cache {
    /// Starts the actor with a queue of `capacity` requests.
    pub fn spawn(
        capacity: usize,
        client: reqwest::Client,
        base: &str,
    ) -> Cache {
        let (sender, inbox) = mpsc::channel(capacity);
        let actor = CacheActor {
            inbox,
            cache: HashMap::new(),
            stats: Stats::default(),
            client,
            base_url: base.to_string(),
        };
        tokio::spawn(actor.run());
        Cache { sender }
    }

    /// Asks the actor for `path`: a request with a fresh oneshot channel,
    /// then the wait for its answer.
    pub async fn get(&self, path: &str) -> course::Result<String> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Get {
            path: path.to_string(),
            reply,
        };
        // Waits while the actor's queue is full.
        self.sender
            .send(command)
            .await
            .map_err(|_| anyhow!("the cache actor has stopped"))?;
        // `Err` here means the actor dropped `reply` without answering.
        answer
            .await
            .map_err(|_| anyhow!("the cache actor dropped the request"))?
    }

    pub async fn stats(&self) -> course::Result<Stats> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Command::Stats { reply })
            .await
            .map_err(|_| anyhow!("the cache actor has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow!("the cache actor dropped the request"))
    }
}
// ANCHOR_END: handle
