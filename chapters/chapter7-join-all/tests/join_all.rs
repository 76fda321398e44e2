//! Chapter 7's claims: ten tasks fetch at once, and the totals the program
//! prints are the bits of the bodies the server really sent.
//!
//! The server records the path of every request; `mock_server::body_for`
//! gives the body it sent for a path, so the test counts the bits itself
//! (its own way: bit by bit) and compares.

use course::testing::{TestServer, faults, log_lines, number_after, run};
use mock_server::{SERVER_URL_ENV, body_for};
use std::collections::HashMap;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter7");
const DEADLINE: Duration = Duration::from_secs(30);
const TARGET: &str = "/url/http://www.google.co.uk/";

/// One bits and zero bits, counted bit by bit.
fn count_bits(text: &str) -> (u64, u64) {
    let mut counts = (0, 0);
    for byte in text.bytes() {
        for bit in 0..8 {
            if byte >> bit & 1 == 1 {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
    }
    counts
}

/// The number after `prefix` in `message`, up to the next non-digit.
fn number_in(message: &str, prefix: &str) -> Option<u64> {
    let rest = message.strip_prefix(prefix)?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Runs chapter 7 against a test server and checks every count it prints
/// against the bodies the server sent. `size` gives the body size the test
/// expects for request `n`, if it knows it in advance.
fn check_counts(args: &[&str], size: impl Fn(u64) -> Option<u64>) {
    let server = TestServer::start();
    let r = run(BIN, args, &[(SERVER_URL_ENV, server.url())], DEADLINE);
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    let log = log_lines(&r.stdout);

    // The sizes the program says it received, by request number.
    let received: HashMap<u64, u64> = log
        .iter()
        .filter_map(|(_, m)| {
            let n = number_in(m, "Got response ")?;
            let bytes = number_in(m.split_once('(')?.1, "")?;
            Some((n, bytes))
        })
        .collect();
    let processed: HashMap<u64, (u64, u64)> = log
        .iter()
        .filter_map(|(_, m)| {
            let n = number_in(m, "Processed ")?;
            let (_, rest) = m.split_once(": ")?;
            let ones = number_in(rest, "")?;
            let zeros = number_in(rest.split_once(", ")?.1, "")?;
            Some((n, (ones, zeros)))
        })
        .collect();

    let seen = server.requests();
    assert_eq!(seen.len(), 10, "{transcript}");
    assert_eq!(
        server.peak_in_flight(),
        10,
        "all ten should wait together:\n{transcript}"
    );
    let mut total = (0, 0);
    for record in &seen {
        let n: u64 = record
            .path
            .split_once(TARGET)
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or_else(|| {
                panic!("unexpected path {}:\n{transcript}", record.path)
            });
        let bytes = received[&n];
        if let Some(expected) = size(n) {
            assert_eq!(bytes, expected, "request {n}:\n{transcript}");
        }
        let counts = count_bits(&body_for(&record.path, bytes as usize));
        assert_eq!(
            processed.get(&n),
            Some(&counts),
            "request {n}:\n{transcript}"
        );
        total = (total.0 + counts.0, total.1 + counts.1);
    }
    let totals = r
        .stdout
        .lines()
        .find(|l| l.contains("Total:"))
        .unwrap_or("");
    assert_eq!(
        (
            number_after(totals, "Total:"),
            number_after(totals, "ones,")
        ),
        (Some(total.0 as f64), Some(total.1 as f64)),
        "{transcript}"
    );
    let ratio =
        number_after(&r.stdout, "Ratio of ones to zeros:").expect("a ratio");
    assert!(
        (ratio - total.0 as f64 / total.1 as f64).abs() < 0.006,
        "{transcript}"
    );

    // Each analysis is logged after its body arrived, and both orders are
    // reported with every request in them once.
    for n in 1..=10u64 {
        let at = |prefix: &str| {
            log.iter()
                .position(|(_, m)| number_in(m, prefix) == Some(n))
                .unwrap_or_else(|| {
                    panic!("no `{prefix}{n}` line:\n{transcript}")
                })
        };
        assert!(at("Got response ") < at("Processed "), "{transcript}");
    }
    for marker in ["Arrival order:", "Processing order:"] {
        let line = r.stdout.lines().find(|l| l.contains(marker)).expect(marker);
        let mut order: Vec<u64> = line
            .split_once(marker)
            .map(|(_, rest)| {
                rest.split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        order.sort();
        assert_eq!(
            order,
            (1..=10).collect::<Vec<_>>(),
            "{marker}\n{transcript}"
        );
    }
}

#[test]
fn totals_match_the_bodies_with_the_for_loop() {
    // The default sizes, which differ per request: the test takes them from
    // the log and checks the bits against the server's bodies.
    // 500 ms: the embedded-in-the-test server invents the bodies (up to
    // 128 KiB) one after the other before their delays start; on a busy
    // machine that takes a while, and all ten must still overlap.
    check_counts(&["--delay-ms", "500", "--no-timeline"], |_| None);
}

#[test]
fn totals_match_the_bodies_with_try_fold() {
    check_counts(
        &["--delay-ms", "200", "--sum", "try-fold", "--bytes", "5000"],
        |_| Some(5000),
    );
}

#[test]
fn spawned_requests_take_about_one_delay() {
    let r = run(
        BIN,
        &["--requests", "20", "--delay-ms", "500", "--bytes", "1000"],
        &[],
        DEADLINE,
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    // The embedded server measured the overlap: all of them in flight at once.
    assert!(r.stdout.ends_with(": all 20 at once\n"), "{transcript}");
    // One after the other would take 20 x 500 ms = 10 s; together they take
    // one delay plus overhead. Many requests cost no time here but widen the
    // margin: under half the sum leaves 4.5 s for a busy machine (which can
    // stall a whole process for seconds) and still fails a sequential run.
    assert!(r.took < Duration::from_secs(5), "{transcript}");
    assert!(
        r.stdout.contains("request 20 |"),
        "the timeline:\n{transcript}"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    faults::bad_flags(BIN);
    let r = run(BIN, &["--sum", "map"], &[], DEADLINE);
    assert_eq!(r.code, Some(2), "{}", r.transcript());
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
    faults::timeout(BIN, &["--bytes", "100"]);
}

#[cfg(unix)]
#[test]
fn ctrl_c_in_the_middle_of_the_requests_ends_the_run() {
    faults::ctrl_c(BIN, &[]);
}
