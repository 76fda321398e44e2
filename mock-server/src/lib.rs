//! A local delay server for the course, compatible with the late "Slowwly".
//!
//! `GET /delay/{ms}` and `GET /delay/{ms}/url/{anything}` answer `200` after
//! `{ms}` milliseconds with an invented, deterministic text body. Nothing is
//! ever fetched from `{anything}`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_server::StartError> {
//! let server = mock_server::DelayServer::start().await?;
//! let url = server.delay_url(1000); // http://127.0.0.1:PORT/delay/1000
//! // ... send requests ...
//! println!("peak in flight: {}", server.peak_in_flight());
//! # Ok(()) }
//! ```
//!
//! The server is built on wiremock and works around five of its pitfalls
//! (see the README of this crate's folder and the tests in `tests/`):
//! it is dropped on a plain thread, listens with a large backlog, restarts
//! its accept loop if that loop dies, really stops when dropped, and keeps a
//! bounded record of requests. wiremock's mock also keeps every request it
//! answered (about 4.8 KB each); each worker clears it every
//! [`CLEAR_EVERY`] requests, on the server's own thread, between two
//! requests, so memory stays flat however long the server runs.

mod record;
mod routes;

pub use record::{RequestRecord, peak_in_flight};
pub use routes::{
    DEFAULT_BODY_BYTES, MAX_BODY_BYTES, MAX_DELAY_MS, ROUTES_HELP, Route, body_for, route,
};

use record::Recorder;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::sync::{OnceLock, Weak};
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

/// How many connections may wait to be accepted. The std default of 128
/// makes a burst of more simultaneous connects lose SYNs and retry after a
/// second; 4096 is also Linux's default `somaxconn` cap.
pub const LISTEN_BACKLOG: u32 = 4096;

/// After this many requests, a worker drops the copies of requests that
/// wiremock's mock keeps (it keeps every one it matched, with no way to turn
/// that off), so that a server that runs all day keeps its memory flat.
pub const CLEAR_EVERY: u64 = 1_000;

/// The name of the environment variable that points the chapters at a
/// standalone server instead of an embedded one.
pub const SERVER_URL_ENV: &str = "DELAY_SERVER_URL";

/// The URL of a delay of `ms` milliseconds on the server at `base`.
pub fn delay_url(base: &str, ms: u64) -> String {
    format!("{}/delay/{ms}", base.trim_end_matches('/'))
}

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// Another program listens on the address.
    AddrInUse(SocketAddr),
    /// Any other failure to listen.
    Io(SocketAddr, std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::AddrInUse(addr) => write!(
                f,
                "{addr} is already in use: stop the program using port {} or pick another port with --port",
                addr.port()
            ),
            StartError::Io(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Settings for a [`DelayServer`]; [`DelayServer::start`] uses the defaults.
#[derive(Debug, Clone)]
pub struct Builder {
    addr: SocketAddr,
    workers: usize,
    record_limit: usize,
    log_requests: bool,
    watchdog: Option<Duration>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            workers: 1,
            record_limit: 1_000_000,
            log_requests: false,
            watchdog: Some(Duration::from_millis(200)),
        }
    }
}

impl Builder {
    /// The address to listen on. Default `127.0.0.1:0` (a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// How many wiremock servers (each one thread) accept on the port.
    /// Default 1. More spread connection set-up over more cores.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// How many request records to keep (oldest dropped first). Default
    /// 1,000,000 (about 100 MB at most); 0 keeps none.
    pub fn record_limit(mut self, limit: usize) -> Self {
        self.record_limit = limit;
        self
    }

    /// Log one `info` line per request (arrival, delay, path). Default off,
    /// so that chapters' own logs stay readable.
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// How often to check that the server still accepts connections, and
    /// restart it if not. `None` turns the check off. Default 200 ms.
    pub fn watchdog(mut self, every: Option<Duration>) -> Self {
        self.watchdog = every;
        self
    }

