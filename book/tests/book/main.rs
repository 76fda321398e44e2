//! Keeps the book true to the code.
//!
//! - Every ```` ```rust ```` block only includes code from a crate
//!   (`{{#include path:anchor}}`), so no listing can drift from what runs.
//! - Every include names a file that exists and an anchor the file has.
//! - Every chapter crate has a page that includes from it, and its shown
//!   outputs appear on a page.
//! - The outputs shown are what the programs print today, timings masked.
//! - The compiler errors shown are what cargo prints today for the mistakes
//!   in `book/mistakes/`, and each mistake gives the error it promises.
//! - No line of a rendered code block (listing, output, compiler error) is
//!   wider than 80 columns.
//!
//! Failures name the file and line to fix.

#[path = "../../mistakes.rs"]
mod mistakes;
#[path = "../../outputs.rs"]
mod outputs;

mod help;
mod order;

use outputs::{OUTPUTS, Output};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The book's folder (`book/`).
fn book_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn root() -> PathBuf {
    outputs::workspace_root(&book_dir())
}

/// Every Markdown file under `book/src`, sorted.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&book_dir().join("src"), &mut found);
    found.sort();
    assert!(!found.is_empty(), "no Markdown files under book/src");
    found
}

/// `book/src/x.md` for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Runs `check` on every page and fails with all problems, one per line.
fn check_pages(what: &str, check: impl Fn(&Path, &str) -> Vec<String>) {
    let mut problems = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("read page");
        for problem in check(&page, &text) {
            problems.push(format!("{}:{problem}", shown(&page)));
        }
    }
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s)\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Reading Markdown: fenced code blocks and includes.

/// A fenced code block: its info string, the line of its opening fence
/// (1-based) and its lines with their line numbers.
#[derive(Debug)]
struct Block {
    info: String,
    line: usize,
    body: Vec<(usize, String)>,
}

fn code_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(char, usize, Block)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim_start();
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let fence_len = fence_char.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        match &mut open {
            None if fence_len >= 3 => {
                let c = fence_char.unwrap();
                let info = trimmed[fence_len..].trim().to_string();
                open = Some((
                    c,
                    fence_len,
                    Block {
                        info,
                        line: n,
                        body: Vec::new(),
                    },
                ));
            }
            None => {}
            Some((c, len, block)) => {
                if fence_char == Some(*c)
                    && fence_len >= *len
                    && trimmed[fence_len..].trim().is_empty()
                {
                    blocks.push(open.take().unwrap().2);
                } else {
                    block.body.push((n, line.to_string()));
                }
            }
        }
    }
    if let Some((_, _, block)) = open {
        blocks.push(block); // Unclosed: still checked.
    }
    blocks
}

/// The language of a block: the first word of its info string
/// (`rust,ignore` gives `rust`).
fn language(info: &str) -> &str {
    info.split(|c: char| c == ',' || c.is_whitespace())
        .next()
        .unwrap_or("")
}

/// An `{{#include ...}}` or `{{#rustdoc_include ...}}` on a page.
#[derive(Debug, PartialEq)]
struct Include {
    line: usize,
    path: String,
    /// What follows the path after `:`, if anything.
    selector: Option<String>,
}

fn includes(text: &str) -> Vec<Include> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        let mut offset = 0;
        while let Some(start) = rest.find("{{#") {
            let escaped = line[..offset + start].ends_with('\\');
            let after = &rest[start + 3..];
            let Some(end) = after.find("}}") else { break };
            let inner = after[..end].trim();
            for keyword in ["include", "rustdoc_include"] {
                if let Some(arg) = inner.strip_prefix(keyword)
                    && !escaped
                    && arg.starts_with(char::is_whitespace)
                {
                    let arg = arg.trim();
                    let (path, selector) = match arg.split_once(':') {
                        Some((p, s)) => (p.to_string(), Some(s.to_string())),
                        None => (arg.to_string(), None),
                    };
                    found.push(Include {
                        line: i + 1,
                        path,
                        selector,
                    });
                }
            }
            offset += start + 3 + end + 2;
            rest = &line[offset..];
        }
    }
    found
}

