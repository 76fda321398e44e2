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
//! Add `?bytes=N` for a body of `N` bytes and `?drip={ms}` to send the body
//! in pieces spread evenly over `{ms}` ms after the headers. The server's
//! record of each request ([`RequestRecord`]) says when it arrived and when
//! its response really ended (its last byte written), so
//! [`DelayServer::peak_in_flight`] counts a body still being read as in
//! flight.
//!
//! The routes are served by hyper, with an accept loop of our own on each
//! worker thread (`serve.rs` says why not wiremock's server; `accept.rs`
//! holds the accept loop). The server is dropped safely anywhere, listens
//! with a large backlog, never stops accepting on an accept error (it
//! pauses while descriptors are short, then sheds waiting connections), has
//! a watchdog that restarts a worker whose accept loop died, really stops
//! when dropped, has header-read and idle timeouts, caps the body bytes in
//! flight, makes large bodies as it sends them, and keeps a bounded record
//! of requests.

mod accept;
mod body;
mod conn;
mod record;
mod routes;
mod serve;

pub use record::{RequestRecord, peak_in_flight};
pub use routes::{
    DEFAULT_BODY_BYTES, MAX_BODY_BYTES, MAX_DELAY_MS, ROUTES_HELP, Route, body_for, route,
};

use accept::Worker;
use record::Recorder;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many connections may wait to be accepted. The std default of 128
/// makes a burst of more simultaneous connects lose SYNs and retry after a
/// second; 4096 is also Linux's default `somaxconn` cap.
pub const LISTEN_BACKLOG: u32 = 4096;

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
    header_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    max_bytes_in_flight: usize,
}

/// How long a client may take to send a whole request head, by default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a keep-alive connection may stay idle, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How many body bytes may be promised to clients at once, by default
/// (sixteen bodies of the largest size).
pub const DEFAULT_MAX_BYTES_IN_FLIGHT: usize = 16 * MAX_BODY_BYTES;

impl Default for Builder {
    fn default() -> Self {
        Builder {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            workers: 1,
            record_limit: 1_000_000,
            log_requests: false,
            watchdog: Some(Duration::from_millis(200)),
            header_timeout: Some(DEFAULT_HEADER_TIMEOUT),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            max_bytes_in_flight: DEFAULT_MAX_BYTES_IN_FLIGHT,
        }
    }
}

impl Builder {
    /// The address to listen on. Default `127.0.0.1:0` (a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// How many workers (each one thread with its own accept loop) accept
    /// on the port. Default 1. More spread connection set-up over more
    /// cores.
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

    /// Log one `info` line per request (arrival, delay, path), for the
    /// first 20 requests of each second; the others are counted in one
    /// line when the second is over, so that a flood costs almost nothing.
    /// Default off, so that chapters' own logs stay readable.
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// How often to check that every worker's accept loop is alive, and
    /// restart a dead one. `None` turns the check off. Default 200 ms.
    pub fn watchdog(mut self, every: Option<Duration>) -> Self {
        self.watchdog = every;
        self
    }

    /// How long a client may take to send a request head, from its first
    /// byte; past it the connection is closed. `None`: no limit. Default
    /// [`DEFAULT_HEADER_TIMEOUT`].
    pub fn header_timeout(mut self, limit: Option<Duration>) -> Self {
        self.header_timeout = limit;
        self
    }

    /// How long a connection may stay idle (open, with no request being
    /// answered and no new one coming in); past it the connection is
    /// closed. `None`: no limit. Default [`DEFAULT_IDLE_TIMEOUT`].
    pub fn idle_timeout(mut self, limit: Option<Duration>) -> Self {
        self.idle_timeout = limit;
        self
    }

    /// How many body bytes may be promised at once (from a request's
    /// arrival until its body is sent). A request that would pass the cap
    /// gets `503` at once, unless nothing else is in flight. Default
    /// [`DEFAULT_MAX_BYTES_IN_FLIGHT`].
    pub fn max_bytes_in_flight(mut self, bytes: usize) -> Self {
        self.max_bytes_in_flight = bytes;
        self
    }