    /// Starts the server. Needs a tokio runtime with the `net` and `time`
    /// drivers enabled.
    pub async fn start(self) -> Result<DelayServer, StartError> {
        // Bind once without SO_REUSEPORT: this fails if anyone else already
        // listens there, even another delay server, and picks the port
        // when the caller asked for port 0.
        let probe = std::net::TcpListener::bind(self.addr).map_err(|e| bind_error(self.addr, e))?;
        let addr = probe
            .local_addr()
            .map_err(|e| StartError::Io(self.addr, e))?;
        drop(probe);

        let shared = Arc::new(Shared {
            started: Instant::now(),
            recorder: Mutex::new(Recorder::new(self.record_limit)),
            log_requests: self.log_requests,
            restarts: AtomicU64::new(0),
            clears: AtomicU64::new(0),
            servers: Mutex::new(None),
        });
        let servers = start_workers(addr, self.workers, &shared).await?;
        *shared.servers.lock().unwrap() = Some(servers);
        let watchdog = self.watchdog.map(|every| {
            tokio::spawn(watchdog(addr, self.workers, every, Arc::downgrade(&shared)))
        });
        Ok(DelayServer {
            addr,
            base_url: format!("http://{addr}"),
            shared,
            watchdog,
        })
    }
}

fn bind_error(addr: SocketAddr, e: std::io::Error) -> StartError {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        StartError::AddrInUse(addr)
    } else {
        StartError::Io(addr, e)
    }
}

/// A running delay server. Dropping it stops the server.
pub struct DelayServer {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    watchdog: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for DelayServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DelayServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

struct Shared {
    started: Instant,
    recorder: Mutex<Recorder>,
    log_requests: bool,
    restarts: AtomicU64,
    clears: AtomicU64,
    /// The running wiremock servers; `None` once the handle was dropped, so
    /// that a watchdog restart racing with the drop cannot bring them back.
    servers: Mutex<Option<Workers>>,
}

impl DelayServer {
    /// Starts a server on `127.0.0.1` with a free port and default settings.
    pub async fn start() -> Result<DelayServer, StartError> {
        Builder::default().start().await
    }

    /// Settings for a server that differs from the default.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of a delay of `ms` milliseconds: `{base}/delay/{ms}`.
    pub fn delay_url(&self, ms: u64) -> String {
        delay_url(&self.base_url, ms)
    }

    /// The Slowwly form: `{base}/delay/{ms}/url/{target}`.
    pub fn delay_url_to(&self, ms: u64, target: &str) -> String {
        format!("{}/url/{target}", self.delay_url(ms))
    }

    /// When the server started: the zero of [`RequestRecord::arrived`]
    /// offsets in logs.
    pub fn started(&self) -> Instant {
        self.shared.started
    }

    /// The requests seen so far, oldest first (at most the record limit).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.recorder.lock().unwrap().snapshot()
    }

    /// How many requests the server has seen in all, kept or not.
    pub fn total_requests(&self) -> u64 {
        self.shared.recorder.lock().unwrap().total()
    }

    /// The peak number of requests in flight among the kept records.
    pub fn peak_in_flight(&self) -> usize {
        peak_in_flight(&self.requests())
    }

    /// Forgets the kept records (the total count stays).
    pub fn clear_requests(&self) {
        self.shared.recorder.lock().unwrap().clear();
    }

    /// How often the watchdog found the server no longer accepting and
    /// restarted it.
    pub fn restarts(&self) -> u64 {
        self.shared.restarts.load(Ordering::Relaxed)
    }

    /// Stops the server and waits until it no longer accepts connections.
    /// Same as dropping it, but says so in the code.
    pub fn shutdown(self) {
        drop(self);
    }

    /// How many times the workers have cleared the requests wiremock's mock
    /// keeps (see [`CLEAR_EVERY`]).
    pub fn clears(&self) -> u64 {
        self.shared.clears.load(Ordering::Relaxed)
    }
}

impl Drop for DelayServer {
    fn drop(&mut self) {
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.abort();
        }
        let workers = self.shared.servers.lock().unwrap().take();
        drop(workers);
        wait_until_port_is_free(self.addr);
    }
}

