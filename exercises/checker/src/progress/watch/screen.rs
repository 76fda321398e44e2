//! What the watch mode shows: the verdict of one check of one exercise,
//! laid out on a cleared 80-column screen (a header, the diagnosis as
//! `cargo test` prints it, the hint on request).

use super::super::run::{Parsed, TestRun, compiler_message, failures_in_order, parse};
use super::super::text::{read_brief, wrap};
use crate::exercises::{EXERCISES, Exercise};
use crate::shared::NOT_STARTED;
use std::io::Write;
use std::path::Path;

/// Width of the screen the watch mode is laid out for.
pub(super) const WIDTH: usize = 80;

/// What one check of one exercise showed.
pub(super) enum Verdict {
    Passed,
    /// Every failure is the starter's `todo!()`.
    NotStarted,
    /// The failed checks in teaching order, with their diagnoses.
    Failing(Vec<(String, String)>),
    /// The compiler's message, or cargo's.
    Broken(String),
}

pub(super) fn verdict(exercise: &Exercise, run: &TestRun) -> Verdict {
    if run.success {
        return Verdict::Passed;
    }
    let parsed: Parsed = parse(&run.output);
    if parsed.compile_error.is_some() {
        let message = compiler_message(&run.output, 14)
            .unwrap_or_else(|| String::from("it does not compile"));
        return Verdict::Broken(message);
    }
    if parsed.failures.is_empty() {
        return Verdict::Broken(
            parsed
                .other_error
                .unwrap_or_else(|| String::from("cargo test failed without a test failure")),
        );
    }
    let failures = failures_in_order(exercise, &parsed);
    if failures.iter().all(|(_, m)| m.contains(NOT_STARTED)) {
        Verdict::NotStarted
    } else {
        Verdict::Failing(failures)
    }
}

pub(super) fn header(exercise: &Exercise, index: usize, notice: &str) -> String {
    let mut out = String::new();
    if !notice.is_empty() {
        out.push_str(notice);
        out.push('\n');
    }
    out.push_str(&format!(
        "Exercise {} of {}: {}\nexercises/{}/src/lib.rs\n{}",
        index + 1,
        EXERCISES.len(),
        exercise.title,
        exercise.dir,
        "─".repeat(WIDTH)
    ));
    out
}

pub(super) fn body(root: &Path, exercise: &Exercise, verdict: &Verdict, show_hint: bool) -> String {
    let mut out = String::new();
    match verdict {
        Verdict::Passed => out.push_str(&format!(
            "✔ {} passes every check. That was the last exercise: \
             `cargo progress` shows which are left, if any.\n",
            exercise.dir
        )),
        Verdict::NotStarted => out.push_str(&format!(
            "- Not started: replace the `todo!()` in exercises/{}/src/lib.rs\n  \
             (its brief, at the top of the file, says what to build).\n",
            exercise.dir
        )),
        Verdict::Failing(failures) => {
            let (check, diagnosis) = &failures[0];
            out.push_str(&format!("✘ {check}\n\n"));
            out.push_str(&fit(diagnosis));
            if failures.len() > 1 {
                let others: Vec<&str> = failures[1..].iter().map(|(n, _)| n.as_str()).collect();
                out.push('\n');
                out.push_str(&wrap(
                    &format!("Also failing: {}", others.join(", ")),
                    "",
                    WIDTH,
                ));
            }
        }
        Verdict::Broken(message) => {
            out.push_str("✘ It does not compile:\n\n");
            out.push_str(&fit(message));
            out.push_str(&format!(
                "\n(`cargo test -p {}` shows every error.)\n",
                exercise.package
            ));
        }
    }
    if show_hint {
        let hint = read_brief(root, exercise).hint;
        out.push('\n');
        if hint.is_empty() {
            out.push_str("This exercise's brief has no hint.\n");
        } else {
            out.push_str(&wrap(&format!("Hint: {hint}"), "", WIDTH));
        }
    }
    out.push_str(&format!("{}\n", "─".repeat(WIDTH)));
    out.push_str(if show_hint {
        "save: check again, h: hide the hint, n: next exercise, q: quit"
    } else {
        "save: check again, h: hint, n: next exercise, q: quit"
    });
    out
}

/// `text` as printed, each line kept whole unless wider than the screen.
pub(super) fn fit(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.chars().count() <= WIDTH {
            out.push_str(line);
            out.push('\n');
        } else {
            out.push_str(&wrap(line, "", WIDTH));
        }
    }
    out
}

pub(super) fn screen(header: &str, body: &str) {
    // Clear the screen and the scrollback, cursor to the top left.
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\x1b[2J\x1b[3J\x1b[H{header}\n{body}\n");
    let _ = out.flush();
}
