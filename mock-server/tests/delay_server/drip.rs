//! Dripped bodies (`?drip={ms}`) and the real end of each response, over
//! real HTTP on 127.0.0.1. Timing checks have wide margins (a loaded
//! two-core machine); the order of events is checked by the server's own
//! record.

use crate::common::{connect, within};
use mock_server::{DelayServer, RequestRecord, body_for};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// A server on a runtime of its own, for the blocking raw-socket tests.
fn server() -> (tokio::runtime::Runtime, DelayServer) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime builds");
    let server = runtime
        .block_on(DelayServer::start())
        .expect("server starts");
    (runtime, server)
}

/// The one record with this path, once its response is over (or after
/// `wait`, as it is then).
fn record_of(server: &DelayServer, path: &str, wait: Duration) -> RequestRecord {
    let deadline = Instant::now() + wait;
    loop {
        let record = server
            .requests()
            .into_iter()
            .find(|r| r.path == path)
            .unwrap_or_else(|| panic!("the server recorded {path}"));
        if record.is_over() || Instant::now() >= deadline {
            return record;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads the head of a response; returns it with the body bytes read along.
fn read_head(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).expect("reads the head");
        assert!(n > 0, "the server closed before the head: {got:?}");
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).into_owned();
            return (head, got[end + 4..].to_vec());
        }
    }
}

