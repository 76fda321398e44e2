//! Helpers for the chapters' tests: run a chapter binary with a deadline.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[cfg(feature = "requests")]
pub mod faults;
#[cfg(feature = "requests")]
mod servers;

#[cfg(feature = "requests")]
pub use servers::{StatusServer, TestServer};

/// What a finished run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
    /// Wall time from spawn to exit.
    pub took: Duration,
}

impl Run {
    /// stdout and stderr, for assertion messages.
    pub fn transcript(&self) -> String {
        format!(
            "exit code {:?} after {:.3} s\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code,
            self.took.as_secs_f64(),
            self.stdout,
            self.stderr
        )
    }
}

/// Runs `bin` with `args` and extra environment `envs`, killing it and
/// panicking with a clear message if it has not finished within `deadline`.
/// `RUST_LOG` and `DELAY_SERVER_URL` are cleared unless given in `envs`.
pub fn run(bin: impl AsRef<Path>, args: &[&str], envs: &[(&str, &str)], deadline: Duration) -> Run {
    let bin = bin.as_ref();
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("RUST_LOG")
        // The variable that points chapters at a standalone delay server.
        .env_remove("DELAY_SERVER_URL")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let (out, err) = capture(&mut child);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let (o, e) = (
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default(),
            );
            panic!(
                "{} {args:?} did not finish within {deadline:?}: it hangs.\n--- stdout ---\n{o}--- stderr ---\n{e}",
                bin.display()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        took: started.elapsed(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Reads the child's piped stdout and stderr to their ends on two threads,
/// so that a chatty child cannot block on a full pipe.
fn capture(child: &mut Child) -> (JoinHandle<String>, JoinHandle<String>) {
    fn read_all(mut pipe: impl std::io::Read + Send + 'static) -> JoinHandle<String> {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    }
    (
        read_all(child.stdout.take().expect("stdout piped")),
        read_all(child.stderr.take().expect("stderr piped")),
    )
}

/// The log lines in a chapter's output (`1.004 [INFO] - Got response 1`),
/// as (seconds since start, message), in order. Other lines are skipped.
pub fn log_lines(output: &str) -> Vec<(f64, String)> {
    output
        .lines()
        .filter_map(|line| {
            let (secs, rest) = line.split_once(' ')?;
            let secs: f64 = secs.parse().ok()?;
            let (_level, message) = rest.strip_prefix('[')?.split_once("] - ")?;
            Some((secs, message.to_string()))
        })
        .collect()
}

/// The number that follows `marker` on the first line that contains it:
/// `number_after("longest gap: 512 ms", "longest gap:") == Some(512.0)`.
pub fn number_after(output: &str, marker: &str) -> Option<f64> {
    output.lines().find_map(|line| {
        let rest = line.split_once(marker)?.1.trim_start();
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_log_lines_and_figures() {
        let out = "0.004 [INFO] - created\nplain text\n1.250 [WARN] - a - b\nstall: 12.5 ms\n";
        assert_eq!(
            log_lines(out),
            vec![(0.004, "created".to_string()), (1.25, "a - b".to_string())]
        );
        assert_eq!(number_after(out, "stall:"), Some(12.5));
        assert_eq!(number_after(out, "missing"), None);
        assert_eq!(number_after("x: none", "x:"), None);
    }
}
