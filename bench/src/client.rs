//! The client side of the scale, bounded and peer sections: N requests at
//! once (or K at a time), in a process of its own so that its descriptors
//! and peak memory are its own.

use crate::child::kv_line;
use crate::sys::{self, TcpCounters};
use futures::StreamExt;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What one client run should do.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientPlan {
    /// The URL every request fetches. Without it the client starts an
    /// embedded delay server (in its own process) and uses `/delay/{delay_ms}`.
    #[arg(long)]
    pub url: Option<String>,
    /// Workers of the embedded server.
    #[arg(long, default_value_t = 1)]
    pub embedded_workers: usize,
    /// Delay of the embedded server's URL.
    #[arg(long, default_value_t = 1000)]
    pub delay_ms: u64,
    /// How many requests.
    #[arg(long)]
    pub n: usize,
    /// At most this many in flight (`buffer_unordered(K)`); without it all
    /// requests are spawned at once.
    #[arg(long)]
    pub k: Option<usize>,
    /// Before measuring, open N connections by sending N overlapping
    /// requests to this URL ("embedded" for the embedded server), so that
    /// the measured requests reuse pooled connections.
    #[arg(long)]
    pub warm_url: Option<String>,
    /// The pid of the server child, to read its CPU time.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Send each request over a fresh connection with a minimal
    /// hand-written HTTP/1.1 client instead of reqwest (spawn-all only).
    #[arg(long)]
    pub raw: bool,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout_s: u64,
}