/// Dropping a `MockServer` only tells its thread to stop; that thread closes
/// the listener moments later. Waiting for it makes "dropped" mean
/// "stopped": a new server can take the port at once, and a client gets
/// "connection refused" rather than a connection nobody will serve.
fn wait_until_port_is_free(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !port_is_free(addr) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Binding without SO_REUSEPORT fails with "address in use" while any
/// listener is open on the port. SO_REUSEADDR lets the bind ignore
/// connections in TIME_WAIT. The probe never listens, so no client can
/// connect to it by mistake. Any other failure (out of descriptors) is no
/// reason to keep waiting.
fn port_is_free(addr: SocketAddr) -> bool {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    };
    let bound = socket.and_then(|socket| {
        socket.set_reuseaddr(true)?;
        socket.bind(addr)
    });
    !matches!(bound, Err(e) if e.kind() == std::io::ErrorKind::AddrInUse)
}

/// The wiremock servers that make up one delay server, with a safe `Drop`.
///
/// wiremock's `MockServer::drop` (and `MockGuard::drop`) runs
/// `futures::executor::block_on` on a tokio lock. Inside a tokio task whose cooperative budget is spent, that
/// lock answers `Pending` and the drop never finishes (the prototype saw it
/// spin at 100 % CPU; tokio 1.54 parks the thread instead). On a thread of
/// its own, outside any runtime, there is no budget to run out. Wrapping the
/// servers makes every way of dropping them safe: the handle's drop, a
/// watchdog restart, a start-up that fails half-way, a cancelled task.
struct Workers {
    /// In an `Arc` so that a worker's clearing task can reach its server;
    /// that task holds it only for a moment, through a `Weak`.
    servers: Vec<Arc<MockServer>>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        let servers = std::mem::take(&mut self.servers);
        if servers.is_empty() {
            return;
        }
        let dropper = std::thread::spawn(move || drop(servers));
        // Dropping takes microseconds; waiting keeps the order of events
        // simple (the stop signal has been sent when this returns).
        let _ = dropper.join();
    }
}

async fn start_workers(
    addr: SocketAddr,
    workers: usize,
    shared: &Arc<Shared>,
) -> Result<Workers, StartError> {
    // Built up in the wrapper, so that an early return (the `?` below)
    // drops the servers started so far safely.
    let mut started = Workers {
        servers: Vec::with_capacity(workers),
    };
    for _ in 0..workers {
        let listener = listen(addr)?;
        // `builder()`, not `MockServer::start()`: the latter hands out pooled
        // servers that are never shut down. Request recording is off: the
        // server would keep every request for its whole life. (The mock
        // below still does; `Responder` clears it every CLEAR_EVERY requests.)
        let server = Arc::new(
            MockServer::builder()
                .listener(listener)
                .disable_request_recording()
                .start()
                .await,
        );
        started.servers.push(Arc::clone(&server));
        let slot = Arc::new(Slot {
            server: OnceLock::new(),
            since_clear: AtomicU64::new(0),
            clearing: AtomicBool::new(false),
        });
        let _ = slot.server.set(Arc::downgrade(&server));
        mount(&server, Arc::downgrade(shared), slot).await;
    }
    Ok(started)
}

/// A listener with a large backlog. SO_REUSEPORT lets several workers (and
/// a restarted worker) listen on the same port; the kernel spreads new
/// connections over them.
fn listen(addr: SocketAddr) -> Result<std::net::TcpListener, StartError> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(|e| StartError::Io(addr, e))?;
    socket
        .set_reuseaddr(true)
        .map_err(|e| StartError::Io(addr, e))?;
    #[cfg(unix)]
    socket
        .set_reuseport(true)
        .map_err(|e| StartError::Io(addr, e))?;
    socket.bind(addr).map_err(|e| bind_error(addr, e))?;
    let listener = socket
        .listen(LISTEN_BACKLOG)
        .map_err(|e| StartError::Io(addr, e))?;
    listener.into_std().map_err(|e| StartError::Io(addr, e))
}

