//! The real-run outputs shown in the book, in one table that two programs read:
//!
//! - `cargo xtask outputs` runs every entry and writes what the program
//!   printed (stdout and stderr, interleaved as printed) to
//!   `book/src/generated/<file>`, and the timeline to `<svg>` for the request
//!   chapters;
//! - the book test `shown_outputs_match_real_runs` runs the very same
//!   commands again and compares, with timings masked.
//!
//! Both include this file with `#[path]`, so the command that made an output
//! and the command that checks it cannot differ. It uses `std` only.
//!
//! Chapter authors: keep each run short (a few seconds at most: the test
//! suite runs them all) and the arguments equal to what the page tells the
//! reader to run. A page shows an output with
//! `{{#include generated/chapter5.txt}}` inside a ```` ```console ```` block
//! (the file starts with the `$ cargo run ...` line) and a timeline with
//! `![...](generated/chapter5-timeline.svg)`.

#![allow(dead_code)] // Each includer uses a different part.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One program run whose output the book shows.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// The package to run: `cargo run -p <package>`.
    pub package: &'static str,
    /// The arguments after `--`.
    pub args: &'static [&'static str],
    /// The file under `book/src/generated/` that receives the output.
    pub file: &'static str,
    /// For request chapters: the file under `book/src/generated/` for the
    /// timeline SVG. The run gets `--svg <path>` appended to its arguments.
    pub svg: Option<&'static str>,
    /// How a fresh run is compared with the shown output.
    pub order: Order,
    /// The run keeps the CPU busy, and what it prints may depend on how fast
    /// it computes: the test runs such runs one after another (light runs,
    /// which mostly wait on timers, go side by side with them).
    pub cpu_heavy: bool,
}

/// How the lines of a fresh run are compared with the shown ones (after
/// masking, see [`mask`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Same lines in the same order: for programs that do one thing after
    /// another.
    InOrder,
    /// Same set of distinct lines, in any order and any number: for programs
    /// whose tasks finish in an order that changes from run to run.
    AnyOrder,
}

/// Where the generated files live, relative to the workspace root.
pub const GENERATED_DIR: &str = "book/src/generated";

/// The longest a single run may take before it counts as hung.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// The outputs shown in the book, in chapter order. Entries whose package
/// does not exist yet are skipped (with a message) by xtask and the test.
pub const OUTPUTS: &[Output] = &[
    Output {
        package: "chapter1",
        args: &[],
        file: "chapter1.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter2",
        args: &[],
        file: "chapter2.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter3",
        args: &[],
        file: "chapter3.txt",
        svg: None,
        order: Order::AnyOrder,
        cpu_heavy: true,
    },
    Output {
        package: "chapter4",
        args: &[],
        file: "chapter4.txt",
        // What the ticker saw, drawn from the same run.
        svg: Some("chapter4-ticker.svg"),
        order: Order::AnyOrder,
        cpu_heavy: true,
    },
    // The request chapters run with the article's defaults: 1000 ms delays.
    Output {
        package: "chapter5",
        args: &[],
        file: "chapter5.txt",
        svg: Some("chapter5-timeline.svg"),
        order: Order::InOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter6",
        args: &[],
        file: "chapter6.txt",
        svg: Some("chapter6-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter7",
        args: &[],
        file: "chapter7.txt",
        svg: Some("chapter7-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter8",
        args: &[],
        file: "chapter8.txt",
        // What the ticker saw, drawn from the same run.
        svg: Some("chapter8-ticker.svg"),
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // The chapter's defaults (1,000 requests of 100 ms) keep the run short;
    // the page shows how to scale it to 10,000.
    Output {
        package: "chapter9",
        args: &[],
        file: "chapter9.txt",
        svg: Some("chapter9-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: true,
    },
    // The page on giving up: a request dropped by `select!`.
    Output {
        package: "chapter9",
        args: &["--mode", "select", "--delay-ms", "200"],
        file: "chapter9-select.txt",
        svg: Some("chapter9-select-timeline.svg"),
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // Part II, shared state: the three ways of locking, one after the other
    // (the tasks finish in any order; the totals and the table do not).
    Output {
        package: "chapter10",
        args: &[],
        file: "chapter10.txt",
        svg: Some("chapter10-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    // Part III. Chapter 14: a future by hand. The busy delay keeps a core
    // busy for its 300 ms.
    Output {
        package: "chapter14",
        args: &[],
        file: "chapter14.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: true,
    },
    // Chapter 15: our block_on, and a request that needs tokio's reactor.
    Output {
        package: "chapter15",
        args: &[],
        file: "chapter15.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: true,
    },
    // Chapter 16: paused against running clocks, with its defaults.
    Output {
        package: "chapter16",
        args: &[],
        file: "chapter16.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // Channels and the actor: every part runs one after the other.
    Output {
        package: "chapter11",
        args: &[],
        file: "chapter11.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // Chapter 17: the same four requests, one stuck, with a span per
    // request, without spans, and with `span.enter()` across `.await`.
    // Their answers come in an order fixed by their delays, but lines a
    // few microseconds apart may print in either order.
    Output {
        package: "chapter17",
        args: &["--mode", "no-spans"],
        file: "chapter17-no-spans.txt",
        svg: None,
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter17",
        args: &[],
        file: "chapter17.txt",
        svg: None,
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter17",
        args: &["--mode", "enter-across-await"],
        file: "chapter17-enter.txt",
        svg: None,
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    // Chapter 12: the request loops (about 1 s) and the two relays; the
    // lossy relay's figures change from run to run, its words do not.
    Output {
        package: "chapter12",
        args: &[],
        file: "chapter12.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // Graceful shutdown: the stop at 1 s (`--stop-after-ms`), a second of
    // grace. The jobs finish in an order that varies from run to run.
    Output {
        package: "chapter13",
        args: &[],
        file: "chapter13.txt",
        svg: Some("chapter13-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
];

impl Output {
    /// The command line shown to the reader as the first line of the file.
    pub fn command_line(&self) -> String {
        let mut line = format!("$ cargo run -p {}", self.package);
        if !self.args.is_empty() {
            line.push_str(" --");
            for arg in self.args {
                line.push(' ');
                line.push_str(arg);
            }
        }
        line
    }

    /// The output file, relative to the workspace root.
    pub fn file_path(&self) -> String {
        format!("{GENERATED_DIR}/{}", self.file)
    }

    /// The SVG file, relative to the workspace root.
    pub fn svg_path(&self) -> Option<String> {
        self.svg.map(|svg| format!("{GENERATED_DIR}/{svg}"))
    }
}

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