/// Whether a block line is only an include.
fn is_include_line(line: &str) -> bool {
    let line = line.trim();
    let Some(inner) = line.strip_prefix("{{#").and_then(|l| l.strip_suffix("}}")) else {
        return false;
    };
    let inner = inner.trim();
    ["include", "rustdoc_include"].iter().any(|k| {
        inner
            .strip_prefix(k)
            .is_some_and(|rest| rest.starts_with(char::is_whitespace) && !rest.trim().is_empty())
    })
}

/// Problems with the code blocks of one page: Rust blocks must only
/// include, and every block must say what it holds.
fn check_code_blocks(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for block in code_blocks(text) {
        let lang = language(&block.info);
        if lang.is_empty() {
            problems.push(format!(
                "{}: code block without a language: mark it ```text or ```console, or make it a ```rust block of includes",
                block.line
            ));
        } else if lang == "rust" {
            let includes = block
                .body
                .iter()
                .filter(|(_, l)| is_include_line(l))
                .count();
            for (n, line) in &block.body {
                if !line.trim().is_empty() && !is_include_line(line) {
                    problems.push(format!(
                        "{n}: Rust pasted into a ```rust block (`{}`): include it from a crate with {{{{#include ../../chapters/<crate>/src/main.rs:anchor}}}}, or mark the block ```text if it is not Rust",
                        line.trim()
                    ));
                }
            }
            if includes == 0 && block.body.iter().all(|(_, l)| l.trim().is_empty()) {
                problems.push(format!("{}: empty ```rust block", block.line));
            }
        }
    }
    problems
}

/// Where an include on `page` points.
fn include_target(page: &Path, include: &Include) -> PathBuf {
    normalize(&page.parent().unwrap().join(&include.path))
}

/// `a/b/../c` to `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A line index (0-based) and an anchor name.
type Anchor = (usize, String);

/// The names of the anchors opened and closed in a file
/// (`ANCHOR: name` ... `ANCHOR_END: name`, usually in comments).
fn anchors(text: &str) -> (Vec<Anchor>, Vec<Anchor>) {
    let name_after = |line: &str, marker: &str| {
        line.find(marker).map(|at| {
            line[at + marker.len()..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect::<String>()
        })
    };
    let (mut starts, mut ends) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = name_after(line, "ANCHOR_END:") {
            ends.push((i, name));
        } else if let Some(name) = name_after(line, "ANCHOR:") {
            starts.push((i, name));
        }
    }
    (starts, ends)
}

/// Problems with the includes of one page.
fn check_includes(page: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for include in includes(text) {
        let n = include.line;
        let target = include_target(page, &include);
        let Ok(content) = std::fs::read_to_string(&target) else {
            let hint = if include.path.contains("generated/") {
                " (generated outputs: run `cargo xtask outputs`)"
            } else {
                ""
            };
            problems.push(format!(
                "{n}: {{{{#include {}}}}}: no such file {}{hint}",
                include.path,
                shown(&target)
            ));
            continue;
        };
        let Some(selector) = include.selector.as_deref() else {
            continue;
        };
        if selector.is_empty() || selector.starts_with(|c: char| c.is_ascii_digit() || c == ':') {
            problems.push(format!(
                "{n}: {{{{#include {}:{selector}}}}}: a line range drifts when the file changes: mark the lines with ANCHOR: name / ANCHOR_END: name and include by anchor",
                include.path
            ));
            continue;
        }
        let (starts, ends) = anchors(&content);
        let start = starts.iter().find(|(_, name)| name == selector);
        let end = ends.iter().find(|(_, name)| name == selector);
        match (start, end) {
            (None, _) => problems.push(format!(
                "{n}: anchor `{selector}` not found in {}: it needs a line with `ANCHOR: {selector}` and one with `ANCHOR_END: {selector}`",
                shown(&target)
            )),
            (Some(_), None) => problems.push(format!(
                "{n}: anchor `{selector}` in {} is opened but never closed: add `ANCHOR_END: {selector}`",
                shown(&target)
            )),
            (Some((s, _)), Some((e, _))) if e <= s => problems.push(format!(
                "{n}: anchor `{selector}` in {} ends (line {}) before it starts (line {})",
                shown(&target),
                e + 1,
                s + 1
            )),
            (Some((s, _)), Some((e, _))) => {
                let has_code = content
                    .lines()
                    .skip(s + 1)
                    .take(e - s - 1)
                    .any(|l| !l.trim().is_empty() && !l.contains("ANCHOR"));
                if !has_code {
                    problems.push(format!(
                        "{n}: anchor `{selector}` in {} is empty",
                        shown(&target)
                    ));
                }
            }
        }
    }
    problems
}

