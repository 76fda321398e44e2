//! Section 1, fidelity: the three lessons' overhead over their ideal
//! times, in this profile and in the debug build beside it, and chapter 7
//! as taught.

use crate::child::Proc;
use crate::fidelity;
use crate::sections::Settings;
use crate::table::Row;
use std::time::Duration;

pub(crate) fn rows(settings: &Settings) -> Vec<Row> {
    let mut rows = fidelity::measure(settings.fidelity_rounds);
    if fidelity::profile() == "release" {
        rows.extend(debug_fidelity(settings.fidelity_rounds));
    }
    rows.extend(fidelity::chapter7_binary(settings.fidelity_rounds));
    rows
}

/// The issue wants the fidelity target met by the debug build that
/// `cargo run` makes too: run the debug bench next to this one, if built.
fn debug_fidelity(rounds: usize) -> Vec<Row> {
    let section = "Fidelity (debug build)";
    let exe = std::env::current_exe().ok();
    let debug = exe
        .as_ref()
        .and_then(|e| Some(e.parent()?.parent()?.join("debug").join(e.file_name()?)));
    let Some(debug) = debug.filter(|d| d.exists()) else {
        return vec![
            Row::new(section, "all three", "not run: no debug build of the bench").notes(
                "run `cargo build -p bench` first, or `cargo run -p bench -- --only fidelity`",
            ),
        ];
    };
    let mut cmd = std::process::Command::new(&debug);
    cmd.arg("child-fidelity")
        .arg("--rounds")
        .arg(rounds.to_string());
    let outcome = Proc::spawn("debug bench", cmd)
        .and_then(|p| p.finish(Duration::from_secs(rounds as u64 * 3 * 25 + 30)));
    match outcome {
        Ok(lines) => {
            let mut rows: Vec<Row> = lines.iter().filter_map(|l| Row::from_line(l)).collect();
            let stale = match (
                exe.as_ref().map(std::fs::metadata),
                std::fs::metadata(&debug),
            ) {
                (Some(Ok(rel)), Ok(dbg)) => match (rel.modified(), dbg.modified()) {
                    (Ok(r), Ok(d)) => {
                        r.duration_since(d).unwrap_or_default() > Duration::from_secs(300)
                    }
                    _ => false,
                },
                _ => false,
            };
            if stale {
                for row in &mut rows {
                    row.notes.push_str(
                        "; debug binary older than this one: rebuild with `cargo build -p bench`",
                    );
                }
            }
            if rows.is_empty() {
                rows.push(Row::new(
                    section,
                    "all three",
                    "the debug bench printed no rows",
                ));
            }
            rows
        }
        Err(e) => vec![Row::new(section, "all three", "failed").notes(e)],
    }
}
