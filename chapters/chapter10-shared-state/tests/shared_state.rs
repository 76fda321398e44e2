//! Chapter 10's claims, by mechanism, from the server's record and the
//! numbers the program prints:
//!
//! - with the lock held for the update only, every request is in flight
//!   at once and every update is counted;
//! - with tokio's `Mutex` held across the request, the requests reach the
//!   server one at a time, each after the one before was answered, and
//!   the last task waits for the lock through all the others' requests;
//! - with the read and the write under two locks, updates are lost;
//! - bad flags and faults end in one line.

use course::testing::{TestServer, faults, number_after, run};
use mock_server::{RequestRecord, SERVER_URL_ENV};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter10");
const DEADLINE: Duration = Duration::from_secs(30);

/// Requests of one mode, in the order they arrived.
fn of_mode(records: &[RequestRecord], mode: &str) -> Vec<RequestRecord> {
    let marker = format!("/url/{mode}/");
    let mut mine: Vec<RequestRecord> = records
        .iter()
        .filter(|r| r.path.contains(&marker))
        .cloned()
        .collect();
    mine.sort_by_key(|r| r.arrived);
    mine
}

/// The most requests waiting for their answers at once (arrival to due).
fn peak(records: &[RequestRecord]) -> usize {
    let mut most = 0;
    for r in records {
        let at_once = records
            .iter()
            .filter(|o| o.arrived <= r.arrived && r.arrived < o.due())
            .count();
        most = most.max(at_once);
    }
    most
}

/// The number after `marker` on the first line that holds `line_with`.
fn number_on(stdout: &str, line_with: &str, marker: &str) -> Option<f64> {
    let line = stdout.lines().find(|l| l.contains(line_with))?;
    number_after(line, marker)
}

#[test]
fn the_tour_shows_overlap_serialisation_and_lost_updates() {
    let server = TestServer::start();
    let r = run(
        BIN,
        &["--requests", "6", "--delay-ms", "100", "--no-timeline"],
        &[(SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    let records = server.requests();
    assert_eq!(records.len(), 18, "6 requests per mode:\n{transcript}");

    // Lock held for the update only: all six wait at the server together,
    // and every update is in.
    let brief = of_mode(&records, "brief");
    assert_eq!(peak(&brief), 6, "all at once:\n{transcript}");
    assert!(
        r.stdout
            .contains("brief: 6 of 6 pages, 21000 of 21000 bytes: every"),
        "{transcript}"
    );

    // Lock held across the request: each request arrives only after the
    // one before it was answered.
    let across = of_mode(&records, "across");
    assert_eq!(across.len(), 6, "{transcript}");
    for pair in across.windows(2) {
        assert!(
            pair[1].arrived >= pair[0].due(),
            "a request arrived before the one before it was answered: \
             the lock did not serialise them:\n{transcript}"
        );
    }
    assert!(
        r.stdout
            .contains("across: 6 of 6 pages, 21000 of 21000 bytes"),
        "{transcript}"
    );

    // Read and write under two locks: the requests overlap, and updates
    // are lost (every task read the totals before any answer came).
    let split = of_mode(&records, "split");
    assert_eq!(peak(&split), 6, "all at once:\n{transcript}");
    let counted = r
        .stdout
        .lines()
        .find(|l| l.contains("split: ") && l.contains(" pages, "))
        .and_then(|l| number_after(l, "split:"))
        .unwrap_or_else(|| panic!("no split totals:\n{transcript}"));
    assert!(counted < 6.0, "updates should be lost:\n{transcript}");
    assert!(r.stdout.contains(" lost"), "{transcript}");

    // The table: one row per mode, with the server's peak.
    let row = |mode: &str| {
        r.stdout
            .lines()
            .find(|l| l.starts_with(mode) && l.ends_with(" s"))
            .unwrap_or_else(|| panic!("no {mode} row:\n{transcript}"))
            .to_string()
    };
    assert!(row("brief").contains(" 6/6 "), "{transcript}");
    assert!(row("across").contains(" 6/6 "), "{transcript}");
    assert!(!row("split").contains(" 6/6 "), "{transcript}");
}

#[test]
fn the_last_task_waits_for_the_lock_through_every_request() {
    let server = TestServer::start();
    let args = ["--requests", "5", "--delay-ms", "100", "--mode"];
    let across = {
        let mut a = args.to_vec();
        a.push("across");
        run(BIN, &a, &[(SERVER_URL_ENV, server.url())], DEADLINE)
    };
    let transcript = across.transcript();
    assert_eq!(across.code, Some(0), "{transcript}");
    // The fifth task in line waits for four requests of at least 100 ms.
    let waited = number_on(&across.stdout, "waited for the lock", "up to")
        .expect("a wait");
    assert!(waited >= 400.0, "waited {waited} ms:\n{transcript}");
    // Each task holds the lock through its own request.
    let held =
        number_on(&across.stdout, "held the lock", "up to").expect("a hold");
    assert!(held >= 100.0, "held {held} ms:\n{transcript}");
    // The timeline of the mode run alone is shown.
    assert!(across.stdout.contains("request 5 "), "{transcript}");

    let mut a = args.to_vec();
    a.extend(["brief", "--no-timeline"]);
    let brief = run(BIN, &a, &[(SERVER_URL_ENV, server.url())], DEADLINE);
    let transcript = brief.transcript();
    assert_eq!(brief.code, Some(0), "{transcript}");
    let quick = number_on(&brief.stdout, "waited for the lock", "up to")
        .expect("a wait");
    // Held for microseconds, the lock keeps nobody waiting long: a small
    // share of the wait behind requests (ratios, for a loaded machine).
    assert!(
        quick < waited / 4.0,
        "a brief lock kept a task waiting {quick} ms:\n{transcript}"
    );
    assert!(!brief.stdout.contains("Timeline"), "{transcript}");
}

#[test]
fn bad_flags_are_usage_errors() {
    faults::bad_flags(BIN);
    let r = run(BIN, &["--mode", "lock-free"], &[], DEADLINE);
    assert_eq!(r.code, Some(2), "{}", r.transcript());
}

#[test]
fn an_unreachable_server_is_one_line() {
    faults::unreachable_server(BIN, &[]);
}

#[test]
fn a_server_error_is_one_line() {
    faults::http_500(BIN, &["--mode", "across"]);
}

#[test]
fn a_slow_answer_times_out_in_one_line() {
    faults::timeout(BIN, &["--mode", "across", "--requests", "3"]);
}
