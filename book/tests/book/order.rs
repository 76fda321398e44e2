//! The lists the course keeps in more than one place agree: the chapter
//! crates under `chapters/`, the parts and chapters of the introduction,
//! the book's `SUMMARY.md` (which decides mdBook's sidebar numbers and its
//! "next" and "previous" links), and the README's chapter table.
//!
//! The exercises' order (`cargo progress`, the exercises page, the
//! folders) is checked by the checker's own tests, which know `EXERCISES`.

use super::{book_dir, chapter_crates, root};

/// A chapter number from a package name `chapterN`.
fn chapter_number(package: &str) -> Option<u32> {
    package.strip_prefix("chapter")?.parse().ok()
}

/// The chapter numbers of the crates under `chapters/`, sorted.
fn crate_numbers() -> Vec<u32> {
    let mut numbers: Vec<u32> = chapter_crates()
        .iter()
        .map(|(name, dir)| {
            chapter_number(name).unwrap_or_else(|| {
                panic!("{}: package `{name}` is not named chapterN", dir.display())
            })
        })
        .collect();
    numbers.sort();
    numbers
}

/// A part of the course as the introduction names it: its heading
/// (`Part II: Tasks that work together`) and the chapters it lists.
#[derive(Debug, PartialEq)]
struct Part {
    title: String,
    chapters: Vec<u32>,
}

/// The parts in `### Part ...` headings of the introduction's "What you
/// will learn", each with the numbers of the `N. **...**` items under it.
fn introduction_parts(text: &str) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("### Part ") {
            parts.push(Part {
                title: format!("Part {}", title.trim()),
                chapters: Vec::new(),
            });
        } else if line.starts_with("## ") {
            // The next section ends the list.
            if !parts.is_empty() {
                break;
            }
        } else if let Some(part) = parts.last_mut()
            && let Some((number, rest)) = line.split_once(". ")
            && rest.starts_with("**")
            && let Ok(number) = number.parse()
        {
            part.chapters.push(number);
        }
    }
    parts
}

/// One line of `SUMMARY.md` that matters to the order.
#[derive(Debug, PartialEq)]
enum Entry {
    /// `# Part ...`: a part heading.
    Part(String),
    /// `- [Name](file.md)`, indented `depth` levels: a numbered page.
    Numbered { file: String, depth: usize },
    /// `[Name](file.md)` outside a list: an unnumbered page.
    Plain(String),
}

fn summary_entries(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    for line in text.lines() {
        let file = line
            .split_once("](")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(file, _)| file.to_string());
        let trimmed = line.trim_start();
        if let Some(title) = line.strip_prefix("# ") {
            if title != "Summary" {
                entries.push(Entry::Part(title.trim().to_string()));
            }
        } else if let (Some(file), true) = (file.clone(), trimmed.starts_with("- [")) {
            let depth = (line.len() - trimmed.len()) / 2;
            entries.push(Entry::Numbered { file, depth });
        } else if let Some(file) = file {
            entries.push(Entry::Plain(file));
        }
    }
    entries
}

/// The number mdBook shows in the sidebar for each numbered page: top-level
/// pages count 1, 2, 3... across part headings, nested ones 9.1, 9.2...
fn sidebar_numbers(entries: &[Entry]) -> Vec<(String, String)> {
    let mut counters: Vec<u32> = Vec::new();
    let mut numbers = Vec::new();
    for entry in entries {
        if let Entry::Numbered { file, depth } = entry {
            counters.truncate(depth + 1);
            while counters.len() < depth + 1 {
                counters.push(0);
            }
            counters[*depth] += 1;
            let shown: Vec<String> = counters.iter().map(u32::to_string).collect();
            numbers.push((file.clone(), format!("{}.", shown.join("."))));
        }
    }
    numbers
}

/// Checks SUMMARY.md against the introduction's parts and the crates.
fn summary_problems(summary: &str, parts: &[Part], crates: &[u32]) -> Vec<String> {
    let mut problems = Vec::new();
    let entries = summary_entries(summary);

    let headings: Vec<&str> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Part(title) => Some(title.as_str()),
            _ => None,
        })
        .collect();
    let expected: Vec<&str> = parts.iter().map(|p| p.title.as_str()).collect();
    if headings != expected {
        problems.push(format!(
            "SUMMARY.md's part headings are {headings:?}; the introduction names \
             the parts {expected:?}: one heading per part, worded the same"
        ));
    }

    // Each chapter's page: once, at the top level, under its part.
    let mut part: Option<&str> = None;
    let mut seen: Vec<u32> = Vec::new();
    for entry in &entries {
        match entry {
            Entry::Part(title) => part = Some(title),
            Entry::Numbered { file, depth } => {
                let Some(n) = file
                    .strip_prefix("chapter")
                    .and_then(|f| f.strip_suffix(".md"))
                    .and_then(|f| f.parse::<u32>().ok())
                else {
                    continue;
                };
                if *depth != 0 {
                    problems.push(format!("{file} is nested; a chapter is a top-level page"));
                }
                seen.push(n);
                let wanted = parts.iter().find(|p| p.chapters.contains(&n));
                match (wanted, part) {
                    (Some(wanted), Some(part)) if wanted.title == part => {}
                    (Some(wanted), _) => problems.push(format!(
                        "{file} is under {part:?} in SUMMARY.md; the introduction puts \
                         chapter {n} in \"{}\"",
                        wanted.title
                    )),
                    (None, _) => problems.push(format!(
                        "{file}: the introduction lists no chapter {n} in any part"
                    )),
                }
            }
            Entry::Plain(_) => {}
        }
    }
    if seen != crates {
        problems.push(format!(
            "SUMMARY.md lists the chapter pages in the order {seen:?}; the crates \
             under chapters/ are {crates:?}: each once, in numeric order"
        ));
    }

    // Nested pages (chapter9-giving-up.md) sit under their own chapter.
    let mut parent: Option<&str> = None;
    for entry in &entries {
        if let Entry::Numbered { file, depth } = entry {
            if *depth == 0 {
                parent = Some(file);
            } else if let Some((stem, _)) = file.split_once('-')
                && parent != Some(format!("{stem}.md").as_str())
            {
                problems.push(format!("{file} is nested under {parent:?}, not {stem}.md"));
            }
        }
    }

    for (file, number) in sidebar_numbers(&entries) {
        if let Some(n) = file
            .strip_prefix("chapter")
            .and_then(|f| f.strip_suffix(".md"))
            .and_then(|f| f.parse::<u32>().ok())
            && number != format!("{n}.")
        {
            problems.push(format!(
                "{file} shows in the sidebar as \"{number}\", not \"{n}.\": mdBook \
                 numbers the pages in SUMMARY.md's order"
            ));
        }
    }
    problems
}

