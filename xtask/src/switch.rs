//! `cargo xtask switch`: switching chapters rebuilds no dependency.
//!
//! Builds what `cargo test` builds (a no-op right after it), then runs
//! `cargo build -v -p <chapter>` for every package under `chapters/`, one
//! at a time, as a learner switching chapters would. Cargo prints `Fresh`
//! for each unit it reuses and `Compiling` for each it builds: any
//! `Compiling` of a package that is not in the workspace means that chapter
//! resolved another feature set for a shared dependency, so its first run
//! waits for a rebuild of it (and of all that depends on it). The report
//! names each such package with the features the chapter gave it and the
//! ones `cargo test` gave it, so the fix (course/Cargo.toml's union) is
//! one line.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The result of building one chapter after the full build.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Switch {
    /// Workspace packages compiled (the chapter itself, course: expected).
    pub own: Vec<String>,
    /// Other packages compiled: each one is a rebuild a learner waits for.
    pub dependencies: Vec<String>,
}

/// Reads `cargo build -v` output: the `Compiling NAME vX (PATH)` lines.
/// Workspace packages carry their path in parentheses; registry ones do not.
pub fn parse(output: &str) -> Switch {
    let mut switch = Switch::default();
    for line in output.lines() {
        let Some(rest) = line.trim_start().strip_prefix("Compiling ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let package = format!("{name} {version}");
        let list = if rest.contains(" (") && !rest.contains("(registry") {
            &mut switch.own
        } else {
            &mut switch.dependencies
        };
        if !list.contains(&package) {
            list.push(package);
        }
    }
    switch
}

/// The chapters: every workspace package whose manifest is under chapters/.
fn chapters(root: &Path) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let dir = root.join("chapters");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        if let Some(name) = text.lines().find_map(|l| {
            l.strip_prefix("name")
                .map(|r| r.trim_start())
                .and_then(|r| r.strip_prefix('='))
                .map(|r| r.trim().trim_matches('"').to_string())
        }) {
            names.push(name);
        }
    }
    // chapter2 before chapter10.
    names.sort_by_key(|n| {
        let digits: String = n.chars().filter(char::is_ascii_digit).collect();
        (digits.parse::<u32>().unwrap_or(u32::MAX), n.clone())
    });
    Ok(names)
}

fn cargo(root: &Path, args: &[&str]) -> Result<(bool, String), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root)
        .args(args)
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}

/// `NAME vX|features` lines of `cargo tree` for `package` (inverted).
fn features(root: &Path, selection: &[&str], package: &str) -> String {
    let name = package.split_whitespace().next().unwrap_or(package);
    let mut args = vec!["tree", "--offline", "-q"];
    args.extend_from_slice(selection);
    args.extend_from_slice(&["-i", name, "--depth", "0", "--prefix", "none", "-f", "{f}"]);
    match cargo(root, &args) {
        Ok((true, text)) => {
            let mut sets: Vec<&str> = text.lines().map(str::trim).collect();
            sets.sort_unstable();
            sets.dedup();
            sets.join(" / ")
        }
        _ => String::from("(cargo tree failed)"),
    }
}

pub fn check(root: &Path) -> Result<(), String> {
    let chapters = chapters(root)?;
    println!("Building what `cargo test` builds (quick if it just ran) ...");
    let started = Instant::now();
    let (ok, text) = cargo(root, &["test", "--no-run", "-q"])?;
    if !ok {
        return Err(format!("`cargo test --no-run` failed:\n{text}"));
    }
    println!("  done in {:.1} s", started.elapsed().as_secs_f64());
    println!("Building each chapter on its own, as `cargo run -p NAME` does:");
    let mut problems = Vec::new();
    for chapter in &chapters {
        let started = Instant::now();
        let (ok, text) = cargo(root, &["build", "-v", "-p", chapter])?;
        let took = started.elapsed().as_secs_f64();
        if !ok {
            return Err(format!("`cargo build -p {chapter}` failed:\n{text}"));
        }
        let switch = parse(&text);
        let own = if switch.own.is_empty() {
            String::from("nothing")
        } else {
            switch
                .own
                .iter()
                .map(|p| p.split_whitespace().next().unwrap_or(p))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "  {chapter:10} {took:5.1} s  compiled {own}; {} dependencies",
            switch.dependencies.len()
        );
        for package in &switch.dependencies {
            let here = features(root, &["-p", chapter, "-e", "normal,build"], package);
            let all = features(root, &["-e", "normal,build,dev"], package);
            println!("    rebuilt {package}: features [{here}], `cargo test` has [{all}]");
            problems.push(format!("{chapter} rebuilds {package}"));
        }
    }
    if problems.is_empty() {
        println!(
            "Switching chapters rebuilds no dependency ({} chapters).",
            chapters.len()
        );
        Ok(())
    } else {
        Err(format!(
            "{}.\nA chapter resolves other features for a shared dependency than `cargo test` does: \
             add the missing ones to the union at the end of course/Cargo.toml \
             (`cargo tree -e features -i NAME` shows who turns them on).",
            problems.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_packages_compiled_are_rebuilds_and_workspace_ones_are_not() {
        let out = "\
       Fresh unicode-ident v1.0.18
   Compiling syn v3.0.10
     Running `/x/rustc --crate-name syn`
   Compiling tokio v1.54.1
   Compiling course v0.1.0 (/work/course)
       Fresh clap v4.6.9
   Compiling chapter1 v0.1.0 (/work/chapters/chapter1-runtime)
    Finished `dev` profile";
        assert_eq!(
            parse(out),
            Switch {
                own: vec![
                    String::from("course v0.1.0"),
                    String::from("chapter1 v0.1.0")
                ],
                dependencies: vec![String::from("syn v3.0.10"), String::from("tokio v1.54.1")],
            }
        );
    }

    #[test]
    fn an_all_fresh_build_compiles_nothing() {
        assert_eq!(
            parse("       Fresh tokio v1.54.1\n    Finished `dev` profile"),
            Switch::default()
        );
    }
}