#[test]
fn a_dripped_body_comes_in_pieces_after_the_headers() {
    within(Duration::from_secs(20), "the dripped body", || {
        let (_runtime, server) = server();
        let path = "/delay/100/url/drip";
        let mut stream = connect(server.addr()).expect("connects");
        let start = Instant::now();
        write!(
            stream,
            "GET {path}?bytes=1000&drip=600 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("sends");
        let (head, mut body) = read_head(&mut stream);
        let head_at = start.elapsed();
        assert!(head.starts_with("HTTP/1.1 200"), "a 200: {head}");
        assert!(
            head.to_ascii_lowercase().contains("content-length: 1000"),
            "the length is known up front: {head}"
        );
        // Read the rest, noting when each piece came.
        let mut arrivals = Vec::new();
        let mut buf = [0; 4096];
        while body.len() < 1000 {
            let n = stream.read(&mut buf).expect("reads the body");
            assert!(n > 0, "the body ended early at {} bytes", body.len());
            body.extend_from_slice(&buf[..n]);
            arrivals.push((start.elapsed(), body.len()));
        }
        let done_at = start.elapsed();
        assert_eq!(
            body,
            body_for(path, 1000).into_bytes(),
            "the dripped body is the same text"
        );
        assert!(
            head_at >= Duration::from_millis(100) && head_at < Duration::from_millis(100 + 400),
            "the headers went out after the delay, before the drip: {head_at:?}"
        );
        assert!(
            done_at >= Duration::from_millis(100 + 600),
            "the last byte came after delay + drip: {done_at:?}"
        );
        let halfway = arrivals
            .iter()
            .find(|(_, len)| *len >= 500)
            .map(|(at, _)| *at)
            .expect("half the body came");
        assert!(
            halfway + Duration::from_millis(150) < done_at,
            "the body came in pieces over time, not at the end: half at {halfway:?}, all at \
             {done_at:?} ({} reads)",
            arrivals.len()
        );

        let record = record_of(&server, path, Duration::from_secs(2));
        assert_eq!(
            record.drip,
            Duration::from_millis(600),
            "the record has the drip"
        );
        let ended = record.ended.expect("the response ended in full");
        assert!(!record.aborted(), "the client read it all");
        assert!(
            ended >= record.arrived + Duration::from_millis(100 + 600),
            "the real end is after delay + drip: {:?}",
            ended - record.arrived
        );
        assert_eq!(record.end(), ended, "end() is the real end once known");
    });
}

#[test]
fn a_quick_response_records_its_real_end() {
    within(Duration::from_secs(20), "the quick response", || {
        let (_runtime, server) = server();
        let answer = crate::common::get(server.addr(), "/delay/50").expect("answered");
        assert_eq!(answer.status, 200);
        let record = record_of(&server, "/delay/50", Duration::from_secs(2));
        let ended = record.ended.expect("the end is recorded");
        assert!(
            ended >= record.due(),
            "the end is not before the delay is over"
        );
        assert!(!record.aborted());
        let bad = crate::common::get(server.addr(), "/delay/x").expect("answered");
        assert_eq!(bad.status, 400);
        let record = record_of(&server, "/delay/x", Duration::from_secs(2));
        assert!(record.ended.is_some(), "a 400 has its end too");
    });
}

#[test]
fn a_client_that_leaves_mid_body_is_recorded_as_aborted() {
    within(Duration::from_secs(20), "the abandoned body", || {
        let (_runtime, server) = server();
        let path = "/delay/0/url/leave";
        let mut stream = connect(server.addr()).expect("connects");
        write!(stream, "GET {path}?drip=2000 HTTP/1.1\r\nHost: x\r\n\r\n").expect("sends");
        let (head, _) = read_head(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        std::thread::sleep(Duration::from_millis(200));
        let left = Instant::now();
        drop(stream);
        let record = record_of(&server, path, Duration::from_secs(3));
        let abandoned = record
            .abandoned
            .unwrap_or_else(|| panic!("the response was abandoned: {record:?}"));
        assert!(record.aborted() && record.ended.is_none(), "{record:?}");
        assert!(
            abandoned >= left && abandoned < left + Duration::from_secs(1),
            "the server noticed soon after the client left: {:?}",
            abandoned.saturating_duration_since(left)
        );
        assert_eq!(record.end(), abandoned, "the end is when the client left");
    });
}

#[test]
fn a_client_that_leaves_during_the_delay_is_recorded_as_aborted() {
    within(Duration::from_secs(20), "the abandoned delay", || {
        let (_runtime, server) = server();
        let path = "/delay/300/url/gone";
        let mut stream = connect(server.addr()).expect("connects");
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("sends");
        std::thread::sleep(Duration::from_millis(50));
        drop(stream);
        let record = record_of(&server, path, Duration::from_secs(3));
        assert!(
            record.aborted() && record.ended.is_none(),
            "the answer never reached the client: {record:?}"
        );
    });
}

/// A body the client does not read (a permit released after the headers,
/// say) keeps its place in flight: the server counts each request from
/// arrival to the real end of its response.
#[test]
fn an_unread_body_still_counts_in_flight() {
    within(Duration::from_secs(20), "the unread body", || {
        let (_runtime, server) = server();
        let addr = server.addr();
        // 16 MiB does not fit in the socket buffers: the server is still
        // sending while nobody reads.
        let mut big = connect(addr).expect("connects");
        write!(
            big,
            "GET /delay/0/url/big?bytes=16777216 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .expect("sends");
        let (head, _) = read_head(&mut big);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        std::thread::sleep(Duration::from_millis(300));
        let answer = crate::common::get(addr, "/delay/0/url/small").expect("answered");
        assert_eq!(answer.status, 200);
        let big_record = record_of(&server, "/delay/0/url/big", Duration::ZERO);
        assert!(
            !big_record.is_over(),
            "the unread body is still being sent: {big_record:?}"
        );
        assert_eq!(
            server.peak_in_flight(),
            2,
            "the second request overlapped the unfinished first response"
        );
        // Dripped: the same holds for a body the client reads later.
        server.clear_requests();
        let mut slow = connect(addr).expect("connects");
        write!(
            slow,
            "GET /delay/0/url/slow?drip=500 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .expect("sends");
        let _ = read_head(&mut slow);
        let answer = crate::common::get(addr, "/delay/0/url/quick").expect("answered");
        assert_eq!(answer.status, 200);
        let _ = record_of(&server, "/delay/0/url/slow", Duration::from_secs(3));
        assert_eq!(
            server.peak_in_flight(),
            2,
            "a request sent after the headers of a dripped one overlaps it: {:#?}",
            server.requests()
        );
    });
}
