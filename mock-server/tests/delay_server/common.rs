//! Helpers shared by the integration tests: a watchdog for blocking code,
//! raw HTTP/1.1 over std sockets, and the standalone binary as a child.
//!
//! Raw sockets on purpose: the abuse tests must send bytes no HTTP client
//! would, and reading the answer by hand shows exactly what came back.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

thread_local! {
    /// The child processes started by the code that `within` runs on this
    /// thread, so that a timeout can end them instead of orphaning them.
    static CHILDREN: std::cell::RefCell<Option<Arc<Mutex<Vec<u32>>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Notes a child process started by the current test, to be killed if the
/// test times out in `within`.
pub fn register_child(pid: u32) {
    CHILDREN.with(|children| {
        if let Some(children) = children.borrow().as_ref() {
            children.lock().unwrap().push(pid);
        }
    });
}

/// Runs `f` on a thread of its own and fails the test with a message if it
/// has not finished within `limit`: a hang becomes a failure, not a stuck
/// `cargo test`. A panic inside `f` is passed on as it is. On a timeout the
/// child processes that `f` started (see `register_child`) are killed, so
/// none is left running.
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let children = Arc::new(Mutex::new(Vec::new()));
    let registry = Arc::clone(&children);
    let worker = std::thread::spawn(move || {
        CHILDREN.with(|children| *children.borrow_mut() = Some(registry));
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it ends"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            for pid in children.lock().unwrap().iter() {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
            panic!("{what} did not finish within {limit:?}: it hangs")
        }
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Parses one complete response (head and a body of `Content-Length`
/// bytes) from the start of `raw`.
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(format!(
            "no complete response head in {} bytes: {:?}",
            raw.len(),
            String::from_utf8_lossy(&raw[..raw.len().min(200)])
        ));
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP/1.1 status line: {head:?}"))?;
    let body = raw[end + 4..].to_vec();
    if let Some(len) = content_length(&head)
        && body.len() != len
    {
        return Err(format!(
            "body has {} bytes, Content-Length says {len}",
            body.len()
        ));
    }
    Ok(Response { status, head, body })
}

fn content_length(head: &str) -> Option<usize> {
    head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

/// Connects with a timeout and sets read and write timeouts, so that no
/// raw-socket exchange can block a test for ever.
pub fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    Ok(stream)
}

/// Sends `request` as it is and reads until the server closes the
/// connection (or the read timeout passes). Returns what came back.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = connect(addr)?;
    stream.write_all(request)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// `GET path` with `Connection: close`, parsed.
pub fn get(addr: SocketAddr, path: &str) -> Result<Response, String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let raw = exchange(addr, request.as_bytes()).map_err(|e| format!("GET {path}: {e}"))?;
    parse_response(&raw)
}

/// A keep-alive HTTP/1.1 connection that sends one request at a time.
pub struct KeepAlive {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl KeepAlive {
    pub fn open(addr: SocketAddr) -> std::io::Result<KeepAlive> {
        let stream = connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(KeepAlive {
            writer: stream.try_clone()?,
            reader: BufReader::new(stream),
        })
    }

    /// Sends `GET path` and returns the status and the body.
    pub fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>), String> {
        self.send(path, 1)?;
        self.read_response(path)
    }

    /// Waits until the server closes the connection; returns when, or
    /// `None` if it is still open after `limit`.
    pub fn wait_closed(&mut self, limit: Duration) -> Option<Instant> {
        let start = Instant::now();
        let stream = self.reader.get_ref();
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .ok()?;
        let mut buf = [0; 64];
        while start.elapsed() < limit {
            match self.reader.read(&mut buf) {
                Ok(0) => return Some(Instant::now()),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Some(Instant::now());
                }
                _ => {}
            }
        }
        None
    }

    fn send(&mut self, path: &str, count: usize) -> Result<(), String> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").repeat(count);
        self.writer
            .write_all(request.as_bytes())
            .map_err(|e| format!("sending GET {path}: {e}"))
    }

    fn read_response(&mut self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let mut head = String::new();
        loop {
            let before = head.len();
            self.reader
                .read_line(&mut head)
                .map_err(|e| format!("reading the answer to GET {path}: {e}"))?;
            if head.len() == before {
                return Err(format!(
                    "the server closed the connection during GET {path}"
                ));
            }
            if head.ends_with("\r\n\r\n") {
                break;
            }
        }
        let status = head
            .get(9..12)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not a status line: {head:?}"))?;
        let len = content_length(&head).ok_or_else(|| format!("no Content-Length: {head:?}"))?;
        let mut body = vec![0; len];
        self.reader
            .read_exact(&mut body)
            .map_err(|e| format!("reading the body of GET {path}: {e}"))?;
        Ok((status, body))
    }
}

