//! The workers that serve the delay routes: each one a thread with its own
//! single-threaded tokio runtime, its own listener on the shared port
//! (SO_REUSEPORT) and its own accept loop, serving HTTP/1.1 and HTTP/2 with
//! hyper.
//!
//! Why not wiremock's server: it cannot stream a body (no dripped bodies),
//! has no header-read or idle timeouts, and its accept loop ends for good
//! on the first accept error ("too many open files" in a burst).
//!
//! A worker lives on a thread of its own, outside the caller's runtime, so
//! that a chapter that blocks its own executor (on purpose, to show what
//! that does) still gets its answers on time.

use crate::body::{Busy, ConnEnds, Finish, Reservation, ResponseBody, Tracked};
use crate::record::RequestRecord;
use crate::routes::{ROUTES_HELP, Route, route};
use crate::{LISTEN_BACKLOG, Shared, StartError, bind_error};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// One worker: its thread and the signal that stops it.
pub(crate) struct Worker {
    /// Dropping the sender stops the worker's accept loop.
    stop: Option<watch::Sender<()>>,
    /// Makes the accept loop end as if it had died (tests only).
    die: Arc<tokio::sync::Notify>,
    thread: Option<JoinHandle<()>>,
    pub(crate) accepted: Arc<AtomicU64>,
}

impl Worker {
    /// Starts the worker's thread, which listens on `addr`, and waits
    /// until it listens: a port in use is reported to the caller.
    pub(crate) fn start(
        addr: SocketAddr,
        index: usize,
        shared: &Arc<Shared>,
    ) -> Result<Worker, StartError> {
        let (stop, stopped) = watch::channel(());
        let die = Arc::new(tokio::sync::Notify::new());
        let accepted = Arc::new(AtomicU64::new(0));
        let (listening, started) = std::sync::mpsc::channel();
        let mut worker = Worker {
            stop: Some(stop),
            die: Arc::clone(&die),
            thread: None,
            accepted: Arc::clone(&accepted),
        };
        let context = WorkerContext {
            addr,
            index,
            shared: Arc::clone(shared),
            stopped,
            die,
            accepted,
        };
        let thread = std::thread::Builder::new()
            .name(format!("delay-server-{index}"))
            .spawn(move || run(context, listening))
            .map_err(|e| StartError::Io(addr, e))?;
        worker.thread = Some(thread);
        match started.recv() {
            Ok(Ok(())) => Ok(worker),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StartError::Io(
                addr,
                std::io::Error::other("the worker thread ended before listening"),
            )),
        }
    }

    /// Whether the worker's thread has ended (its accept loop is gone).
    pub(crate) fn is_dead(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    pub(crate) fn kill(&self) {
        self.die.notify_one();
    }
}

impl Drop for Worker {
    /// Stops the accept loop and waits for the thread: its runtime drops
    /// every connection with it, so "dropped" means "stopped". Joining
    /// takes about a millisecond.
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A listener with a large backlog. SO_REUSEPORT lets several workers (and
/// a restarted worker) listen on the same port; the kernel spreads new
/// connections over them.
fn listen(addr: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
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
    socket
        .listen(LISTEN_BACKLOG)
        .map_err(|e| StartError::Io(addr, e))
}

/// What a worker's thread needs.
struct WorkerContext {
    addr: SocketAddr,
    index: usize,
    shared: Arc<Shared>,
    stopped: watch::Receiver<()>,
    die: Arc<tokio::sync::Notify>,
    accepted: Arc<AtomicU64>,
}

/// The worker's thread: a runtime of its own, the listener (reported on
/// `listening`) and the accept loop. When the loop returns, the runtime is
/// dropped and every connection closes.
fn run(context: WorkerContext, listening: std::sync::mpsc::Sender<Result<(), StartError>>) {
    let WorkerContext {
        addr,
        index,
        shared,
        stopped,
        die,
        accepted,
    } = context;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = listening.send(Err(StartError::Io(addr, e)));
            return;
        }
    };
    runtime.block_on(async move {
        // The listener registers with this thread's runtime.
        let listener = match listen(addr) {
            Ok(listener) => {
                let _ = listening.send(Ok(()));
                listener
            }
            Err(e) => {
                let _ = listening.send(Err(e));
                return;
            }
        };
        accept_loop(listener, shared, stopped, die, accepted, index).await;
    });
}

