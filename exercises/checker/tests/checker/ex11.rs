//! Exercise 11, the catalogue: every way of writing the cache actor that
//! the brief allows passes all four checks (this file); each usual mistake
//! fails with the words that name what it did (`ex11_mistakes.rs`).
//!
//! The checks run in-process against the check's own origin, with delays
//! of a few ms: the whole catalogue takes well under a second of waiting.

use crate::passes;
use checker::Verdict;
use checker::ex11::{self, Origin};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// The pieces most approaches share: a request with its own oneshot, the
/// handle that sends it and the ticket that awaits the reply.
pub(crate) mod base {
    use super::*;
    use anyhow::anyhow;

    pub struct Request {
        pub key: String,
        pub reply: oneshot::Sender<anyhow::Result<String>>,
    }

    pub struct Cache {
        pub tx: mpsc::Sender<Request>,
    }

    pub struct Ticket {
        pub rx: oneshot::Receiver<anyhow::Result<String>>,
    }

    impl Cache {
        pub async fn send(&self, key: String) -> anyhow::Result<Ticket> {
            let (reply, rx) = oneshot::channel();
            self.tx
                .send(Request { key, reply })
                .await
                .map_err(|_| anyhow!("the actor has stopped"))?;
            Ok(Ticket { rx })
        }
    }

    impl Ticket {
        pub async fn answer(self) -> anyhow::Result<String> {
            self.rx.await.map_err(|_| anyhow!("no reply"))?
        }
    }

    /// The cache's lookup: the kept answer, or the origin's (kept if Ok).
    pub async fn lookup(
        cache: &mut HashMap<String, String>,
        origin: &Origin,
        key: String,
    ) -> anyhow::Result<String> {
        if let Some(body) = cache.get(&key) {
            return Ok(body.clone());
        }
        let body = origin(key.clone()).await?;
        cache.insert(key, body.clone());
        Ok(body)
    }
}

/// The four checks of one design, side by side (each on a thread of its
/// own), with `base`'s handle and ticket unless given.
macro_rules! all_checks {
    ($spawn:expr) => {
        all_checks!($spawn, base::Cache::send, base::Ticket::answer)
    };
    ($spawn:expr, $send:expr, $answer:expr) => {{
        std::thread::scope(|s| {
            let callers = s.spawn(|| ex11::answers_every_caller($spawn, $send, $answer));
            let bounded = s.spawn(|| ex11::keeps_the_queue_bounded($spawn, $send, $answer));
            let state = s.spawn(|| ex11::remembers_what_it_fetched($spawn, $send, $answer));
            let error = s.spawn(|| ex11::an_error_reaches_its_caller_only($spawn, $send, $answer));
            [callers, bounded, state, error].map(|h| h.join().expect("a check does not panic"))
        })
    }};
}

fn all_pass(verdicts: [Verdict; 4]) {
    for v in verdicts {
        passes(v);
    }
}

// ---- correct approaches ------------------------------------------------------

/// The brief's shape: `while let` over the receiver, the map before it.
fn while_let(capacity: usize, origin: Origin) -> base::Cache {
    let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
    tokio::spawn(async move {
        let mut cache = HashMap::new();
        while let Some(base::Request { key, reply }) = rx.recv().await {
            let _ = reply.send(base::lookup(&mut cache, &origin, key).await);
        }
    });
    base::Cache { tx }
}

/// An actor struct with its state as fields and a message enum.
mod actor_struct {
    use super::*;

    enum Message {
        Get {
            key: String,
            reply: oneshot::Sender<anyhow::Result<String>>,
        },
    }

    struct Actor {
        inbox: mpsc::Receiver<Message>,
        origin: Origin,
        cache: HashMap<String, String>,
    }

    impl Actor {
        async fn run(mut self) {
            while let Some(message) = self.inbox.recv().await {
                self.handle(message).await;
            }
        }

        async fn handle(&mut self, message: Message) {
            match message {
                Message::Get { key, reply } => {
                    let answer = base::lookup(&mut self.cache, &self.origin, key).await;
                    if reply.send(answer).is_err() {
                        // The caller gave up: nothing to do.
                    }
                }
            }
        }
    }

    #[derive(Clone)]
    pub struct Cache {
        sender: mpsc::Sender<Message>,
    }

    pub struct Ticket(oneshot::Receiver<anyhow::Result<String>>);

    pub fn spawn_cache(capacity: usize, origin: Origin) -> Cache {
        let (sender, inbox) = mpsc::channel(capacity);
        let actor = Actor {
            inbox,
            origin,
            cache: HashMap::new(),
        };
        tokio::spawn(actor.run());
        Cache { sender }
    }

    impl Cache {
        pub async fn send(&self, key: String) -> anyhow::Result<Ticket> {
            let (reply, rx) = oneshot::channel();
            self.sender.send(Message::Get { key, reply }).await?;
            Ok(Ticket(rx))
        }
    }

