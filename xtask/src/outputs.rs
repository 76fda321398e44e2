//! `cargo xtask outputs`: rerun the chapters and rewrite what the book
//! shows of them. The list is `book/outputs.rs` (module `manifest`).

use crate::manifest::{self, OUTPUTS, Output};
use std::path::Path;

// The concept diagrams and generated tables (owned by the pictures' side).
#[path = "../../book/diagrams.rs"]
mod diagrams;

pub fn regenerate(root: &Path, only: &[String]) -> Result<(), String> {
    for name in only {
        if !OUTPUTS.iter().any(|o| o.package == name.as_str()) {
            return Err(format!(
                "{name} has no entry in book/outputs.rs (entries: {})",
                OUTPUTS
                    .iter()
                    .map(|o| o.package)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    // The diagrams need no run: written every time, in a blink.
    let generated = root.join(manifest::GENERATED_DIR);
    std::fs::create_dir_all(&generated)
        .map_err(|e| format!("cannot create {}: {e}", generated.display()))?;
    for name in diagrams::write_all(&generated)? {
        println!("wrote {}/{name}", manifest::GENERATED_DIR);
    }

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
        println!("Nothing to run.");
        return Ok(());
    }

    let mut packages: Vec<&str> = todo.iter().map(|o| o.package).collect();
    packages.dedup();
    println!("Building {} ...", packages.join(", "));
    let exes = manifest::build(root, &packages)?;

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
