//! `cargo xtask outputs`: rerun the chapters and rewrite what the book
//! shows of them, then check the mistakes and rewrite the compiler errors
//! the book shows. The lists are `book/outputs.rs` (module `manifest`) and
//! the files of `book/mistakes/src/bin/` (module `mistakes`).

use crate::manifest::{self, OUTPUTS, Output};
use mistakes::Mistake;
use std::path::Path;

// The compiler errors the book shows, shared with the book's tests.
#[path = "../../book/mistakes.rs"]
mod mistakes;

// The concept diagrams and generated tables (owned by the pictures' side).
#[path = "../../book/diagrams.rs"]
mod diagrams;

pub fn regenerate(root: &Path, only: &[String]) -> Result<(), String> {
    let all_mistakes = mistakes::mistakes(root)?;
    for name in only {
        let known = OUTPUTS.iter().any(|o| o.package == name.as_str())
            || all_mistakes.iter().any(|m| m.name == *name);
        if !known {
            return Err(format!(
                "{name} is neither an entry of book/outputs.rs ({}) nor a mistake in book/mistakes/src/bin/ ({})",
                OUTPUTS
                    .iter()
                    .map(|o| o.package)
                    .collect::<Vec<_>>()
                    .join(", "),
                all_mistakes
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let wanted = |name: &str| only.is_empty() || only.iter().any(|n| n == name);
    let todo: Vec<&Mistake> = all_mistakes.iter().filter(|m| wanted(&m.name)).collect();
    write_diagrams(root)?;
    run_chapters(root, only)?;
    write_errors(root, &todo)
}

/// Writes the concept diagrams and generated tables: no run needed, so
/// every time.
fn write_diagrams(root: &Path) -> Result<(), String> {
    let dir = root.join(manifest::GENERATED_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for name in diagrams::write_all(&dir)? {
        println!("wrote {}/{name}", manifest::GENERATED_DIR);
    }
    Ok(())
}

/// Checks each mistake and writes what cargo printed.
fn write_errors(root: &Path, todo: &[&Mistake]) -> Result<(), String> {
    if todo.is_empty() {
        return Ok(());
    }
    let dir = root.join(mistakes::ERRORS_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for mistake in todo {
        println!("{}", mistake.command_line());
        let text = mistakes::check_mistake(root, mistake)?;
        let file = root.join(mistake.file_path());
        std::fs::write(&file, &text)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        println!(
            "  wrote {} ({}, {} lines)",
            mistake.file_path(),
            mistake.expect,
            text.lines().count()
        );
    }
    Ok(())
}

/// Reruns the chapters of book/outputs.rs (all, or those in `only`).
fn run_chapters(root: &Path, only: &[String]) -> Result<(), String> {
    let mut todo: Vec<&Output> = Vec::new();
    for entry in OUTPUTS {
        if !only.is_empty() && !only.iter().any(|n| n == entry.package) {
            continue;
        }
        if manifest::package_dir(root, entry.package).is_none() {
            println!("skip {}: the package does not exist yet", entry.package);
            continue;
        }
        todo.push(entry);
    }
    if todo.is_empty() {
        return Ok(());
    }

    let mut packages: Vec<&str> = todo.iter().map(|o| o.package).collect();
    packages.dedup();
    println!("Building {} ...", packages.join(", "));
    let exes = manifest::build(root, &packages)?;

    let generated = root.join(manifest::GENERATED_DIR);
    std::fs::create_dir_all(&generated)
        .map_err(|e| format!("cannot create {}: {e}", generated.display()))?;
    for entry in todo {
        let exe = &exes
            .iter()
            .find(|(p, _)| p == entry.package)
            .expect("built above")
            .1;
        println!("{}", entry.command_line());
        // The run gets the relative path, which is also what it may print.
        let svg = entry.svg_path();
        let run = manifest::run(root, exe, entry, svg.as_deref().map(Path::new))?;
        let file = root.join(entry.file_path());
        std::fs::write(&file, &run.text)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        println!(
            "  wrote {} ({} lines, the run took {:.2} s)",
            entry.file_path(),
            run.text.lines().count(),
            run.elapsed.as_secs_f64()
        );
        if let Some(svg) = svg {
            if !root.join(&svg).is_file() {
                return Err(format!(
                    "{} was run with --svg {svg} but wrote no such file",
                    entry.package
                ));
            }
            println!("  wrote {svg}");
        }
    }
    Ok(())
}