/// Problems with relative links and images (`[x](page.md)`,
/// `![t](generated/x.svg)`): each must point at a file that exists.
fn check_links(page: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut in_code = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            let file = target.split('#').next().unwrap_or("");
            if !file.is_empty() && !file.contains("://") && !file.starts_with("mailto:") {
                let path = normalize(&page.parent().unwrap().join(file));
                if !path.exists() {
                    problems.push(format!(
                        "{}: link or image `{target}`: no such file {}",
                        i + 1,
                        shown(&path)
                    ));
                }
            }
            rest = &after[end..];
        }
    }
    problems
}

// ---------------------------------------------------------------------------
// The checks over the real book.

#[test]
fn rust_blocks_only_include_code_from_crates() {
    check_pages("code blocks", |_, text| check_code_blocks(text));
}

#[test]
fn includes_name_existing_files_and_anchors() {
    check_pages("includes", check_includes);
}

#[test]
fn links_and_images_point_at_existing_files() {
    check_pages("links", check_links);
}

#[test]
fn summary_lists_every_page() {
    let summary = std::fs::read_to_string(book_dir().join("src/SUMMARY.md")).unwrap();
    let mut problems = Vec::new();
    for page in pages() {
        let rel = page
            .strip_prefix(book_dir().join("src"))
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel != "SUMMARY.md" && !summary.contains(&format!("]({rel})")) {
            problems.push(format!(
                "{}: not listed in book/src/SUMMARY.md, so the book never shows it",
                shown(&page)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The chapter crates: `chapters/*/Cargo.toml`, as (package name, folder).
fn chapter_crates() -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root().join("chapters")) {
        for entry in entries.flatten() {
            let dir = entry.path();
            if let Some(name) = outputs::package_name(&dir.join("Cargo.toml")) {
                found.push((name, dir));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_chapter_crate_has_a_page_that_includes_from_it() {
    let mut all_includes = Vec::new(); // (page, resolved target)
    let mut all_text = String::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for include in includes(&text) {
            all_includes.push((page.clone(), include_target(&page, &include)));
        }
        all_text.push_str(&text);
    }
    let mut problems = Vec::new();
    for (name, dir) in chapter_crates() {
        let dir = normalize(&dir);
        if !all_includes
            .iter()
            .any(|(_, target)| target.starts_with(&dir))
        {
            problems.push(format!(
                "{}: package {name} has no page that includes its code: add {{{{#include ../../{}/src/main.rs:anchor}}}} to its chapter page in book/src/",
                shown(&dir),
                shown(&dir)
            ));
        }
        for entry in OUTPUTS.iter().filter(|o| o.package == name) {
            let file = normalize(&root().join(entry.file_path()));
            if !all_includes.iter().any(|(_, target)| *target == file) {
                problems.push(format!(
                    "{}: the output of {name} is shown on no page: add {{{{#include generated/{}}}}} in a ```console block to its page",
                    entry.file_path(),
                    entry.file
                ));
            }
            if let Some(svg) = entry.svg
                && !all_text.contains(&format!("generated/{svg})"))
            {
                problems.push(format!(
                    "{}: the timeline of {name} is shown on no page: add ![...](generated/{svg}) to its page",
                    entry.svg_path().unwrap()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Runs `body` on a thread and fails with a message if it takes longer than
/// `limit`, instead of hanging the suite.
fn with_timeout<T: Send + 'static>(
    limit: Duration,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(body());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("did not finish within {} s", limit.as_secs())
        }
        // The check failed: pass its panic (and message) on.
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it ends"),
        },
    }
}

#[test]
fn shown_outputs_match_real_runs() {
    // Generous: the build may wait for another cargo holding the lock.
    with_timeout(Duration::from_secs(300), compare_outputs_with_fresh_runs);
}

fn compare_outputs_with_fresh_runs() {
    let root = root();
    let started = Instant::now();
    let mut problems = Vec::new();
    let mut todo: Vec<Output> = Vec::new();
    for entry in OUTPUTS {
        if outputs::package_dir(&root, entry.package).is_none() {
            eprintln!("skip {}: the package does not exist yet", entry.package);
            continue;
        }
        let file = root.join(entry.file_path());
        if !file.is_file() {
            problems.push(format!(
                "{}: missing; {} exists, so generate its output with `cargo xtask outputs {}`",
                entry.file_path(),
                entry.package,
                entry.package
            ));
            continue;
        }
        if let Some(svg) = entry.svg_path()
            && !root.join(&svg).is_file()
        {
            problems.push(format!(
                "{svg}: missing: generate it with `cargo xtask outputs {}`",
                entry.package
            ));
        }
        todo.push(*entry);
    }
    if !todo.is_empty() {
        let packages: Vec<&str> = todo.iter().map(|o| o.package).collect();
        let exes = outputs::build(&root, &packages).unwrap_or_else(|e| panic!("{e}"));
        let scratch = std::env::temp_dir().join(format!("async-tour-book-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).unwrap();
        // Light runs (mostly waiting on timers) go side by side; the
        // CPU-heavy ones go one after another beside them, so that two of
        // them never compete for the 2 cores.
        let check = |entry: &Output| {
            let exe = &exes.iter().find(|(p, _)| p == entry.package).unwrap().1;
            let svg = entry.svg.map(|name| scratch.join(name));
            check_one(&root, exe, entry, svg.as_deref())
        };
        let results: Vec<Result<(), String>> = std::thread::scope(|s| {
            let heavy = s.spawn(|| {
                todo.iter()
                    .filter(|e| e.cpu_heavy)
                    .map(check)
                    .collect::<Vec<_>>()
            });
            let light: Vec<_> = todo
                .iter()
                .filter(|e| !e.cpu_heavy)
                .map(|e| s.spawn(move || check(e)))
                .collect();
            let mut results: Vec<_> = light
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("the check panicked".into()))
                })
                .collect();
            results.extend(
                heavy
                    .join()
                    .unwrap_or_else(|_| vec![Err("the check panicked".into())]),
            );
            results
        });
        let _ = std::fs::remove_dir_all(&scratch);
        problems.extend(results.into_iter().filter_map(Result::err));
    }
    eprintln!(
        "checked {} shown output(s) against fresh runs in {:.1} s",
        todo.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "shown outputs differ from real runs (after masking numbers); regenerate with `cargo xtask outputs` if the change is intended:\n{}",
        problems.join("\n")
    );
}

fn check_one(root: &Path, exe: &Path, entry: &Output, svg: Option<&Path>) -> Result<(), String> {
    let shown_text = std::fs::read_to_string(root.join(entry.file_path())).unwrap_or_default();
    let run = outputs::run(root, exe, entry, svg)?;
    outputs::compare(&shown_text, &run.text, entry.order).map_err(|diff| {
        format!(
            "{} vs `{}`:\n{diff}",
            entry.file_path(),
            entry.command_line()
        )
    })?;
    if let Some(svg) = svg {
        let text = std::fs::read_to_string(svg).map_err(|e| {
            format!(
                "{}: run with --svg {} but no SVG written: {e}",
                entry.package,
                svg.display()
            )
        })?;
        if !text.contains("<svg") || !text.trim_end().ends_with("</svg>") {
            return Err(format!(
                "{}: --svg wrote something that is not an SVG",
                entry.package
            ));
        }
    }
    Ok(())
}

#[test]
fn compiler_errors_are_the_ones_the_book_shows() {
    // The first check builds tokio, futures and anyhow in check mode into
    // target/mistakes (about 20 s on 2 cores); later ones take a fraction of
    // a second each.
    with_timeout(Duration::from_secs(300), compare_errors_with_fresh_checks);
}

fn compare_errors_with_fresh_checks() {
    let root = root();
    let started = Instant::now();
    let all = mistakes::mistakes(&root).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !all.is_empty(),
        "no mistakes in {}/src/bin",
        mistakes::MISTAKES_DIR
    );
    let mut problems = Vec::new();
    let lock_version = |path: PathBuf, krate: &str| {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line == format!("name = \"{krate}\"") {
                return lines.next().map(str::to_string);
            }
        }
        None
    };
    let ours = lock_version(root.join("Cargo.lock"), "tokio");
    let theirs = lock_version(
        root.join(mistakes::MISTAKES_DIR).join("Cargo.lock"),
        "tokio",
    );
    if ours.is_none() || ours != theirs {
        problems.push(format!(
            "{}/Cargo.lock has tokio {theirs:?}, the course {ours:?}: copy the course's Cargo.lock there and run `cargo check --offline` in it",
            mistakes::MISTAKES_DIR
        ));
    }
    let mut all_includes = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for include in includes(&text) {
            all_includes.push(include_target(&page, &include));
        }
    }
    for mistake in &all {
        let shown_file = root.join(mistake.file_path());
        match mistakes::check_mistake(&root, mistake) {
            Err(e) => problems.push(e),
            Ok(fresh) => match std::fs::read_to_string(&shown_file) {
                Err(_) => problems.push(format!(
                    "{}: missing: generate it with `cargo xtask outputs {}`",
                    mistake.file_path(),
                    mistake.name
                )),
                Ok(shown) => {
                    if let Err(diff) = outputs::compare(&shown, &fresh, outputs::Order::InOrder) {
                        problems.push(format!(
                            "{} differs from what cargo prints today (regenerate with `cargo xtask outputs {}`):\n{diff}",
                            mistake.file_path(),
                            mistake.name
                        ));
                    }
                }
            },
        }
        if !all_includes.contains(&normalize(&shown_file)) {
            problems.push(format!(
                "{}: shown on no page: add {{{{#include generated/errors/{}.txt}}}} in a ```console block to the page that discusses it",
                mistake.file_path(),
                mistake.name
            ));
        }
    }
    // A shown error whose program is gone is stale.
    if let Ok(entries) = std::fs::read_dir(root.join(mistakes::ERRORS_DIR)) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let stem = name.strip_suffix(".txt").unwrap_or(&name);
            if !all.iter().any(|m| m.name == stem) {
                problems.push(format!(
                    "{}/{name}: no program {}/src/bin/{stem}.rs makes it: delete it",
                    mistakes::ERRORS_DIR,
                    mistakes::MISTAKES_DIR
                ));
            }
        }
    }
    eprintln!(
        "checked {} mistake(s) with cargo check in {:.1} s",
        all.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// Listings show the lesson: no listing of comments (or attributes) alone.

/// Problems with the listings of one page: an anchored include in a
/// ```` ```rust ```` or ```` ```toml ```` block whose lines are all
/// comments or attributes shows no code.
fn comment_only_listings(page: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for block in code_blocks(text) {
        let lang = language(&block.info);
        let is_code: fn(&str) -> bool = match lang {
            "rust" => |l| !(l.starts_with("//") || l.starts_with("#[") || l.starts_with("#![")),
            "toml" => |l| !l.starts_with('#'),
            _ => continue,
        };
        for (n, line) in &block.body {
            let Some(include) = includes(line).into_iter().next() else {
                continue;
            };
            if include.selector.is_none() {
                continue;
            }
            let Some(lines) = included_lines(page, &include) else {
                continue; // Reported by includes_name_existing_files_and_anchors.
            };
            let shows_code = lines
                .iter()
                .map(|l| l.trim())
                .any(|l| !l.is_empty() && is_code(l));
            if !shows_code {
                problems.push(format!(
                    "{n}: {{{{#include {}:{}}}}} shows only comments or attributes: put the code they describe inside the anchor",
                    include.path,
                    include.selector.as_deref().unwrap_or("")
                ));
            }
        }
    }
    problems
}

#[test]
fn listings_show_code_not_only_comments() {
    check_pages_but_pending("listings", comment_only_listings);
}

/// Like [`check_pages`], but the problems of the pages that
/// `book/tests/pending.txt` excuses from `check` are only printed, and an
/// excused page without problems fails (the list only shrinks).
fn check_pages_but_pending(check: &str, find: impl Fn(&Path, &str) -> Vec<String>) {
    let excused = pending(check);
    let mut problems = Vec::new();
    for page in pages() {
        let name = page.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&page).unwrap();
        let found = find(&page, &text);
        if excused.contains(&name) {
            if found.is_empty() {
                problems.push(format!(
                    "{}: passes now: remove `{check} {name}` from book/tests/pending.txt",
                    shown(&page)
                ));
            } else {
                eprintln!(
                    "{}: {} problem(s), pending (book/tests/pending.txt):\n  {}",
                    shown(&page),
                    found.len(),
                    found.join("\n  ")
                );
            }
        } else {
            problems.extend(found.into_iter().map(|f| format!("{}:{f}", shown(&page))));
        }
    }
    assert!(
        problems.is_empty(),
        "{check}: {} problem(s)\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Problems with the manifests shown on one page: a whole `Cargo.toml`
/// is mostly workspace boilerplate; the lesson is its tokio line.
fn whole_manifests(_page: &Path, text: &str) -> Vec<String> {
    includes(text)
        .into_iter()
        .filter(|i| i.path.ends_with("Cargo.toml") && i.selector.is_none())
        .map(|i| {
            format!(
                "{}: {{{{#include {}}}}} shows the whole manifest: include its tokio line with `{}:tokio`",
                i.line, i.path, i.path
            )
        })
        .collect()
}

#[test]
fn pages_show_the_tokio_line_not_whole_manifests() {
    check_pages_but_pending("manifests", whole_manifests);
}

#[test]
fn every_chapter_manifest_marks_its_tokio_line() {
    let mut problems = Vec::new();
    for (name, dir) in chapter_crates() {
        let manifest = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap_or_default();
        let (starts, ends) = anchors(&text);
        let start = starts.iter().find(|(_, n)| n == "tokio");
        let end = ends.iter().find(|(_, n)| n == "tokio");
        let marked = match (start, end) {
            (Some((s, _)), Some((e, _))) => text
                .lines()
                .skip(s + 1)
                .take(e.saturating_sub(s + 1))
                .any(|l| l.trim_start().starts_with("tokio")),
            _ => false,
        };
        if !marked {
            problems.push(format!(
                "{}: {name}'s tokio dependency needs `# ANCHOR: tokio` above it (with its comment) and `# ANCHOR_END: tokio` below, so its page can show it",
                shown(&manifest)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_listing_of_comments_alone_is_reported() {
    let dir = std::env::temp_dir().join(format!("async-tour-comment-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("code.rs"),
        "// ANCHOR: talk\n// what it would do\n#[tokio::main]\n// ANCHOR_END: talk\n// ANCHOR: code\n// why\nfn a() {}\n// ANCHOR_END: code\n",
    )
    .unwrap();
    let page = dir.join("src/page.md");
    let text = "```rust\n{{#include ../code.rs:talk}}\n```\n\n```rust\n{{#include ../code.rs:code}}\n```\n";
    let problems = comment_only_listings(&page, text);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("2: {{#include ../code.rs:talk}}"),
        "{problems:?}"
    );
}

// ---------------------------------------------------------------------------
// Everything fits: no rendered code line wider than 80 columns.

/// The widest a line of a rendered code block may be.
const MAX_COLUMNS: usize = 80;

/// The pages excused from `check` while another branch fixes what they
/// show (`book/tests/pending.txt`, shared with the browser test).
fn pending(check: &str) -> Vec<String> {
    let text = std::fs::read_to_string(book_dir().join("tests/pending.txt"))
        .expect("read book/tests/pending.txt");
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .filter(|(c, _)| *c == check)
        .map(|(_, page)| page.trim().to_string())
        .collect()
}

/// The lines an include puts on the page: the anchored region without its
/// marker lines, or the whole file. `None` if the file or anchor is
/// missing (`includes_name_existing_files_and_anchors` reports that).
fn included_lines(page: &Path, include: &Include) -> Option<Vec<String>> {
    let content = std::fs::read_to_string(include_target(page, include)).ok()?;
    let lines: Vec<&str> = content.lines().collect();
    let region: &[&str] = match include.selector.as_deref() {
        None => &lines,
        Some(anchor) => {
            let (starts, ends) = anchors(&content);
            let (s, _) = starts.iter().find(|(_, n)| n == anchor)?;
            let (e, _) = ends.iter().find(|(i, n)| n == anchor && i > s)?;
            &lines[s + 1..*e]
        }
    };
    Some(
        region
            .iter()
            .filter(|l| !l.contains("ANCHOR:") && !l.contains("ANCHOR_END:"))
            .map(|l| l.to_string())
            .collect(),
    )
}

/// Over-wide lines of one page's code blocks, includes expanded.
fn wide_code_lines(page: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for block in code_blocks(text) {
        for (n, line) in &block.body {
            let rendered = match includes(line).into_iter().next() {
                Some(include) if is_include_line(line) => {
                    let from = match &include.selector {
                        Some(anchor) => format!("{}:{anchor}", include.path),
                        None => include.path.clone(),
                    };
                    included_lines(page, &include)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|l| (from.clone(), l))
                        .collect()
                }
                _ => vec![(String::from("the page"), line.clone())],
            };
            for (from, l) in rendered {
                let width = l.chars().count();
                if width > MAX_COLUMNS {
                    problems.push(format!("{n}: {width} columns (from {from}): {}", l.trim()));
                }
            }
        }
    }
    problems
}

#[test]
fn code_blocks_fit_80_columns() {
    // Lines wider than 80 columns scroll sideways on a phone and in narrow
    // windows: shorten them in the source (or the program's output).
    check_pages_but_pending("width", wide_code_lines);
}

// ---------------------------------------------------------------------------
// The checks catch what they are meant to catch.

#[test]
fn an_over_wide_included_line_is_reported_with_its_source() {
    let dir = std::env::temp_dir().join(format!("async-tour-width-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let long = "x".repeat(MAX_COLUMNS + 1);
    std::fs::write(
        dir.join("code.rs"),
        format!("// ANCHOR: a\nfn a() {{}}\n// ANCHOR_END: a\n// ANCHOR: b\n// {long}\n// ANCHOR_END: b\n"),
    )
    .unwrap();
    let page = dir.join("src/page.md");
    let text = format!(
        "```rust\n{{{{#include ../code.rs:a}}}}\n```\n\n```rust\n{{{{#include ../code.rs:b}}}}\n```\n\n```text\n{long}\n```\n\n{long}\n"
    );
    let problems = wide_code_lines(&page, &text);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].starts_with("6: 84 columns (from ../code.rs:b)")
            || problems[0].starts_with("6: 84 columns (from ../code.rs)"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("10: 81 columns (from the page)"),
        "{problems:?}"
    );
}

#[test]
fn a_mistake_must_say_which_error_it_gives() {
    let root = std::env::temp_dir().join(format!("async-tour-mistakes-{}", std::process::id()));
    let bin = root.join(mistakes::MISTAKES_DIR).join("src/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("good.rs"),
        "//! expect: error[E0373]\nfn main() {}\n",
    )
    .unwrap();
    let found = mistakes::mistakes(&root).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "good");
    assert_eq!(found[0].expect, "error[E0373]");
    assert_eq!(found[0].command_line(), "$ cargo check --bin good");
    std::fs::write(bin.join("silent.rs"), "//! A mistake.\nfn main() {}\n").unwrap();
    let err = mistakes::mistakes(&root).unwrap_err();
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        err.contains("silent.rs") && err.contains("//! expect: error["),
        "{err}"
    );
}

#[test]
fn long_compiler_lines_continue_on_the_next_row_as_in_a_terminal() {
    let line = format!("  = note: {}", "word ".repeat(30).trim_end());
    let rows = mistakes::wrap(&line, 40);
    assert!(rows.len() > 1, "{rows:?}");
    assert!(
        rows[..rows.len() - 1]
            .iter()
            .all(|r| r.chars().count() == 40),
        "{rows:?}"
    );
    assert_eq!(
        rows.concat(),
        line,
        "the rows are the line, nothing added or lost"
    );
    assert_eq!(mistakes::wrap("short", 40), ["short"]);
    // Counted in characters, not bytes.
    assert_eq!(mistakes::wrap("…ab", 2), ["…a", "b"]);
}

#[test]
fn the_timeline_notice_is_not_shown() {
    let printed =
        "1.0 [INFO] - Got response 1\n2.0 [INFO] - Timeline written to /tmp/x/t.svg\nSummary\n";
    assert_eq!(
        outputs::without_svg_notice(printed, "/tmp/x/t.svg"),
        "1.0 [INFO] - Got response 1\nSummary\n"
    );
}

#[test]
fn a_pasted_rust_listing_is_reported_with_its_line() {
    let page = "# T\n\n```rust\n{{#include ../x.rs:a}}\nfn main() {}\n```\n\n```rust,ignore\n{{#include ../x.rs}}\n```\n";
    let problems = check_code_blocks(page);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("5: Rust pasted"), "{problems:?}");
}

#[test]
fn an_unmarked_code_block_is_reported() {
    let problems =
        check_code_blocks("text\n\n```\ncargo run\n```\n\n```console\n$ cargo run\n```\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("3: code block without a language"));
}

#[test]
fn escaped_includes_are_not_includes() {
    let found =
        includes("a {{#include x.rs:one}} b \\{{#include y.rs}} {{#rustdoc_include z.rs}}\n");
    let paths: Vec<_> = found.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["x.rs", "z.rs"]);
    assert_eq!(found[0].selector.as_deref(), Some("one"));
}

#[test]
fn missing_files_anchors_and_line_ranges_are_reported() {
    let dir = std::env::temp_dir().join(format!("async-tour-anchor-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("code.rs"),
        "// ANCHOR: good\nfn a() {}\n// ANCHOR_END: good\n// ANCHOR: open\nfn b() {}\n// ANCHOR: empty\n// ANCHOR_END: empty\n",
    )
    .unwrap();
    let page = dir.join("src/page.md");
    let text = "{{#include ../code.rs:good}}\n{{#include ../code.rs:nope}}\n{{#include ../code.rs:open}}\n{{#include ../code.rs:empty}}\n{{#include ../code.rs:3:5}}\n{{#include ../gone.rs}}\n";
    let problems = check_includes(&page, text);
    let _ = std::fs::remove_dir_all(&dir);
    let lines: Vec<&str> = problems
        .iter()
        .map(|p| p.split(':').next().unwrap())
        .collect();
    assert_eq!(lines, ["2", "3", "4", "5", "6"], "{problems:#?}");
    assert!(problems[0].contains("`nope` not found"));
    assert!(problems[1].contains("never closed"));
    assert!(problems[2].contains("is empty"));
    assert!(problems[3].contains("line range"));
    assert!(problems[4].contains("no such file"));
}

#[test]
fn masking_hides_timings_but_not_words() {
    let a = "$ cargo run -p chapter5\n1.004 [INFO] - Got response 1\n2.010 [INFO] - Got response 2\nreq 1 |██████    | 1003 ms\n";
    let b = "$ cargo run -p chapter5\n1.263 [INFO] - Got response 1\n2.468 [INFO] - Got response 2\nreq 1 |   ██████████ | 1012 ms\n";
    assert_eq!(outputs::compare(a, b, outputs::Order::InOrder), Ok(()));
    let c = b.replace("Got response 2", "Received response 2");
    let err = outputs::compare(a, &c, outputs::Order::InOrder).unwrap_err();
    assert!(err.contains("masked line 3"), "{err}");
    // The course's ASCII bars, started at another column, read the same;
    // a word in the row's times does not.
    let f = "#1-42     |######............| 3.151-3.285 s\n";
    let g = "#1-42     |.#######==........| 3.161-3.297 s\n";
    assert_eq!(outputs::compare(f, g, outputs::Order::InOrder), Ok(()));
    let h = g.replace(" s\n", " s, dropped\n");
    assert!(outputs::compare(f, &h, outputs::Order::InOrder).is_err());
    // Tasks finishing in another order only pass when order does not matter.
    let d = "x\n# [INFO] - task A done\n# [INFO] - task B done\n";
    let e = "x\n# [INFO] - task B done\n# [INFO] - task A done\n";
    assert!(outputs::compare(d, e, outputs::Order::InOrder).is_err());
    assert_eq!(outputs::compare(d, e, outputs::Order::AnyOrder), Ok(()));
    // A ticker that ticked more often reads the same.
    assert_eq!(
        outputs::compare(
            "tick 1\ntick 2\ndone\n",
            "tick 1\ntick 2\ntick 3\ndone\n",
            outputs::Order::InOrder
        ),
        Ok(())
    );
}

#[test]
fn the_manifest_is_consistent() {
    let mut seen = std::collections::HashSet::new();
    for entry in OUTPUTS {
        assert!(
            seen.insert(entry.file),
            "{} appears twice in book/outputs.rs",
            entry.file
        );
        assert!(
            entry.file.ends_with(".txt"),
            "{}: outputs are .txt files",
            entry.file
        );
        if let Some(svg) = entry.svg {
            assert!(seen.insert(svg), "{svg} appears twice in book/outputs.rs");
            assert!(svg.ends_with(".svg"), "{svg}: timelines are .svg files");
        }
        assert!(
            !entry.args.contains(&"--svg"),
            "{}: --svg is added by the `svg` field, not in args",
            entry.package
        );
    }
}
