//! The bench a check runs on: a delay server of its own, URLs with fresh
//! bodies, and a way to run the learner's code with a ticker beside it,
//! a time limit and a net for panics.

use crate::shared::panics::{self, PanicRecord};
use crate::shared::{Diagnosis, explain, time_limit};
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use mock_server::{DelayServer, RequestRecord};
use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::ThreadId;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// A check's delay server and its random-ish names.
pub(crate) struct Lab {
    server: Option<DelayServer>,
    /// Servers that answer one error status each, started on demand.
    status_servers: std::cell::RefCell<Vec<course::testing::StatusServer>>,
    runtime: Option<tokio::runtime::Runtime>,
    run: String,
    rng: Cell<u64>,
}

/// One URL on the lab's server, and what it answers.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub url: String,
    pub path: String,
    pub bytes: usize,
    pub delay: Duration,
}

impl Target {
    /// The body the server sends for this URL, computed independently.
    pub fn body(&self) -> String {
        mock_server::body_for(&self.path, self.bytes)
    }
}

pub(crate) fn urls(targets: &[Target]) -> Vec<String> {
    targets.iter().map(|t| t.url.clone()).collect()
}

impl Lab {
    /// Starts a delay server on a runtime of its own, so that whatever the
    /// learner's code does to its runtime, the server keeps answering.
    pub fn start() -> Result<Lab, Diagnosis> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("delay-server")
            .enable_all()
            .build()
            .map_err(|e| Diagnosis::new(format!("the checker could not start a runtime: {e}")))?;
        let server = runtime
            .block_on(DelayServer::builder().start())
            .map_err(|e| {
                Diagnosis::new(format!("the checker could not start its delay server: {e}"))
            })?;
        let seed = seed();
        Ok(Lab {
            server: Some(server),
            status_servers: std::cell::RefCell::new(Vec::new()),
            runtime: Some(runtime),
            run: format!("run-{:012x}", seed & 0xffff_ffff_ffff),
            rng: Cell::new(seed | 1),
        })
    }

    fn server(&self) -> &DelayServer {
        self.server
            .as_ref()
            .expect("the server lives as long as the lab")
    }

    /// A random-ish number (xorshift), different in every run.
    pub fn random(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        x
    }

    /// A URL that answers after `ms` with a body unique to this run.
    ///
    /// Every body starts and ends with whitespace (a space or a newline), so
    /// code that trims what it fetched never returns the server's body: the
    /// path is chosen among a few candidates for its first character, and
    /// the size so that the body ends just after a space or a newline
    /// (a shorter body is a prefix of a longer one, see `body_for`).
    pub fn target(&self, ms: u64, label: impl std::fmt::Display) -> Target {
        let at_least = 512 + (self.random() % 3584) as usize;
        let white = |b: u8| b == b' ' || b == b'\n';
        let mut attempt = 0_u32;
        let (path, bytes) = loop {
            let path = match attempt {
                0 => format!("/delay/{ms}/url/{}/{label}", self.run),
                n => format!("/delay/{ms}/url/{}/{label}-{n}", self.run),
            };
            attempt += 1;
            let body = mock_server::body_for(&path, at_least + 512);
            let bytes = body.as_bytes();
            if !white(bytes[0]) {
                continue;
            }
            if let Some(end) = bytes[at_least..].iter().position(|&b| white(b)) {
                break (path, at_least + end + 1);
            }
        };
        Target {
            url: format!("{}{path}?bytes={bytes}", self.server().base_url()),
            path,
            bytes,
            delay: Duration::from_millis(ms),
        }
    }

    /// `count` URLs of `ms` each.
    pub fn targets(&self, count: usize, ms: u64) -> Vec<Target> {
        (0..count).map(|i| self.target(ms, i)).collect()
    }

    /// A URL the server answers with `404 Not Found`, at once (with a page
    /// of text that lists the routes it does serve).
    pub fn missing_url(&self) -> String {
        format!("{}/missing/{}", self.server().base_url(), self.run)
    }

    /// A URL that answers `status` (a 500, a 403), at once, with an empty
    /// body, from a server of its own.
    pub fn status_url(&self, status: u16) -> String {
        let server = course::testing::StatusServer::start(status);
        let url = format!("{}/status/{status}/{}", server.url(), self.run);
        self.status_servers.borrow_mut().push(server);
        url
    }

    /// What the server saw so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.server().requests()
    }

    /// The peak number of requests the server had in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.server().peak_in_flight()
    }

    /// "The delay server saw 3 requests meanwhile."
    pub fn server_saw(&self) -> String {
        match self.server().total_requests() {
            0 => String::from("The delay server saw no request."),
            1 => String::from("The delay server saw 1 request."),
            n => format!("The delay server saw {n} requests."),
        }
    }

    /// A client for the learner's code: plain HTTP, no proxy, and a timeout
    /// far beyond the checks' delays (hangs are the time limit's business).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a plain HTTP client builds")
    }

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

impl Drop for Lab {
    fn drop(&mut self) {
        // The server first (it stops on a plain thread), then its runtime,
        // without waiting for anything left on it.
        drop(self.server.take());
        self.status_servers.borrow_mut().clear();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
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

/// A different number in every run: the clock, the process and a counter.
fn seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mixed = nanos
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // One round of splitmix64 so that close seeds give unrelated numbers.
    let mut z = mixed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
