//! Serving one connection with hyper (HTTP/1.1 or HTTP/2), its time
//! limits, and the answer to each request.
//!
//! Why not wiremock's server: it cannot stream a body (no dripped bodies),
//! has no header-read or idle timeouts, and its accept loop ends for good
//! on the first accept error ("too many open files" in a burst).

use crate::Shared;
use crate::body::{Reservation, ResponseBody};
use crate::conn::{Busy, ConnEnds, Finish, Tracked};
use crate::record::RequestRecord;
use crate::routes::{ROUTES_HELP, Route, route};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// hyper's settings, shared by every connection of a worker.
pub(crate) fn http_builder() -> hyper_util::server::conn::auto::Builder<TokioExecutor> {
    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
}

pub(crate) async fn serve_connection(
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
/// One timer per connection, set again each time the deadline moves: a
/// head that begins during an idle wait brings the deadline forward to
/// its own limit, and a request being answered has none.
async fn time_limits(conn: &ConnEnds, header: Option<Duration>, idle: Option<Duration>) {
    if header.is_none() && idle.is_none() {
        return std::future::pending().await;
    }
    loop {
        // `notify_one` keeps a permit when nobody waits, so a move between
        // reading the deadline and waiting is not missed.
        let moved = conn.moved.notified();
        match conn.deadline(header, idle) {
            Some(deadline) if deadline <= Instant::now() => return,
            Some(deadline) => {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline.into()) => {}
                    () = moved => {}
                }
            }
            None => moved.await,
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
