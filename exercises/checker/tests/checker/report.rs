//! What a learner sees when a check fails: the diagnosis, and nothing else.

use checker::ex04::{self, Work};
use std::process::Command;

/// A check that fails, for the test below to run in a process of its own.
#[test]
#[ignore = "run by a_failed_check_prints_no_backtrace, in a child process"]
fn a_failing_check_for_the_report() {
    checker::expect(ex04::returns_what_the_work_returns(async |_: Work| 42));
}

#[test]
fn a_failed_check_prints_no_backtrace() {
    // This very test binary, asked to run the failing check above, with
    // the backtraces a learner's shell may ask for.
    let out = Command::new(std::env::current_exe().expect("the test binary has a path"))
        .args([
            "--ignored",
            "--exact",
            "report::a_failing_check_for_the_report",
        ])
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the test binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the check must fail:\n{text}");
    assert!(
        text.contains("panicked at") && text.contains("without ever calling the work"),
        "the failure shows the diagnosis, as a panic message the progress view reads:\n{text}"
    );
    assert!(
        !text.contains("stack backtrace"),
        "no backtrace under the diagnosis, even with RUST_BACKTRACE=1:\n{text}"
    );
}
