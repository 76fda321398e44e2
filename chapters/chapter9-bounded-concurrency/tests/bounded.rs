//! Chapter 9's claims, by mechanism:
//!
//! - with `--limit K`, the server never sees more than K requests in flight
//!   (and sees exactly K when there are more than K requests), and every
//!   request is answered;
//! - spawning every request at once runs out of file descriptors when they
//!   do not fit, while the bounded version of the same batch succeeds (the
//!   test lowers the limit with `ulimit -n` to make that cheap);
//! - a timeout and a `select!` give up on a slow request; Ctrl-C ends a run
//!   with one line.

use course::testing::{TestServer, faults, run};
use mock_server::SERVER_URL_ENV;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter9");
const DEADLINE: Duration = Duration::from_secs(30);

/// Runs a bounded batch of 20 requests of 200 ms with `--limit 5` and
/// checks what the server saw.
fn check_limit(mode: &str) {
    let server = TestServer::start();
    let r = run(
        BIN,
        &[
            "--mode",
            mode,
            "--requests",
            "20",
            "--limit",
            "5",
            "--delay-ms",
            "200",
        ],
        &[(SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    let seen = server.requests();
    assert_eq!(
        seen.len(),
        20,
        "every request reached the server once:\n{transcript}"
    );
    assert!(seen.iter().all(|s| s.status == 200), "{transcript}");
    // Never more than 5; and with 20 to send, the limit is reached.
    assert_eq!(server.peak_in_flight(), 5, "{transcript}");
    // 20 requests, 5 at a time: at least 4 rounds of 200 ms.
    assert!(r.took >= Duration::from_millis(800), "{transcript}");
    assert!(
        r.stdout.contains("20 requests of 200 ms took"),
        "{transcript}"
    );
}

#[test]
fn buffer_unordered_keeps_to_the_limit() {
    check_limit("buffer-unordered");
}

#[test]
fn join_set_with_a_semaphore_keeps_to_the_limit() {
    check_limit("join-set");
}

#[test]
fn a_limit_above_the_batch_sends_them_all_at_once() {
    let server = TestServer::start();
    let r = run(
        BIN,
        &[
            "--mode",
            "join-set",
            "--requests",
            "8",
            "--limit",
            "50",
            "--delay-ms",
            "200",
        ],
        &[(SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    assert_eq!(r.code, Some(0), "{}", r.transcript());
    assert_eq!(server.requests().len(), 8);
    assert_eq!(server.peak_in_flight(), 8, "{}", r.transcript());
}

#[test]
fn unbounded_spawning_sends_everything_at_once() {
    let server = TestServer::start();
    let r = run(
        BIN,
        &[
            "--mode",
            "unbounded",
            "--requests",
            "30",
            "--delay-ms",
            "1000",
        ],
        &[(SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    assert_eq!(r.code, Some(0), "{}", r.transcript());
    assert_eq!(server.peak_in_flight(), 30, "{}", r.transcript());
}

/// Runs chapter 9 under `ulimit -n 200`: a budget of about 75 requests in
/// flight, with the server in the same process.
fn with_few_descriptors(args: &str) -> course::testing::Run {
    let script = format!("ulimit -n 200 && exec \"$0\" {args}");
    run("sh", &["-c", &script, BIN], &[], DEADLINE)
}

#[test]
fn spawning_more_than_the_descriptors_allow_fails_and_a_bound_fixes_it() {
    let r =
        with_few_descriptors("--mode unbounded --requests 150 --delay-ms 200");
    let line = faults::assert_one_line_error(&r);
    // The cause, not its symptoms: no advice to wait longer.
    assert!(
        line.contains("ran out of file descriptors") && line.contains(" 200 "),
        "{}",
        r.transcript()
    );
    assert!(!line.contains("--timeout-ms"), "{}", r.transcript());
    assert!(
        r.stdout.contains("150 at once do not fit"),
        "{}",
        r.transcript()
    );

    let r = with_few_descriptors(
        "--mode join-set --requests 150 --limit 20 --delay-ms 100",
    );
    assert_eq!(
        r.code,
        Some(0),
        "the bounded batch fits:\n{}",
        r.transcript()
    );
    assert!(
        r.stdout.contains("150 requests of 100 ms took"),
        "{}",
        r.transcript()
    );
    assert!(
        r.stdout.contains("at most 20 at a time"),
        "{}",
        r.transcript()
    );
}

/// A soft limit below the hard one (1,024 is common) is raised by the
/// chapter before it counts its budget: the budget line names the hard
/// limit, not the low soft one it started with.
#[test]
fn a_low_soft_limit_on_open_files_is_raised_to_the_hard_limit() {
    let script = "ulimit -S -n 256 && echo \"hard $(ulimit -H -n)\" && exec \"$0\" --mode unbounded --requests 20 --delay-ms 50";
    let r = run("sh", &["-c", script, BIN], &[], DEADLINE);
    assert_eq!(r.code, Some(0), "{}", r.transcript());
    let hard = course::testing::number_after(&r.stdout, "hard ")
        .unwrap_or_else(|| {
            panic!("the shell printed no hard limit:\n{}", r.transcript())
        });
    if hard <= 256.0 {
        eprintln!("the hard limit is {hard}: nothing to raise on this machine");
        return;
    }
    let shown =
        course::testing::number_after(&r.stdout, "Open files allowed: ")
            .unwrap_or_else(|| panic!("no budget line:\n{}", r.transcript()));
    assert_eq!(
        shown,
        hard,
        "the soft limit of 256 should have been raised to the hard limit:\n{}",
        r.transcript()
    );
}

#[test]
fn the_tour_prints_the_budget_and_a_table() {
    let r = run(
        BIN,
        &["--requests", "40", "--delay-ms", "50"],
        &[],
        DEADLINE,
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    assert!(
        r.stdout.contains("requests in flight at once"),
        "{transcript}"
    );
    // One row per limit (a tenth, a quarter, half of 40), then unbounded;
    // the in-flight column never exceeds the row's limit.
    for k in [4, 10, 20] {
        let name = format!("buffer_unordered({k})");
        let row = r
            .stdout
            .lines()
            .find(|l| l.starts_with(&name))
            .expect(&name);
        let in_flight: usize = row
            .split_whitespace()
            .nth(5)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| {
                panic!("no in-flight figure in {row:?}\n{transcript}")
            });
        assert!(in_flight <= k, "{row}\n{transcript}");
    }
    assert!(r.stdout.contains("spawn all (unbounded)"), "{transcript}");
    assert!(r.stdout.contains("No answer within 50 ms"), "{transcript}");
    assert!(r.stdout.contains("The deadline came first"), "{transcript}");
    // The last batch is the JoinSet one, with the default limit of 40 / 10.
    assert!(r.stdout.ends_with("at most 4 at a time\n"), "{transcript}");
}

#[test]
fn a_timeout_gives_up_on_a_slow_request() {
    for (mode, gave_up) in [
        ("timeout", "No answer within 200 ms: gave up"),
        ("select", "The deadline came first"),
    ] {
        let server = TestServer::start();
        let r = run(
            BIN,
            &["--mode", mode, "--delay-ms", "200"],
            &[(SERVER_URL_ENV, server.url())],
            DEADLINE,
        );
        let transcript = r.transcript();
        assert_eq!(r.code, Some(0), "{transcript}");
        assert!(r.stdout.contains(gave_up), "{mode}:\n{transcript}");
        assert!(
            r.stdout.contains(", dropped"),
            "the timeline shows the request dropped: {transcript}"
        );
        // The request was sent: the server got it, asking for 400 ms.
        let seen = server.requests();
        assert_eq!(seen.len(), 1, "{transcript}");
        assert_eq!(seen[0].delay, Duration::from_millis(400));
    }
}

#[test]
fn ctrl_c_ends_a_run_with_one_line() {
    // A 10 s request raced against a 10 s deadline by `select!`; Ctrl-C
    // comes as soon as the request has reached the server.
    let ended =
        faults::interrupt(BIN, &["--mode", "select", "--delay-ms", "10000"]);
    let (r, transcript) = (&ended.run, ended.run.transcript());
    assert_eq!(ended.requests_before, 1, "{transcript}");
    // The chapter listens for Ctrl-C itself: it exits with its one line
    // rather than being killed by the signal.
    assert_eq!((ended.signal, r.code), (None, Some(1)), "{transcript}");
    let line = faults::assert_one_line_error(r);
    assert!(
        line.starts_with("error: interrupted by Ctrl-C"),
        "{transcript}"
    );
    // Long before the 10 s deadline of the select!.
    assert!(ended.ended_after < Duration::from_secs(8), "{transcript}");
}

#[test]
fn bad_flags_are_usage_errors() {
    faults::bad_flags(BIN);
    for bad in [&["--limit", "0"][..], &["--mode", "fast"]] {
        let r = run(BIN, bad, &[], DEADLINE);
        assert_eq!(r.code, Some(2), "{bad:?}\n{}", r.transcript());
    }
}

const SHORT: &[&str] = &["--mode", "join-set", "--requests", "3"];

#[test]
fn an_unreachable_server_is_one_line() {
    faults::unreachable_server(BIN, SHORT);
}

#[test]
fn a_server_error_is_one_line() {
    faults::http_500(BIN, SHORT);
    faults::http_500(BIN, &["--mode", "buffer-unordered", "--requests", "3"]);
}

#[test]
fn a_slow_answer_times_out_in_one_line() {
    faults::timeout(BIN, SHORT);
}

/// Under a hard limit of 256 open files the tour still runs, and exits 0:
/// it says that it cut its limits to the budget it computed, and no row
/// runs more requests at once than the budget holds.
#[test]
fn the_tour_fits_its_limits_to_a_small_budget() {
    let r = with_few_descriptors_limit(
        256,
        "--requests 400 --delay-ms 50 --no-timeline",
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "the tour adapts:\n{transcript}");
    let budget = course::testing::number_after(&r.stdout, "Budget: about ")
        .unwrap_or_else(|| panic!("no budget line:\n{transcript}"))
        as usize;
    assert!(budget < 200, "256 files hold fewer than 200: {transcript}");
    assert!(r.stdout.contains("cut to the budget"), "{transcript}");
    assert!(
        r.stdout.contains("not run: it does not fit the budget"),
        "{transcript}"
    );
    let rows: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("buffer_unordered("))
        .collect();
    assert!(rows.len() >= 2, "a table of limits: {transcript}");
    for row in rows {
        let limit: usize = row["buffer_unordered(".len()..]
            .split(')')
            .next()
            .and_then(|k| k.parse().ok())
            .unwrap_or_else(|| panic!("no limit in {row:?}"));
        assert!(limit <= budget, "{row} is over the budget: {transcript}");
    }
    assert!(
        r.stdout.ends_with("at most 40 at a time\n"),
        "the JoinSet run keeps its limit of 40, which fits: {transcript}"
    );
}

/// Runs chapter 9 with soft and hard limits of `files` open files.
fn with_few_descriptors_limit(files: u32, args: &str) -> course::testing::Run {
    let script = format!("ulimit -n {files} && exec \"$0\" {args}");
    run("sh", &["-c", &script, BIN], &[], DEADLINE)
}