    /// Starts the server. Its workers run on threads of their own, each
    /// with its own runtime, so the caller's runtime needs no driver.
    pub async fn start(self) -> Result<DelayServer, StartError> {
        // A port asked for by number: bind it once without SO_REUSEPORT
        // first. That fails if anyone else already listens there, even
        // another delay server, which the workers' SO_REUSEPORT binds
        // below would silently join.
        if self.addr.port() != 0 {
            std::net::TcpListener::bind(self.addr).map_err(|e| bind_error(self.addr, e))?;
        }

        let shared = Arc::new(Shared {
            started: Instant::now(),
            recorder: Mutex::new(Recorder::new(self.record_limit)),
            keeps_records: self.record_limit > 0,
            log_requests: self.log_requests,
            restarts: AtomicU64::new(0),
            bytes_in_flight: AtomicUsize::new(0),
            max_bytes_in_flight: self.max_bytes_in_flight,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            log_second: AtomicU64::new(0),
            log_count: AtomicU64::new(0),
            servers: Mutex::new(None),
        });
        // Port 0: the first worker's own bind picks the port, and holds it
        // from that moment on. (Picking it with a probe socket that is then
        // closed left a gap in which another server, in the same process or
        // not, could be given the same port and share it through
        // SO_REUSEPORT: the kernel then spread one server's connections
        // over both, and stopping the other server cut them mid-body.) A
        // port picked for a socket with SO_REUSEPORT is never one that a
        // listener already holds.
        let mut addr = self.addr;
        let mut workers = Vec::with_capacity(self.workers);
        for index in 0..self.workers {
            // An early return drops (stops) the workers started so far.
            let (worker, bound) = Worker::start(addr, index, &shared)?;
            addr = bound;
            workers.push(worker);
        }
        *shared.servers.lock().unwrap() = Some(workers);
        let watchdog = self.watchdog.map(|every| {
            let (stop, stopped) = std::sync::mpsc::channel();
            let weak = Arc::downgrade(&shared);
            let thread = std::thread::Builder::new()
                .name("delay-server-watchdog".into())
                .spawn(move || accept::watchdog(addr, every, weak, stopped))
                .map_err(|e| StartError::Io(addr, e))?;
            Ok::<_, StartError>((stop, thread))
        });
        let watchdog = watchdog.transpose()?;
        Ok(DelayServer {
            addr,
            base_url: format!("http://{addr}"),
            shared,
            watchdog,
        })
    }
}

/// A running delay server. Dropping it stops the server.
pub struct DelayServer {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    /// Dropping the sender stops the watchdog's thread.
    watchdog: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

impl fmt::Debug for DelayServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DelayServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    pub(crate) started: Instant,
    pub(crate) recorder: Mutex<Recorder>,
    /// False when the record limit is 0: then nothing needs to know how a
    /// response ended.
    pub(crate) keeps_records: bool,
    pub(crate) log_requests: bool,
    pub(crate) restarts: AtomicU64,
    /// Body bytes promised to clients and not yet handed to hyper.
    pub(crate) bytes_in_flight: AtomicUsize,
    pub(crate) max_bytes_in_flight: usize,
    pub(crate) header_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    /// The second of the server's life whose requests `log_count` counts,
    /// for logging at most `LOG_PER_SECOND` of them.
    pub(crate) log_second: AtomicU64,
    pub(crate) log_count: AtomicU64,
    /// The running workers; `None` once the handle was dropped, so that a
    /// watchdog restart racing with the drop cannot bring them back.
    pub(crate) servers: Mutex<Option<Vec<Worker>>>,
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

    /// How often the watchdog found a worker's accept loop dead and
    /// restarted it.
    pub fn restarts(&self) -> u64 {
        self.shared.restarts.load(Ordering::Relaxed)
    }

    /// Stops the server and waits until it no longer accepts connections.
    /// Same as dropping it, but says so in the code.
    pub fn shutdown(self) {
        drop(self);
    }

    /// How many connections each worker has accepted, by worker (a
    /// restarted worker starts again from 0).
    pub fn accepted_per_worker(&self) -> Vec<u64> {
        self.shared
            .servers
            .lock()
            .unwrap()
            .as_ref()
            .map(|workers| {
                workers
                    .iter()
                    .map(|w| w.accepted.load(Ordering::Relaxed))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ends worker `index`'s accept loop as if it had died, so that a test
    /// can watch the watchdog bring it back. Not for other uses.
    #[doc(hidden)]
    pub fn kill_worker_for_test(&self, index: usize) {
        if let Some(workers) = self.shared.servers.lock().unwrap().as_ref()
            && let Some(worker) = workers.get(index)
        {
            worker.kill();
        }
    }
}

impl Drop for DelayServer {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.watchdog.take() {
            drop(stop);
            let _ = thread.join();
        }
        // Each worker's drop stops its accept loop and joins its thread,
        // whose runtime closes the listener and every connection.
        let workers = self.shared.servers.lock().unwrap().take();
        drop(workers);
    }
}

pub(crate) fn bind_error(addr: SocketAddr, e: std::io::Error) -> StartError {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        StartError::AddrInUse(addr)
    } else {
        StartError::Io(addr, e)
    }
}
