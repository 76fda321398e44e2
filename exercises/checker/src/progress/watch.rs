//! `cargo progress --watch` (`cargo learn`): the learner's loop.
//!
//! Checks the exercise being worked on, shows its verdict on a cleared
//! screen (80×24), then waits. Saving any file of an exercise reruns the
//! check of that exercise (so opening another one switches to it); `h`
//! shows the hint, `r` reruns, `n` skips to the next exercise, `q` quits.
//! When the check passes it moves on to the next exercise in course order.
//!
//! The diagnosis is the checker's message exactly as `cargo test` prints
//! it: its lines are kept as they are (timelines included), only a line
//! wider than the screen is wrapped.

mod screen;

use super::newest_file;
use super::run::cargo_test;
use crate::exercises::{EXERCISES, Exercise};
use notify_debouncer_mini::{DebounceEventResult, new_debouncer, notify::RecursiveMode};
use screen::{Verdict, body, header, screen, verdict};
use std::collections::VecDeque;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, SystemTime};

/// Saves closer together than this are one change: editors often write a
/// file in several steps (a temporary file, a rename, a touch).
const DEBOUNCE: Duration = Duration::from_millis(200);

enum Event {
    /// A file of this exercise (index in `EXERCISES`) was saved.
    Saved(usize),
    Key(u8),
    /// Standard input closed: nobody can press `q` any more.
    InputClosed,
    WatchFailed(String),
}

/// The terminal in "one key at a time, no echo" mode while the watch runs,
/// restored when dropped. Through `stty`, on the terminal of stdin: no
/// dependency for two commands. Ctrl-C then arrives as a key (3), so the
/// watch can restore the terminal before it quits.
struct RawKeys {
    saved: Option<String>,
}

impl RawKeys {
    fn enable() -> RawKeys {
        if !cfg!(unix) || !std::io::stdin().is_terminal() {
            return RawKeys { saved: None };
        }
        let stty = |args: &[&str]| {
            Command::new("stty")
                .args(args)
                .stdin(Stdio::inherit())
                .stderr(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
        };
        let saved = stty(&["-g"]).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if saved.is_some() && stty(&["-icanon", "-echo", "-isig", "min", "1"]).is_some() {
            RawKeys { saved }
        } else {
            RawKeys { saved: None }
        }
    }

    fn restore(&self) {
        if let Some(saved) = &self.saved {
            let _ = Command::new("stty")
                .arg(saved)
                .stdin(Stdio::inherit())
                .status();
        }
    }
}

impl Drop for RawKeys {
    fn drop(&mut self) {
        self.restore();
    }
}

fn read_keys(events: Sender<Event>, terminal: Option<String>) {
    let mut stdin = std::io::stdin().lock();
    let mut byte = [0u8; 1];
    loop {
        match stdin.read(&mut byte) {
            // Ctrl-C quits at once, even in the middle of a check.
            Ok(1) if byte[0] == 3 => {
                RawKeys { saved: terminal }.restore();
                println!();
                std::process::exit(130);
            }
            Ok(1) => {
                if events.send(Event::Key(byte[0])).is_err() {
                    return;
                }
            }
            _ => {
                let _ = events.send(Event::InputClosed);
                return;
            }
        }
    }
}

/// The exercise a saved file belongs to: `exercises/<dir>/...`, sources and
/// manifests only (not an editor's swap or backup files).
fn exercise_of(exercises: &Path, path: &Path) -> Option<usize> {
    let name = path.file_name()?.to_str()?;
    if !(name.ends_with(".rs") || name == "Cargo.toml") {
        return None;
    }
    let dir = path.strip_prefix(exercises).ok()?.components().next()?;
    let dir = dir.as_os_str().to_str()?;
    EXERCISES.iter().position(|e| e.dir == dir)
}

pub fn watch(root: &Path, start: Option<&'static Exercise>) -> ExitCode {
    let exercises_dir: PathBuf = root.join("exercises");
    let (events, inbox) = channel::<Event>();

    let saved = events.clone();
    let base = exercises_dir.clone();
    let debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| match result {
        Ok(changes) => {
            for change in changes {
                if let Some(i) = exercise_of(&base, &change.path) {
                    let _ = saved.send(Event::Saved(i));
                }
            }
        }
        Err(e) => {
            let _ = saved.send(Event::WatchFailed(e.to_string()));
        }
    });
    let mut debouncer = match debouncer {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot watch files for changes: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = debouncer
        .watcher()
        .watch(&exercises_dir, RecursiveMode::Recursive)
    {
        eprintln!("error: cannot watch {}: {e}", exercises_dir.display());
        return ExitCode::FAILURE;
    }

    let keys = RawKeys::enable();
    let key_events = events.clone();
    let terminal = keys.saved.clone();
    std::thread::spawn(move || read_keys(key_events, terminal));
    drop(events);

    let start = start
        .or_else(|| super::working_on(root, &EXERCISES.iter().collect::<Vec<_>>()))
        .and_then(|e| EXERCISES.iter().position(|x| x.dir == e.dir))
        .unwrap_or(0);
    let code = run_loop(root, start, &inbox);
    keys.restore();
    drop(debouncer);
    code
}

/// Which exercises really changed: the file watcher also reports files
/// that are only read (cargo reads every manifest of the workspace, rustc
/// the sources), so an event counts only if a file's modification time moved.
struct Saves {
    seen: Vec<Option<SystemTime>>,
}

impl Saves {
    fn new(root: &Path) -> Saves {
        Saves {
            seen: EXERCISES.iter().map(|e| newest_file(root, e)).collect(),
        }
    }

