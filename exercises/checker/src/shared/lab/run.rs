//! Running the learner's code for a check: on a fresh single-threaded
//! runtime, on a thread of its own, with a ticker beside it, a time limit
//! and a net for panics; and what the run gives back ([`Ran`], [`Meta`]).

use super::Lab;
use crate::shared::panics::{self, PanicRecord};
use crate::shared::{Diagnosis, explain, time_limit};
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// How often the ticker beside the learner's code wakes up.
const TICK: Duration = Duration::from_millis(10);

/// How long the runtime keeps running after the learner's function has
/// returned: tasks it spawned and left behind get to run meanwhile, and the
/// requests they send reach the server after the return, which is how a
/// check tells "returned before its tasks ran" from "never sent anything".
/// Short: such tasks are polled as soon as the check yields, and write
/// their requests within a millisecond or two (a failing check gives the
/// server more time to note them, see `judge::returned_early`).
const AFTER_RETURN: Duration = Duration::from_millis(20);

/// How long the wait after the return may last on a loaded machine (see
/// [`AFTER_RETURN`]) before the check goes on regardless.
const AFTER_RETURN_AT_MOST: Duration = Duration::from_millis(300);

/// How long after its own time limit a run may take to report before the
/// check concludes that the runtime's thread is blocked for good: a free
/// runtime reports at the limit, give or take a few milliseconds (a loaded
/// machine adds tens of them, not a second).
fn grace(limit: Duration) -> Duration {
    limit.min(Duration::from_secs(1))
}

impl Lab {
    /// Runs the future that `make` returns on a fresh single-threaded
    /// runtime, on a thread of its own, with a ticker beside it.
    ///
    /// Single-threaded on purpose: the learner's code and the ticker share
    /// one thread, so anything that blocks that thread stalls the ticker.
    /// `call` names the function for the messages (`fetch_all`).
    pub fn run_async<T, Fut, Make>(&self, call: &str, make: Make) -> Result<Ran<T>, Diagnosis>
    where
        Make: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        // Only this wrapper is compiled anew for every learner function (the
        // checker's own tests hold some two hundred): the runtime, the
        // ticker and the time limit below are compiled once, for a boxed
        // future and a boxed value. Halves the build of those tests.
        let make: MakeFuture =
            Box::new(move || Box::pin(async move { Box::new(make().await) as Erased }));
        self.run_future(call, make).map(Ran::downcast)
    }

    fn run_future(&self, call: &str, make: MakeFuture) -> Result<Ran<Erased>, Diagnosis> {
        let limit = time_limit();
        self.on_check_thread(
            call,
            limit,
            Box::new(move |name| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .thread_name(name)
                    .enable_all()
                    .build()
                    .expect("a current-thread runtime builds");
                let outcome = runtime.block_on(async move {
                    let ticker = course::Ticker::start(TICK);
                    let started = Instant::now();
                    let result = tokio::time::timeout(
                        limit,
                        AssertUnwindSafe(async move {
                            let value = make().await;
                            (value, started.elapsed())
                        })
                        .catch_unwind(),
                    )
                    .await;
                    if let Ok(Ok(_)) = result {
                        // Whatever the function left running runs now: for
                        // AFTER_RETURN, and for at least two turns of the
                        // runtime (two ticks), which on a loaded machine, where
                        // this thread gets the CPU only now and then, take
                        // longer than the clock says.
                        let ticks_at_return = ticker.report().ticks;
                        tokio::time::sleep(AFTER_RETURN).await;
                        let until = Instant::now() + AFTER_RETURN_AT_MOST;
                        while ticker.report().ticks < ticks_at_return + 2 && Instant::now() < until
                        {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                    }
                    let stall = ticker.stop().stall();
                    let (result, took) = match result {
                        Ok(Ok((value, took))) => (Finished::Value(value), took),
                        Ok(Err(payload)) => (
                            Finished::Panicked(panics::payload_text(&*payload)),
                            started.elapsed(),
                        ),
                        Err(_) => (Finished::TimedOut, started.elapsed()),
                    };
                    Outcome {
                        result,
                        started,
                        took,
                        stall,
                        thread: std::thread::current().id(),
                    }
                });
                // Do not wait for blocking tasks the learner's code may have left
                // running: a check must not hang on them.
                runtime.shutdown_background();
                outcome
            }),
        )
    }

    /// Runs a plain (non-async) function on a thread of its own, outside any
    /// runtime, with a time limit and a net for panics.
    pub fn run_sync<T, F>(&self, call: &str, f: F) -> Result<Ran<T>, Diagnosis>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let f: Box<dyn FnOnce() -> Erased + Send> = Box::new(move || Box::new(f()) as Erased);
        let limit = time_limit();
        self.on_check_thread(
            call,
            limit,
            Box::new(move |_| {
                let started = Instant::now();
                let result = match std::panic::catch_unwind(AssertUnwindSafe(f)) {
                    Ok(value) => Finished::Value(value),
                    Err(payload) => Finished::Panicked(panics::payload_text(&*payload)),
                };
                Outcome {
                    result,
                    started,
                    took: started.elapsed(),
                    stall: Duration::ZERO,
                    thread: std::thread::current().id(),
                }
            }),
        )
        .map(Ran::downcast)
    }

    fn on_check_thread(
        &self,
        call: &str,
        limit: Duration,
        body: Box<dyn FnOnce(String) -> Outcome<Erased> + Send>,
    ) -> Result<Ran<Erased>, Diagnosis> {
        let name = panics::new_thread_name();
        let (tx, rx) = mpsc::channel();
        let thread_name = name.clone();
        std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let _ = tx.send(body(thread_name));
            })
            .map_err(|e| Diagnosis::new(format!("the checker could not start a thread: {e}")))?;
        // The run reports within `limit` unless its thread is blocked: the
        // runtime's own timeout cannot fire while its only thread is stuck.
        let received = rx.recv_timeout(limit + grace(limit));
        let recorded = panics::take(&name);
        match received {
            Ok(outcome) => {
                let meta = Meta {
                    call: call.to_string(),
                    started: outcome.started,
                    took: outcome.took,
                    stall: outcome.stall,
                    thread: outcome.thread,
                    panics: recorded,
                };
                match outcome.result {
                    Finished::Value(value) => Ok(Ran { value, meta }),
                    Finished::Panicked(payload) => {
                        Err(explain::panicked(call, &payload, &meta.panics))
                    }
                    Finished::TimedOut => Err(explain::timed_out(
                        call,
                        limit,
                        &self.server_saw(),
                        &meta.panics,
                    )),
                }
            }
            Err(RecvTimeoutError::Timeout) => Err(explain::blocked_for_good(
                call,
                limit + grace(limit),
                &self.server_saw(),
                &recorded,
            )),
            Err(RecvTimeoutError::Disconnected) => Err(Diagnosis::new(format!(
                "the thread that ran `{call}` died without a result{}",
                recorded
                    .first()
                    .map(|p| format!(": it panicked {}", p.describe()))
                    .unwrap_or_default()
            ))),
        }
    }
}

