//! The exercises are listed in several places, and they agree with
//! `EXERCISES`, the order `cargo progress` follows: the folders under
//! `exercises/` and `solutions/` (and their package names), each brief's
//! title, and the book's exercises page (its table and its details).

use checker::EXERCISES;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

/// The folders under `folder` that hold a crate, sorted, `checker` aside.
fn crate_folders(folder: &str) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(root().join(folder))
        .unwrap_or_else(|e| panic!("read {folder}/: {e}"))
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "checker")
        .collect();
    found.sort();
    found
}

fn package_name(manifest: &Path) -> String {
    let text = std::fs::read_to_string(manifest)
        .unwrap_or_else(|e| panic!("read {}: {e}", manifest.display()));
    text.lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{}: no package name", manifest.display()))
        .to_string()
}

fn order() -> Vec<&'static str> {
    EXERCISES.iter().map(|e| e.dir).collect()
}

#[test]
fn the_folders_are_the_exercises_in_course_order() {
    assert_eq!(
        crate_folders("exercises"),
        order(),
        "the crates under exercises/, sorted, are EXERCISES in order \
         (exercises/checker/src/exercises.rs)"
    );
    assert_eq!(
        crate_folders("solutions"),
        order(),
        "every exercise has a solution under solutions/, and no other"
    );
    for e in EXERCISES {
        let starter = package_name(&root().join("exercises").join(e.dir).join("Cargo.toml"));
        let solution = package_name(&root().join("solutions").join(e.dir).join("Cargo.toml"));
        assert_eq!(starter, e.package, "exercises/{}: package name", e.dir);
        assert_eq!(
            solution,
            e.solution_package(),
            "solutions/{}: package name",
            e.dir
        );
    }
}

#[test]
fn each_brief_has_the_title_progress_shows() {
    for (e, dir) in EXERCISES.iter().map(|e| (e, e.dir)) {
        let brief = std::fs::read_to_string(root().join("exercises").join(dir).join("src/lib.rs"))
            .expect("read the brief");
        let first = brief.lines().next().unwrap_or_default();
        let title = first.split_once(": ").map(|(_, t)| t).unwrap_or_default();
        assert_eq!(
            title, e.title,
            "exercises/{dir}/src/lib.rs opens with `{first}`; cargo progress \
             calls it \"{}\"",
            e.title
        );
    }
}

#[test]
fn the_exercises_page_lists_them_in_course_order() {
    let page = std::fs::read_to_string(root().join("book/src/exercises.md"))
        .expect("read book/src/exercises.md");
    // The table: | `06-concurrent` | [chapter 6](chapter6.md) | ... |
    let rows: Vec<(&str, &str)> = page
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once("` | [chapter "))
        .map(|(dir, rest)| (dir, rest.split(']').next().unwrap_or_default()))
        .collect();
    let dirs: Vec<&str> = rows.iter().map(|(d, _)| *d).collect();
    assert_eq!(dirs, order(), "the table of book/src/exercises.md");
    for (dir, chapter) in rows {
        let number = dir
            .split('-')
            .next()
            .unwrap_or_default()
            .trim_start_matches('0');
        assert_eq!(
            chapter, number,
            "book/src/exercises.md: `{dir}` comes after chapter {number}"
        );
    }
    // The details, one per exercise: <summary><code>dir</code> (package <code>pkg</code>)
    let details: Vec<(&str, &str)> = page
        .lines()
        .filter_map(|l| l.strip_prefix("<summary><code>"))
        .filter_map(|rest| rest.split_once("</code> (package <code>"))
        .map(|(dir, rest)| (dir, rest.split('<').next().unwrap_or_default()))
        .collect();
    let expected: Vec<(&str, &str)> = EXERCISES.iter().map(|e| (e.dir, e.package)).collect();
    assert_eq!(
        details, expected,
        "the <details> of book/src/exercises.md, one per exercise, in order"
    );
}
