//! `cargo progress`: where the learner stands.
//!
//! Runs `cargo test -p <exercise>` for each exercise in course order, each
//! on its own (a compile error in one does not hide the others), and prints
//! one line per exercise (✔ done, ✘ failing, or not started), then "N of M
//! done", then the exercise to work on: the one being edited (the most
//! recently saved of those changed since checkout) if it is not done, else
//! the first not done in course order, with its first failing check, the
//! checker's diagnosis, and the hint from its brief.
//!
//! `cargo progress NAME` checks one exercise; `cargo progress --watch`
//! (`cargo learn`) reruns the check of the exercise being edited on every
//! save (see `watch.rs`).
//!
//! `--verify` is the CI mode (see `verify.rs`).

mod run;
mod text;
mod verify;
mod watch;

pub use run::{Parsed, Status, TestRun, compiler_message, parse, status};
pub use text::{Brief, brief};

use crate::exercises::{EXERCISES, Exercise};
use run::{cargo_test, pristine};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;
use text::{bar, read_brief, shorten, wrap};

/// The entry point of the `progress` binary.
pub fn main(args: &[String]) -> ExitCode {
    let root = workspace_root();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => show_progress(&root),
        ["--verify"] => verify::verify(&root),
        ["--watch"] => watch::watch(&root, None),
        ["--watch", name] | [name, "--watch"] => match find(name) {
            Ok(exercise) => watch::watch(&root, Some(exercise)),
            Err(e) => usage_error(&e),
        },
        ["-h" | "--help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        [name] if !name.starts_with('-') => match find(name) {
            Ok(exercise) => check_one(&root, exercise),
            Err(e) => usage_error(&e),
        },
        [other, ..] => usage_error(&format!("unexpected argument {other:?}")),
    }
}

const USAGE: &str = "\
usage: cargo progress [NAME] [--watch] [--verify]

  (nothing)       check every exercise and show your progress
  NAME            check one exercise: 06, 06-concurrent or ex06-concurrent
  --watch [NAME]  rerun the check of the exercise you edit on every save,
                  starting from NAME or the one you edited last
                  (`cargo learn` is short for `cargo progress --watch`)
  --verify        CI: every solution passes and every untouched starter
                  fails; each builds on its own";

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

/// The exercise called `name`: its folder (`06-concurrent`), its package
/// (`ex06-concurrent`) or its number (`6`, `06`, `09-b`...).
pub fn find(name: &str) -> Result<&'static Exercise, String> {
    let name = name.trim_end_matches('/');
    let name = name.strip_prefix("exercises/").unwrap_or(name);
    if let Some(e) = EXERCISES
        .iter()
        .find(|e| e.dir == name || e.package == name)
    {
        return Ok(e);
    }
    // A number, or the start of a folder name: it must name exactly one.
    let padded = match name.parse::<u32>() {
        Ok(n) => format!("{n:02}-"),
        Err(_) => name.to_string(),
    };
    let matches: Vec<&'static Exercise> = EXERCISES
        .iter()
        .filter(|e| e.dir.starts_with(&padded))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no exercise is called {name:?}; the exercises are: {}",
            names()
        )),
        many => Err(format!(
            "{name:?} could be {}: say which",
            many.iter().map(|e| e.dir).collect::<Vec<_>>().join(" or ")
        )),
    }
}

fn names() -> String {
    EXERCISES
        .iter()
        .map(|e| e.dir)
        .collect::<Vec<_>>()
        .join(", ")
}

fn workspace_root() -> PathBuf {
    // exercises/checker -> the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the checker lives two folders below the workspace root")
        .to_path_buf()
}

/// When the learner last saved a file of the exercise (its `src/` and
/// `Cargo.toml`), if they changed it since checkout.
fn last_edit(root: &Path, exercise: &Exercise) -> Option<SystemTime> {
    if pristine(root, exercise) {
        return None;
    }
    newest_file(root, exercise)
}

/// The modification time of the newest of the exercise's `src/` files and
/// its `Cargo.toml`.
pub fn newest_file(root: &Path, exercise: &Exercise) -> Option<SystemTime> {
    let dir = root.join("exercises").join(exercise.dir);
    let mut newest = std::fs::metadata(dir.join("Cargo.toml"))
        .and_then(|m| m.modified())
        .ok();
    let mut stack = vec![dir.join("src")];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(modified) = meta.modified() {
                newest = newest.max(Some(modified));
            }
        }
    }
    newest
}