/// How long the accept side may stay out of descriptors before it starts
/// shedding the connections that wait in the listen queue.
const SHED_AFTER: Duration = Duration::from_secs(1);

/// Accepts connections until stopped. An accept error never ends it:
///
/// - out of descriptors (EMFILE, ENFILE) or memory, it pauses (5 ms,
///   doubling to 100 ms) and retries: the connections wait in the listen
///   queue until answered ones close. Those already accepted are never
///   touched.
/// - if that lasts over [`SHED_AFTER`] (idle connections hold every
///   descriptor, say), it sheds the oldest waiting connection at each
///   retry with a fast close, using a descriptor kept in reserve for that:
///   a client then gets an error at once instead of waiting for ever.
/// - any other error concerns one connection only (reset while queued):
///   go on at once.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<()>,
    die: Arc<tokio::sync::Notify>,
    accepted: Arc<AtomicU64>,
    index: usize,
) {
    let http = Arc::new(http_builder());
    // One descriptor kept in reserve, to shed a connection with.
    let mut reserve = Reserve::open();
    let mut short_since: Option<Instant> = None;
    let mut shed = 0_u64;
    let mut pause = Duration::from_millis(5);
    loop {
        let accepted_one = tokio::select! {
            biased;
            _ = stopped.changed() => return,
            () = die.notified() => {
                log::error!("delay server worker {index}: accept loop killed (test)");
                return;
            }
            accepted_one = listener.accept() => accepted_one,
        };
        match accepted_one {
            Ok((stream, _)) => {
                if let Some(since) = short_since.take() {
                    log::warn!(
                        "delay server worker {index}: accepting again after {:?} short of \
                         descriptors ({shed} waiting connections shed)",
                        since.elapsed()
                    );
                    shed = 0;
                }
                pause = Duration::from_millis(5);
                if !matches!(reserve, Some(Reserve::Null(_))) {
                    reserve = Reserve::open();
                }
                accepted.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(serve_connection(
                    stream,
                    Arc::clone(&shared),
                    Arc::clone(&http),
                ));
            }
            Err(e) if is_resource_error(&e) => {
                let since = *short_since.get_or_insert_with(|| {
                    log::warn!(
                        "delay server worker {index}: cannot accept ({e}); pausing until \
                         connections close"
                    );
                    Instant::now()
                });
                if since.elapsed() >= SHED_AFTER && reserve.take().is_some() {
                    // The reserve's descriptor is now free for this one
                    // accept. The connection that could not be accepted may
                    // be gone meanwhile: never wait here for a new one (nor
                    // miss the stop signal).
                    let one = tokio::time::timeout(Duration::from_millis(5), listener.accept());
                    reserve = match one.await {
                        // Closed for writing, the client sees the end at
                        // once; the socket itself is kept as the next
                        // reserve, so that no other thread can take the
                        // descriptor meanwhile and leave none to shed with.
                        Ok(Ok((stream, _))) => {
                            shed += 1;
                            stream.into_std().ok().map(|stream| {
                                let _ = stream.shutdown(std::net::Shutdown::Both);
                                Reserve::Shed(stream)
                            })
                        }
                        _ => Reserve::open(),
                    };
                    // Shed the queue without pausing: each client waiting
                    // there learns at once that it will not be served. Once
                    // the queue is empty, `accept` waits: no spinning.
                    continue;
                }
                tokio::select! {
                    biased;
                    _ = stopped.changed() => return,
                    () = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(_) => {}
        }
    }
}

/// A descriptor held back so that a connection can be accepted (and shed)
/// when none is free: `/dev/null`, or the last connection shed.
enum Reserve {
    Null(#[allow(dead_code)] std::fs::File),
    Shed(#[allow(dead_code)] std::net::TcpStream),
}

impl Reserve {
    fn open() -> Option<Reserve> {
        std::fs::File::open("/dev/null").ok().map(Reserve::Null)
    }
}

fn is_resource_error(e: &std::io::Error) -> bool {
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    const ENOBUFS: i32 = 105;
    const ENOMEM: i32 = 12;
    matches!(e.raw_os_error(), Some(EMFILE | ENFILE | ENOBUFS | ENOMEM))
}

/// hyper's settings, shared by every connection of a worker.
fn http_builder() -> hyper_util::server::conn::auto::Builder<TokioExecutor> {
    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    http: Arc<hyper_util::server::conn::auto::Builder<TokioExecutor>>,
) {
    // The head and a small body go out in one write; without NODELAY a
    // client's delayed ACK would hold a second small write for 40 ms.
    let _ = stream.set_nodelay(true);
    let ends = Arc::new(ConnEnds::default());
    let io = TokioIo::new(Tracked {
        stream,
        ends: Arc::clone(&ends),
    });
    let (header, idle) = (shared.header_timeout, shared.idle_timeout);
    let conn = Arc::clone(&ends);
    let service = hyper::service::service_fn(move |request| {
        handle(request, Arc::clone(&shared), Arc::clone(&ends))
    });
    // An error here concerns this connection only (a malformed request, a
    // client gone): hyper has answered what it could; nothing to log.
    let serving = http.serve_connection(io, service);
    // A slow head or an idle connection ends the connection: dropping the
    // future closes the socket.
    tokio::select! {
        _ = serving => {}
        () = time_limits(&conn, header, idle) => {}
    }
}

/// Returns when the connection has taken longer than `header` to send a
/// request head, or stayed idle (no request being answered) for `idle`.
/// One timer per connection, moved only when it fires.
async fn time_limits(conn: &ConnEnds, header: Option<Duration>, idle: Option<Duration>) {
    let recheck = header.into_iter().chain(idle).min();
    let Some(recheck) = recheck else {
        return std::future::pending().await;
    };
    loop {
        match conn.deadline(header, idle) {
            Some(deadline) if deadline <= Instant::now() => return,
            Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
            None => tokio::time::sleep(recheck).await,
        }
    }
}

/// Answers one request: routes it, records it, logs it, waits out the
/// delay, and hands back a body that is sent (or dripped) as it goes.
async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    ends: Arc<ConnEnds>,
) -> Result<Response<ResponseBody>, Infallible> {
    let arrived = Instant::now();
    let path = without_dot_segments(request.uri().path());
    let decision = route(request.method().as_str(), &path, request.uri().query());
    let (status, delay, drip) = match &decision {
        Route::Delay { delay, drip, .. } => (200, *delay, *drip),
        Route::BadRequest(_) => (400, Duration::ZERO, Duration::ZERO),
        Route::NotFound => (404, Duration::ZERO, Duration::ZERO),
        Route::MethodNotAllowed => (405, Duration::ZERO, Duration::ZERO),
    };
    // The connection is busy (not idle) from here until the response is
    // over; the guard moves into the body.
    let busy = Busy::new(&ends);
    drop(ends);
    // Large bodies are capped in all: past the cap, a clear 503 at once.
    let (decision, status, delay, drip, reserved) = match decision {
        Route::Delay { bytes, .. } => match Reservation::take(&shared, bytes) {
            Ok(reserved) => (decision, status, delay, drip, reserved),
            Err(in_flight) => (
                Route::BadRequest(format!(
                    "busy: {bytes} bytes asked while {in_flight} bytes of bodies are being sent, \
                     over the cap of {} (--max-bytes-in-flight): retry later",
                    shared.max_bytes_in_flight
                )),
                503,
                Duration::ZERO,
                Duration::ZERO,
                Reservation::none(&shared),
            ),
        },
        other => (other, status, delay, drip, Reservation::none(&shared)),
    };
    if shared.log_requests && sampled(&shared, arrived) {
        log_request(&shared, arrived, status, delay, drip, &path);
    }
    let number = shared.recorder.lock().unwrap().push(RequestRecord {
        arrived,
        delay,
        drip,
        path: path.clone(),
        status,
        ended: None,
        abandoned: None,
    });
    // Dropped with this future (the client went away during the delay),
    // the finish marks the record abandoned.
    let finish = Finish::new(&shared, number);
    // No timer for `/delay/0`: a tokio timer fires on the next millisecond
    // tick, so every quick request would cost about a millisecond.
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let body = match decision {
        Route::Delay { bytes, drip, .. } => {
            ResponseBody::made(&path, bytes, drip, finish, busy, reserved)
        }
        Route::BadRequest(reason) => {
            ResponseBody::fixed(format!("{reason}\n"), finish, busy, reserved)
        }
        Route::NotFound => ResponseBody::fixed(ROUTES_HELP.to_string(), finish, busy, reserved),
        Route::MethodNotAllowed => {
            ResponseBody::fixed("only GET is served\n".to_string(), finish, busy, reserved)
        }
    };
    let response = Response::builder()
        .status(status)
        .header(hyper::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(body)
        .expect("a status and a fixed header are valid");
    Ok(response)
}

/// At most this many requests are logged one by one in each second of the
/// server's life; the rest are counted, and the count is logged when the
/// second is over. A learner watching a few requests sees each of them;
/// a flood costs a few atomic operations per request instead of a line.
pub(crate) const LOG_PER_SECOND: u64 = 20;

/// Whether to log this request on a line of its own (see
/// [`LOG_PER_SECOND`]). Logs the count of the previous second's unlogged
/// requests when a new second begins.
fn sampled(shared: &Shared, arrived: Instant) -> bool {
    let second = arrived.saturating_duration_since(shared.started).as_secs();
    let current = shared.log_second.load(Ordering::Relaxed);
    if second > current
        && shared
            .log_second
            .compare_exchange(current, second, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        let seen = shared.log_count.swap(0, Ordering::Relaxed);
        if seen > LOG_PER_SECOND {
            log::info!(
                "{:>9}   ... and {} more requests from {current} s to {} s, not logged one \
                 by one (at most {LOG_PER_SECOND} a second are)",
                "",
                seen - LOG_PER_SECOND,
                current + 1
            );
        }
    }
    shared.log_count.fetch_add(1, Ordering::Relaxed) < LOG_PER_SECOND
}

/// One line per request: when it came, its status, delay and path.
fn log_request(
    shared: &Shared,
    arrived: Instant,
    status: u16,
    delay: Duration,
    drip: Duration,
    path: &str,
) {
    let drip_note = if drip.is_zero() {
        String::new()
    } else {
        format!("  drip {} ms", drip.as_millis())
    };
    log::info!(
        "{:>9.3}s  {status}  delay {:>5} ms{drip_note}  {path}",
        (arrived - shared.started).as_secs_f64(),
        delay.as_millis()
    );
}

/// Resolves `.` and `..` segments as a URL parser does (RFC 3986, 5.2.4),
/// so that `/delay/0/url/../../x` is `/x`, not a delay route.
fn without_dot_segments(path: &str) -> String {
    if !path.split('/').any(|s| s == "." || s == "..") {
        return path.to_string();
    }
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    format!("/{}", out.join("/"))
}

/// Watches the workers: one whose thread has ended (its accept loop died,
/// for whatever reason) is replaced by a fresh one on the same port, and
/// the restart is logged. Runs on a plain thread until `stop` is dropped.
pub(crate) fn watchdog(
    addr: SocketAddr,
    every: Duration,
    shared: std::sync::Weak<Shared>,
    stop: std::sync::mpsc::Receiver<()>,
) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut servers = shared.servers.lock().unwrap();
        let Some(workers) = servers.as_mut() else {
            return;
        };
        for (index, worker) in workers.iter_mut().enumerate() {
            if !worker.is_dead() {
                continue;
            }
            log::warn!(
                "delay server on {addr}: worker {index} stopped accepting connections; restarting it"
            );
            match Worker::start(addr, index, &shared) {
                Ok(fresh) => {
                    let dead = std::mem::replace(worker, fresh);
                    drop(dead);
                    shared.restarts.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => log::warn!("restarting worker {index} failed, will retry: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_dot_segments as clean;

    #[test]
    fn dot_segments_are_resolved_like_a_url_parser_does() {
        assert_eq!(clean("/delay/0/url/../../../etc/passwd"), "/etc/passwd");
        assert_eq!(clean("/delay/./5"), "/delay/5");
        assert_eq!(clean("/a/b/.."), "/a/");
        assert_eq!(clean("/.."), "/");
        assert_eq!(clean("/delay/200/url/http://x"), "/delay/200/url/http://x");
    }
}
