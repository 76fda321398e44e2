//! The compiler errors shown in the book: the mistakes it warns about, each
//! a program in `book/mistakes/src/bin/` that must not compile (see
//! `book/mistakes/README.md`). Read by two programs, like `outputs.rs`:
//!
//! - `cargo xtask outputs` checks every mistake and writes what cargo
//!   printed to `book/src/generated/errors/<name>.txt`;
//! - the book test `compiler_errors_are_the_ones_the_book_shows` checks them
//!   again, asserts each one's error, and compares with what is shown.
//!
//! Adding a mistake takes one file in `book/mistakes/src/bin/`: this code
//! finds it. It uses `std` only.

#![allow(dead_code)] // Each includer uses a different part.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The package of mistakes (a workspace of its own, see its README).
pub const MISTAKES_DIR: &str = "book/mistakes";

/// Where the compiler's messages for the mistakes go.
pub const ERRORS_DIR: &str = "book/src/generated/errors";

/// The terminal width the book shows compiler output at. rustc is told
/// it (`--diagnostic-width`, stable, and what cargo itself passes when it
/// knows the terminal's width): it then trims long *source* lines around
/// the part it points at ("...x: u32 = ..."). It does not wrap its
/// messages or labels; a terminal of this width continues a longer line
/// on the next row, at the first column, and so does the book ([`wrap`]).
pub const WIDTH: usize = 80;

/// The longest `cargo check` of one mistake may take (the first one builds
/// tokio, futures and anyhow in check mode).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(240);

/// One program that must not compile.
#[derive(Debug, Clone)]
pub struct Mistake {
    /// The binary's name: its file name without `.rs`.
    pub name: String,
    /// What the first line promises: `error[E0373]`, or `error: message`.
    pub expect: String,
}

impl Mistake {
    /// The command shown as the first line of the output.
    pub fn command_line(&self) -> String {
        format!("$ cargo check --bin {}", self.name)
    }

    /// The output file, relative to the workspace root.
    pub fn file_path(&self) -> String {
        format!("{ERRORS_DIR}/{}.txt", self.name)
    }
}

/// Every mistake in `book/mistakes/src/bin/`, sorted by name. Each file's
/// first line must be `//! expect: error[E....]` (or `//! expect: error: ...`).
pub fn mistakes(root: &Path) -> Result<Vec<Mistake>, String> {
    let dir = root.join(MISTAKES_DIR).join("src/bin");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".rs"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("//! expect:"))
            .map(str::trim)
            .filter(|e| e.starts_with("error"))
            .ok_or_else(|| {
                format!(
                    "{MISTAKES_DIR}/src/bin/{name}.rs: the first line must say which error it gives, like `//! expect: error[E0373]`"
                )
            })?;
        found.push(Mistake {
            name: name.to_string(),
            expect: expect.to_string(),
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Checks one mistake with `cargo check` and returns what the book shows:
/// the command line, then cargo's messages as an 80-column terminal shows
/// them (rustc's layout at [`WIDTH`], paths into the registry shortened,
/// longer lines continued on the next row). Fails if it compiles, or gives
/// another error than the one its first line promises.
///
/// Run as `cargo rustc --profile check -- --diagnostic-width=80`, which is
/// `cargo check` with the flag given to this one crate only (in RUSTFLAGS
/// it would reach every dependency, and rebuild them all).
pub fn check_mistake(root: &Path, mistake: &Mistake) -> Result<String, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root.join(MISTAKES_DIR))
        .args([
            "rustc",
            "--quiet",
            "--offline",
            "--locked",
            "--profile",
            "check",
            "--bin",
        ])
        .arg(&mistake.name)
        .arg("--")
        .arg(format!("--diagnostic-width={WIDTH}"))
        .env("CARGO_TARGET_DIR", root.join("target/mistakes"))
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("RUSTFLAGS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run cargo check: {e}"))?;
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > CHECK_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{}: cargo check did not finish within {} s: killed",
                    mistake.name,
                    CHECK_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("cannot wait for cargo check: {e}")),
        }
    };
    let printed = reader.join().unwrap_or_default();
    let file = format!("{MISTAKES_DIR}/src/bin/{}.rs", mistake.name);
    if status.success() {
        return Err(format!(
            "{file} compiles, but it is there to show `{}`",
            mistake.expect
        ));
    }
    if !printed.lines().any(|l| l.starts_with(&mistake.expect)) {
        return Err(format!(
            "{file}: expected `{}`, but cargo check printed:\n{printed}",
            mistake.expect
        ));
    }
    let mut text = mistake.command_line();
    text.push('\n');
    for line in printed.lines() {
        for piece in wrap(&shorten_registry_path(line), WIDTH) {
            text.push_str(&piece);
            text.push('\n');
        }
    }
    Ok(text)
}

/// `/home/me/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokio-1.54.1/...`
/// becomes `~/.cargo/registry/src/…/tokio-1.54.1/...`: the same on every
/// machine, and short enough to fit.
fn shorten_registry_path(line: &str) -> String {
    let marker = "/registry/src/";
    let Some(at) = line.find(marker) else {
        return line.to_string();
    };
    let start = line[..at].rfind(' ').map_or(0, |s| s + 1);
    let after = at + marker.len();
    let Some(slash) = line[after..].find('/') else {
        return line.to_string();
    };
    format!(
        "{}~/.cargo/registry/src/…{}",
        &line[..start],
        &line[after + slash..]
    )
}

/// A line as a terminal `width` columns wide shows it: longer lines go on
/// in the next row, from its first column, `width` characters at a time.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= width {
        return vec![line.to_string()];
    }
    chars
        .chunks(width)
        .map(|row| row.iter().collect())
        .collect()
}