/// The exercise the learner is working on: of the `candidates` (exercises
/// not done yet), the one they saved last, if they changed any since
/// checkout; else the first in course order.
pub fn working_on<'a>(root: &Path, candidates: &[&'a Exercise]) -> Option<&'a Exercise> {
    candidates
        .iter()
        .filter_map(|e| last_edit(root, e).map(|t| (t, *e)))
        .max_by_key(|(t, _)| *t)
        .map(|(_, e)| e)
        .or_else(|| candidates.first().copied())
}

fn show_progress(root: &Path) -> ExitCode {
    let total = EXERCISES.len();
    println!("Checking {total} exercises, each with `cargo test -p <exercise>` ...\n");
    let name_width = EXERCISES.iter().map(|e| e.dir.len()).max().unwrap_or(0);
    let mut done = 0;
    let mut open: Vec<(&Exercise, Status)> = Vec::new();
    for exercise in EXERCISES {
        let run = cargo_test(root, exercise.package);
        let status = status(exercise, &run, pristine(root, exercise));
        let (dir, title) = (exercise.dir, exercise.title);
        match &status {
            Status::Done => {
                done += 1;
                println!("  ✔ {dir:name_width$}  {title}");
            }
            Status::NotStarted => println!("  - {dir:name_width$}  {title} (not started)"),
            Status::Failing { diagnosis, .. } => {
                println!("  ✘ {dir:name_width$}  {title}");
                println!("    {:name_width$}  {}", "", shorten(diagnosis, 72));
            }
            Status::Broken(why) => {
                println!("  ✘ {dir:name_width$}  {title}");
                println!("    {:name_width$}  {}", "", shorten(why, 72));
            }
        }
        if status != Status::Done {
            open.push((exercise, status));
        }
    }
    println!("\n{done} of {total} done  {}", bar(done, total, 30));
    let candidates: Vec<&Exercise> = open.iter().map(|(e, _)| *e).collect();
    let Some(next) = working_on(root, &candidates) else {
        println!("Every exercise passes its checks. Well done!");
        return ExitCode::SUCCESS;
    };
    let status = &open
        .iter()
        .find(|(e, _)| e.dir == next.dir)
        .expect("the next exercise is one of the open ones")
        .1;
    println!(
        "\nNext: {} ({}), in exercises/{}/src/lib.rs",
        next.dir, next.title, next.dir
    );
    explain(root, next, status);
    println!(
        "\nCheck it alone with `cargo progress {}`, or on every save with `cargo learn`.",
        next.dir
    );
    ExitCode::FAILURE
}

/// The diagnosis and the hint under "Next:" or `cargo progress NAME`.
fn explain(root: &Path, exercise: &Exercise, status: &Status) {
    match status {
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
    let brief = read_brief(root, exercise);
    if !brief.hint.is_empty() && *status != Status::Done {
        println!();
        print!("{}", wrap(&format!("Hint: {}", brief.hint), "  ", 80));
    }
}

/// `cargo progress NAME`: one exercise's verdict.
fn check_one(root: &Path, exercise: &Exercise) -> ExitCode {
    println!(
        "Checking {} with `cargo test -p {}` ...",
        exercise.dir, exercise.package
    );
    let run = cargo_test(root, exercise.package);
    let status = status(exercise, &run, pristine(root, exercise));
    let (dir, title) = (exercise.dir, exercise.title);
    match &status {
        Status::Done => println!("\n  ✔ {dir}  {title}: every check passes."),
        Status::NotStarted => {
            println!("\n  - {dir}  {title}: not started (exercises/{dir}/src/lib.rs)")
        }
        Status::Failing { .. } | Status::Broken(_) => println!("\n  ✘ {dir}  {title}"),
    }
    explain(root, exercise, &status);
    if status == Status::Done {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exercise_is_found_by_folder_package_or_number() {
        assert_eq!(find("06-concurrent").map(|e| e.dir), Ok("06-concurrent"));
        assert_eq!(find("ex06-concurrent").map(|e| e.dir), Ok("06-concurrent"));
        assert_eq!(
            find("exercises/06-concurrent/").map(|e| e.dir),
            Ok("06-concurrent")
        );
        assert_eq!(find("6").map(|e| e.dir), Ok("06-concurrent"));
        assert_eq!(find("06").map(|e| e.dir), Ok("06-concurrent"));
    }

    #[test]
    fn an_unknown_or_ambiguous_name_is_an_error_that_lists_the_choices() {
        let unknown = find("42").unwrap_err();
        assert!(unknown.contains("01-runtime"), "{unknown}");
        let ambiguous = find("9").unwrap_err();
        assert!(
            ambiguous.contains("09-bounded") && ambiguous.contains("09-timeout"),
            "{ambiguous}"
        );
    }
}
