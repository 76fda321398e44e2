//! The delay server in a process of its own (`bench child-server`), and the
//! parent's handle on it.
//!
//! Protocol: the child prints `url\turl=http://127.0.0.1:PORT` when it
//! accepts connections; each `stats MS` line on its stdin gets
//! `stats\ttotal=..\tpeak=..` back (peak in flight among requests with a
//! delay of MS ms). End of stdin stops it.

use crate::child::{Proc, kv_line, num, parse_kv};
use crate::sections::{Findings, Settings};
use crate::table::{Row, count};
use crate::{load, sys};
use std::io::BufRead;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// wiremock servers (one thread each) on the same port.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Request records to keep (0: none, like `cargo run -p mock-server`).
    #[arg(long, default_value_t = 1_000_000)]
    pub record_limit: usize,
}

/// The child side.
pub fn serve(args: ServeArgs) -> std::process::ExitCode {
    // One runtime thread is enough for the watchdog: each wiremock worker
    // runs on a thread of its own.
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start a runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let server = rt.block_on(
        mock_server::DelayServer::builder()
            .workers(args.workers)
            .record_limit(args.record_limit)
            .start(),
    );
    let server = match server {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "{}",
        kv_line("url", &[("url", server.base_url().to_string())])
    );
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        match words.next() {
            Some("stats") => {
                let ms: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(1000);
                let delay = Duration::from_millis(ms);
                let records: Vec<_> = server
                    .requests()
                    .into_iter()
                    .filter(|r| r.delay == delay)
                    .collect();
                let peak = mock_server::peak_in_flight(&records);
                let spread = crate::client::arrival_spread(&records);
                println!(
                    "{}",
                    kv_line(
                        "stats",
                        &[
                            ("total", server.total_requests().to_string()),
                            ("peak", peak.to_string()),
                            ("spread_ms", format!("{:.0}", spread.as_secs_f64() * 1000.0)),
                        ]
                    )
                );
            }
            Some("quit") => break,
            _ => {}
        }
    }
    let _guard = rt.enter();
    drop(server);
    std::process::ExitCode::SUCCESS
}

/// The parent side: a delay server child.
pub struct ServerChild {
    proc: Proc,
    pub base_url: String,
}

/// What the server child saw.
#[derive(Debug, Clone, Copy)]
pub struct ServerStats {
    pub total: u64,
    pub peak: usize,
    pub spread_ms: Option<f64>,
    pub hwm_kib: Option<u64>,
}

impl ServerChild {
    pub fn start(workers: usize, record_limit: usize) -> Result<ServerChild, String> {
        let args = vec![
            "child-server".to_string(),
            "--workers".to_string(),
            workers.to_string(),
            "--record-limit".to_string(),
            record_limit.to_string(),
        ];
        let mut proc = Proc::spawn_self("delay server child", &args)?;
        let line = proc.line_with("url\t", Duration::from_secs(15))?;
        let base_url = parse_kv(&line)
            .remove("url")
            .ok_or_else(|| format!("delay server child said `{line}`"))?;
        Ok(ServerChild { proc, base_url })
    }

    pub fn delay_url(&self, ms: u64) -> String {
        mock_server::delay_url(&self.base_url, ms)
    }

    pub fn stats(&mut self, delay_ms: u64) -> Result<ServerStats, String> {
        self.proc.send(&format!("stats {delay_ms}"))?;
        // Computing the peak over 1,000,000 records takes a moment.
        let line = self.proc.line_with("stats\t", Duration::from_secs(30))?;
        let kv = parse_kv(&line);
        let pid = Some(self.proc.pid());
        Ok(ServerStats {
            total: num(&kv, "total").unwrap_or(0),
            peak: num(&kv, "peak").unwrap_or(0),
            spread_ms: num(&kv, "spread_ms"),
            hwm_kib: sys::status_kib(pid, "VmHWM"),
        })
    }

    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// Memory now, without asking the child anything.
    pub fn rss_kib(&self) -> Option<u64> {
        sys::status_kib(Some(self.proc.pid()), "VmRSS")
    }

    pub fn stop(self) {
        // End of stdin asks it to stop; `finish` kills it if it does not.
        let _ = self.proc.finish(Duration::from_secs(5));
    }
}

/// Requests/s of the `mock-server` binary itself (built next to this
/// bench: `cargo build --release -p mock-server`), with its per-request
/// log on (its default, to a pipe the bench drains) and with `--quiet`.
pub(crate) fn logging_rows(settings: &Settings, findings: &mut Findings) -> Vec<Row> {
    let section = "Delay server";
    let binary = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.join("mock-server")))
        .filter(|b| b.exists());
    let Some(binary) = binary else {
        return vec![
            Row::new(section, "the mock-server binary, log on and off", "not run")
                .notes("build it first: cargo build --release -p mock-server"),
        ];
    };
    let conns = 64;
    let mut rates = Vec::new();
    let mut rows = Vec::new();
    for quiet in [false, true] {
        let label = format!(
            "requests/s at delay 0, the mock-server binary, 2 workers, {}",
            if quiet {
                "--quiet"
            } else {
                "logging requests (its default)"
            }
        );
        let mut cmd = std::process::Command::new(&binary);
        cmd.args(["--port", "0", "--workers", "2"]);
        if quiet {
            cmd.arg("--quiet");
        }
        let outcome = Proc::spawn("mock-server binary", cmd).and_then(|mut p| {
            let line = p.line_with("Delay server listening", Duration::from_secs(15))?;
            let base = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .ok_or_else(|| format!("no URL in `{line}`"))?
                .to_string();
            let addr: std::net::SocketAddr = base
                .trim_start_matches("http://")
                .parse()
                .map_err(|e| format!("{base}: {e}"))?;
            let before = sys::cpu_time(Some(p.pid()));
            let result = if load::wrk_available() {
                load::wrk(&mock_server::delay_url(&base, 0), conns, settings.wrk_secs)
            } else {
                load::builtin(addr, conns, 1_000_000, settings.wrk_secs)
            };
            let after = sys::cpu_time(Some(p.pid()));
            let _ = p.finish(Duration::from_millis(200));
            let cpu = match (before, after) {
                (Some(a), Some(b)) => Some((b.0 + b.1).saturating_sub(a.0 + a.1).as_secs_f64()),
                _ => None,
            };
            result.map(|r| (r, cpu))
        });
        match outcome {
            Ok((r, cpu)) => {
                rates.push(r.per_sec());
                let cpu_note = cpu.map_or(String::new(), |c| {
                    format!(
                        "; server CPU {:.1} µs per request",
                        c * 1e6 / r.requests.max(1) as f64
                    )
                });
                rows.push(
                    Row::new(
                        section,
                        label,
                        format!("{} req/s", count(r.per_sec().round() as u64)),
                    )
                    .errors(count(r.errors))
                    .notes(format!(
                        "{} requests in {:.2} s{cpu_note}",
                        count(r.requests),
                        r.secs
                    )),
                );
            }
            Err(e) => rows.push(Row::new(section, label, "failed").notes(e)),
        }
    }
    if let [logged, quiet] = rates[..] {
        findings.lines.push(format!(
            "Logging: the binary with its default log answered {} req/s, with --quiet {} req/s ({:+.0} %). It logs \
             each of the first 20 requests of a second and counts the rest in one line, so a flood costs almost \
             nothing (logging every request cost about 30 % before).",
            count(logged.round() as u64),
            count(quiet.round() as u64),
            (logged / quiet - 1.0) * 100.0
        ));
    }
    rows
}
