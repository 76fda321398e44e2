//! What the server knows about one connection, and how it learns when a
//! response really ended.
//!
//! The end of a response is the moment its last byte was written to the
//! connection. The body does not see that moment itself: it hands its last
//! piece to hyper, which buffers it and writes it later. So the body parks
//! its [`Finish`] on the connection ([`ConnEnds`]), and the connection's
//! `poll_flush` (which hyper calls once its buffer is written out to the
//! kernel) stamps it with the moment the last of those writes began. A
//! body dropped before its last piece, or a parked finish whose connection
//! closes first, marks the response abandoned. [`ConnEnds`] also tells the
//! connection's timer when a request head began and when it went idle.

use crate::Shared;
use crate::record::Outcome;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Tells the record of one request how its response ended. Dropped without
/// a word (a response nobody finished), it says "abandoned".
pub(crate) struct Finish {
    to: Option<(Arc<Shared>, u64)>,
}

impl Finish {
    /// Does nothing when the server keeps no records.
    pub(crate) fn new(shared: &Arc<Shared>, number: u64) -> Finish {
        Finish {
            to: shared.keeps_records.then(|| (Arc::clone(shared), number)),
        }
    }

    fn tell(&mut self, outcome: Outcome) {
        if let Some((shared, number)) = self.to.take() {
            shared.recorder.lock().unwrap().finish(number, outcome);
        }
    }

    /// The response's last byte went out in a write that began at `at`.
    pub(crate) fn ended(mut self, at: Instant) {
        self.tell(Outcome::Ended(at));
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        self.tell(Outcome::Abandoned(Instant::now()));
    }
}

/// What the server knows about one connection: the finishes of responses
/// whose last byte hyper holds but may not have written yet, and what the
/// timeouts need (is a request being answered, since when is the
/// connection idle, since when has a request head been coming in).
pub(crate) struct ConnEnds {
    parked: Mutex<Vec<Finish>>,
    /// Requests read and not yet answered in full.
    busy: AtomicUsize,
    born: Instant,
    /// Milliseconds after `born` (plus one; 0: none) when the first byte
    /// of the next request head came, while no request was being answered.
    head_started: AtomicU64,
    /// Milliseconds after `born` when the connection last became idle.
    idle_since: AtomicU64,
    /// Nanoseconds after `born` when the last write to the socket began.
    /// A response ends when the write of its last byte began: before the
    /// client can have read that byte, so before it can have sent the next
    /// request. Stamped after the write, a response could still count as
    /// in flight when the request that its end let go arrived, and the
    /// count of requests in flight exceed the client's limit by one.
    write_began: AtomicU64,
    /// Told whenever the deadline moves (a head begins, a request is read,
    /// an answer ends), so that the connection's timer is set again: a
    /// timer set for the idle deadline would otherwise let a head that
    /// began later run past its own, shorter limit.
    pub(crate) moved: tokio::sync::Notify,
}

impl Default for ConnEnds {
    fn default() -> Self {
        ConnEnds {
            parked: Mutex::new(Vec::new()),
            busy: AtomicUsize::new(0),
            born: Instant::now(),
            head_started: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            write_began: AtomicU64::new(0),
            moved: tokio::sync::Notify::new(),
        }
    }
}

/// Held from the moment a request is read until its response is over
/// (moved from the request's future into its body): the connection is not
/// idle meanwhile.
pub(crate) struct Busy(pub(crate) Arc<ConnEnds>);

impl Busy {
    pub(crate) fn new(conn: &Arc<ConnEnds>) -> Busy {
        conn.busy.fetch_add(1, Ordering::Relaxed);
        conn.head_started.store(0, Ordering::Relaxed);
        conn.moved.notify_one();
        Busy(Arc::clone(conn))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let conn = &self.0;
        conn.idle_since.store(conn.millis(), Ordering::Relaxed);
        conn.busy.fetch_sub(1, Ordering::Relaxed);
        conn.moved.notify_one();
    }
}

impl ConnEnds {
    fn millis(&self) -> u64 {
        self.born.elapsed().as_millis() as u64
    }

    /// When the connection should be closed for a slow head or for idling,
    /// as it stands now; `None` while a request is being answered.
    pub(crate) fn deadline(
        &self,
        header: Option<Duration>,
        idle: Option<Duration>,
    ) -> Option<Instant> {
        if self.busy.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let at = |ms: u64, limit: Duration| self.born + Duration::from_millis(ms) + limit;
        match self.head_started.load(Ordering::Relaxed) {
            0 => idle.map(|idle| at(self.idle_since.load(Ordering::Relaxed), idle)),
            started => header.map(|header| at(started - 1, header)),
        }
    }

    fn bytes_read(&self) {
        if self.busy.load(Ordering::Relaxed) == 0 && self.head_started.load(Ordering::Relaxed) == 0
        {
            self.head_started
                .store(self.millis() + 1, Ordering::Relaxed);
            self.moved.notify_one();
        }
    }

    pub(crate) fn park(&self, finish: Finish) {
        if finish.to.is_some() {
            self.parked.lock().unwrap().push(finish);
        }
    }

    fn writing(&self) {
        let nanos = self.born.elapsed().as_nanos() as u64;
        self.write_began.store(nanos, Ordering::Relaxed);
    }

    /// Everything handed to the connection so far has been written: the
    /// responses parked end when the last write began.
    fn flushed(&self) {
        let mut parked = self.parked.lock().unwrap();
        if !parked.is_empty() {
            let at = self.born + Duration::from_nanos(self.write_began.load(Ordering::Relaxed));
            for finish in parked.drain(..) {
                finish.ended(at);
            }
        }
    }
}

/// A TCP stream that stamps the parked finishes once hyper's buffer is
/// written out. Closing it (dropping) abandons those still parked.
pub(crate) struct Tracked<S> {
    pub(crate) stream: S,
    pub(crate) ends: Arc<ConnEnds>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.ends.bytes_read();
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.ends.writing();
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.ends.writing();
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let flushed = Pin::new(&mut self.stream).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            self.ends.flushed();
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
