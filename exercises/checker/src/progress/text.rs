//! The words around a verdict: the brief's title and hint, wrapping to the
//! terminal's 80 columns, the progress bar.

use crate::Exercise;
use std::path::Path;

/// The brief's title and hint, from the `//!` lines that open `src/lib.rs`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Brief {
    pub title: String,
    pub hint: String,
}

/// Reads the title (`# Exercise N: title`) and the `**Hint:**` paragraph.
pub fn brief(source: &str) -> Brief {
    let docs: Vec<&str> = source
        .lines()
        .map_while(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    let title = docs
        .iter()
        .find_map(|l| l.strip_prefix("# "))
        .map(|t| match t.split_once(": ") {
            Some((_, rest)) => rest.to_string(),
            None => t.to_string(),
        })
        .unwrap_or_default();
    let mut hint = Vec::new();
    let mut inside = false;
    for line in &docs {
        if let Some(rest) = line.strip_prefix("**Hint:**") {
            inside = true;
            hint.push(rest.trim());
        } else if inside && line.trim().is_empty() {
            break;
        } else if inside {
            hint.push(line.trim());
        }
    }
    Brief {
        title,
        hint: hint.join(" ").trim().to_string(),
    }
}

/// Wraps `text` to `width` columns, each line indented by `indent`.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && indent.len() + line.len() + 1 + word.chars().count() > width {
                out.push_str(indent);
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `[######........]`: `done` of `total`, `width` cells wide. ASCII, as
/// the book's timelines: block characters are two columns wide in a
/// terminal set up for East Asian text.
pub fn bar(done: usize, total: usize, width: usize) -> String {
    let full = (done * width).checked_div(total).unwrap_or(0);
    format!("[{}{}]", "#".repeat(full), ".".repeat(width - full))
}

/// "first sentence, cut to `max` characters..."
pub fn shorten(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or_default();
    if first.chars().count() <= max {
        first.to_string()
    } else {
        let cut: String = first.chars().take(max - 3).collect();
        format!("{}...", cut.trim_end())
    }
}

pub fn read_brief(root: &Path, exercise: &Exercise) -> Brief {
    let path = root.join("exercises").join(exercise.dir).join("src/lib.rs");
    std::fs::read_to_string(path)
        .map(|s| brief(&s))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brief_gives_title_and_hint() {
        let src = "//! # Exercise 6: concurrent requests\n//!\n//! **What to build:** x\n//!\n//! **Hint:** start them all,\n//! then wait.\n//!\n//! more\n\npub fn f() {}\n";
        assert_eq!(
            brief(src),
            Brief {
                title: String::from("concurrent requests"),
                hint: String::from("start them all, then wait.")
            }
        );
    }

    #[test]
    fn the_bar_fills_with_progress() {
        assert_eq!(bar(0, 10, 10), "[..........]");
        assert_eq!(bar(3, 10, 10), "[###.......]");
        assert_eq!(bar(10, 10, 10), "[##########]");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        let w = wrap("aaa bbb ccc ddd", "  ", 10);
        assert_eq!(w, "  aaa bbb\n  ccc ddd\n");
    }
}
