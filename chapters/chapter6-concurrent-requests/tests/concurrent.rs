//! Chapter 6's claim: spawned requests wait for the server together.
//!
//! Checked by mechanism, on a delay server started by the test: all the
//! requests were in flight at once, and the run took far less than the sum
//! of the delays.

use course::testing::{TestServer, faults, run};
use mock_server::SERVER_URL_ENV;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter6");
const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn spawned_requests_are_in_flight_together() {
    let server = TestServer::start();
    let (requests, delay_ms) = (20, 500);
    let r = run(
        BIN,
        &["--requests", "20", "--delay-ms", "500"],
        &[(SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");

    let seen = server.requests();
    assert_eq!(seen.len(), requests, "{transcript}");
    assert_eq!(
        server.peak_in_flight(),
        requests,
        "every request should reach the server before the first answer:\n{transcript}"
    );
    // Sequential would take 20 x 500 ms = 10 s. Concurrent takes one delay
    // plus overhead; "under half the sum" still fails for a sequential run
    // and leaves 4.5 s for a busy machine, which can stall a whole process
    // for seconds. (Many requests cost no time here, only widen the margin.)
    let sum = Duration::from_millis(requests as u64 * delay_ms);
    assert!(r.took >= Duration::from_millis(delay_ms), "{transcript}");
    assert!(
        r.took < sum / 2,
        "took {:?}, the sum of the delays is {sum:?}: not concurrent?\n{transcript}",
        r.took
    );
    for n in 1..=requests {
        assert!(
            r.stdout
                .contains(&format!("[INFO] - Got response {n} (4096 bytes)")),
            "{transcript}"
        );
    }
    assert!(
        r.stdout.contains("20 requests of 500 ms took"),
        "{transcript}"
    );
}

#[test]
fn the_embedded_server_sees_them_all_at_once() {
    let r = run(
        BIN,
        &["--requests", "5", "--delay-ms", "200"],
        &[],
        DEADLINE,
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    assert!(r.stdout.ends_with(": all 5 at once\n"), "{transcript}");
    assert!(
        r.stdout.contains("request 5 |"),
        "the timeline:\n{transcript}"
    );
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
