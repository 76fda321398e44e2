//! Child processes with deadlines: servers, clients and load generators run
//! in their own processes so that each has its own descriptors and its own
//! peak memory, and a stuck one is killed instead of hanging the bench.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running child. Dropping it kills it (by its pid) and reaps it.
pub struct Proc {
    name: String,
    child: std::process::Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Proc {
    /// Starts `cmd` with piped stdin/stdout/stderr.
    pub fn spawn(name: &str, mut cmd: Command) -> Result<Proc, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let stderr_pipe = child.stderr.take().expect("piped");
        let (tx, lines) = channel();
        // Reader threads: a child that writes a lot never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0_u8; 4096];
            let mut pipe = stderr_pipe;
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap();
                // Keep the last 8 KB: enough for an error message.
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
                if s.len() > 16_384 {
                    let cut = s.len() - 8192;
                    let cut = (cut..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(0);
                    s.drain(..cut);
                }
            }
        });
        Ok(Proc {
            name: name.to_string(),
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
        })
    }

    /// Re-runs this very executable with `args` (a hidden child mode).
    pub fn spawn_self(name: &str, args: &[String]) -> Result<Proc, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find the bench binary: {e}"))?;
        let mut cmd = Command::new(exe);
        cmd.args(args);
        Proc::spawn(name, cmd)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes one line to the child's stdin.
    pub fn send(&mut self, line: &str) -> Result<(), String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| format!("{}: stdin closed", self.name))?;
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("{}: cannot write to it: {e}", self.name))
    }

    /// The next stdout line starting with `prefix` (other lines are
    /// skipped), or an error naming what the child said on stderr.
    pub fn line_with(&mut self, prefix: &str, within: Duration) -> Result<String, String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return Ok(line),
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "{} gave no `{prefix}` line within {:.0} s{}",
                        self.name,
                        within.as_secs_f64(),
                        self.stderr_tail()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // Let the stderr thread catch up with the last words.
                    std::thread::sleep(Duration::from_millis(50));
                    return Err(format!("{} exited early{}", self.name, self.stderr_tail()));
                }
            }
        }
    }

    /// All stdout lines until the child exits, killing it after `within`.
    pub fn finish(mut self, within: Duration) -> Result<Vec<String>, String> {
        let deadline = Instant::now() + within;
        drop(self.stdin.take());
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "{} did not finish within {:.0} s: killed{}",
                        self.name,
                        within.as_secs_f64(),
                        self.stderr_tail()
                    ));
                }
            }
        }
        // stdout closed: the child is exiting; reap it (bounded).
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                if !status.success() && lines.is_empty() {
                    return Err(format!(
                        "{} failed ({status}){}",
                        self.name,
                        self.stderr_tail()
                    ));
                }
                return Ok(lines);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!(
            "{} did not exit within {:.0} s: killed",
            self.name,
            within.as_secs_f64()
        ))
    }

    /// Asks the child to stop with SIGTERM (by its pid), then kills it if
    /// it is still there after `grace`.
    pub fn terminate(mut self, grace: Duration) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Drop kills it.
    }

    /// The gist of what the child wrote on stderr, as `: ...` or nothing:
    /// the last line that names an error, else the last line.
    pub fn stderr_tail(&self) -> String {
        let s = self.stderr.lock().unwrap();
        let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| l.len() > 2).collect();
        let gist = lines
            .iter()
            .rev()
            .find(|l| l.contains("rror"))
            .or(lines.last());
        match gist {
            Some(line) => format!(": {line}"),
            None => String::new(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A result line: `result\tkey=value\tkey=value`.
pub fn kv_line(tag: &str, pairs: &[(&str, String)]) -> String {
    let mut out = tag.to_string();
    for (k, v) in pairs {
        out.push('\t');
        out.push_str(k);
        out.push('=');
        out.push_str(&v.replace(['\t', '\n'], " "));
    }
    out
}

/// Parses a line made by [`kv_line`].
pub fn parse_kv(line: &str) -> HashMap<String, String> {
    line.split('\t')
        .skip(1)
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A number from a parsed line.
pub fn num<T: std::str::FromStr>(kv: &HashMap<String, String>, key: &str) -> Option<T> {
    kv.get(key)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_lines_round_trip() {
        let line = kv_line(
            "result",
            &[("wall_ms", "1204.5".into()), ("kinds", "a=b\tc".into())],
        );
        let kv = parse_kv(&line);
        assert_eq!(num::<f64>(&kv, "wall_ms"), Some(1204.5));
        assert_eq!(kv["kinds"], "a=b c");
        assert_eq!(num::<u64>(&kv, "missing"), None);
    }
}
