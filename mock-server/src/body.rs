//! The body of a response, sent piece by piece.
//!
//! A body is made as it is sent: at most [`CHUNK`] bytes of text exist at
//! once for each response, however large the body, so memory goes back
//! down after a burst of large bodies. With `?drip={ms}` the pieces are
//! spread evenly over `{ms}` ms after the headers. When the body hands
//! hyper its last piece, it parks its [`Finish`] on the connection (see
//! [`crate::conn`]).

use crate::Shared;
use crate::conn::{Busy, ConnEnds, Finish};
use crate::routes::TextGen;
use hyper::body::{Body, Bytes, Frame, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

/// The largest piece of a body made at once.
pub(crate) const CHUNK: usize = 64 * 1024;

/// About how often a dripped body sends a piece.
const DRIP_EVERY: Duration = Duration::from_millis(20);

/// What a body holds: a fixed text (the answers to bad requests) or the
/// invented text of a delay route, made as it goes.
enum Text {
    Fixed(Option<Bytes>),
    Made(TextGen),
}

/// When a dripped body sends its pieces.
struct Drip {
    /// When the headers went out: piece `k` of `pieces` is due at
    /// `start + over * k / pieces`.
    start: tokio::time::Instant,
    over: Duration,
    pieces: u64,
    sent: u64,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// The body of one response.
pub(crate) struct ResponseBody {
    text: Text,
    /// Bytes not yet handed to hyper.
    left: usize,
    drip: Option<Drip>,
    finish: Option<Finish>,
    ends: Arc<ConnEnds>,
    /// This body's share of the server's bytes in flight, given back as
    /// it is sent.
    reserved: Reservation,
    _busy: Busy,
}

/// Body bytes promised to a client and not yet handed to hyper, counted
/// in `Shared::bytes_in_flight` against the cap. Given back as the body
/// goes out, and in full when it is dropped.
pub(crate) struct Reservation {
    shared: Arc<Shared>,
    left: usize,
}

impl Reservation {
    /// Reserves `bytes`, or says how many are in flight already if that
    /// would pass the cap. A body alone is always allowed.
    pub(crate) fn take(shared: &Arc<Shared>, bytes: usize) -> Result<Reservation, usize> {
        let before = shared.bytes_in_flight.fetch_add(bytes, Ordering::Relaxed);
        if before > 0 && before + bytes > shared.max_bytes_in_flight {
            shared.bytes_in_flight.fetch_sub(bytes, Ordering::Relaxed);
            return Err(before);
        }
        Ok(Reservation {
            shared: Arc::clone(shared),
            left: bytes,
        })
    }

    pub(crate) fn none(shared: &Arc<Shared>) -> Reservation {
        Reservation {
            shared: Arc::clone(shared),
            left: 0,
        }
    }

    fn give_back(&mut self, bytes: usize) {
        let back = bytes.min(self.left);
        if back > 0 {
            self.left -= back;
            self.shared
                .bytes_in_flight
                .fetch_sub(back, Ordering::Relaxed);
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let left = self.left;
        self.give_back(left);
    }
}

impl ResponseBody {
    /// A fixed text.
    pub(crate) fn fixed(text: String, finish: Finish, busy: Busy, reserved: Reservation) -> Self {
        ResponseBody {
            left: text.len(),
            text: Text::Fixed(Some(Bytes::from(text))),
            drip: None,
            finish: Some(finish),
            ends: Arc::clone(&busy.0),
            reserved,
            _busy: busy,
        }
    }

    /// `len` bytes of the text of `path`, dripped over `drip` if it is not
    /// zero. The reservation is given back as the body goes out.
    pub(crate) fn made(
        path: &str,
        len: usize,
        drip: Duration,
        finish: Finish,
        busy: Busy,
        reserved: Reservation,
    ) -> Self {
        let drip = (!drip.is_zero() && len > 0).then(|| {
            let every = DRIP_EVERY.as_millis() as u64;
            let pieces = (drip.as_millis() as u64 / every).clamp(1, len as u64);
            Drip {
                start: tokio::time::Instant::now(),
                over: drip,
                pieces,
                sent: 0,
                sleep: None,
            }
        });
        ResponseBody {
            text: Text::Made(TextGen::new(path)),
            left: len,
            drip,
            finish: Some(finish),
            ends: Arc::clone(&busy.0),
            reserved,
            _busy: busy,
        }
    }

    /// The size of the next piece, or `Pending` until a dripped piece is due.
    fn next_piece(&mut self, cx: &mut Context<'_>) -> Poll<usize> {
        let Some(drip) = self.drip.as_mut() else {
            return Poll::Ready(self.left.min(CHUNK));
        };
        let k = drip.sent + 1;
        let due = drip.start + drip.over.mul_f64(k as f64 / drip.pieces as f64);
        if tokio::time::Instant::now() < due {
            let sleep = drip
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
            sleep.as_mut().reset(due);
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        drip.sent = k;
        // Pieces of nearly equal size that add up to the whole body.
        let pieces_left = drip.pieces - k + 1;
        Poll::Ready(self.left.div_ceil(pieces_left as usize).min(CHUNK.max(1)))
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        if this.left == 0 {
            if let Some(finish) = this.finish.take() {
                this.ends.park(finish);
            }
            return Poll::Ready(None);
        }
        let piece = match &mut this.text {
            Text::Fixed(text) => text.take().unwrap_or_default(),
            Text::Made(_) => {
                let n = std::task::ready!(this.next_piece(cx));
                let Text::Made(made) = &mut this.text else {
                    unreachable!("matched above")
                };
                let mut out = Vec::with_capacity(n);
                made.fill(&mut out, n);
                Bytes::from(out)
            }
        };
        this.left -= piece.len().min(this.left);
        this.reserved.give_back(piece.len());
        if this.left == 0
            && let Some(finish) = this.finish.take()
        {
            this.ends.park(finish);
        }
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left as u64)
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        // hyper never polls a body that is empty from the start; it drops
        // it once the headers are queued. Its end is when they are written.
        if self.left == 0
            && let Some(finish) = self.finish.take()
        {
            self.ends.park(finish);
        }
        // A body dropped before its end: the finish (if still held) says
        // "abandoned" as it drops, the reservation goes back in full.
    }
}
