//! Running `cargo test -p <exercise>` and reading what it says: which
//! checks passed, the diagnosis of each failure, the compiler's error.

use crate::exercises::Exercise;
use crate::shared::NOT_STARTED;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One `cargo test -p` run.
#[derive(Debug)]
pub struct TestRun {
    pub success: bool,
    pub output: String,
    pub took: Duration,
}

pub fn cargo_test(root: &Path, package: &str) -> TestRun {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
    let started = Instant::now();
    let out = Command::new(cargo)
        .current_dir(root)
        .args([
            "test", "-p", package, "--color", "never", "--", "--color", "never",
        ])
        .env("CARGO_TERM_COLOR", "never")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output();
    let took = started.elapsed();
    match out {
        Ok(out) => TestRun {
            success: out.status.success(),
            output: format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            ),
            took,
        },
        Err(e) => TestRun {
            success: false,
            output: format!("error: cannot run cargo: {e}"),
            took,
        },
    }
}

/// What the output of `cargo test` says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Every test that ran, with whether it passed, in output order.
    pub results: Vec<(String, bool)>,
    /// Each failed test with the message it panicked with.
    pub failures: Vec<(String, String)>,
    /// The first compiler error, if the crate did not compile.
    pub compile_error: Option<String>,
    /// The first line of another cargo error (no such package, ...).
    pub other_error: Option<String>,
}

/// Reads the test names, results and failure messages out of `cargo test`
/// output (the human format of libtest).
pub fn parse(output: &str) -> Parsed {
    let lines: Vec<&str> = output.lines().collect();
    let mut parsed = Parsed::default();
    for line in &lines {
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some(name) = rest.strip_suffix(" ... ok") {
                parsed.results.push((name.to_string(), true));
            } else if let Some(name) = rest.strip_suffix(" ... FAILED") {
                parsed.results.push((name.to_string(), false));
            }
        }
    }
    let mut i = 0;
    while i < lines.len() {
        let Some(name) = lines[i]
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        else {
            i += 1;
            continue;
        };
        // The section runs to the next section or to the list of failures.
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].starts_with("---- ") || lines[j] == "failures:")
            .unwrap_or(lines.len());
        let section = &lines[i + 1..end];
        parsed
            .failures
            .push((name.to_string(), panic_message(name, section)));
        i = end;
    }
    if output.contains("error: could not compile") {
        parsed.compile_error = Some(first_compile_error(&lines));
    } else if parsed.results.is_empty() {
        parsed.other_error = lines
            .iter()
            .find(|l| l.starts_with("error"))
            .map(|l| l.to_string());
    }
    parsed
}

/// The message of the test thread's panic in a failure section: the lines
/// after `thread 'name' panicked at file:line:col:` up to the note.
fn panic_message(name: &str, section: &[&str]) -> String {
    let is_panic = |l: &str| l.starts_with("thread '") && l.contains(" panicked at ");
    let own = section
        .iter()
        .position(|l| is_panic(l) && l.starts_with(&format!("thread '{name}'")));
    let start = own.or_else(|| section.iter().rposition(|l| is_panic(l)));
    let Some(start) = start else {
        return String::from("(the test failed without a message)");
    };
    let mut message = Vec::new();
    for line in &section[start + 1..] {
        if line.starts_with("note: run with `RUST_BACKTRACE")
            || line.starts_with("stack backtrace:")
            || (line.is_empty() && !message.is_empty())
            || is_panic(line)
        {
            break;
        }
        message.push(*line);
    }
    let text = message.join("\n").trim().to_string();
    if text.is_empty() {
        // A panic message on the same line (older formats).
        section[start]
            .split_once(" panicked at ")
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default()
    } else {
        text
    }
}

fn first_compile_error(lines: &[&str]) -> String {
    let Some(at) = lines.iter().position(|l| {
        l.starts_with("error[") || (l.starts_with("error: ") && !l.contains("could not compile"))
    }) else {
        return String::from("it does not compile");
    };
    let mut text = lines[at].to_string();
    if let Some(place) = lines[at + 1..]
        .iter()
        .take(3)
        .find_map(|l| l.trim_start().strip_prefix("--> "))
    {
        text.push_str(&format!(" (at {place})"));
    }
    text
}

/// Where an exercise stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Done,
    NotStarted,
    /// A check fails: its name and diagnosis.
    Failing {
        check: String,
        diagnosis: String,
    },
    /// It does not compile, or cargo could not run it.
    Broken(String),
}

/// The status of `exercise` from its test run; `pristine` says the starter
/// is untouched (as far as git knows).
pub fn status(exercise: &Exercise, run: &TestRun, pristine: bool) -> Status {
    if run.success {
        return Status::Done;
    }
    let parsed = parse(&run.output);
    if let Some(error) = parsed.compile_error {
        return Status::Broken(format!("does not compile: {error}"));
    }
    if parsed.failures.is_empty() {
        let why = parsed
            .other_error
            .unwrap_or_else(|| String::from("cargo test failed without a test failure"));
        return Status::Broken(why);
    }
    let none_passed = !parsed.results.iter().any(|(_, ok)| *ok);
    let all_todo = parsed.failures.iter().all(|(_, m)| m.contains(NOT_STARTED));
    if pristine || (all_todo && none_passed) {
        return Status::NotStarted;
    }
    let (check, diagnosis) = failures_in_order(exercise, &parsed)
        .into_iter()
        .next()
        .expect("failures is not empty");
    Status::Failing { check, diagnosis }
}

