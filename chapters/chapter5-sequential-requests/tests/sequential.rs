//! Chapter 5's claim: the requests run one after the other.
//!
//! Checked by mechanism, on a delay server started by the test: the server
//! never had two of them in flight, and the run took at least the sum of
//! the delays.

use course::testing::{TestServer, faults, run};
use mock_server::SERVER_URL_ENV;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter5");
const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn requests_run_one_after_the_other() {
    let server = TestServer::start();
    let r = run(
        BIN,
        &["--requests", "3", "--delay-ms", "200"],
        &[(SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");

    let seen = server.requests();
    assert_eq!(
        seen.len(),
        3,
        "the server should see 3 requests:\n{transcript}"
    );
    assert!(
        seen.iter()
            .all(|s| s.status == 200 && s.delay == Duration::from_millis(200))
    );
    assert_eq!(
        server.peak_in_flight(),
        1,
        "a request was sent before the previous answer came back:\n{transcript}"
    );
    // Each request arrived after the previous one was answered.
    for pair in seen.windows(2) {
        assert!(pair[1].arrived >= pair[0].due(), "{transcript}");
    }
    // Three waits of 200 ms in a row cannot take less than 600 ms.
    assert!(r.took >= Duration::from_millis(600), "{transcript}");

    // What the learner reads: one log line per answer, the timeline, and
    // the summary (the external server does not report its peak, so the
    // summary judges by time).
    for n in 1..=3 {
        assert!(
            r.stdout
                .contains(&format!("[INFO] - Got response {n} (4096 bytes)")),
            "{transcript}"
        );
        assert!(r.stdout.contains(&format!("request {n} |")), "{transcript}");
    }
    assert!(
        r.stdout.contains("3 requests of 200 ms took")
            && r.stdout.contains("one after the other"),
        "{transcript}"
    );
}

#[test]
fn the_embedded_server_reports_its_peak_and_the_svg_is_written() {
    let dir = std::env::temp_dir()
        .join(format!("chapter5-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let svg = dir.join("timeline.svg");
    let svg_arg = svg.to_string_lossy().into_owned();
    let r = run(
        BIN,
        &[
            "--requests",
            "2",
            "--delay-ms",
            "100",
            "--no-timeline",
            "--svg",
            &svg_arg,
        ],
        &[],
        DEADLINE,
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    assert!(
        r.stdout.contains("2 requests of 100 ms took"),
        "{transcript}"
    );
    assert!(
        r.stdout.ends_with(": one after the other\n"),
        "{transcript}"
    );
    assert!(
        !r.stdout.contains("request 1 |"),
        "--no-timeline: {transcript}"
    );
    let picture = std::fs::read_to_string(&svg).expect("the SVG was written");
    assert!(picture.starts_with("<svg") && picture.contains("request 2"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_are_usage_errors() {
    faults::bad_flags(BIN);
}

#[test]
fn an_unreachable_server_is_one_line() {
    faults::unreachable_server(BIN, &[]);
}

#[test]
fn a_server_error_is_one_line() {
    faults::http_500(BIN, &[]);
}

#[test]
fn a_slow_answer_times_out_in_one_line() {
    faults::timeout(BIN, &[]);
}

#[cfg(unix)]
#[test]
fn ctrl_c_in_the_middle_of_the_requests_ends_the_run() {
    faults::ctrl_c(BIN, &[]);
}
