//! `cargo progress --verify`, the CI mode: every solution passes its
//! checks, every untouched starter compiles and fails them with the
//! diagnosis it is meant to show, and every solution and starter also
//! builds on its own, without the checker's dev-dependency (which turns on
//! tokio and futures features the exercise crate might lack).

use super::run::{Parsed, Status, cargo_test, parse, status};
use super::text::{read_brief, shorten};
use crate::EXERCISES;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

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

pub fn verify(root: &Path) -> ExitCode {
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

    problems.extend(build_alone(root, &packages));

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

/// The `[dependencies]` table of a manifest, comments and blank lines
/// dropped: two packages with the same table resolve the same features.
pub fn dependencies_table(manifest: &str) -> String {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in manifest.lines() {
        let code = line.split('#').next().unwrap_or_default().trim();
        if code.starts_with('[') {
            inside = code == "[dependencies]";
            continue;
        }
        if inside && !code.is_empty() {
            lines.push(code);
        }
    }
    lines.join("\n")
}

/// Type-checks every solution and starter without its dev-dependencies,
/// each group of packages with the same `[dependencies]` table in one
/// `cargo check` (the same table resolves the same features, so this is the
/// same as checking each alone, in fewer invocations). Under `cargo test` the
/// checker's dev-dependency turns on tokio and futures features the crate
/// may not name: `tokio::select!` would pass the checks and fail
/// `cargo build -p <exercise>`. Returns one problem per group that fails.
pub fn build_alone(root: &Path, packages: &[String]) -> Vec<String> {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for package in packages {
        let base = package.strip_suffix("-solution").unwrap_or(package);
        let Some(exercise) = EXERCISES.iter().find(|e| e.package == base) else {
            continue;
        };
        let folder = if package.ends_with("-solution") {
            "solutions"
        } else {
            "exercises"
        };
        let manifest = root.join(folder).join(exercise.dir).join("Cargo.toml");
        let table = std::fs::read_to_string(&manifest)
            .map(|m| dependencies_table(&m))
            // Unreadable: its own group, so that cargo reports the problem.
            .unwrap_or_else(|_| package.clone());
        match groups.iter_mut().find(|(t, _)| *t == table) {
            Some((_, members)) => members.push(package),
            None => groups.push((table, vec![package])),
        }
    }
    println!(
        "\nChecking that each solution and starter builds on its own, without the \
         checker ({} `cargo check` runs) ...",
        groups.len()
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
    let mut problems = Vec::new();
    for (_, members) in &groups {
        let started = Instant::now();
        let mut build = Command::new(&cargo);
        build
            .current_dir(root)
            .args([
                "build",
                "--lib",
                "--color",
                "never",
                "--message-format",
                "short",
            ])
            .stdin(Stdio::null());
        for p in members {
            build.args(["-p", p]);
        }
        let names = members.join(" ");
        match build.output() {
            Ok(out) if out.status.success() => {
                println!("  ok   {names} ({:.1} s)", started.elapsed().as_secs_f64());
            }
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stderr);
                let first = text
                    .lines()
                    .find(|l| l.contains("error"))
                    .unwrap_or("cargo check failed");
                println!("  FAIL {names}: {first}");
                problems.push(format!(
                    "{names} does not build on its own (without the checker's \
                     dev-dependency): {first}; name the features its code needs in its Cargo.toml"
                ));
            }
            Err(e) => problems.push(format!("cannot run cargo check: {e}")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dependencies_table_ignores_comments_and_other_tables() {
        let a = "[package]\nname = \"a\"\n\n[dependencies]\n# why\ntokio = { workspace = true, features = [\"rt\"] } # rt: spawn\n\n[dev-dependencies]\nchecker.workspace = true\n";
        let b = "[package]\nname = \"b\"\n[dependencies]\ntokio = { workspace = true, features = [\"rt\"] }\n[lints]\nworkspace = true\n";
        assert_eq!(dependencies_table(a), dependencies_table(b));
        assert_eq!(
            dependencies_table(a),
            "tokio = { workspace = true, features = [\"rt\"] }"
        );
        let c = b.replace("\"rt\"", "\"rt\", \"macros\"");
        assert_ne!(dependencies_table(a), dependencies_table(&c));
    }
}
