//! The fault checks every request chapter must pass, in one place.
//!
//! A chapter's test file calls each with its binary and, for a chapter with
//! a mode flag, the arguments that pick a short run:
//!
//! ```text
//! // chapters/chapter5-*/tests/sequential.rs
//! use course::testing::faults;
//! const BIN: &str = env!("CARGO_BIN_EXE_chapter5");
//! #[test]
//! fn a_server_error_is_one_line() {
//!     faults::http_500(BIN, &[]);
//! }
//! ```
//!
//! Each check runs the binary with a deadline (a hang fails the test with a
//! message) and asserts how it ended: exit code, one line on stderr, no
//! panic.

use super::{Run, StatusServer, TestServer, run};
use std::time::Duration;

/// Longest a faulty run may take. Each normally ends within a second; the
/// margin is for a machine with both cores busy.
const DEADLINE: Duration = Duration::from_secs(30);

/// Asserts a clean failure: exit code 1 and exactly one line on stderr,
/// `error: ...`, without a panic. Returns that line.
pub fn assert_one_line_error(run: &Run) -> String {
    let transcript = run.transcript();
    assert_eq!(run.code, Some(1), "expected exit code 1:\n{transcript}");
    assert!(
        !run.stderr.contains("panicked") && !run.stdout.contains("panicked"),
        "a panic instead of an error:\n{transcript}"
    );
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr:\n{transcript}");
    assert!(lines[0].starts_with("error: "), "{transcript}");
    lines[0].to_string()
}

/// `--requests abc` and `--delay-ms -5` are refused with exit code 2 and a
/// clap error that names the flag, before anything runs.
pub fn bad_flags(bin: &str) {
    for (flag, value) in [
        ("--requests", "abc"),
        ("--delay-ms", "-5"),
        ("--requests", "0"),
    ] {
        let r = run(bin, &[flag, value], &[], DEADLINE);
        let transcript = r.transcript();
        assert_eq!(r.code, Some(2), "{flag} {value}:\n{transcript}");
        assert!(
            r.stderr.starts_with("error: ") && r.stderr.contains(flag),
            "{flag} {value}: the error should name the flag:\n{transcript}"
        );
        assert!(!r.stderr.contains("panicked"), "{transcript}");
        assert!(
            r.stdout.is_empty(),
            "nothing runs on a bad flag:\n{transcript}"
        );
    }
}

/// `DELAY_SERVER_URL` at a closed port: exit 1, one line naming the URL and
/// how to start a server.
pub fn unreachable_server(bin: &str, args: &[&str]) {
    // Bind a free port, then close it: nothing listens there now.
    let url = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        format!("http://{}", probe.local_addr().expect("local address"))
    };
    let r = run(bin, args, &[(mock_server::SERVER_URL_ENV, &url)], DEADLINE);
    let line = assert_one_line_error(&r);
    assert!(
        line.contains(&url) && line.contains("cargo run -p mock-server"),
        "the error should name {url} and `cargo run -p mock-server`:\n{}",
        r.transcript()
    );
}

/// A server that answers 500: exit 1, one line naming the status.
pub fn http_500(bin: &str, args: &[&str]) {
    let server = StatusServer::start(500);
    let url = server.url();
    let mut all = vec!["--delay-ms", "50", "--no-timeline"];
    all.extend_from_slice(args);
    let r = run(bin, &all, &[(mock_server::SERVER_URL_ENV, &url)], DEADLINE);
    drop(server);
    let line = assert_one_line_error(&r);
    assert!(
        line.contains("500"),
        "the error should name the status:\n{}",
        r.transcript()
    );
}

/// A delay longer than `--timeout-ms`: exit 1, one line about the timeout,
/// long before the delay is over.
pub fn timeout(bin: &str, args: &[&str]) {
    let server = TestServer::start();
    let mut all = vec!["--delay-ms", "5000", "--timeout-ms", "200", "--no-timeline"];
    all.extend_from_slice(args);
    let r = run(
        bin,
        &all,
        &[(mock_server::SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    let line = assert_one_line_error(&r);
    assert!(
        line.contains("timed out") && line.contains("--timeout-ms"),
        "the error should say the request timed out:\n{}",
        r.transcript()
    );
    assert!(
        r.took < Duration::from_millis(4000),
        "the client should give up after 200 ms, not wait for the 5 s delay:\n{}",
        r.transcript()
    );
    assert!(
        !server.requests().is_empty(),
        "the request reached the server"
    );
}
