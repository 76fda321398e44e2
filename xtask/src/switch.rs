//! `cargo xtask switch`: switching chapters rebuilds no dependency.
//!
//! Builds what `cargo test` builds (a no-op right after it), then runs
//! `cargo build -p <chapter>` for every package under `chapters/`, one at a
//! time, as a learner switching chapters would. Both with
//! `--message-format=json`: cargo names each unit's files with a hash of
//! everything that shapes it (features included), reused or not. A unit of
//! a non-workspace package whose files `cargo test` did not build is one
//! that chapter resolved with other features: on a fresh clone its first
//! run waits for a rebuild of it and of all that depends on it. Comparing
//! files, not cargo's `fresh` flag, keeps the check exact in a target
//! directory that older builds left other variants in. The report names
//! each such package with the features the chapter gave it and the ones
//! `cargo test` gave it, so the fix (course/Cargo.toml's union) is one line.
//! The workspace's own crates count too (the delay server, chapter 14 under
//! chapter 15), all but the chapter itself and `course`, which chapters
//! without requests build with fewer features on purpose.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One `compiler-artifact` message of cargo's JSON output.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Artifact {
    /// `name version`, e.g. `tokio 1.54.1`.
    pub package: String,
    /// A package of this workspace (a path package), not a dependency.
    pub local: bool,
    pub features: Vec<String>,
    pub filenames: Vec<String>,
    pub fresh: bool,
}

impl Artifact {
    /// The package's name, without its version.
    pub fn name(&self) -> &str {
        self.package.split(' ').next().unwrap_or_default()
    }
}

/// The units of `chapter`'s own build that `cargo test` did not build
/// (none of their files is in `built`): dependencies, then crates of this
/// workspace other than the chapter itself and `course`, which every
/// chapter builds with only the features it needs (mock-server, or
/// chapter 14 under chapter 15, are shared like dependencies).
pub fn unlike<'a>(
    chapter: &str,
    units: &'a [Artifact],
    built: &HashSet<&str>,
) -> (Vec<&'a Artifact>, Vec<&'a Artifact>) {
    let new = |u: &&Artifact| !u.filenames.iter().any(|f| built.contains(f.as_str()));
    let deps = units.iter().filter(|u| !u.local).filter(new).collect();
    let ours = units
        .iter()
        .filter(|u| u.local && u.name() != chapter && u.name() != "course")
        .filter(new)
        .collect();
    (deps, ours)
}