/// The chapter numbers of the README's table, in its order.
fn readme_table(readme: &str) -> Vec<u32> {
    readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `cargo run -p chapter"))
        .filter_map(|rest| rest.split_once('`'))
        .filter_map(|(n, _)| n.parse().ok())
        .collect()
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

#[test]
fn the_book_lists_the_chapters_in_order_under_the_introductions_parts() {
    let parts = introduction_parts(&read("book/src/introduction.md"));
    let crates = crate_numbers();
    assert!(
        parts.len() >= 3,
        "the introduction names its parts in `### Part ...` headings: {parts:?}"
    );
    let listed: Vec<u32> = parts.iter().flat_map(|p| p.chapters.clone()).collect();
    assert_eq!(
        listed, crates,
        "the introduction's numbered chapters, part by part, are the crates \
         under chapters/, in order"
    );
    let summary = std::fs::read_to_string(book_dir().join("src/SUMMARY.md")).unwrap();
    let problems = summary_problems(&summary, &parts, &crates);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_readme_table_lists_every_chapter_in_order() {
    let table = readme_table(&read("README.md"));
    assert_eq!(
        table,
        crate_numbers(),
        "README.md's chapter table (`| \\`cargo run -p chapterN\\` |` rows) \
         lists every crate under chapters/, once, in order"
    );
}

#[test]
fn a_summary_out_of_order_is_reported() {
    let parts = vec![
        Part {
            title: "Part I: A".into(),
            chapters: vec![1, 2],
        },
        Part {
            title: "Part II: B".into(),
            chapters: vec![3, 4],
        },
    ];
    let good = "# Summary\n\n[Introduction](introduction.md)\n\n# Part I: A\n\n\
                - [One](chapter1.md)\n- [Two](chapter2.md)\n  - [More](chapter2-more.md)\n\n\
                # Part II: B\n\n- [Three](chapter3.md)\n- [Four](chapter4.md)\n\n[X](x.md)\n";
    assert_eq!(
        summary_problems(good, &parts, &[1, 2, 3, 4]),
        Vec::<String>::new()
    );
    // Chapter 4 before 3, a second "Part II" worded otherwise: the numbers
    // shift, the headings differ.
    let bad = "# Part I: A\n\n- [One](chapter1.md)\n- [Two](chapter2.md)\n\n\
               # Part II: B\n\n- [Four](chapter4.md)\n\n# Part II: b\n\n- [Three](chapter3.md)\n";
    let problems = summary_problems(bad, &parts, &[1, 2, 3, 4]).join("\n");
    for expected in [
        "part headings",
        "under Some(\"Part II: b\")",
        "order [1, 2, 4, 3]",
        "chapter4.md shows in the sidebar as \"3.\"",
    ] {
        assert!(problems.contains(expected), "{expected:?} in:\n{problems}");
    }
    // A page missing from its part, and a nested page under the wrong one.
    let missing = "# Part I: A\n\n- [One](chapter1.md)\n  - [More](chapter2-more.md)\n\n\
                   # Part II: B\n\n- [Three](chapter3.md)\n- [Four](chapter4.md)\n";
    let problems = summary_problems(missing, &parts, &[1, 2, 3, 4]).join("\n");
    assert!(problems.contains("order [1, 3, 4]"), "{problems}");
    assert!(
        problems.contains("chapter2-more.md is nested under"),
        "{problems}"
    );
}

#[test]
fn the_introductions_parts_are_read_from_its_headings() {
    let text = "# Intro\n\n## What you will learn\n\n### Part I: A\n\n1. **One**: x\n   more\n\
                2. **Two**\n\n### Part II: B\n\nWords.\n\n3. **Three**\n\n## Setting up\n\n\
                4. **Not a chapter**\n";
    assert_eq!(
        introduction_parts(text),
        vec![
            Part {
                title: "Part I: A".into(),
                chapters: vec![1, 2]
            },
            Part {
                title: "Part II: B".into(),
                chapters: vec![3]
            },
        ]
    );
    assert_eq!(
        readme_table("| `cargo run -p chapter2` | x |\n| `cargo run -p chapter10` | y |\n"),
        vec![2, 10]
    );
}
