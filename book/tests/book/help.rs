//! `--help` of every program a learner runs fits 80 columns: each chapter,
//! the delay server, and `cargo progress` (`cargo xtask`'s help is checked
//! by xtask's own unit test). clap wraps help to the terminal's width, or
//! to `COLUMNS` when stdout is not a terminal: both are tried, narrow and
//! very wide, so neither a pipe nor a wide terminal lets a line grow.

use super::{chapter_crates, root, with_timeout};
use std::process::{Command, Stdio};
use std::time::Duration;

const WIDTH: usize = 80;

/// The lines of `text` wider than [`WIDTH`] columns (characters: the help
/// is ASCII apart from a few punctuation marks of width one).
fn wide_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > WIDTH)
        .map(|l| format!("{} columns: {l}", l.chars().count()))
        .collect()
}

#[test]
fn help_fits_80_columns_in_every_program_a_learner_runs() {
    let mut packages: Vec<String> = chapter_crates().into_iter().map(|(name, _)| name).collect();
    packages.extend(["mock-server".to_string(), "checker".to_string()]);
    let problems = with_timeout(Duration::from_secs(300), move || {
        let names: Vec<&str> = packages.iter().map(String::as_str).collect();
        let built = crate::outputs::build(&root(), &names).expect("the programs build");
        let mut problems = Vec::new();
        for (package, exe) in built {
            for (flag, columns) in [
                ("--help", None),
                ("--help", Some("300")),
                ("-h", Some("300")),
            ] {
                let mut command = Command::new(&exe);
                command
                    .arg(flag)
                    .env_remove("COLUMNS")
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                if let Some(columns) = columns {
                    command.env("COLUMNS", columns);
                }
                let out = command.output().expect("the program runs");
                let text = String::from_utf8_lossy(&out.stdout);
                let shown = match columns {
                    Some(c) => format!("COLUMNS={c} {package} {flag}"),
                    None => format!("{package} {flag} (a pipe, no COLUMNS)"),
                };
                if !out.status.success() || text.trim().is_empty() {
                    problems.push(format!(
                        "{shown}: exit {:?}, {} bytes of help",
                        out.status.code(),
                        text.len()
                    ));
                }
                for line in wide_lines(&text) {
                    problems.push(format!("{shown}: {line}"));
                }
            }
        }
        problems
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_wide_help_line_is_reported() {
    let ok = "x".repeat(80);
    let wide = format!("  --flag  {}", "y".repeat(75));
    assert_eq!(wide_lines(&ok), Vec::<String>::new());
    assert_eq!(
        wide_lines(&format!("{ok}\n{wide}\n")),
        vec![format!("85 columns: {wide}")]
    );
}
