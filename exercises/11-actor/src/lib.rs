//! # Exercise 11: an actor that owns a cache
//!
//! **What to build:** a cache in front of a slow origin, as an actor: one
//! task that owns the cache and answers requests that come through a
//! queue (chapter 11).
//!
//! - `spawn_cache(capacity, origin)` starts the actor (`tokio::spawn`)
//!   and returns its handle, a `Cache`. The actor's queue holds at most
//!   `capacity` requests.
//! - `Cache::send(key)` puts a request for `key` in the queue, waiting
//!   while the queue is full, and returns a `Ticket`;
//!   `Ticket::answer()` waits for the actor's reply: the origin's answer
//!   for that key (`Ok`), or the origin's error (`Err`). (`Cache::get`,
//!   given, does both.)
//! - The actor takes one request at a time: if it has the key's answer,
//!   it replies with it; if not, it asks `origin(key).await`, keeps an
//!   `Ok` answer, and replies. An error goes back to the caller who asked,
//!   and the actor goes on with the next request. It stops when the
//!   `Cache` is dropped: the queue's only sender goes with it, and
//!   `recv()` then returns `None` (the checks do not test this).
//!
//! **Reach for:** `tokio::sync::mpsc::channel(capacity)` for the queue
//! (`sender.send(request).await` waits while it is full), a
//! `tokio::sync::oneshot::channel()` per request for its reply (the Sender
//! goes in the request, the Receiver in the Ticket), a `HashMap` the actor
//! owns, and `while let Some(request) = receiver.recv().await` for its
//! loop (or `tokio::select!` over the receiver).
//!
//! **How it is checked:** `cargo test -p ex11-actor` hands your cache an
//! origin of its own, with a capacity of 3. The origin records every call:
//! the key, and the task that made it (all must come from the one actor).
//! Ten callers at once, each with its own key, must each get the origin's
//! answer for their key, though they await their answers in another order
//! than they sent. With the origin held shut, the check counts how many
//! sends have returned beyond the requests the actor took (a request it
//! takes and has no answer for is a call of the origin, at once): never
//! more than 3, so a producer waits while the queue is full. A key asked for
//! again must not reach the origin again, and an origin's error must reach
//! its caller and leave the actor serving.
//!
//! **Hint:** the handle holds only the `mpsc::Sender` (cloning it is
//! cheap). An unbounded channel never makes `send` wait; `try_send` fails,
//! or drops the request, when the queue is full. The actor owns its state:
//! a map made inside the loop is new for each request, and a `?` inside
//! the loop ends the actor at the first error.

// The parameters are unused until you replace `todo!()`; remove this then.
#![allow(unused_variables)]

use futures::future::BoxFuture;

/// What the cache asks when it does not have a key: the origin's answer
/// for the key, or its error. Call it as `origin(key).await`.
pub type Origin = Box<dyn Fn(String) -> BoxFuture<'static, anyhow::Result<String>> + Send + Sync>;

/// The handle to the actor: what callers hold.
pub struct Cache {
    // Replace with what the handle needs: the sending half of the
    // actor's queue.
    _todo: (),
}

/// A request in the queue: what its caller awaits for the reply.
pub struct Ticket {
    // Replace with the receiving half of the request's reply channel.
    _todo: (),
}

/// Starts the actor with a queue of `capacity` requests and returns its
/// handle.
pub fn spawn_cache(capacity: usize, origin: Origin) -> Cache {
    todo!()
}

impl Cache {
    /// Puts a request for `key` in the actor's queue, waiting while the
    /// queue is full.
    pub async fn send(&self, key: String) -> anyhow::Result<Ticket> {
        todo!()
    }

    /// The answer for `key`: a request, then its reply.
    pub async fn get(&self, key: String) -> anyhow::Result<String> {
        self.send(key).await?.answer().await
    }
}

impl Ticket {
    /// Waits for the actor's reply to this request.
    pub async fn answer(self) -> anyhow::Result<String> {
        todo!()
    }
}
