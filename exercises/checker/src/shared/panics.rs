//! Where and why the learner's code panicked.
//!
//! A panic inside a spawned task does not reach the check directly: tokio
//! catches it and hands a `JoinError` to whoever awaits the task, or to no
//! one. To name the panic and its place anyway, every check runs the
//! learner's code on threads with a name of its own (`check-17`: the
//! runtime's thread and its blocking pool), and a panic hook notes every
//! panic on such a thread. The check then asks for the panics of its name.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};

/// The prefix of the threads that run learner code.
pub(crate) const PREFIX: &str = "check-";

/// One panic on a check's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PanicRecord {
    pub message: String,
    /// `file:line:column`, as the panic reported it.
    pub location: String,
}

impl PanicRecord {
    /// "at src/lib.rs:12:9: index out of bounds"
    pub fn describe(&self) -> String {
        if self.location.is_empty() {
            format!("with \"{}\"", self.message)
        } else {
            format!("at {}: \"{}\"", self.location, self.message)
        }
    }
}

static RECORDS: Mutex<Vec<(String, PanicRecord)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(1);
static INSTALL: Once = Once::new();

/// A fresh thread name for one check run, with the hook installed.
pub(crate) fn new_thread_name() -> String {
    install();
    format!("{PREFIX}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The panics noted on threads named `name`, oldest first; forgets them.
pub(crate) fn take(name: &str) -> Vec<PanicRecord> {
    let mut records = RECORDS.lock().unwrap_or_else(|e| e.into_inner());
    let (mine, others): (Vec<_>, Vec<_>) = records.drain(..).partition(|(n, _)| n == name);
    *records = others;
    mine.into_iter().map(|(_, r)| r).collect()
}

/// The text of a panic payload.
pub(crate) fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("(a panic whose payload is not text)")
    }
}

/// Notes panics on check threads (without printing them: the diagnosis
/// tells the learner) and passes every other panic to the previous hook.
fn install() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            match thread.name() {
                Some(name) if name.starts_with(PREFIX) => {
                    let location = match info.location() {
                        Some(l) if is_foreign(l.file()) => {
                            learners_frame().unwrap_or_else(|| place(l))
                        }
                        Some(l) => place(l),
                        None => learners_frame().unwrap_or_default(),
                    };
                    let record = PanicRecord {
                        message: payload_text(info.payload()),
                        location,
                    };
                    RECORDS
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((name.to_string(), record));
                }
                _ => previous(info),
            }
        }));
    });
}

fn place(l: &std::panic::Location<'_>) -> String {
    format!("{}:{}:{}", l.file(), l.line(), l.column())
}

/// A source file that is not the learner's: the standard library's, a
/// dependency's in the cargo registry (tokio's, reqwest's), or the
/// checker's own code around the learner's.
fn is_foreign(file: &str) -> bool {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let checker_src = manifest.join("src");
    // A relative path is relative to the workspace root (panic locations)
    // or to the test's directory (backtraces): try both.
    let roots = [
        manifest.ancestors().nth(2).map(|r| r.to_path_buf()),
        std::env::current_dir().ok(),
    ];
    let in_checker = roots
        .iter()
        .flatten()
        .any(|root| root.join(file).starts_with(&checker_src));
    file.starts_with("/rustc/")
        || file.starts_with("library/")
        || file.contains("/.cargo/registry/")
        || file.contains("/.cargo/git/")
        || file.contains("/.rustup/")
        || in_checker
}

/// Where the learner's own code was when a panic went off inside a
/// dependency (tokio panics in its own sources when there is no runtime):
/// the first frame of the backtrace with a source file of the learner's.
/// Dependencies are built without debug info, so their frames have no file.
fn learners_frame() -> Option<String> {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    trace.lines().find_map(|line| {
        let at = line.trim_start().strip_prefix("at ")?;
        let at = at.strip_prefix("./").unwrap_or(at);
        // `file:line:column`: the file is everything before the last two.
        let mut parts = at.rsplitn(3, ':');
        let (_col, _line, file) = (parts.next()?, parts.next()?, parts.next()?);
        (!is_foreign(file)).then(|| at.to_string())
    })
}
