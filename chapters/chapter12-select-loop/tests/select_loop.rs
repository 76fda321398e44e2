//! Chapter 12's claims, by mechanism:
//!
//! - a request written inside `select!` in a loop is made anew on every
//!   turn: the server sees many requests for one, and none is answered;
//! - pinned once and polled through `&mut`, it is one request, answered;
//! - a branch that takes an item and then awaits something else loses the
//!   item when another branch wins: fewer items arrive than were sent;
//!   with `recv()` as the branch, every item arrives;
//! - `read_exact` cancelled between a frame's length and its bytes puts
//!   the reader out of step; `read` into a buffer of the loop does not;
//! - without `, if`, a closed channel's branch is polled on every turn
//!   after it closed; with it, once; `else` ends both loops, nothing lost;
//! - bad flags get one line and exit code 2.

use course::testing::{Run, TestServer, run};
use mock_server::SERVER_URL_ENV;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter12");
const DEADLINE: Duration = Duration::from_secs(30);

/// Runs one mode against a test server, with a delay of 100 ms (a
/// message every 25 ms, giving up after 400 ms).
fn request_loop(mode: &str) -> (Run, Vec<mock_server::RequestRecord>) {
    let server = TestServer::start();
    let r = run(
        BIN,
        &["--mode", mode, "--delay-ms", "100"],
        &[(SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    assert_eq!(r.code, Some(0), "{}", r.transcript());
    // The last request's end (or abandonment) is noted just after the
    // program saw it: give the server a moment.
    std::thread::sleep(Duration::from_millis(100));
    let path = format!("/delay/100/url/{mode}");
    let seen = server
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect();
    (r, seen)
}

/// "15 requests made": how many request futures the loop polled.
fn made(r: &Run) -> u64 {
    course::testing::log_lines(&r.stdout)
        .iter()
        .find_map(|(_, line)| {
            let (_, rest) = line.split_once(": ")?;
            let (n, _) = rest.split_once(" request")?;
            rest.contains(" made").then(|| n.parse().ok())?
        })
        .unwrap_or_else(|| {
            panic!("no count of requests made:\n{}", r.transcript())
        })
}

#[test]
fn a_request_made_inside_select_restarts_on_every_turn() {
    let (r, seen) = request_loop("restarted");
    let transcript = r.transcript();
    // A message every 25 ms for 400 ms: about 16 turns, each making a new
    // request. The server sees those that got as far as being sent (on a
    // loaded machine, connecting may take longer than a turn), never more.
    let made = made(&r);
    assert!(made >= 4, "a new request every turn:\n{transcript}");
    assert!(
        !seen.is_empty() && seen.len() as u64 <= made,
        "the server saw {} of {made} requests:\n{transcript}",
        seen.len()
    );
    assert!(
        seen.iter().all(|s| s.ended.is_none()),
        "no restarted request lives long enough to be answered:\n{transcript}"
    );
    assert!(r.stdout.contains("never answered"), "{transcript}");
}

#[test]
fn a_pinned_request_is_sent_once_and_answered() {
    let (r, seen) = request_loop("pinned");
    let transcript = r.transcript();
    assert_eq!(made(&r), 1, "one request made:\n{transcript}");
    assert_eq!(seen.len(), 1, "one request for one:\n{transcript}");
    assert!(seen[0].ended.is_some(), "it was answered:\n{transcript}");
    assert!(r.stdout.contains("answered after"), "{transcript}");
}

/// The relay's figures from its log line: "lossy: 200 sent, 170
/// received, 30 lost, ...".
/// "unguarded: 13 of 13 items, quick.recv() gave None 11 times": the
/// items received and sent, and the Nones.
fn merged(stdout: &str, name: &str) -> (u64, u64, u64) {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name:?} line:\n{stdout}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [got, sent, nones] => (got, sent, nones),
        _ => panic!("{line:?}"),
    }
}

#[test]
fn a_precondition_stops_polling_a_closed_branch_and_else_ends_the_loop() {
    let r = run(BIN, &["--mode", "preconditions"], &[], DEADLINE);
    let t = r.transcript();
    assert_eq!(r.code, Some(0), "{t}");
    let (got, sent, unguarded) = merged(&r.stdout, "unguarded");
    assert_eq!(got, sent, "the unguarded merge lost nothing\n{t}");
    // The quick channel closes after 3 of 13 items: each later turn of the
    // loop (one per item of the slow channel, and the last) polls it again.
    assert!(
        unguarded >= 8,
        "the closed channel was polled on every later turn, not {unguarded}\n{t}"
    );
    let (got, sent, guarded) = merged(&r.stdout, "guarded");
    assert_eq!(got, sent, "the guarded merge lost nothing\n{t}");
    assert_eq!(
        guarded, 1,
        "polled once: the turn that found it closed\n{t}"
    );
}

fn relayed(mode: &str) -> (u64, u64, u64, String) {
    let r = run(BIN, &["--mode", mode, "--items", "200"], &[], DEADLINE);
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    let line = course::testing::log_lines(&r.stdout)
        .into_iter()
        .map(|(_, line)| line)
        .find(|line| line.contains(" sent, "))
        .unwrap_or_else(|| panic!("no figures:\n{transcript}"));
    let figure = |after: &str| {
        course::testing::number_after(&line, after)
            .unwrap_or_else(|| panic!("no figure after {after:?}: {line}"))
            as u64
    };
    let sent = figure(&format!("{mode}:"));
    let received = figure("sent,");
    let lost = figure("received,");
    (sent, received, lost, transcript)
}

#[test]
fn a_branch_that_is_not_cancel_safe_loses_items_and_recv_loses_none() {
    let (sent, received, lost, transcript) = relayed("lossy");
    assert_eq!(sent, 200, "{transcript}");
    assert!(
        lost > 0 && received + lost == sent,
        "ticks every 5 ms cancel forward_one while it waits to send:\n\
         {transcript}"
    );
    let (sent, received, lost, transcript) = relayed("fixed");
    assert_eq!(
        (sent, received, lost),
        (200, 200, 0),
        "recv() as the branch loses nothing:\n{transcript}"
    );
}

#[test]
fn read_exact_cancelled_mid_frame_puts_the_reader_out_of_step() {
    let r = run(BIN, &["--mode", "frames"], &[], DEADLINE);
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    let lines: Vec<String> = course::testing::log_lines(&r.stdout)
        .into_iter()
        .map(|(_, line)| line)
        .collect();
    assert!(
        lines.iter().any(|l| l.starts_with("read_exact: ")
            && l.contains("of 20 read, then length")
            && l.ends_with("out of step")),
        "a tick between a frame's length and its bytes drops the length:\n\
         {transcript}"
    );
    assert!(
        lines.iter().any(|l| l == "read: 20 of 20 frames read"),
        "read() into the loop's buffer loses nothing:\n{transcript}"
    );
}

#[test]
fn bad_flags_get_one_line_and_exit_code_2() {
    course::testing::faults::bad_values(
        BIN,
        &[
            ("--items", "0"),
            ("--delay-ms", "-5"),
            ("--mode", "sideways"),
        ],
    );
}

#[test]
fn an_unreachable_server_gets_one_line() {
    course::testing::faults::unreachable_server(BIN, &["--mode", "pinned"]);
}

#[test]
fn an_error_status_ends_the_loop_with_one_line() {
    let server = course::testing::StatusServer::start(500);
    let r = run(
        BIN,
        &["--mode", "pinned", "--delay-ms", "50"],
        &[(SERVER_URL_ENV, &server.url())],
        DEADLINE,
    );
    let line = course::testing::faults::assert_one_line_error(&r);
    assert!(line.contains("500"), "name the status:\n{}", r.transcript());
}
