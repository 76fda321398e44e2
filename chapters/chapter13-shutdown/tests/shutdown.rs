//! Chapter 13's claims, by mechanism, from the delay server's record:
//!
//! - after the stop signal (SIGINT, as Ctrl-C sends it, or
//!   `--stop-after-ms`) no job starts: no request reaches the server;
//! - a job in flight at the signal finishes: its whole answer was sent
//!   (the record's `ended`), after the signal;
//! - a job still running at the deadline is cancelled then, not before:
//!   the server saw the client go away (`abandoned`) one grace period
//!   after the signal;
//! - what the run prints (started, finished, cancelled) is what the
//!   server saw; without a stop, every job runs.

use course::testing::{Run, TestServer, faults, log_lines, run};
use mock_server::{RequestRecord, SERVER_URL_ENV};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_chapter13");
const DEADLINE: Duration = Duration::from_secs(30);

/// Jobs every 250 ms of 400 ms each; the 4th asks for `slow_ms`.
fn spaced(slow_ms: &str) -> Vec<&str> {
    let mut args = vec!["--requests", "20", "--every-ms", "250"];
    args.extend(["--delay-ms", "400", "--slow-ms", slow_ms]);
    args.push("--no-timeline");
    args
}

/// The requests of the run, in order of arrival.
fn records(server: &TestServer) -> Vec<RequestRecord> {
    let mut seen = server.requests();
    seen.sort_by_key(|r| r.arrived);
    seen
}

