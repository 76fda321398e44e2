//! `cargo xtask book`: the pinned mdBook, installed on first use into
//! `target/tools`, then `mdbook build`, and a small loopback server for the
//! result (see serve.rs).
//!
//! The install compiles mdBook from crates.io, the fastest way that stays
//! with the official sources (see bench/build-times-results.md): in debug
//! mode (a third of the CPU time of a release build; building this book
//! takes a second or two either way) and with only the `search` feature
//! (no `serve` or `watch`: tokio, axum, notify...).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The mdBook the book is written for. 0.5 needs Rust 1.88 or later.
pub const MDBOOK_VERSION: &str = "0.5.4";

/// Where `cargo install --root` puts tools: `tools` in the target
/// directory (`target/tools`, or under `CARGO_TARGET_DIR` when it is set,
/// so that a fresh target directory measures a fresh install).
fn tools_root(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir).join("tools"),
        _ => root.join("target/tools"),
    }
}

/// Builds the book once into `book/build`; any warning or error that mdBook
/// prints fails the build.
pub fn build(root: &Path) -> Result<(), String> {
    let mdbook = ensure_mdbook(root)?;
    println!("Building the book into book/build ...");
    let out = Command::new(&mdbook)
        .current_dir(root)
        .args(["build", "book"])
        // mdBook's default log level shows warnings; a RUST_LOG from the
        // caller could hide them.
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", mdbook.display()))?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{printed}");
    if !out.status.success() {
        return Err(format!("mdbook build failed ({})", out.status));
    }
    let problems: Vec<&str> = printed.lines().filter(|l| is_problem(l)).collect();
    if !problems.is_empty() {
        return Err(format!(
            "mdbook printed {} warning(s) or error(s); the book must build cleanly:\n{}",
            problems.len(),
            problems.join("\n")
        ));
    }
    println!(
        "Built: open {} in a browser, or serve it with `cargo xtask book`.",
        root.join("book/build/index.html").display()
    );
    Ok(())
}

/// A log line at warning or error level (mdBook prints `WARN` / `ERROR`).
fn is_problem(line: &str) -> bool {
    line.split(|c: char| !c.is_ascii_alphabetic())
        .any(|word| word == "WARN" || word == "ERROR")
}

/// Builds the book, then serves it on 127.0.0.1:`port` until Ctrl-C,
/// rebuilding it when a source changes.
pub fn serve(root: &Path, port: u16) -> Result<(), String> {
    build(root)?;
    let again = root.to_path_buf();
    crate::serve::serve(root, &root.join("book/build"), port, move || {
        println!("A source of the book changed: rebuilding ...");
        if let Err(e) = build(&again) {
            eprintln!("error: {e}");
        }
    })
}

/// The path of mdBook `MDBOOK_VERSION`, installing it first if it is
/// missing or another version.
pub fn ensure_mdbook(root: &Path) -> Result<PathBuf, String> {
    let tools = tools_root(root);
    let shown = tools
        .strip_prefix(root)
        .unwrap_or(&tools)
        .display()
        .to_string();
    let mdbook = tools
        .join("bin")
        .join(format!("mdbook{}", std::env::consts::EXE_SUFFIX));
    match installed_version(&mdbook) {
        Some(v) if v == MDBOOK_VERSION => return Ok(mdbook),
        Some(v) => println!(
            "{} is mdBook {v}; the book needs {MDBOOK_VERSION}: reinstalling.",
            mdbook.display()
        ),
        None => println!("mdBook {MDBOOK_VERSION} is not installed in {shown} yet."),
    }
    println!(
        "Installing it, once: `cargo install mdbook --version {MDBOOK_VERSION} --locked --debug \
         --no-default-features --features search --root {shown}`.\n\
         This compiles mdBook from crates.io: about 2 minutes on 2 cores (131 s of CPU), \
         longer while other builds run."
    );
    let started = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "install",
            "mdbook",
            "--version",
            MDBOOK_VERSION,
            "--locked",
            // Replace whatever is there, even a binary that cargo's records
            // call 0.5.4 but that reports another version.
            "--force",
            // Unoptimised: a third of the CPU time of a release build.
            "--debug",
            // Search is the one feature the book uses; no `serve`/`watch`.
            "--no-default-features",
            "--features",
            "search",
            "--root",
        ])
        // No debug info and no incremental cache: nobody debugs mdBook here.
        .env("CARGO_PROFILE_DEV_DEBUG", "false")
        .env("CARGO_INCREMENTAL", "0")
        .arg(&tools)
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if !status.success() {
        return Err(format!("cargo install mdbook failed ({status})"));
    }
    match installed_version(&mdbook) {
        Some(v) if v == MDBOOK_VERSION => {
            println!("Installed mdBook {v} in {:.0?}.", started.elapsed());
            Ok(mdbook)
        }
        other => Err(format!(
            "after installing, {} reports version {other:?}, not {MDBOOK_VERSION}",
            mdbook.display()
        )),
    }
}

/// The version `mdbook --version` reports (`mdbook v0.5.4` gives `0.5.4`).
fn installed_version(mdbook: &Path) -> Option<String> {
    let out = Command::new(mdbook).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(1)?;
    Some(version.trim_start_matches('v').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_and_errors_are_problems() {
        assert!(is_problem(
            "2025-01-01 12:00:00 [WARN] (mdbook::preprocess): oops"
        ));
        assert!(is_problem(" WARN mdbook_html: Previous chapter not found"));
        assert!(is_problem("ERROR Failed to load"));
        assert!(!is_problem(" INFO Book building has started"));
        assert!(!is_problem("a WARNING-free line about errors"));
    }
}
