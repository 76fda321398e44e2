//! Section 4's load: `wrk` if installed, else a built-in keep-alive load
//! loop (`bench child-load`) in a second process.

use crate::child::{Proc, kv_line, num, parse_kv};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// `127.0.0.1:PORT`
    #[arg(long)]
    pub addr: std::net::SocketAddr,
    #[arg(long, default_value = "/delay/0")]
    pub path: String,
    /// Connections, each used for one request after another (keep-alive).
    #[arg(long, default_value_t = 64)]
    pub conns: usize,
    /// Stop after this many requests in all...
    #[arg(long)]
    pub requests: u64,
    /// ...or after this many seconds, whichever comes first.
    #[arg(long, default_value_t = 30)]
    pub max_secs: u64,
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub tool: String,
    pub requests: u64,
    pub errors: u64,
    pub secs: f64,
}

impl LoadResult {
    pub fn per_sec(&self) -> f64 {
        self.requests as f64 / self.secs.max(1e-9)
    }
}

/// The child side of the built-in loader.
pub fn run_child(args: LoadArgs) -> std::process::ExitCode {
    if !args.addr.ip().is_loopback() {
        eprintln!("error: the load loop only targets loopback addresses");
        return std::process::ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start a runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (done, errors, secs) = rt.block_on(load(args));
    println!(
        "{}",
        kv_line(
            "load",
            &[
                ("requests", done.to_string()),
                ("errors", errors.to_string()),
                ("secs", format!("{secs:.3}")),
            ]
        )
    );
    std::process::ExitCode::SUCCESS
}

async fn load(args: LoadArgs) -> (u64, u64, f64) {
    let left = Arc::new(AtomicI64::new(args.requests as i64));
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.max_secs);
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n\r\n",
        args.path, args.addr
    );
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.conns)
        .map(|_| {
            let (left, done, errors) = (left.clone(), done.clone(), errors.clone());
            let request = request.clone();
            let addr = args.addr;
            tokio::spawn(async move {
                // A failed connection is counted and replaced; the loop is
                // bounded by the request budget and the deadline.
                while left.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
                    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let mut stream = BufReader::new(stream);
                    while left.fetch_sub(1, Ordering::Relaxed) > 0 && Instant::now() < deadline {
                        match exchange(&mut stream, request.as_bytes()).await {
                            Ok(_) => {
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    (
        done.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    )
}

/// One request and its whole response on a kept-alive connection; the
/// body length on success.
pub async fn exchange(
    stream: &mut BufReader<tokio::net::TcpStream>,
    request: &[u8],
) -> std::io::Result<usize> {
    stream.get_mut().write_all(request).await?;
    let mut length = 0_usize;
    let mut status_ok = false;
    let mut line = String::new();
    let mut first = true;
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if first {
            status_ok = line.split_whitespace().nth(1) == Some("200");
            first = false;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0_u8; length];
    stream.read_exact(&mut body).await?;
    if status_ok {
        Ok(length)
    } else {
        Err(std::io::Error::other("status not 200"))
    }
}

/// Whether `wrk` is on the PATH.
pub fn wrk_available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// Runs `wrk -t2 -cCONNS -dSECSs URL` and reads its totals.
pub fn wrk(url: &str, conns: usize, secs: u64) -> Result<LoadResult, String> {
    let mut cmd = Command::new("wrk");
    cmd.arg("-t2")
        .arg(format!("-c{conns}"))
        .arg(format!("-d{secs}s"))
        .arg(url);
    let proc = Proc::spawn("wrk", cmd)?;
    let lines = proc.finish(Duration::from_secs(secs + 20))?;
    parse_wrk(&lines.join("\n"))
        .ok_or_else(|| format!("cannot read wrk's output: {}", lines.join(" / ")))
}

/// wrk prints e.g. `  612345 requests in 5.00s, 2.6GB read`, maybe
/// `Non-2xx or 3xx responses: 3` and `Socket errors: connect 0, read 1, write 0, timeout 0`.
fn parse_wrk(text: &str) -> Option<LoadResult> {
    let mut requests = None;
    let mut secs = None;
    let mut errors = 0_u64;
    for line in text.lines().map(str::trim) {
        if let Some((n, rest)) = line.split_once(" requests in ") {
            requests = n.trim().parse().ok();
            let dur = rest.split(',').next()?.trim();
            secs = parse_wrk_duration(dur);
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            errors += rest.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            errors += rest
                .split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    Some(LoadResult {
        tool: String::new(),
        requests: requests?,
        errors,
        secs: secs?,
    })
}

fn parse_wrk_duration(s: &str) -> Option<f64> {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse::<f64>().ok().map(|v| v / 1000.0);
    }
    if let Some(m) = s.strip_suffix('m') {
        return m.parse::<f64>().ok().map(|v| v * 60.0);
    }
    s.strip_suffix('s')?.parse().ok()
}

/// Runs the built-in loader in a child process.
pub fn builtin(
    addr: std::net::SocketAddr,
    conns: usize,
    requests: u64,
    max_secs: u64,
) -> Result<LoadResult, String> {
    let args: Vec<String> = [
        "child-load",
        "--addr",
        &addr.to_string(),
        "--conns",
        &conns.to_string(),
        "--requests",
        &requests.to_string(),
        "--max-secs",
        &max_secs.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let proc = Proc::spawn_self("load loop child", &args)?;
    let lines = proc.finish(Duration::from_secs(max_secs + 20))?;
    let line = lines
        .iter()
        .find(|l| l.starts_with("load\t"))
        .ok_or("the load loop printed no result")?;
    let kv = parse_kv(line);
    Ok(LoadResult {
        tool: format!("built-in keep-alive loop, {conns} connections"),
        requests: num(&kv, "requests").unwrap_or(0),
        errors: num(&kv, "errors").unwrap_or(0),
        secs: num(&kv, "secs").unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let text = "Running 5s test @ http://127.0.0.1:1/delay/0\n  2 threads and 64 connections\n\
                    \x20 Thread Stats   Avg      Stdev     Max   +/- Stdev\n\
                    \x20 153456 requests in 5.01s, 650.2MB read\n\
                    \x20 Socket errors: connect 0, read 2, write 0, timeout 1\n\
                    \x20 Non-2xx or 3xx responses: 4\nRequests/sec:  30630.14\n";
        let r = parse_wrk(text).unwrap();
        assert_eq!(r.requests, 153_456);
        assert!((r.secs - 5.01).abs() < 1e-9);
        assert_eq!(r.errors, 7);
        assert!(parse_wrk("nothing useful").is_none());
        assert_eq!(parse_wrk_duration("500.00ms"), Some(0.5));
        assert_eq!(parse_wrk_duration("1.00m"), Some(60.0));
    }
}