/// The failed checks with their diagnoses, in teaching order.
pub fn failures_in_order(exercise: &Exercise, parsed: &Parsed) -> Vec<(String, String)> {
    let rank = |name: &str| {
        exercise
            .checks
            .iter()
            .position(|c| *c == name)
            .unwrap_or(usize::MAX)
    };
    let mut failures = parsed.failures.clone();
    failures.sort_by_key(|(name, _)| rank(name));
    failures
}

/// Whether git says the exercise's sources are exactly as committed. False
/// when git is missing, the folder is not tracked, or anything differs.
pub fn pristine(root: &Path, exercise: &Exercise) -> bool {
    let dir = format!("exercises/{}/src", exercise.dir);
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(root)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let lib = format!("{dir}/lib.rs");
    git(&["ls-files", "--error-unmatch", &lib]) && git(&["diff", "--quiet", "HEAD", "--", &dir])
}

/// The compiler's whole first error, as `cargo test` prints it (the
/// `error...` line, its source excerpt and notes, up to the blank line that
/// ends it), at most `max_lines` lines.
pub fn compiler_message(output: &str, max_lines: usize) -> Option<String> {
    let lines: Vec<&str> = output.lines().collect();
    let at = lines.iter().position(|l| {
        l.starts_with("error[") || (l.starts_with("error: ") && !l.contains("could not compile"))
    })?;
    let block: Vec<&str> = lines[at..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .copied()
        .collect();
    let mut text = block
        .iter()
        .take(max_lines)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if block.len() > max_lines {
        text.push_str("\n...");
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: &str = "\
   Compiling ex06-concurrent v0.1.0
    Finished `test` profile
     Running tests/check.rs (target/debug/deps/check-1234)

running 3 tests
test reports_a_failed_request ... ok
test returns_the_bodies_in_order ... ok
test requests_run_concurrently ... FAILED

failures:

---- requests_run_concurrently stdout ----

thread 'requests_run_concurrently' (4242) panicked at exercises/06-concurrent/tests/check.rs:1:1:
10 requests of 200 ms took 2.0 s and never overlapped: they ran one after another.
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    requests_run_concurrently

test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 2.31s
";

    fn exercise() -> Exercise {
        crate::EXERCISES[5]
    }

    fn run(success: bool, output: &str) -> TestRun {
        TestRun {
            success,
            output: output.to_string(),
            took: Duration::ZERO,
        }
    }

    #[test]
    fn reads_results_and_the_panic_message() {
        let parsed = parse(FAILED);
        assert_eq!(parsed.results.len(), 3);
        assert_eq!(
            parsed.failures,
            vec![(
                String::from("requests_run_concurrently"),
                String::from(
                    "10 requests of 200 ms took 2.0 s and never overlapped: they ran one after another."
                )
            )]
        );
        assert_eq!(parsed.compile_error, None);
        assert_eq!(
            status(&exercise(), &run(false, FAILED), false),
            Status::Failing {
                check: String::from("requests_run_concurrently"),
                diagnosis: String::from(
                    "10 requests of 200 ms took 2.0 s and never overlapped: they ran one after another."
                )
            }
        );
        // An untouched starter that ships with the mistake is "not started".
        assert_eq!(
            status(&exercise(), &run(false, FAILED), true),
            Status::NotStarted
        );
    }

    #[test]
    fn todo_everywhere_is_not_started() {
        let out = FAILED
            .replace("test reports_a_failed_request ... ok", "test reports_a_failed_request ... FAILED")
            .replace("test returns_the_bodies_in_order ... ok", "test returns_the_bodies_in_order ... FAILED")
            .replace(
                "10 requests of 200 ms took 2.0 s and never overlapped: they ran one after another.",
                &format!("`fetch_all` {NOT_STARTED}: replace it"),
            );
        assert_eq!(
            status(&exercise(), &run(false, &out), false),
            Status::NotStarted
        );
    }

    #[test]
    fn the_whole_compiler_error_is_kept_for_the_watch_mode() {
        let out = "   Compiling ex06\nerror[E0308]: mismatched types\n  --> src/lib.rs:3:5\n   |\n3  |     1\n   |     ^ expected `String`\n\nerror: could not compile `ex06`\n";
        let message = compiler_message(out, 20).expect("an error is found");
        assert!(message.starts_with("error[E0308]"), "{message}");
        assert!(message.contains("expected `String`"), "{message}");
        assert!(!message.contains("could not compile"), "{message}");
        assert_eq!(
            compiler_message(out, 2).unwrap(),
            "error[E0308]: mismatched types\n  --> src/lib.rs:3:5\n..."
        );
        assert_eq!(compiler_message("test a ... ok", 5), None);
    }

    #[test]
    fn a_compile_error_is_named() {
        let out = "\
   Compiling ex06-concurrent v0.1.0
error[E0308]: mismatched types
  --> exercises/06-concurrent/src/lib.rs:30:5
   |
error: could not compile `ex06-concurrent` (lib) due to 1 previous error
";
        assert_eq!(
            status(&exercise(), &run(false, out), false),
            Status::Broken(String::from(
                "does not compile: error[E0308]: mismatched types (at exercises/06-concurrent/src/lib.rs:30:5)"
            ))
        );
    }

    #[test]
    fn the_first_failure_in_teaching_order_is_chosen() {
        let out = format!(
            "{FAILED}\n---- returns_the_bodies_in_order stdout ----\n\nthread 'returns_the_bodies_in_order' panicked at x.rs:1:1:\nwrong order\n\nfailures:\n"
        );
        match status(&exercise(), &run(false, &out), false) {
            Status::Failing { check, .. } => assert_eq!(check, "returns_the_bodies_in_order"),
            other => panic!("{other:?}"),
        }
    }
}
