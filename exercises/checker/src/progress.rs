//! `cargo run -q -p checker`: where the learner stands.
//!
//! Runs `cargo test -p <exercise>` for each exercise in course order, each
//! on its own (a compile error in one does not hide the others), and prints
//! one line per exercise (✔ done, ✘ failing, or not started), then "N of M
//! done", then the next exercise to do: its first failing check with the
//! checker's diagnosis, and the hint from its brief.
//!
//! `--verify` is the CI mode: every solution passes its checks, and every
//! untouched starter compiles and fails them, with the diagnosis it is
//! meant to show; any violation is listed and the exit code is 1.

use crate::{EXERCISES, Exercise, NOT_STARTED};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The entry point of the `progress` binary.
pub fn main(args: &[String]) -> ExitCode {
    let root = workspace_root();
    match args.first().map(String::as_str) {
        None => show_progress(&root),
        Some("--verify") if args.len() == 1 => verify(&root),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unexpected argument {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "\
usage: cargo run -q -p checker [-- --verify]

  (no flag)   check every exercise under exercises/ and show your progress
  --verify    CI: every solution passes and every untouched starter fails";

fn workspace_root() -> PathBuf {
    // exercises/checker -> the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the checker lives two folders below the workspace root")
        .to_path_buf()
}

/// One `cargo test -p` run.
#[derive(Debug)]
pub struct TestRun {
    pub success: bool,
    pub output: String,
    pub took: Duration,
}

fn cargo_test(root: &Path, package: &str) -> TestRun {
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
    // The first failure in teaching order.
    let rank = |name: &str| {
        exercise
            .checks
            .iter()
            .position(|c| *c == name)
            .unwrap_or(usize::MAX)
    };
    let (check, diagnosis) = parsed
        .failures
        .iter()
        .min_by_key(|(name, _)| rank(name))
        .cloned()
        .expect("failures is not empty");
    Status::Failing { check, diagnosis }
}

/// Whether git says the exercise's sources are exactly as committed. False
/// when git is missing, the folder is not tracked, or anything differs.
fn pristine(root: &Path, exercise: &Exercise) -> bool {
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

/// The brief's title and hint, from the `//!` lines that open `src/lib.rs`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Brief {
    pub title: String,
    pub hint: String,
}

/// Reads the title (`# Exercise N: title`) and the `**Hint:**` paragraph.
pub fn brief(source: &str) -> Brief {
    let docs: Vec<&str> = source
        .lines()
        .map_while(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    let title = docs
        .iter()
        .find_map(|l| l.strip_prefix("# "))
        .map(|t| match t.split_once(": ") {
            Some((_, rest)) => rest.to_string(),
            None => t.to_string(),
        })
        .unwrap_or_default();
    let mut hint = Vec::new();
    let mut inside = false;
    for line in &docs {
        if let Some(rest) = line.strip_prefix("**Hint:**") {
            inside = true;
            hint.push(rest.trim());
        } else if inside && line.trim().is_empty() {
            break;
        } else if inside {
            hint.push(line.trim());
        }
    }
    Brief {
        title,
        hint: hint.join(" ").trim().to_string(),
    }
}

/// Wraps `text` to `width` columns, each line indented by `indent`.
fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && indent.len() + line.len() + 1 + word.chars().count() > width {
                out.push_str(indent);
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `[██████░░░░░░░░]`: `done` of `total`, `width` cells wide.
fn bar(done: usize, total: usize, width: usize) -> String {
    let full = (done * width).checked_div(total).unwrap_or(0);
    format!("[{}{}]", "█".repeat(full), "░".repeat(width - full))
}

/// "first sentence, cut to `max` characters…"
fn shorten(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or_default();
    if first.chars().count() <= max {
        first.to_string()
    } else {
        let cut: String = first.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

fn read_brief(root: &Path, exercise: &Exercise) -> Brief {
    let path = root.join("exercises").join(exercise.dir).join("src/lib.rs");
    std::fs::read_to_string(path)
        .map(|s| brief(&s))
        .unwrap_or_default()
}

fn show_progress(root: &Path) -> ExitCode {
    let total = EXERCISES.len();
    println!("Checking {total} exercises, each with `cargo test -p <exercise>` ...\n");
    let name_width = EXERCISES.iter().map(|e| e.dir.len()).max().unwrap_or(0);
    let mut done = 0;
    let mut next: Option<(&Exercise, Status)> = None;
    for exercise in EXERCISES {
        let run = cargo_test(root, exercise.package);
        let status = status(exercise, &run, pristine(root, exercise));
        let (dir, title) = (exercise.dir, exercise.title);
        match &status {
            Status::Done => {
                done += 1;
                println!("  ✔ {dir:name_width$}  {title}");
            }
            Status::NotStarted => println!("  · {dir:name_width$}  {title} (not started)"),
            Status::Failing { diagnosis, .. } => {
                println!("  ✘ {dir:name_width$}  {title}");
                println!("    {:name_width$}  {}", "", shorten(diagnosis, 72));
            }
            Status::Broken(why) => {
                println!("  ✘ {dir:name_width$}  {title}");
                println!("    {:name_width$}  {}", "", shorten(why, 72));
            }
        }
        if next.is_none() && status != Status::Done {
            next = Some((exercise, status));
        }
    }
    println!("\n{done} of {total} done  {}", bar(done, total, 30));
    let Some((exercise, status)) = next else {
        println!("Every exercise passes its checks. Well done!");
        return ExitCode::SUCCESS;
    };
    let brief = read_brief(root, exercise);
    println!(
        "\nNext: {} ({}), in exercises/{}/src/lib.rs",
        exercise.dir, exercise.title, exercise.dir
    );
    match &status {
        Status::Failing { check, diagnosis } => {
            println!("\n  ✘ {check}");
            print!("{}", wrap(diagnosis, "    ", 80));
        }
        Status::Broken(why) => {
            println!("\n  ✘ {why}");
            println!(
                "    `cargo test -p {}` shows the compiler's whole message.",
                exercise.package
            );
        }
        Status::NotStarted | Status::Done => {}
    }
    if !brief.hint.is_empty() {
        println!();
        print!("{}", wrap(&format!("Hint: {}", brief.hint), "  ", 80));
    }
    println!(
        "\nCheck it alone with `cargo test -p {}`; the solution is in solutions/{}.",
        exercise.package, exercise.dir
    );
    ExitCode::FAILURE
}

/// The macro a `tests/check.rs` calls (`check_ex06`), if it is one line.
fn check_macro(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let code: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect();
    match code.as_slice() {
        [line] => line
            .strip_prefix("checker::")
            .and_then(|l| l.split_once('!'))
            .map(|(mac, _)| mac.to_string())
            .ok_or_else(|| format!("its line is not a `checker::check_...!` call: {line}")),
        _ => Err(format!(
            "it holds {} lines of code; it must be one `checker::check_...!(crate);` line",
            code.len()
        )),
    }
}

fn verify(root: &Path) -> ExitCode {
    let started = Instant::now();
    let mut problems: Vec<String> = Vec::new();

    // Every exercise folder is registered, and the other way round.
    let on_disk = |base: &str| -> Vec<String> {
        std::fs::read_dir(root.join(base))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().join("Cargo.toml").is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.as_bytes().first().is_some_and(u8::is_ascii_digit))
                    .collect()
            })
            .unwrap_or_default()
    };
    for base in ["exercises", "solutions"] {
        for dir in on_disk(base) {
            if !EXERCISES.iter().any(|e| e.dir == dir) {
                problems.push(format!(
                    "{base}/{dir} is not in checker::EXERCISES: register it"
                ));
            }
        }
    }

    // Build everything at once first: cargo compiles the crates in parallel.
    // A starter that does not compile fails this; the runs below say which.
    let mut packages: Vec<String> = Vec::new();
    for e in EXERCISES {
        packages.push(e.solution_package());
        packages.push(e.package.to_string());
    }
    println!("Building {} packages ...", packages.len());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
    let mut build = Command::new(cargo);
    build
        .current_dir(root)
        .args(["test", "--no-run", "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for p in &packages {
        build.args(["-p", p]);
    }
    let _ = build.status();

    for exercise in EXERCISES {
        let dir = exercise.dir;
        let mut line_problems = Vec::new();
        let starter_test = root.join("exercises").join(dir).join("tests/check.rs");
        let solution_test = root.join("solutions").join(dir).join("tests/check.rs");
        match (check_macro(&starter_test), check_macro(&solution_test)) {
            (Ok(a), Ok(b)) if a == b => {}
            (Ok(a), Ok(b)) => line_problems.push(format!(
                "exercises/{dir} calls checker::{a}! but solutions/{dir} calls checker::{b}!"
            )),
            (Err(e), _) => line_problems.push(format!("exercises/{dir}/tests/check.rs: {e}")),
            (_, Err(e)) => line_problems.push(format!("solutions/{dir}/tests/check.rs: {e}")),
        }

        let title = read_brief(root, exercise).title;
        if title != exercise.title {
            line_problems.push(format!(
                "the brief of exercises/{dir} is titled {title:?}, but EXERCISES says {:?}",
                exercise.title
            ));
        }

        let expected: Vec<&str> = exercise.checks.to_vec();
        let names = |parsed: &Parsed| {
            let mut n: Vec<String> = parsed.results.iter().map(|(n, _)| n.clone()).collect();
            n.sort();
            n
        };
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();

        let solution = cargo_test(root, &exercise.solution_package());
        let parsed = parse(&solution.output);
        if !solution.success {
            let why = match status(exercise, &solution, false) {
                Status::Failing { check, diagnosis } => format!("{check}: {diagnosis}"),
                Status::Broken(why) => why,
                other => format!("{other:?}"),
            };
            line_problems.push(format!(
                "the solution {} fails: {why}",
                exercise.solution_package()
            ));
        } else if names(&parsed) != want {
            line_problems.push(format!(
                "the solution ran the tests {:?}, but EXERCISES lists {:?}",
                names(&parsed),
                want
            ));
        }

        let starter = cargo_test(root, exercise.package);
        let parsed = parse(&starter.output);
        let mut starter_note = String::new();
        if starter.success {
            line_problems.push(format!(
                "the untouched starter {} PASSES its checks: a check is vacuous",
                exercise.package
            ));
        } else if let Some(error) = &parsed.compile_error {
            line_problems.push(format!(
                "the starter {} does not compile: {error}",
                exercise.package
            ));
        } else if let Some(error) = &parsed.other_error {
            line_problems.push(format!(
                "the starter {} could not run: {error}",
                exercise.package
            ));
        } else {
            if names(&parsed) != want {
                line_problems.push(format!(
                    "the starter ran the tests {:?}, but EXERCISES lists {:?}",
                    names(&parsed),
                    want
                ));
            }
            match parsed
                .failures
                .iter()
                .find(|(_, m)| m.contains(exercise.starter_fails_with))
            {
                Some((check, message)) => {
                    starter_note = format!("{check}: {}", shorten(message, 56));
                }
                None => line_problems.push(format!(
                    "the starter {} fails, but no failure says {:?}: {:?}",
                    exercise.package, exercise.starter_fails_with, parsed.failures
                )),
            }
        }

        let mark = if line_problems.is_empty() {
            "ok  "
        } else {
            "FAIL"
        };
        let solved = if solution.success { "passes" } else { "FAILS" };
        let started = if starter.success { "PASSES" } else { "fails" };
        println!(
            "  {mark} {dir:18} solution {solved} ({:.1} s), starter {started} ({:.1} s){}",
            solution.took.as_secs_f64(),
            starter.took.as_secs_f64(),
            if starter_note.is_empty() {
                String::new()
            } else {
                format!(": {starter_note}")
            }
        );
        for p in &line_problems {
            println!("       {p}");
        }
        problems.extend(line_problems);
    }

    println!("\nVerified in {:.1} s.", started.elapsed().as_secs_f64());
    if problems.is_empty() {
        println!(
            "Every solution passes and every starter fails its checks ({} exercises).",
            EXERCISES.len()
        );
        ExitCode::SUCCESS
    } else {
        eprintln!("error: {} problem(s):", problems.len());
        for p in &problems {
            eprintln!("  - {p}");
        }
        ExitCode::FAILURE
    }
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

    #[test]
    fn the_brief_gives_title_and_hint() {
        let src = "//! # Exercise 6: concurrent requests\n//!\n//! **What to build:** x\n//!\n//! **Hint:** start them all,\n//! then wait.\n//!\n//! more\n\npub fn f() {}\n";
        assert_eq!(
            brief(src),
            Brief {
                title: String::from("concurrent requests"),
                hint: String::from("start them all, then wait.")
            }
        );
    }

    #[test]
    fn the_bar_fills_with_progress() {
        assert_eq!(bar(0, 10, 10), "[░░░░░░░░░░]");
        assert_eq!(bar(3, 10, 10), "[███░░░░░░░]");
        assert_eq!(bar(10, 10, 10), "[██████████]");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        let w = wrap("aaa bbb ccc ddd", "  ", 10);
        assert_eq!(w, "  aaa bbb\n  ccc ddd\n");
    }
}
