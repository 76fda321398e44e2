//! Section 5: httpbin's `/delay/1` on gunicorn, the delay server a learner
//! would otherwise use. Needs the venv that `bench/setup-peer.sh` makes.

use crate::child::Proc;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Where `setup-peer.sh` puts the venv: `$CARGO_TARGET_DIR/peer-venv`, or
/// `target/peer-venv` in the workspace.
pub fn venv_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .map(|p| p.join("target"))
                .unwrap_or_else(|| PathBuf::from("target"))
        });
    target.join("peer-venv")
}

pub fn gunicorn() -> Option<PathBuf> {
    let bin = venv_dir().join("bin").join("gunicorn");
    bin.exists().then_some(bin)
}

/// gunicorn's worker class.
#[derive(Debug, Clone, Copy)]
pub enum Workers {
    Sync,
    Gevent,
}

impl Workers {
    pub fn label(self) -> &'static str {
        match self {
            Workers::Sync => "gunicorn sync, 1 worker",
            Workers::Gevent => "gunicorn gevent, 1 worker",
        }
    }
}

/// A running gunicorn serving httpbin on 127.0.0.1.
pub struct Gunicorn {
    proc: Option<Proc>,
    pub base_url: String,
}

impl Gunicorn {
    pub fn start(workers: Workers, connections: usize) -> Result<Gunicorn, String> {
        let bin = gunicorn().ok_or("no venv: run bench/setup-peer.sh")?;
        let port = free_port()?;
        let mut cmd = Command::new(bin);
        cmd.arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--workers")
            .arg("1")
            .arg("--worker-class")
            .arg(match workers {
                Workers::Sync => "sync",
                Workers::Gevent => "gevent",
            })
            // gevent serves at most this many at once (default 1000).
            .arg("--worker-connections")
            .arg(connections.to_string())
            .arg("--backlog")
            .arg("4096")
            .arg("--graceful-timeout")
            .arg("2")
            .arg("--timeout")
            .arg("120")
            .arg("--log-level")
            .arg("warning")
            .arg("httpbin:app");
        let proc = Proc::spawn("gunicorn", cmd)?;
        let base_url = format!("http://127.0.0.1:{port}");
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        // Wait until the worker answers, not only the master's socket: the
        // first request would otherwise also pay for importing httpbin.
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if probe(addr) {
                return Ok(Gunicorn {
                    proc: Some(proc),
                    base_url,
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!(
            "gunicorn did not answer within 30 s{}",
            proc.stderr_tail()
        ))
    }
}

impl Gunicorn {
    /// Peak memory of gunicorn's one worker (the master's child process).
    pub fn worker_hwm_kib(&self) -> Option<u64> {
        let master = self.proc.as_ref()?.pid();
        let children =
            std::fs::read_to_string(format!("/proc/{master}/task/{master}/children")).ok()?;
        let worker: u32 = children.split_whitespace().next()?.parse().ok()?;
        crate::sys::status_kib(Some(worker), "VmHWM")
    }
}

impl Drop for Gunicorn {
    fn drop(&mut self) {
        if let Some(proc) = self.proc.take() {
            proc.terminate(Duration::from_secs(5));
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A `GET /get` answered with 200 within 2 s.
fn probe(addr: std::net::SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /get HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