/// The standalone server binary running as a child process. Dropping it
/// kills the child (by its own handle), so a failing test leaves nothing
/// behind.
pub struct ServerProcess {
    pub child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: Arc<Mutex<Vec<String>>>,
}

/// The path of the `mock-server` binary that Cargo built for these tests.
pub const BINARY: &str = env!("CARGO_BIN_EXE_mock-server");

impl ServerProcess {
    /// Starts the binary with `args`, optionally with a lower limit on open
    /// files (set by `ulimit -n` in a shell that then `exec`s the binary).
    pub fn spawn(args: &[&str], max_open_files: Option<u32>) -> ServerProcess {
        let ulimit = max_open_files.map(|limit| format!("-n {limit}"));
        ServerProcess::spawn_with_ulimit(args, ulimit.as_deref())
    }

    /// Starts the binary with `args`, after `ulimit {ulimit}` in a shell
    /// that then `exec`s it (`-S -n 64`: a soft limit of 64 open files).
    pub fn spawn_with_ulimit(args: &[&str], ulimit: Option<&str>) -> ServerProcess {
        let mut command = match ulimit {
            Some(ulimit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit {ulimit} && exec \"$0\" \"$@\""))
                    .arg(BINARY);
                sh
            }
            None => Command::new(BINARY),
        };
        let mut child = command
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start the mock-server binary");
        register_child(child.id());
        // Both pipes are drained on threads: a child blocked on a full pipe
        // would look like a hung server.
        let (tx, stdout) = mpsc::channel();
        let out = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let err = child.stderr.take().expect("stderr is piped");
        let lines = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        ServerProcess {
            child,
            stdout,
            stderr,
        }
    }

    /// Reads stdout until the "listening on URL" line and returns the
    /// address, with every line read so far.
    pub fn wait_for_address(&self) -> (SocketAddr, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    let url = line
                        .split_whitespace()
                        .find_map(|word| word.strip_prefix("http://"))
                        .map(str::to_string);
                    seen.push(line);
                    if let Some(host_port) = url {
                        let addr = host_port
                            .trim_end_matches('/')
                            .parse()
                            .unwrap_or_else(|e| panic!("bad address {host_port:?}: {e}"));
                        return (addr, seen);
                    }
                }
                Err(_) => panic!(
                    "the server printed no base URL within 10 s; stdout: {seen:?}, stderr: {:?}",
                    self.stderr_lines()
                ),
            }
        }
    }

    /// Reads stdout lines up to and including the first that contains
    /// `marker`, waiting up to `wait` in all.
    pub fn stdout_until(&self, marker: &str, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut lines = Vec::new();
        while let Ok(line) = self
            .stdout
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            let done = line.contains(marker);
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits up to `limit` for the child to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait works") {
                // Let the reader threads catch the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT, as Ctrl-C in a terminal would.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -INT failed: {status}");
    }

    /// The soft and hard limits on open files of the child, from
    /// /proc/PID/limits.
    pub fn open_files_limits(&self) -> (String, String) {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.child.id()))
            .expect("the child's /proc limits are readable");
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .expect("a line for open files");
        let mut values = line["Max open files".len()..].split_whitespace();
        let soft = values.next().expect("a soft limit").to_string();
        let hard = values.next().expect("a hard limit").to_string();
        (soft, hard)
    }

    /// Resident memory of the child in KiB, from /proc/PID/status.
    pub fn vm_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the child's /proc status is readable");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS is in /proc/PID/status")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls until connecting to `addr` is refused; returns how long that took,
/// or `None` if the port still accepted connections after `limit`.
pub fn wait_until_refused(addr: SocketAddr, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Some(start.elapsed());
            }
            _ if start.elapsed() >= limit => return None,
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}
