//! Chapter 2, black-box: the log proves that a future runs only when
//! awaited, and that a spawned task runs without being awaited.

use course::testing::{log_lines, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter2");
const DEADLINE: Duration = Duration::from_secs(20);

#[test]
fn a_future_runs_when_awaited_and_a_task_when_spawned() {
    let run = run(BIN, &[], &[], DEADLINE);
    let t = run.transcript();
    assert_eq!(run.code, Some(0), "{t}");
    let lines = log_lines(&run.stdout);
    let find = |text: &str| {
        lines
            .iter()
            .position(|(_, m)| m.starts_with(text))
            .unwrap_or_else(|| panic!("no log line {text:?}\n{t}"))
    };

    // Lazy: the future's own line comes after "now awaiting", and the
    // half-second wait lies between its creation and its run.
    let created = find("future created");
    let awaiting = find("now awaiting the future");
    let ran = find("the awaited future runs now");
    assert!(created < awaiting && awaiting < ran, "{t}");
    assert!(lines[ran].0 - lines[created].0 >= 0.45, "{t}");

    // Spawned: the task ran during the wait, well before its handle was
    // awaited.
    let spawned = find("task spawned");
    let task_ran = find("the spawned task runs now");
    let handle = find("now awaiting the handle");
    assert!(spawned < task_ran && task_ran < handle, "{t}");
    assert!(lines[handle].0 - lines[task_ran].0 >= 0.3, "{t}");

    // Return types, async blocks and erratum #4 all produced their values.
    assert!(run.stdout.contains("= 42"), "{t}");
    assert!(run.stdout.contains("the async block parsed 42"), "{t}");
    assert!(
        run.stdout
            .contains(r#"future::ok gave "ready" and "ready""#),
        "{t}"
    );
    assert!(run.stdout.contains("futures are lazy"), "{t}");
}

#[test]
fn help_works_and_bad_flags_are_usage_errors() {
    let help = run(BIN, &["--help"], &[], DEADLINE);
    assert_eq!(help.code, Some(0), "{}", help.transcript());
    let bad = run(BIN, &["--bogus"], &[], DEADLINE);
    assert_eq!(bad.code, Some(2), "{}", bad.transcript());
    assert!(!bad.stderr.contains("panicked"), "{}", bad.transcript());
}
