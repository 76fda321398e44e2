//! Chapter 11's claims, by mechanism:
//!
//! - a bounded queue pauses its producer: the sends that found it full
//!   waited about as long as the slow consumer took, the queue never held
//!   more than its capacity, and the consumer's requests reached the server
//!   one at a time; an unbounded queue never paused it and held every job;
//! - the cache actor fetches each path once however many callers ask at
//!   once (the server's record), and every caller gets its own path's body;
//! - a lagging broadcast receiver is told how many values it missed; a
//!   watch receiver sees only the latest value;
//! - `join!` overlaps two requests on one task; `try_join!` stops at the
//!   first error, long before the slow request would have been answered.

use course::testing::{
    Run, StatusServer, TestServer, faults, number_after, run,
};
use mock_server::SERVER_URL_ENV;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter11");
const DEADLINE: Duration = Duration::from_secs(30);

fn run_with(server: &TestServer, args: &[&str]) -> Run {
    let r = run(BIN, args, &[(SERVER_URL_ENV, server.url())], DEADLINE);
    assert_eq!(r.code, Some(0), "{}", r.transcript());
    r
}

/// The number after `marker`, or a failure that shows the run.
fn figure(r: &Run, marker: &str) -> f64 {
    number_after(&r.stdout, marker).unwrap_or_else(|| {
        panic!("no {marker:?} in the output:\n{}", r.transcript())
    })
}

#[test]
fn a_full_queue_pauses_the_producer_and_an_unbounded_one_never_does() {
    let server = TestServer::start();
    let (jobs, capacity, delay) = (10, 2, 40);
    let r = run_with(
        &server,
        &[
            "--mode",
            "backpressure",
            "--jobs",
            "10",
            "--capacity",
            "2",
            "--delay-ms",
            "40",
        ],
    );
    let transcript = r.transcript();
    // Every job is one request, bounded run and unbounded run, and the
    // consumer sends them one after the other.
    assert_eq!(server.requests().len(), 2 * jobs, "{transcript}");
    assert_eq!(server.peak_in_flight(), 1, "{transcript}");
    // The queue filled to its capacity, never beyond.
    assert_eq!(
        figure(&r, "bounded: at most"),
        capacity as f64,
        "{transcript}"
    );
    // The producer is at most `capacity + 1` jobs ahead of the consumer
    // (the queue and the job in hand): every later send waited for a
    // slot, and together they waited for about the consumer's requests
    // beyond those, each of 40 ms. Half of it leaves room for a busy
    // machine; a producer that never waited would show 0.
    let full = r
        .stdout
        .lines()
        .find(|l| l.contains("] - bounded: ") && l.contains("sends found"))
        .and_then(|l| number_after(l, "bounded: "))
        .unwrap_or_else(|| panic!("no full sends:\n{transcript}"));
    assert!(full >= (jobs - capacity - 1) as f64, "{transcript}");
    let waited = number_after(&r.stdout, "found the queue full and waited")
        .unwrap_or_else(|| panic!("no wait in the output:\n{transcript}"));
    let expected = ((jobs - capacity - 1) * delay) as f64 / 1000.0;
    assert!(
        waited >= expected / 2.0,
        "waited {waited} s, expected about {expected} s:\n{transcript}"
    );
    // Unbounded: nothing ever waited, and the queue held more than the
    // bounded one could: nearly every job, as the producer sends them all
    // while the consumer is on its first request (half of them, in case
    // a busy machine held the producer's thread back meanwhile).
    assert!(
        r.stdout.contains("unbounded: no send ever waited"),
        "{transcript}"
    );
    let peak = figure(&r, "unbounded: at most");
    assert!(
        peak > capacity as f64 && peak >= (jobs / 2) as f64,
        "{transcript}"
    );
}

#[test]
fn the_cache_actor_fetches_each_path_once_and_answers_every_caller() {
    let server = TestServer::start();
    let r = run_with(
        &server,
        &[
            "--mode",
            "actor",
            "--callers",
            "30",
            "--keys",
            "3",
            "--delay-ms",
            "60",
        ],
    );
    let transcript = r.transcript();
    let seen = server.requests();
    let mut paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(
        (seen.len(), paths.len()),
        (3, 3),
        "30 callers, 3 paths: the actor fetched each once:\n{transcript}"
    );
    assert_eq!(server.peak_in_flight(), 1, "{transcript}");
    assert!(
        r.stdout
            .contains("cache actor: 30 of 30 got their own path's body"),
        "{transcript}"
    );
    assert!(
        r.stdout
            .contains("cache actor: 3 answers fetched, 27 from the cache"),
        "{transcript}"
    );
}