/// Waits until every request the server saw is over (answered in full or
/// abandoned): the server notes an abandon a moment after the client left.
fn settled(server: &TestServer) -> Vec<RequestRecord> {
    let started = Instant::now();
    loop {
        let seen = records(server);
        if seen.iter().all(RequestRecord::is_over)
            || started.elapsed() > Duration::from_secs(5)
        {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
#[cfg(unix)]
fn ctrl_c_stops_new_jobs_lets_the_one_in_flight_finish_and_cancels_the_slow_one()
 {
    let server = TestServer::start();
    let mut args = spaced("3000");
    args.extend(["--stop-after-ms", "0", "--grace-ms", "600"]);
    // SIGINT once the 4th request (the slow one) has arrived: job 3 is
    // in flight (arrived 250 ms before, 400 ms long), the next job is due
    // 250 ms later.
    let (r, signalled) = interrupt_after(&server, &args, 4, None);
    let transcript = r.transcript();
    let seen = settled(&server);
    let late: Vec<_> = seen.iter().filter(|s| s.arrived > signalled).collect();
    assert!(
        late.is_empty(),
        "{} job(s) started after the signal:\n{transcript}",
        late.len()
    );
    assert_eq!(seen.len(), 4, "{transcript}");
    let in_flight = &seen[2];
    assert!(
        in_flight.ended.is_some_and(|end| end > signalled),
        "the job in flight at the signal finished after it: {in_flight:?}\n\
         {transcript}"
    );
    let slow = &seen[3];
    assert_eq!(slow.delay, Duration::from_secs(3), "{transcript}");
    let abandoned = slow.abandoned.unwrap_or_else(|| {
        panic!("the slow job was cancelled: {slow:?}\n{transcript}")
    });
    let after = abandoned.duration_since(signalled);
    assert!(
        after >= Duration::from_millis(590) && after < Duration::from_secs(2),
        "cancelled one grace period (600 ms) after the signal, not {} ms:\n\
         {transcript}",
        after.as_millis()
    );
    // The program says so, and ends with one error line: an interrupted
    // batch is not a success.
    let line = faults::assert_one_line_error(&r);
    assert!(
        line.starts_with("error: interrupted by Ctrl-C: shut down gracefully"),
        "{transcript}"
    );
    assert!(
        line.chars().count() <= 80,
        "the last line fits 80 columns ({}): {line}",
        line.chars().count()
    );
    for said in [
        "Stop signal: Ctrl-C",
        "Started 4 of 20; 16 never started",
        "Finished 3 (1 after the stop), cancelled 1, failed 0",
        "Shutdown: 2 in flight at the stop",
    ] {
        assert!(r.stdout.contains(said), "{said:?}:\n{transcript}");
    }
}

/// SIGTERM, as systemd, `docker stop` and Kubernetes send it, is a stop
/// signal like Ctrl-C: no job after it, the one in flight finishes, the
/// slow one is cancelled at the deadline, and the exit says what stopped it.
#[test]
#[cfg(unix)]
fn sigterm_stops_the_jobs_as_gracefully_as_ctrl_c() {
    let server = TestServer::start();
    let mut args = spaced("3000");
    args.extend(["--stop-after-ms", "0", "--grace-ms", "600"]);
    let signals = faults::Signals {
        after_requests: 4,
        again_after: None,
        first: "TERM",
    };
    let ended = faults::interrupt_with(BIN, &args, &server, signals);
    let (r, signalled) = (ended.run, ended.signalled);
    let transcript = r.transcript();
    assert_eq!(
        ended.signal, None,
        "SIGTERM was handled, not the default action that ends the process:\n{transcript}"
    );
    let seen = settled(&server);
    assert!(
        seen.iter().all(|s| s.arrived <= signalled),
        "a job started after SIGTERM:\n{transcript}"
    );
    assert!(
        seen[2].ended.is_some_and(|end| end > signalled),
        "the job in flight at SIGTERM finished after it:\n{transcript}"
    );
    assert!(
        seen[3].abandoned.is_some(),
        "the slow job was cancelled at the deadline:\n{transcript}"
    );
    let line = faults::assert_one_line_error(&r);
    assert!(
        line.starts_with("error: stopped by SIGTERM: shut down gracefully"),
        "{transcript}"
    );
    assert!(r.stdout.contains("Stop signal: SIGTERM"), "{transcript}");
}

#[test]
#[cfg(unix)]
fn a_second_ctrl_c_cancels_the_jobs_in_flight_without_waiting_for_the_deadline()
{
    for mode in ["tracker", "join-set"] {
        let server = TestServer::start();
        let mut args = spaced("20000");
        args.extend(["--mode", mode, "--stop-after-ms", "0"]);
        args.extend(["--grace-ms", "20000"]);
        // The second SIGINT 300 ms after the first, long before the
        // deadline (20 s): the slow job 4 is cancelled then.
        let again = Duration::from_millis(300);
        let (r, signalled) = interrupt_after(&server, &args, 4, Some(again));
        let transcript = r.transcript();
        let seen = settled(&server);
        assert_eq!(seen.len(), 4, "{mode}:\n{transcript}");
        let slow = &seen[3];
        let abandoned = slow.abandoned.unwrap_or_else(|| {
            panic!("{mode}: the slow job was cancelled: {slow:?}\n{transcript}")
        });
        let after = abandoned.duration_since(signalled);
        assert!(
            after >= again && after < Duration::from_secs(5),
            "{mode}: cancelled at the second Ctrl-C, not {} ms after the \
             first:\n{transcript}",
            after.as_millis()
        );
        assert!(
            r.stdout
                .contains("Ctrl-C again: cancelling the jobs in flight")
                && !r.stdout.contains("Deadline"),
            "{mode}:\n{transcript}"
        );
        faults::assert_one_line_error(&r);
    }
}

#[test]
fn a_programmatic_stop_drains_the_join_set_and_aborts_at_the_deadline() {
    let server = TestServer::start();
    let mut args = spaced("3000");
    // Jobs at 0, 250, 500 and 750 ms; the stop at 850 ms finds job 3
    // (until 900 ms) and the slow job 4 in flight.
    args.extend([
        "--mode",
        "join-set",
        "--stop-after-ms",
        "850",
        "--grace-ms",
        "500",
    ]);
    // With its timeline, to read the marks under it.
    args.retain(|a| *a != "--no-timeline");
    let r = run(BIN, &args, &[(SERVER_URL_ENV, server.url())], DEADLINE);
    let transcript = r.transcript();
    assert_eq!(
        r.code,
        Some(0),
        "a planned stop is a success:\n{transcript}"
    );
    let seen = settled(&server);
    assert_eq!(seen.len(), 4, "four jobs started:\n{transcript}");
    let over: Vec<bool> = seen.iter().map(|s| s.ended.is_some()).collect();
    assert_eq!(
        over,
        [true, true, true, false],
        "three answered in full, the slow one cancelled:\n{transcript}"
    );
    assert!(seen[3].aborted(), "{transcript}");
    assert!(
        r.stdout
            .contains("Finished 3 (1 after the stop), cancelled 1, failed 0"),
        "{transcript}"
    );
    // The deadline came one grace period after the signal, by the log.
    let at = |what: &str| {
        log_lines(&r.stdout)
            .into_iter()
            .find(|(_, line)| line.starts_with(what))
            .map(|(t, _)| t)
            .unwrap_or_else(|| panic!("no {what:?} line:\n{transcript}"))
    };
    let grace = at("Deadline") - at("Stop signal");
    assert!(
        (0.49..1.5).contains(&grace),
        "the deadline came {grace:.3} s after the signal:\n{transcript}"
    );
    // The timeline marks both moments, where the log says they came.
    let marks = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("^: "))
        .unwrap_or_else(|| {
            panic!("no marks under the timeline:\n{transcript}")
        });
    let mark = |name: &str| -> f64 {
        marks
            .split(", ")
            .find_map(|m| m.strip_suffix(&format!(" s {name}")))
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| {
                panic!("no {name:?} in {marks:?}:\n{transcript}")
            })
    };
    let (stop, deadline) = (mark("stop signal"), mark("deadline"));
    assert!(
        (stop - at("Stop signal")).abs() < 0.05,
        "the stop is marked at {stop:.3} s:\n{transcript}"
    );
    assert!(
        (deadline - at("Deadline")).abs() < 0.05,
        "the deadline is marked at {deadline:.3} s, where the log says it came:\n{transcript}"
    );
}

#[test]
fn without_a_stop_every_job_runs_to_the_end() {
    for mode in ["tracker", "join-set"] {
        let server = TestServer::start();
        let args = [
            "--mode",
            mode,
            "--requests",
            "5",
            "--every-ms",
            "40",
            "--delay-ms",
            "100",
            "--slow-ms",
            "150",
            "--stop-after-ms",
            "0",
            "--no-timeline",
        ];
        let r = run(BIN, &args, &[(SERVER_URL_ENV, server.url())], DEADLINE);
        let transcript = r.transcript();
        assert_eq!(r.code, Some(0), "{mode}:\n{transcript}");
        let seen = settled(&server);
        assert_eq!(seen.len(), 5, "{mode}:\n{transcript}");
        assert!(
            seen.iter().all(|s| s.ended.is_some()),
            "{mode}: every answer was read in full:\n{transcript}"
        );
        assert!(
            r.stdout
                .contains("Finished 5 (0 after the stop), cancelled 0")
                && r.stdout.contains("Every job ran before any stop signal"),
            "{mode}:\n{transcript}"
        );
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    faults::bad_flags(BIN);
    for bad in [
        &["--every-ms", "0"][..],
        &["--grace-ms", "-1"],
        &["--mode", "fast"],
    ] {
        let r = run(BIN, bad, &[], DEADLINE);
        assert_eq!(r.code, Some(2), "{bad:?}\n{}", r.transcript());
    }
}

const SHORT: &[&str] = &["--requests", "3", "--every-ms", "10"];

#[test]
fn an_unreachable_server_is_one_line() {
    faults::unreachable_server(BIN, SHORT);
}

#[test]
fn failed_jobs_are_one_line() {
    faults::http_500(BIN, SHORT);
    faults::timeout(BIN, SHORT);
}

/// Runs `BIN args` against `server`, sends SIGINT once `requests` requests
/// have reached it (and again `again` later), and waits for the end.
/// Returns the run and when the signal went.
#[cfg(unix)]
fn interrupt_after(
    server: &TestServer,
    args: &[&str],
    requests: usize,
    again: Option<Duration>,
) -> (Run, Instant) {
    let signals = faults::Signals {
        after_requests: requests,
        again_after: again,
        first: "INT",
    };
    let ended = faults::interrupt_with(BIN, args, server, signals);
    (ended.run, ended.signalled)
}