/// wiremock's accept loop ends for good on the first `accept` error, such as
/// "too many open files" during a burst, and closes the listener. Then the
/// port refuses connections. The watchdog notices that and starts fresh
/// workers on the same port, so the server recovers once descriptors are
/// free again.
async fn watchdog(
    addr: SocketAddr,
    workers: usize,
    every: Duration,
    shared: std::sync::Weak<Shared>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let refused = matches!(
            tokio::time::timeout(every, tokio::net::TcpStream::connect(addr)).await,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused
        );
        // Any other outcome (connected, timed out, out of descriptors
        // ourselves) says nothing about a dead accept loop.
        if !refused {
            continue;
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        log::warn!("delay server on {addr} stopped accepting connections; restarting it");
        match start_workers(addr, workers, &shared).await {
            Ok(fresh) => {
                let mut servers = shared.servers.lock().unwrap();
                let Some(running) = servers.as_mut() else {
                    // The handle was dropped while we restarted: stop the
                    // fresh servers too instead of bringing them back.
                    drop(servers);
                    drop(fresh);
                    return;
                };
                let dead = std::mem::replace(running, fresh);
                drop(servers);
                shared.restarts.fetch_add(1, Ordering::Relaxed);
                drop(dead);
            }
            Err(e) => log::warn!("restarting the delay server failed, will retry: {e}"),
        }
    }
}

/// The one mock of a worker: answers every request.
async fn mount(server: &MockServer, shared: Weak<Shared>, slot: Arc<Slot>) {
    Mock::given(any())
        .respond_with(Responder { shared, slot })
        .mount(server)
        .await;
}

/// What a worker's responder knows about its own wiremock server.
struct Slot {
    server: OnceLock<Weak<MockServer>>,
    since_clear: AtomicU64,
    clearing: AtomicBool,
}

/// Answers every request: routes it, records it, logs it.
struct Responder {
    shared: Weak<Shared>,
    slot: Arc<Slot>,
}

impl Responder {
    /// Drops the requests wiremock's mock keeps, by resetting the server and
    /// mounting a fresh mock. A request handled between the two steps would
    /// get wiremock's empty 404, so both run in one go on the worker's own
    /// thread, where requests are handled: `respond` runs on that thread, the
    /// task spawned here runs there too, and while it runs no request can.
    /// `unconstrained` keeps tokio's cooperative budget from pausing it
    /// between the two steps.
    fn clear_kept_requests(&self) {
        if self.slot.since_clear.fetch_add(1, Ordering::Relaxed) + 1 < CLEAR_EVERY
            || self.slot.clearing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.slot.clearing.store(false, Ordering::Release);
            return;
        };
        let (shared, slot) = (self.shared.clone(), Arc::clone(&self.slot));
        runtime.spawn(tokio::task::unconstrained(async move {
            if let Some(server) = slot.server.get().and_then(Weak::upgrade) {
                server.reset().await;
                mount(&server, shared.clone(), Arc::clone(&slot)).await;
                slot.since_clear.store(0, Ordering::Relaxed);
                if let Some(shared) = shared.upgrade() {
                    shared.clears.fetch_add(1, Ordering::Relaxed);
                }
            }
            slot.clearing.store(false, Ordering::Release);
        }));
    }
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let arrived = Instant::now();
        let path = request.url.path();
        let decision = route(request.method.as_str(), path, request.url.query());
        let (template, delay, status) = match decision {
            Route::Delay { delay, bytes } => {
                let template = text(200, body_for(path, bytes));
                // No delay for `/delay/0`: wiremock sleeps even for zero,
                // and a tokio timer fires on the next millisecond tick, so
                // every quick request would cost about a millisecond.
                let template = if delay.is_zero() {
                    template
                } else {
                    template.set_delay(delay)
                };
                (template, delay, 200)
            }
            Route::BadRequest(reason) => (text(400, format!("{reason}\n")), Duration::ZERO, 400),
            Route::NotFound => (text(404, ROUTES_HELP.to_string()), Duration::ZERO, 404),
            Route::MethodNotAllowed => (
                text(405, "only GET is served\n".to_string()),
                Duration::ZERO,
                405,
            ),
        };
        self.clear_kept_requests();
        if let Some(shared) = self.shared.upgrade() {
            if shared.log_requests {
                log::info!(
                    "{:>9.3}s  {status}  delay {:>5} ms  {path}",
                    (arrived - shared.started).as_secs_f64(),
                    delay.as_millis()
                );
            }
            shared.recorder.lock().unwrap().push(RequestRecord {
                arrived,
                delay,
                path: path.to_string(),
                status,
            });
        }
        template
    }
}

fn text(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "text/plain; charset=utf-8")
}