#[test]
fn broadcast_tells_a_lagging_receiver_and_watch_keeps_the_latest() {
    let server = TestServer::start();
    let r = run_with(&server, &["--mode", "fan-out"]);
    let transcript = r.transcript();
    // A capacity of 4, 10 values, a receiver that read none of them.
    assert!(
        r.stdout
            .contains("the slow one lagged, missed 6, then got [7, 8, 9, 10]"),
        "{transcript}"
    );
    assert!(
        r.stdout.contains("watch: the receiver woke and saw 10"),
        "{transcript}"
    );
    assert_eq!(figure(&r, "the receiver saw"), 1.0, "{transcript}");
    assert!(server.requests().is_empty(), "{transcript}");
}

#[test]
fn join_overlaps_two_requests_and_try_join_stops_at_the_first_error() {
    let server = TestServer::start();
    let r = run_with(&server, &["--mode", "join", "--delay-ms", "500"]);
    let transcript = r.transcript();
    let seen = server.requests();
    // The pair of 500 ms, the 5 s request and the 404.
    assert_eq!(seen.len(), 4, "{transcript}");
    let pair: Vec<_> = seen
        .iter()
        .filter(|s| s.delay == Duration::from_millis(500))
        .collect();
    assert_eq!(
        mock_server::peak_in_flight(pair.iter().copied()),
        2,
        "join! had both requests in flight at once:\n{transcript}"
    );
    // One after the other they would take 1 s at least.
    assert!(
        figure(&r, "join!: 2 requests of 500 ms took") < 0.9,
        "{transcript}"
    );
    // The slow request asked for 5 s; the 404 came at once.
    assert!(
        seen.iter().any(|s| s.delay == Duration::from_secs(5)),
        "{transcript}"
    );
    assert!(
        figure(&r, "try_join!: an error ended it after") < 1.5,
        "{transcript}"
    );
    assert!(r.took < Duration::from_secs(4), "{transcript}");
}

#[test]
fn the_tour_ends_with_a_summary_in_numbers() {
    let r = run(BIN, &["--jobs", "6", "--delay-ms", "10"], &[], DEADLINE);
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    let summary = r
        .stdout
        .split_once("Summary:\n")
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no summary:\n{transcript}"));
    for line in [
        "- bounded queue of 3: ",
        "- unbounded queue: 0 sends waited; at most",
        "- cache actor: 24 callers, 24 right answers, 4 fetched, 20 cached",
        "- broadcast: the slow receiver missed 6 of 10 values",
        "- watch: the receiver saw 1 of 10 values",
        "- join!: 2 requests of 10 ms in",
    ] {
        assert!(summary.contains(line), "{line:?}\n{transcript}");
    }
    assert!(
        r.stdout.lines().all(|l| l.chars().count() <= 80),
        "every line fits 80 columns:\n{transcript}"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    for bad in [
        &["--jobs", "abc"][..],
        &["--capacity", "0"],
        &["--delay-ms", "-5"],
        &["--keys", "0"],
        &["--mode", "fast"],
    ] {
        let r = run(BIN, bad, &[], DEADLINE);
        let transcript = r.transcript();
        assert_eq!(r.code, Some(2), "{bad:?}\n{transcript}");
        assert!(
            r.stderr.starts_with("error: ") && r.stderr.contains(bad[0]),
            "{bad:?}\n{transcript}"
        );
        assert!(r.stdout.is_empty(), "nothing runs: {transcript}");
    }
}

#[test]
fn an_unreachable_server_is_one_line() {
    faults::unreachable_server(BIN, &["--mode", "actor"]);
}

#[test]
fn a_server_error_reaches_the_caller_as_one_line() {
    // Every request answers 500: the consumer stops at its first job, and
    // the error comes back through the consumer's JoinHandle; the cache
    // actor hands it to the caller through its oneshot.
    let server = StatusServer::start(500);
    for mode in ["backpressure", "actor"] {
        let r = run(
            BIN,
            &["--mode", mode],
            &[(SERVER_URL_ENV, &server.url())],
            DEADLINE,
        );
        let line = faults::assert_one_line_error(&r);
        assert!(line.contains("500"), "{mode}: {}", r.transcript());
    }
}