/// Runs the plan on a fresh multi-threaded runtime and prints one result
/// line for the parent.
pub fn run(plan: ClientPlan) -> std::process::ExitCode {
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
    match rt.block_on(measure(plan)) {
        Ok(line) => {
            println!("{line}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The bench only ever talks to this machine.
fn check_loopback(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!("{url}: the bench only sends requests to 127.0.0.1"))
    }
}

async fn measure(plan: ClientPlan) -> Result<String, String> {
    for url in plan
        .url
        .iter()
        .chain(plan.warm_url.iter().filter(|u| *u != "embedded"))
    {
        check_loopback(url)?;
    }
    let server = if plan.url.is_none() {
        let server = mock_server::DelayServer::builder()
            .workers(plan.embedded_workers)
            .start()
            .await
            .map_err(|e| format!("embedded server: {e}"))?;
        Some(server)
    } else {
        None
    };
    let url = match (&plan.url, &server) {
        (Some(url), _) => url.clone(),
        (None, Some(s)) => s.delay_url(plan.delay_ms),
        (None, None) => unreachable!("a server was started above"),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(plan.timeout_s))
        // Keep every connection for reuse (this is reqwest's default too).
        .pool_max_idle_per_host(usize::MAX)
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;

    let fds_before = sys::open_fds().unwrap_or(0);
    let mut warm_note = String::new();
    if let Some(warm) = &plan.warm_url {
        let warm = match (warm.as_str(), &server) {
            ("embedded", Some(s)) => s.delay_url(1500),
            _ => warm.clone(),
        };
        let took = Instant::now();
        let outcomes = spawn_all(&client, &warm, plan.n).await;
        let failed = outcomes.iter().filter(|o| o.is_err()).count();
        let fds = sys::open_fds().unwrap_or(0).saturating_sub(fds_before);
        warm_note = format!(
            "warm-up {:.1} s, {failed} failed, {fds} sockets open after it",
            took.elapsed().as_secs_f64()
        );
        if let Some(s) = &server {
            s.clear_requests();
        }
    }

    let tcp_before = TcpCounters::read();
    let cpu_before = (
        sys::cpu_time(None),
        plan.server_pid.and_then(|p| sys::cpu_time(Some(p))),
    );
    // The server's own CPU: its process, or its worker threads when it
    // runs inside this one.
    let server_cpu = || match plan.server_pid {
        Some(pid) => sys::cpu_time(Some(pid)).map(|(user, system)| user + system),
        None => sys::threads_cpu("delay-server"),
    };
    let server_cpu_before = server_cpu();
    // A few descriptors kept back: with 10,000 requests in one process the
    // table can be full when the run ends, and reading /proc needs some.
    let reserve: Vec<std::fs::File> = (0..8)
        .filter_map(|_| std::fs::File::open("/dev/null").ok())
        .collect();
    let started = Instant::now();
    let outcomes = match plan.k {
        None if plan.raw => {
            spawn_all_raw(&url, plan.n, Duration::from_secs(plan.timeout_s)).await?
        }
        None => spawn_all(&client, &url, plan.n).await,
        Some(k) => {
            // The bounded form: one stream, at most K requests in flight.
            futures::stream::iter(0..plan.n)
                .map(|_| fetch(&client, &url))
                .buffer_unordered(k.max(1))
                .collect()
                .await
        }
    };
    let wall = started.elapsed();
    drop(reserve);
    let server_cpu_s = match (server_cpu_before, server_cpu()) {
        (Some(before), Some(after)) => {
            format!("{:.3}", (after.saturating_sub(before)).as_secs_f64())
        }
        _ => String::new(),
    };
    let cpu_after = (
        sys::cpu_time(None),
        plan.server_pid.and_then(|p| sys::cpu_time(Some(p))),
    );
    let cpu = describe_cpu(cpu_before, cpu_after, server.is_some());
    let cpu_total = [(cpu_before.0, cpu_after.0), (cpu_before.1, cpu_after.1)]
        .iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a?, b?);
            Some((b.0 + b.1).saturating_sub(a.0 + a.1).as_secs_f64())
        })
        .sum::<f64>();
    let tcp = match (TcpCounters::read(), tcp_before) {
        (Some(after), Some(before)) => Some(after.since(before)),
        _ => None,
    };
    // Only worth a note when something happened (the counters are
    // system-wide: another program's traffic shows here too).
    let tcp_note = tcp
        .filter(|t| *t != TcpCounters::default())
        .map(TcpCounters::describe)
        .unwrap_or_default();
    let hwm = sys::status_kib(None, "VmHWM").unwrap_or(0);

    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut bytes = 0_usize;
    for outcome in &outcomes {
        match outcome {
            Ok(n) => bytes += n,
            Err(kind) => *kinds.entry(kind.clone()).or_default() += 1,
        }
    }
    let errors: usize = kinds.values().sum();
    let mut kinds: Vec<(String, usize)> = kinds.into_iter().collect();
    kinds.sort_by_key(|kind| std::cmp::Reverse(kind.1));
    let kinds: Vec<String> = kinds
        .iter()
        .take(3)
        .map(|(k, n)| format!("{n}× {k}"))
        .collect();
    let seen = server.as_ref().map(|s| {
        let delay = Duration::from_millis(plan.delay_ms);
        let records: Vec<_> = s
            .requests()
            .into_iter()
            .filter(|r| r.delay == delay)
            .collect();
        (
            mock_server::peak_in_flight(&records),
            arrival_spread(&records),
        )
    });
    let restarts = server.as_ref().map_or(0, |s| s.restarts());
    // The embedded server's records hold the server side: drop it before
    // the runtime goes away (it stops its accept loops on a plain thread).
    drop(server);
    Ok(kv_line(
        "result",
        &[
            ("wall_ms", format!("{:.3}", wall.as_secs_f64() * 1000.0)),
            ("ok", (outcomes.len() - errors).to_string()),
            ("errors", errors.to_string()),
            ("kinds", kinds.join("; ")),
            ("bytes", bytes.to_string()),
            ("hwm_kib", hwm.to_string()),
            ("peak", seen.map(|s| s.0.to_string()).unwrap_or_default()),
            (
                "spread_ms",
                seen.map(|s| format!("{:.0}", s.1.as_secs_f64() * 1000.0))
                    .unwrap_or_default(),
            ),
            ("cpu", cpu),
            ("cpu_total", format!("{cpu_total:.2}")),
            ("server_cpu_s", server_cpu_s),
            (
                "restarts",
                if restarts > 0 {
                    format!("the server's accept loop died and was restarted {restarts} time(s)")
                } else {
                    String::new()
                },
            ),
            ("warm", warm_note),
            ("tcp", tcp_note),
            (
                "overflows",
                tcp.map(|t| (t.listen_overflows + t.syn_retrans).to_string())
                    .unwrap_or_default(),
            ),
        ],
    ))
}