    fn changed(&mut self, root: &Path, index: usize) -> bool {
        let now = newest_file(root, &EXERCISES[index]);
        let changed = now != self.seen[index];
        self.seen[index] = now;
        changed
    }
}

fn run_loop(root: &Path, start: usize, inbox: &Receiver<Event>) -> ExitCode {
    let mut saves = Saves::new(root);
    let mut pending: VecDeque<Event> = VecDeque::new();
    let mut current = start;
    let mut notice = String::new();
    'check: loop {
        let exercise = &EXERCISES[current];
        screen(
            &header(exercise, current, &notice),
            "  Checking ... (cargo test)",
        );
        let run = cargo_test(root, exercise.package);
        // Saves during the run: the result is already out of date.
        // Keys pressed meanwhile wait their turn.
        let mut rerun = false;
        while let Ok(event) = inbox.try_recv() {
            match event {
                Event::Saved(i) if saves.changed(root, i) => {
                    current = i;
                    rerun = true;
                }
                Event::Saved(_) => {}
                other => pending.push_back(other),
            }
        }
        if rerun {
            notice.clear();
            continue 'check;
        }
        let verdict = verdict(exercise, &run);
        if matches!(verdict, Verdict::Passed) && current + 1 < EXERCISES.len() {
            notice = format!("✔ {} passes every check: on to the next one.", exercise.dir);
            current += 1;
            continue 'check;
        }
        notice.clear();
        let mut show_hint = false;
        let mut redraw = true;
        loop {
            if redraw {
                let body = body(root, exercise, &verdict, show_hint);
                screen(&header(exercise, current, &notice), &body);
            }
            redraw = true;
            let event = match pending.pop_front().map(Ok).unwrap_or_else(|| inbox.recv()) {
                Ok(event) => event,
                Err(_) => return ExitCode::SUCCESS,
            };
            match event {
                Event::Saved(i) if saves.changed(root, i) => {
                    current = i;
                    continue 'check;
                }
                Event::Key(b'h' | b'H') => show_hint = !show_hint,
                Event::Key(b'r' | b'R' | b'\n' | b'\r') => continue 'check,
                Event::Key(b'n' | b'N') => {
                    current = (current + 1) % EXERCISES.len();
                    continue 'check;
                }
                // q, Esc, Ctrl-D.
                Event::Key(b'q' | b'Q' | 27 | 4) | Event::InputClosed => {
                    println!();
                    return ExitCode::SUCCESS;
                }
                // Only read, not changed; or a key that does nothing.
                Event::Saved(_) | Event::Key(_) => redraw = false,
                Event::WatchFailed(e) => {
                    eprintln!("error: watching the files failed: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::run::TestRun;
    use super::screen::{WIDTH, fit};
    use super::*;
    use crate::shared::NOT_STARTED;

    #[test]
    fn a_saved_source_names_its_exercise_and_editor_files_are_ignored() {
        let base = Path::new("/w/exercises");
        let six = EXERCISES.iter().position(|e| e.dir == "06-concurrent");
        assert_eq!(
            exercise_of(base, Path::new("/w/exercises/06-concurrent/src/lib.rs")),
            six
        );
        assert_eq!(
            exercise_of(base, Path::new("/w/exercises/06-concurrent/Cargo.toml")),
            six
        );
        assert_eq!(
            exercise_of(
                base,
                Path::new("/w/exercises/06-concurrent/src/.lib.rs.swp")
            ),
            None
        );
        assert_eq!(
            exercise_of(base, Path::new("/w/exercises/06-concurrent/src/4913")),
            None
        );
        assert_eq!(
            exercise_of(base, Path::new("/w/exercises/checker/src/lib.rs")),
            None
        );
        assert_eq!(
            exercise_of(base, Path::new("/w/elsewhere/06-concurrent/src/lib.rs")),
            None
        );
    }

    #[test]
    fn lines_that_fit_are_kept_as_they_are() {
        let picture = "req 1 |####      |\nreq 2 |    ####  |";
        assert_eq!(fit(picture), format!("{picture}\n"));
        let long = "word ".repeat(30);
        assert!(fit(&long).lines().all(|l| l.chars().count() <= WIDTH));
    }

    #[test]
    fn the_verdict_tells_todo_from_a_failure_and_from_a_compile_error() {
        let exercise = &EXERCISES[0];
        let run = |success: bool, output: &str| TestRun {
            success,
            output: output.to_string(),
            took: Duration::ZERO,
        };
        assert!(matches!(verdict(exercise, &run(true, "")), Verdict::Passed));
        let todo = format!(
            "test a ... FAILED\n\n---- a stdout ----\n\nthread 'a' panicked at x.rs:1:1:\n`f` {NOT_STARTED}\n\nfailures:\n"
        );
        assert!(matches!(
            verdict(exercise, &run(false, &todo)),
            Verdict::NotStarted
        ));
        let wrong = todo.replace(&format!("`f` {NOT_STARTED}"), "took 2.0 s");
        match verdict(exercise, &run(false, &wrong)) {
            Verdict::Failing(f) => {
                assert_eq!(f, vec![(String::from("a"), String::from("took 2.0 s"))])
            }
            _ => panic!("a failed check must be shown as failing"),
        }
        let broken = "error[E0425]: cannot find value `x`\n --> src/lib.rs:1:1\n\nerror: could not compile `ex01`\n";
        match verdict(exercise, &run(false, broken)) {
            Verdict::Broken(m) => assert!(m.contains("cannot find value"), "{m}"),
            _ => panic!("a compile error must be shown as such"),
        }
    }
}
