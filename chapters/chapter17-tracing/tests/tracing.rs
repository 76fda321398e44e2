//! Chapter 17's claims, by mechanism, on a delay server started by the
//! test (its record says what really happened to each request):
//!
//! - with a span per request, every line names the request it belongs to,
//!   and the right one: a body line comes no earlier than its request's
//!   delay; the requests really overlapped at the server; at the deadline
//!   the one span still open is the stuck request's, waiting;
//! - without spans the same lines name no request;
//! - a span entered with `span.enter()` and held across `.await` labels
//!   other requests' lines: a body is reported for the stuck request,
//!   whose server never answered.

use course::testing::{Run, TestServer, run};
use mock_server::SERVER_URL_ENV;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter17");
const DEADLINE: Duration = Duration::from_secs(30);

/// The delays the chapter gives requests 1 to 4 by default (3 is stuck).
const DELAYS_MS: [u64; 4] = [400, 300, 60_000, 100];

/// One event line: seconds, the span it names (if any), the message.
#[derive(Debug)]
struct Line {
    secs: f64,
    span: Option<String>,
    message: String,
}

/// The event lines of a run: `0.412 [INFO] request{...}: got body ...`
/// and `0.412 [INFO] - got body ...`.
fn lines(output: &str) -> Vec<Line> {
    output
        .lines()
        .filter_map(|line| {
            let (secs, rest) = line.split_once(" [INFO] ")?;
            let secs = secs.parse().ok()?;
            let (span, message) = match rest.strip_prefix("- ") {
                Some(message) => (None, message),
                None => {
                    let (span, message) = rest.split_once("}: ")?;
                    (Some(format!("{span}}}")), message)
                }
            };
            Some(Line {
                secs,
                span,
                message: message.to_string(),
            })
        })
        .collect()
}

fn run_mode(mode: &str, server: &TestServer) -> (Run, Vec<Line>) {
    let r = run(
        BIN,
        &["--mode", mode],
        &[(SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    assert_eq!(r.code, Some(0), "{}", r.transcript());
    let found = lines(&r.stdout);
    (r, found)
}

/// The span the chapter gives request `n`.
fn span_of(n: usize) -> String {
    format!("request{{n={n} path=/delay/{}}}", DELAYS_MS[n - 1])
}

#[test]
fn each_line_names_its_request_and_the_stuck_one_stays_open() {
    let server = TestServer::start();
    let (r, found) = run_mode("spans", &server);
    let transcript = r.transcript();
    // The four were in flight together: their lines really interleave.
    assert_eq!(server.peak_in_flight(), 4, "{transcript}");
    assert_eq!(found.len(), 4 + 3 * 2, "4 sent, 3 answered:\n{transcript}");
    for line in &found {
        let span = line.span.as_deref().unwrap_or_else(|| {
            panic!("a line without a span: {line:?}\n{transcript}")
        });
        let n = (1..=4).find(|&n| span_of(n) == span).unwrap_or_else(|| {
            panic!("a line names no request: {line:?}\n{transcript}")
        });
        // No answer comes before its delay: a body line labelled with
        // a request whose delay has not passed is someone else's.
        if line.message.starts_with("got") {
            let due = DELAYS_MS[n - 1] as f64 / 1000.0;
            assert!(line.secs >= due, "{line:?} before {due} s\n{transcript}");
        }
    }
    for n in [1, 2, 4] {
        let body = found
            .iter()
            .filter(|l| l.span.as_deref() == Some(span_of(n).as_str()))
            .filter(|l| l.message.starts_with("got body bytes=4096"))
            .count();
        assert_eq!(body, 1, "request {n}'s body line:\n{transcript}");
    }
    // At the deadline, one span is open: the stuck request's, idle.
    let report = r
        .stdout
        .split_once("spans still open:\n")
        .map(|(_, after)| after)
        .unwrap_or_else(|| panic!("no report of open spans:\n{transcript}"));
    let mut report = report.lines();
    assert_eq!(report.next(), Some("request{n=3 path=/delay/60000}"));
    assert!(
        report.next().is_some_and(|l| l.contains(": waiting")),
        "{transcript}"
    );
    assert!(r.stdout.contains("aborted: request 3\n"), "{transcript}");
    assert!(
        r.stdout.contains("Spans open after the abort: 0."),
        "aborting the task dropped its future, and closed its span:\n\
         {transcript}"
    );
}

#[test]
fn without_spans_no_line_names_its_request() {
    let server = TestServer::start();
    let (r, found) = run_mode("no-spans", &server);
    let transcript = r.transcript();
    assert_eq!(server.peak_in_flight(), 4, "{transcript}");
    assert_eq!(found.len(), 10, "{transcript}");
    assert!(found.iter().all(|l| l.span.is_none()), "{transcript}");
    assert!(r.stdout.contains("no span is open"), "{transcript}");
}

#[test]
fn a_span_entered_across_await_labels_other_requests_lines() {
    let server = TestServer::start();
    let (r, found) = run_mode("enter-across-await", &server);
    let transcript = r.transcript();
    assert_eq!(server.peak_in_flight(), 4, "{transcript}");
    // The server never answered request 3 (it was still waiting when the
    // client gave up), yet lines say it got a body: other requests' lines,
    // written while its span was still entered on the thread.
    let stuck = server
        .requests()
        .into_iter()
        .find(|s| s.path == "/delay/60000")
        .unwrap_or_else(|| panic!("request 3 never sent:\n{transcript}"));
    assert_eq!(stuck.ended, None, "{stuck:?}\n{transcript}");
    let misfiled = found
        .iter()
        .filter(|l| l.span.as_deref() == Some(span_of(3).as_str()))
        .filter(|l| l.message.starts_with("got body"))
        .count();
    assert!(misfiled >= 1, "{transcript}");
    // And the report shows it entered, as if it were running.
    assert!(
        r.stdout
            .contains("request{n=3 path=/delay/60000}\n  open for"),
        "{transcript}"
    );
    assert!(r.stdout.contains("entered now"), "{transcript}");
    // Its futures were polled inside one task, with no task of their own:
    // the stuck one was dropped, not aborted, and the summary says so.
    assert!(
        r.stdout.contains("dropped: request 3\n")
            && !r.stdout.contains("aborted"),
        "{transcript}"
    );
    assert!(
        r.stdout.contains("Spans open after the drop: "),
        "{transcript}"
    );
}

#[test]
fn bad_flags_get_one_line_and_exit_code_2() {
    for args in [&["--stuck", "9"][..], &["--requests", "0"][..]] {
        let r = run(BIN, args, &[], DEADLINE);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.transcript());
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: "), "{}", r.transcript());
        assert!(!r.stderr.contains("panicked"), "{}", r.transcript());
    }
}