type Cpu = Option<(Duration, Duration)>;

/// "CPU: client 0.40 s user + 1.10 s system, server ...".
fn describe_cpu(before: (Cpu, Cpu), after: (Cpu, Cpu), embedded: bool) -> String {
    let used = |a: Cpu, b: Cpu| {
        let (a, b) = (a?, b?);
        Some(format!(
            "{:.2} s user + {:.2} s system",
            b.0.saturating_sub(a.0).as_secs_f64(),
            b.1.saturating_sub(a.1).as_secs_f64()
        ))
    };
    match (used(before.0, after.0), used(before.1, after.1)) {
        (Some(c), Some(s)) => format!("CPU: client {c}, server {s}"),
        (Some(c), None) if embedded => format!("CPU: {c} (client and server)"),
        (Some(c), None) => format!("CPU: client {c}"),
        _ => String::new(),
    }
}

/// From the first to the last arrival the server saw.
pub fn arrival_spread(records: &[mock_server::RequestRecord]) -> Duration {
    let first = records.iter().map(|r| r.arrived).min();
    let last = records.iter().map(|r| r.arrived).max();
    match (first, last) {
        (Some(a), Some(b)) => b - a,
        _ => Duration::ZERO,
    }
}

/// Spawns one task per request, as the scale lesson does, and waits for all.
async fn spawn_all(client: &reqwest::Client, url: &str, n: usize) -> Vec<Result<usize, String>> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            let url = url.to_string();
            tokio::spawn(async move { fetch(&client, &url).await })
        })
        .collect();
    futures::future::join_all(handles)
        .await
        .into_iter()
        .map(|joined| joined.unwrap_or_else(|e| Err(format!("task failed: {e}"))))
        .collect()
}

/// Like [`spawn_all`], with a bare TCP connection and a hand-written
/// request per task: what the kernel and the server cost without an HTTP
/// client library.
async fn spawn_all_raw(
    url: &str,
    n: usize,
    timeout: Duration,
) -> Result<Vec<Result<usize, String>>, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--raw needs an http:// URL, not {url}"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: std::net::SocketAddr = host
        .parse()
        .map_err(|e| format!("--raw needs an IP:PORT host, not {host}: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let once = async {
                    let stream = tokio::net::TcpStream::connect(addr)
                        .await
                        .map_err(|e| format!("connect: {e}"))?;
                    let mut stream = tokio::io::BufReader::new(stream);
                    crate::load::exchange(&mut stream, request.as_bytes())
                        .await
                        .map_err(|e| format!("request: {e}"))
                };
                tokio::time::timeout(timeout, once)
                    .await
                    .unwrap_or_else(|_| Err("timeout".to_string()))
            })
        })
        .collect();
    Ok(futures::future::join_all(handles)
        .await
        .into_iter()
        .map(|joined| joined.unwrap_or_else(|e| Err(format!("task failed: {e}"))))
        .collect())
}

/// One GET, body read to the end; the error reduced to its kind and root
/// cause so that 10,000 failures group into a few lines.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<usize, String> {
    let response = client.get(url).send().await.map_err(|e| describe(&e))?;
    let response = response.error_for_status().map_err(|e| describe(&e))?;
    let body = response.bytes().await.map_err(|e| describe(&e))?;
    Ok(body.len())
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_status() {
        "status"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    let mut root: &dyn std::error::Error = e;
    while let Some(source) = root.source() {
        root = source;
    }
    format!("{kind}: {root}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_pass() {
        assert!(check_loopback("http://127.0.0.1:3000/delay/1").is_ok());
        assert!(check_loopback("http://[::1]:3000/").is_ok());
        assert!(check_loopback("http://localhost:1/").is_ok());
        assert!(check_loopback("http://example.com/delay/1").is_err());
        assert!(check_loopback("http://10.0.0.1/").is_err());
        assert!(check_loopback("not a url").is_err());
    }
}
