//! The accept side: each worker is a thread with its own single-threaded
//! tokio runtime, its own listener on the shared port (SO_REUSEPORT) and
//! its own accept loop, which no accept error ends; and the watchdog that
//! replaces a worker whose loop died anyway.
//!
//! A worker lives on a thread of its own, outside the caller's runtime, so
//! that a chapter that blocks its own executor (on purpose, to show what
//! that does) still gets its answers on time.

use crate::serve::{http_builder, serve_connection};
use crate::{LISTEN_BACKLOG, Shared, StartError, bind_error};
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
    /// until it listens: a port in use is reported to the caller. Returns
    /// the address it listens on (the port the kernel picked for port 0).
    pub(crate) fn start(
        addr: SocketAddr,
        index: usize,
        shared: &Arc<Shared>,
    ) -> Result<(Worker, SocketAddr), StartError> {
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
            Ok(Ok(bound)) => Ok((worker, bound)),
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
fn run(context: WorkerContext, listening: std::sync::mpsc::Sender<Result<SocketAddr, StartError>>) {
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
            Ok(listener) => match listener.local_addr() {
                Ok(bound) => {
                    let _ = listening.send(Ok(bound));
                    listener
                }
                Err(e) => {
                    let _ = listening.send(Err(StartError::Io(addr, e)));
                    return;
                }
            },
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
///   retry with a `503` and `Retry-After: 1`, using a descriptor kept in
///   reserve for that: a client then learns at once that the server is
///   overloaded, instead of waiting for ever or seeing a bare close.
/// - any other error concerns one connection only (reset while queued):
///   go on at once.
///
/// A known limit with several workers: each has its own listen queue, and
/// the descriptor one worker frees to shed with may be taken by another
/// worker's accept. That worker then sheds again only once a descriptor is
/// free (it retries at every pause); the connections in its queue wait
/// until then.
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
                // Back to a reserve of /dev/null: a shed socket is let go
                // only once the new reserve is open, so that a failed open
                // (still short of descriptors) never leaves none.
                if !matches!(reserve, Some(Reserve::Null(_)))
                    && let Some(fresh) = Reserve::open()
                {
                    reserve = Some(fresh);
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
                // Another worker's accept may have taken the descriptor
                // this one freed to shed with: take one back as soon as
                // one is free, or this worker could never shed again.
                if reserve.is_none() {
                    reserve = Reserve::open();
                }
                if since.elapsed() >= SHED_AFTER && reserve.take().is_some() {
                    // The reserve's descriptor is now free for this one
                    // accept. The connection that could not be accepted may
                    // be gone meanwhile: never wait here for a new one (nor
                    // miss the stop signal).
                    let one = tokio::time::timeout(Duration::from_millis(5), listener.accept());
                    reserve = match one.await {
                        // Told `503` with `Retry-After` and closed for
                        // writing, the client learns at once that the
                        // server is overloaded, not crashed; the socket
                        // itself is kept as the next reserve, so that no
                        // other thread can take the descriptor meanwhile
                        // and leave none to shed with.
                        Ok(Ok((stream, _))) => {
                            shed += 1;
                            stream.into_std().ok().map(|stream| {
                                refuse_overloaded(&stream);
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

/// What a shed connection is told: the server is out of descriptors, try
/// again in a second. One small write, which a fresh socket's send buffer
/// always takes whole.
pub(crate) const OVERLOADED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Retry-After: 1\r\n\
Connection: close\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Length: 63\r\n\
\r\n\
the delay server is out of file descriptors: retry in a second\n";

/// Answers a connection the server cannot serve with [`OVERLOADED`], then
/// ends its side. The request already received is read first: a socket
/// closed with unread data resets the connection, and a client could then
/// lose the answer. Non-blocking (the socket comes from tokio): what has
/// not arrived yet is not waited for.
fn refuse_overloaded(stream: &std::net::TcpStream) {
    use std::io::{Read, Write};
    let mut sink = [0_u8; 4096];
    let mut stream = stream;
    let _ = stream.read(&mut sink);
    let _ = stream.write_all(OVERLOADED);
    let _ = stream.shutdown(std::net::Shutdown::Write);
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
                Ok((fresh, _)) => {
                    let dead = std::mem::replace(worker, fresh);
                    drop(dead);
                    shared.restarts.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => log::warn!("restarting worker {index} failed, will retry: {e}"),
            }
        }
    }
}