    impl Ticket {
        pub async fn answer(self) -> anyhow::Result<String> {
            self.0.await?
        }
    }
}

/// `select!` over the receiver, `else` when it is closed.
fn select_loop(capacity: usize, origin: Origin) -> base::Cache {
    let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
    tokio::spawn(async move {
        let mut cache = HashMap::new();
        loop {
            tokio::select! {
                Some(request) = rx.recv() => {
                    let answer = base::lookup(&mut cache, &origin, request.key).await;
                    let _ = request.reply.send(answer);
                }
                else => break,
            }
        }
    });
    base::Cache { tx }
}

/// A queue of one: under the bound is within it.
fn capacity_one(_capacity: usize, origin: Origin) -> base::Cache {
    while_let(1, origin)
}

/// A queue one smaller than the bound.
fn capacity_below(capacity: usize, origin: Origin) -> base::Cache {
    while_let(capacity.saturating_sub(1).max(1), origin)
}

/// The handle reserves a slot first (`reserve().await`), then sends into
/// it; the actor matches on the result of the origin by hand.
mod reserve_then_send {
    use super::*;

    pub struct Cache {
        tx: mpsc::Sender<base::Request>,
        // The actor's task, kept (not needed: dropping a JoinHandle
        // detaches the task, it does not stop it).
        _actor: tokio::task::JoinHandle<()>,
    }

    pub fn spawn_cache(capacity: usize, origin: Origin) -> Cache {
        let (tx, mut rx) = mpsc::channel::<base::Request>(capacity);
        let actor = tokio::spawn(async move {
            let mut cache: HashMap<String, String> = HashMap::new();
            while let Some(base::Request { key, reply }) = rx.recv().await {
                if let Some(hit) = cache.get(&key) {
                    let _ = reply.send(Ok(hit.clone()));
                    continue;
                }
                match origin(key.clone()).await {
                    Ok(body) => {
                        cache.insert(key, body.clone());
                        let _ = reply.send(Ok(body));
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
        });
        Cache { tx, _actor: actor }
    }

    impl Cache {
        pub async fn send(&self, key: String) -> anyhow::Result<base::Ticket> {
            let permit = self.tx.reserve().await?;
            let (reply, rx) = oneshot::channel();
            permit.send(base::Request { key, reply });
            Ok(base::Ticket { rx })
        }
    }
}

/// A handle that clones its sender for each request, and a ticket whose
/// reply is a plain `Result<String, String>`.
mod cloned_sender {
    use super::*;

    type Reply = Result<String, String>;

    pub struct Cache {
        tx: mpsc::Sender<(String, oneshot::Sender<Reply>)>,
    }

    pub struct Ticket {
        rx: oneshot::Receiver<Reply>,
    }

    pub fn spawn_cache(capacity: usize, origin: Origin) -> Cache {
        let (tx, mut rx) = mpsc::channel::<(String, oneshot::Sender<Reply>)>(capacity);
        tokio::spawn(async move {
            let mut cache = HashMap::new();
            while let Some((key, reply)) = rx.recv().await {
                let answer = base::lookup(&mut cache, &origin, key).await;
                let _ = reply.send(answer.map_err(|e| format!("{e:#}")));
            }
        });
        Cache { tx }
    }

    impl Cache {
        pub async fn send(&self, key: String) -> anyhow::Result<Ticket> {
            let (reply, rx) = oneshot::channel();
            let tx = self.tx.clone();
            tx.send((key, reply)).await?;
            Ok(Ticket { rx })
        }
    }

    impl Ticket {
        pub async fn answer(self) -> anyhow::Result<String> {
            self.rx.await?.map_err(anyhow::Error::msg)
        }
    }
}

/// Runs each approach's checks on a thread of its own, all at once: they
/// spend their time waiting on the origin's timers.
macro_rules! side_by_side {
    ($([$($design:expr),+]),+ $(,)?) => {
        std::thread::scope(|s| {
            let running = vec![$(s.spawn(|| all_pass(all_checks!($($design),+)))),+];
            for done in running {
                done.join().expect("an approach failed (see above)");
            }
        })
    };
}

#[test]
fn every_correct_approach_passes_every_check() {
    side_by_side!(
        [while_let],
        [
            actor_struct::spawn_cache,
            actor_struct::Cache::send,
            actor_struct::Ticket::answer
        ],
        [select_loop],
        [capacity_one],
        [capacity_below],
        [
            reserve_then_send::spawn_cache,
            reserve_then_send::Cache::send,
            base::Ticket::answer
        ],
        [
            cloned_sender::spawn_cache,
            cloned_sender::Cache::send,
            cloned_sender::Ticket::answer
        ],
    );
}