enum Finished<T> {
    Value(T),
    Panicked(String),
    TimedOut,
}

struct Outcome<T> {
    result: Finished<T>,
    started: Instant,
    took: Duration,
    stall: Duration,
    thread: ThreadId,
}

/// How a run went, besides its value.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    /// The function's name, for messages.
    pub call: String,
    /// When the learner's future was first polled.
    pub started: Instant,
    /// How long it took to return.
    pub took: Duration,
    /// The ticker's longest wait beyond its period (also over the moment
    /// after the return, when tasks left behind run).
    pub stall: Duration,
    /// The runtime's thread.
    pub thread: ThreadId,
    /// Panics on the run's threads that did not end the run (a spawned
    /// task's, say).
    pub panics: Vec<PanicRecord>,
}

/// The value of a finished run, and how it went.
pub(crate) struct Ran<T> {
    pub value: T,
    pub meta: Meta,
}

/// A run's value before it is given back its type.
type Erased = Box<dyn Any + Send>;

/// What makes the learner's future, on the run's thread (the future need
/// not be `Send`: it never leaves that thread).
type MakeFuture = Box<dyn FnOnce() -> LocalBoxFuture<'static, Erased> + Send>;

impl Ran<Erased> {
    fn downcast<T: 'static>(self) -> Ran<T> {
        let value = self
            .value
            .downcast::<T>()
            .expect("a run gives back the type it was given");
        Ran {
            value: *value,
            meta: self.meta,
        }
    }
}

impl Meta {
    /// When the function returned.
    pub fn returned(&self) -> Instant {
        self.started + self.took
    }
}

impl<X> Ran<anyhow::Result<X>> {
    /// The `Ok` value, or a diagnosis of the error.
    pub fn ok(self) -> Result<(X, Meta), Diagnosis> {
        match self.value {
            Ok(x) => Ok((x, self.meta)),
            Err(e) => Err(explain::returned_error(
                &self.meta.call,
                &e,
                &self.meta.panics,
            )),
        }
    }
}