/// The strings of the JSON array that follows `"key":[` in `line`.
fn strings(line: &str, key: &str) -> Vec<String> {
    let Some(start) = line.find(&format!("\"{key}\":[")) else {
        return Vec::new();
    };
    let rest = &line[start + key.len() + 4..];
    let Some(end) = rest.find(']') else {
        return Vec::new();
    };
    rest[..end]
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Reads cargo's `--message-format=json` lines (one JSON object each, a
/// stable format); other lines are ignored.
pub fn artifacts(output: &str) -> Vec<Artifact> {
    let mut found = Vec::new();
    for line in output.lines() {
        if !line.starts_with("{\"reason\":\"compiler-artifact\"") {
            continue;
        }
        let Some(id) = line
            .split("\"package_id\":\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        // `registry+https://...#tokio@1.54.1`, `path+file:///w/course#0.1.0`
        // (the name is the folder's then), `path+file:///w/x#name@0.1.0`.
        let local = id.starts_with("path+");
        let spec = id.rsplit('#').next().unwrap_or(id);
        let package = match spec.split_once('@') {
            Some((name, version)) => format!("{name} {version}"),
            None => {
                let name = id
                    .split('#')
                    .next()
                    .unwrap_or(id)
                    .rsplit('/')
                    .next()
                    .unwrap_or(id);
                format!("{name} {spec}")
            }
        };
        found.push(Artifact {
            package,
            local,
            features: strings(line, "features"),
            filenames: strings(line, "filenames"),
            fresh: line.contains("\"fresh\":true"),
        });
    }
    found
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

pub fn check(root: &Path) -> Result<(), String> {
    let chapters = chapters(root)?;
    println!("Building what `cargo test` builds (quick if it just ran) ...");
    let started = Instant::now();
    let (ok, text) = cargo(root, &["test", "--no-run", "--message-format=json"])?;
    if !ok {
        return Err(format!("`cargo test --no-run` failed:\n{text}"));
    }
    let all = artifacts(&text);
    let built: HashSet<&str> = all
        .iter()
        .flat_map(|a| a.filenames.iter().map(String::as_str))
        .collect();
    println!("  done in {:.1} s", started.elapsed().as_secs_f64());
    println!("Building each chapter on its own, as `cargo run -p NAME` does:");
    let mut problems = Vec::new();
    for chapter in &chapters {
        let started = Instant::now();
        let (ok, text) = cargo(root, &["build", "-p", chapter, "--message-format=json"])?;
        let took = started.elapsed().as_secs_f64();
        if !ok {
            return Err(format!("`cargo build -p {chapter}` failed:\n{text}"));
        }
        let units = artifacts(&text);
        let compiled: BTreeSet<&str> = units
            .iter()
            .filter(|u| !u.fresh)
            .map(|u| u.name())
            .collect();
        let compiled = if compiled.is_empty() {
            String::from("nothing")
        } else {
            compiled.into_iter().collect::<Vec<_>>().join(", ")
        };
        let (other, ours) = unlike(chapter, &units, &built);
        println!(
            "  {chapter:10} {took:5.1} s  compiled {compiled}; {} dependencies and {} workspace \
             crates unlike `cargo test`'s",
            other.len(),
            ours.len()
        );
        for unit in ours {
            println!(
                "    {}: not as `cargo test` built it (features [{}])",
                unit.package,
                unit.features.join(",")
            );
            problems.push(format!(
                "{chapter} builds the workspace's {} again",
                unit.package
            ));
        }
        for unit in other {
            let theirs: BTreeSet<String> = all
                .iter()
                .filter(|a| a.package == unit.package)
                .map(|a| format!("[{}]", a.features.join(",")))
                .collect();
            let mine = format!("[{}]", unit.features.join(","));
            let why = if theirs.contains(&mine) {
                String::from("same features: rebuilt because one of its dependencies is")
            } else {
                format!(
                    "`cargo test` builds it with {}",
                    theirs.into_iter().collect::<Vec<_>>().join(" and ")
                )
            };
            println!("    {}: features {mine}; {why}", unit.package);
            problems.push(format!(
                "{chapter} builds {} with other features",
                unit.package
            ));
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
            "{}.\nA chapter resolves other features for a shared dependency (or a crate of \
             this workspace) than `cargo test` does: add the missing ones to the union at the \
             end of course/Cargo.toml (`cargo tree -e features -i NAME` shows who turns them \
             on).",
            problems.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#tokio@1.54.1","manifest_path":"/r/tokio/Cargo.toml","target":{"kind":["lib"],"name":"tokio"},"profile":{},"features":["rt","time"],"filenames":["/t/debug/deps/libtokio-aaa.rlib","/t/debug/deps/libtokio-aaa.rmeta"],"executable":null,"fresh":true}
{"reason":"build-script-executed","package_id":"path+file:///w/course#0.1.0"}
{"reason":"compiler-artifact","package_id":"path+file:///w/course#0.1.0","target":{"kind":["lib"]},"features":[],"filenames":["/t/debug/deps/libcourse-bbb.rlib"],"fresh":false}
{"reason":"compiler-artifact","package_id":"path+file:///w/chapters/chapter1-runtime#chapter1@0.1.0","features":[],"filenames":["/t/debug/chapter1"],"fresh":false}
   Compiling x v1
"#;

    #[test]
    fn artifacts_name_their_package_features_files_and_freshness() {
        let found = artifacts(OUT);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(
            found[0],
            Artifact {
                package: String::from("tokio 1.54.1"),
                local: false,
                features: vec![String::from("rt"), String::from("time")],
                filenames: vec![
                    String::from("/t/debug/deps/libtokio-aaa.rlib"),
                    String::from("/t/debug/deps/libtokio-aaa.rmeta")
                ],
                fresh: true,
            }
        );
        assert_eq!(found[1].package, "course 0.1.0");
        assert!(found[1].local && !found[1].fresh);
        assert_eq!(found[2].package, "chapter1 0.1.0");
        assert!(found[2].local);
    }

    #[test]
    fn workspace_crates_built_anew_are_counted_beside_dependencies() {
        let unit = |package: &str, local: bool, file: &str| Artifact {
            package: package.to_string(),
            local,
            features: Vec::new(),
            filenames: vec![file.to_string()],
            fresh: false,
        };
        let units = [
            unit("tokio 1.54.1", false, "/t/libtokio-new.rlib"),
            unit("futures 0.3.31", false, "/t/libfutures-old.rlib"),
            unit("course 0.1.0", true, "/t/libcourse-new.rlib"),
            unit("mock-server 0.1.0", true, "/t/libmock_server-new.rlib"),
            unit("chapter14 0.1.0", true, "/t/libchapter14-old.rlib"),
            unit("chapter15 0.1.0", true, "/t/chapter15-new"),
        ];
        let built: HashSet<&str> = ["/t/libfutures-old.rlib", "/t/libchapter14-old.rlib"]
            .into_iter()
            .collect();
        let (deps, ours) = unlike("chapter15", &units, &built);
        let names = |v: Vec<&Artifact>| v.iter().map(|a| a.name().to_string()).collect::<Vec<_>>();
        assert_eq!(names(deps), ["tokio"]);
        // Not course, not the chapter itself: mock-server, built anew.
        assert_eq!(names(ours), ["mock-server"]);
    }

    #[test]
    fn an_empty_array_gives_no_strings() {
        assert!(strings(r#"{"features":[],"x":1}"#, "features").is_empty());
        assert!(strings(r#"{"x":1}"#, "features").is_empty());
    }
}
