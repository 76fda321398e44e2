//! How the entries of [`super::OUTPUTS`] are run and compared: the
//! workspace's packages and their executables (built by `cargo test
//! --no-run`), one run with a time limit, and the masking that lets a fresh
//! run be compared with the one the book shows.

#![allow(dead_code)] // Each includer uses a different part.

use super::{Order, Output, RUN_TIMEOUT};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root, found from a crate folder inside it.
pub fn workspace_root(crate_dir: &Path) -> PathBuf {
    crate_dir
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
        })
        .unwrap_or(crate_dir)
        .to_path_buf()
}

/// The folder of the package called `name`, if the workspace has one: looks
/// at `*/Cargo.toml` and `chapters/*/Cargo.toml`.
pub fn package_dir(root: &Path, name: &str) -> Option<PathBuf> {
    let mut dirs = Vec::new();
    for parent in [root.to_path_buf(), root.join("chapters")] {
        if let Ok(entries) = std::fs::read_dir(&parent) {
            dirs.extend(entries.flatten().map(|e| e.path()));
        }
    }
    dirs.sort();
    dirs.into_iter()
        .find(|dir| package_name(&dir.join("Cargo.toml")).as_deref() == Some(name))
}

/// The `name` in the `[package]` table of a Cargo.toml, if it has one.
pub fn package_name(manifest: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// Builds the packages with `cargo test --no-run` (one call, so one feature
/// set) and returns each one's executable. Not `cargo build`: the chapters'
/// tests resolve the same features as the workspace's `cargo test`, so
/// right after it (and inside it, for the book's test) nothing is built
/// again, where `cargo build -p ...` built `course` and all 17 chapters
/// once more, with the features of the chapters alone (about 25 s on a
/// fresh target). Cargo's own messages go to stderr.
pub fn build(root: &Path, packages: &[&str]) -> Result<Vec<(String, PathBuf)>, String> {
    if packages.is_empty() {
        return Ok(Vec::new());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "test",
            "--no-run",
            "--quiet",
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for package in packages {
        cmd.args(["--package", package]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run cargo test --no-run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo test --no-run -p {} failed ({})",
            packages.join(" -p "),
            out.status
        ));
    }
    let json = String::from_utf8_lossy(&out.stdout);
    let mut found = Vec::new();
    for package in packages {
        let exe = json
            .lines()
            .filter(|line| line.contains(r#""reason":"compiler-artifact""#))
            .filter(|line| line.contains(r#""kind":["bin"]"#))
            // The binary itself, not its unit tests (`"test":true`).
            .filter(|line| line.contains(r#""test":false}"#))
            .filter(|line| {
                json_string_field(line, "package_id")
                    .is_some_and(|id| package_id_name(&id) == *package)
            })
            .find_map(|line| json_string_field(line, "executable"))
            .ok_or_else(|| format!("cargo test --no-run did not report a binary for {package}"))?;
        found.push((package.to_string(), PathBuf::from(exe)));
    }
    Ok(found)
}

/// The package name in a cargo package id: `path+file:///w/chapters/x#chapter5@0.1.0`,
/// or `path+file:///w/chapter5#0.1.0` when the folder has the package's name.
fn package_id_name(id: &str) -> &str {
    let (path, fragment) = id.rsplit_once('#').unwrap_or((id, ""));
    match fragment.split_once('@') {
        Some((name, _version)) => name,
        None => path.rsplit('/').next().unwrap_or(path),
    }
}

/// The value of `"field":"..."` in one line of cargo's JSON output.
fn json_string_field(line: &str, field: &str) -> Option<String> {
    let start = line.find(&format!(r#""{field}":""#))? + field.len() + 4;
    let mut value = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

/// What one run printed.
#[derive(Debug)]
pub struct Run {
    /// The file's content: the command line, then stdout and stderr as
    /// printed.
    pub text: String,
    pub elapsed: Duration,
}

/// Runs `exe` for `entry` from the workspace root, with the environment a
/// learner has by default (no `RUST_LOG`, no `DELAY_SERVER_URL`: the chapter
/// starts its own delay server). `svg` is where the timeline goes; mentions
/// of it in the output are replaced by the book's path, so that a run into
/// a temporary file prints the same text.
pub fn run(root: &Path, exe: &Path, entry: &Output, svg: Option<&Path>) -> Result<Run, String> {
    let (mut reader, writer) = std::io::pipe().map_err(|e| format!("cannot make a pipe: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.current_dir(root)
        .args(entry.args)
        .env_remove("RUST_LOG")
        .env_remove("DELAY_SERVER_URL")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        // One pipe for both streams keeps their lines in the order printed.
        .stdout(writer.try_clone().map_err(|e| e.to_string())?)
        .stderr(writer);
    if let Some(svg) = svg {
        cmd.arg("--svg").arg(svg);
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    // Our copies of the pipe's write end must go, or reading never ends.
    drop(cmd);
    let reader_thread = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} did not finish within {} s: killed",
                    entry.command_line(),
                    RUN_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("cannot wait for {}: {e}", exe.display())),
        }
    };
    let elapsed = started.elapsed();
    let bytes = reader_thread.join().unwrap_or_default();
    let mut printed = String::from_utf8_lossy(&bytes).into_owned();
    if let Some(svg) = svg {
        printed = without_svg_notice(&printed, &svg.to_string_lossy());
    }
    if !status.success() {
        return Err(format!(
            "{} failed ({status}); it printed:\n{printed}",
            entry.command_line()
        ));
    }
    let mut text = entry.command_line();
    text.push('\n');
    text.push_str(&printed);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Run { text, elapsed })
}

/// `printed` without the line that reports where the timeline went
/// ("Timeline written to ..."): the reader runs without `--svg` and never
/// sees it, so the book does not show it either.
pub fn without_svg_notice(printed: &str, svg: &str) -> String {
    printed
        .split_inclusive('\n')
        .filter(|line| !(line.contains(svg) && line.contains("written to")))
        .collect()
}

/// The lines of `text` with what changes between runs masked:
///
/// - every number (`1.004`, `12`, a port) becomes `#`;
/// - a run of bar characters (box drawing, blocks, `·`, or two or more of
///   `=`, `-`, `*`, `#`, `.`) with the spaces around it becomes one `~`, so
///   timeline bars of other lengths and offsets match;
/// - runs of spaces become one space; lines are trimmed; empty lines go;
/// - in a comma-separated list, an item equal to the one before it goes;
/// - a line equal to the one before it goes (a ticker that ticked 9 or 11
///   times reads the same).
pub fn mask(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let masked = mask_line(line);
        if masked.is_empty() || lines.last() == Some(&masked) {
            continue;
        }
        lines.push(masked);
    }
    lines
}

fn mask_line(line: &str) -> String {
    let is_bar = |c: char| ('\u{2500}'..='\u{259F}').contains(&c) || c == '\u{B7}';
    let is_ascii_bar = |c: char| matches!(c, '=' | '-' | '*' | '#' | '.');
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            // A number, with its decimal point or thousands separators.
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || (matches!(chars[i], '.' | ',' | '_')
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            out.push('#');
        } else if is_bar(c)
            || (is_ascii_bar(c) && chars.get(i + 1).is_some_and(|&n| is_ascii_bar(n)))
        {
            // The timeline's bars are ASCII (`..####==..`): one run of
            // them, whichever character it starts with.
            let same = if is_bar(c) { is_bar } else { is_ascii_bar };
            while i < chars.len() && same(chars[i]) {
                i += 1;
            }
            out.push('~');
        } else if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            out.push(' ');
        } else {
            out.push(c);
            i += 1;
        }
    }
    // A bar reads the same wherever it starts: drop the spaces around it
    // and merge it with its neighbours.
    let mut merged = String::new();
    let mut rest = out.chars().peekable();
    while let Some(c) = rest.next() {
        if c == '~' {
            while merged.ends_with(' ') {
                merged.pop();
            }
            while rest.peek().is_some_and(|&n| n == ' ' || n == '~') {
                rest.next();
            }
            merged.push_str(" ~ ");
        } else if !(c == ' ' && merged.ends_with(' ')) {
            merged.push(c);
        }
    }
    // A list whose items read the same once masked ("on worker #2, worker
    // #3" against "on worker #2") is one item.
    let mut items: Vec<&str> = merged.trim().split(", ").collect();
    items.dedup();
    items.join(", ")
}

/// Compares a fresh run with the shown output after masking; on a
/// difference, says which lines differ.
pub fn compare(shown: &str, fresh: &str, order: Order) -> Result<(), String> {
    let (mut shown, mut fresh) = (mask(shown), mask(fresh));
    if order == Order::AnyOrder {
        for lines in [&mut shown, &mut fresh] {
            lines.sort();
            lines.dedup();
        }
    }
    if shown == fresh {
        return Ok(());
    }
    let mut report = String::new();
    match order {
        Order::InOrder => {
            let at = shown
                .iter()
                .zip(&fresh)
                .position(|(a, b)| a != b)
                .unwrap_or(shown.len().min(fresh.len()));
            let _ = writeln!(report, "first difference at masked line {}:", at + 1);
            let _ = writeln!(report, "  shown: {}", shown.get(at).map_or("<end>", |s| s));
            let _ = writeln!(report, "  fresh: {}", fresh.get(at).map_or("<end>", |s| s));
        }
        Order::AnyOrder => {
            for line in shown.iter().filter(|l| !fresh.contains(l)) {
                let _ = writeln!(report, "  only shown: {line}");
            }
            for line in fresh.iter().filter(|l| !shown.contains(l)) {
                let _ = writeln!(report, "  only fresh: {line}");
            }
        }
    }
    Err(report)
}
