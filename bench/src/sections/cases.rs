//! One case of the scale, bounded and peer sections: a server and a
//! client in child processes of this binary, run some rounds, and its row.

use crate::child::{Proc, num, parse_kv};
use crate::server::ServerChild;
use crate::table::{NA, Row, Verdict, count, mb, secs};
use std::time::Duration;

/// Where the delay server runs for a client run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Placement {
    /// In the client's process, as in the lessons.
    InProcess { workers: usize },
    /// In a child process of its own.
    Child { workers: usize },
}

#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) section: &'static str,
    pub(crate) n: usize,
    pub(crate) placement: Placement,
    pub(crate) warm: bool,
    pub(crate) k: Option<usize>,
    /// A hand-written HTTP/1.1 client instead of reqwest.
    pub(crate) raw: bool,
    pub(crate) timeout_s: u64,
    pub(crate) target: Option<(&'static str, f64)>,
}

impl Case {
    pub(crate) fn label(&self) -> String {
        let what = match self.k {
            None => format!("{} × 1 s", count(self.n as u64)),
            Some(k) => format!(
                "{} with buffer_unordered({})",
                count(self.n as u64),
                count(k as u64)
            ),
        };
        let server = match self.placement {
            Placement::InProcess { workers } => {
                format!("server in-process, {workers} worker{}", plural(workers))
            }
            Placement::Child { workers } => {
                format!(
                    "server in a child process, {workers} worker{}",
                    plural(workers)
                )
            }
        };
        let conns = match (self.warm, self.raw) {
            (true, _) => "pooled connections",
            (false, false) => "new connections",
            (false, true) => "new connections, hand-written client instead of reqwest",
        };
        format!("{what}; {server}; {conns}")
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What a client run measured (or why it failed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub(crate) wall: Option<Duration>,
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    pub(crate) kinds: String,
    pub(crate) peak: Option<usize>,
    /// From the first to the last request the server saw.
    pub(crate) spread_ms: Option<f64>,
    pub(crate) client_kib: Option<u64>,
    pub(crate) server_kib: Option<u64>,
    pub(crate) notes: Vec<String>,
    pub(crate) failure: Option<String>,
    /// Accept-queue overflows plus SYN retransmits during the measured part.
    pub(crate) overflows: Option<u64>,
    /// CPU seconds of client and server during the measured part.
    pub(crate) cpu_total: Option<f64>,
    /// CPU seconds of the server alone (its process, or its threads when
    /// it runs inside the client) during the measured part.
    pub(crate) server_cpu: Option<f64>,
    /// Wall times of all successful rounds, when there were several.
    pub(crate) rounds: Vec<f64>,
    /// Rounds that failed outright.
    pub(crate) failed_rounds: usize,
}

impl Outcome {
    /// The server's CPU time per request answered, in µs.
    pub(crate) fn server_cpu_per_request_us(&self) -> Option<f64> {
        let answered = self.ok.max(1) as f64 / (self.rounds.len().max(1)) as f64;
        self.server_cpu.map(|s| s * 1e6 / answered)
    }
}

/// Runs a case `rounds` times and keeps the median round (by wall time);
/// errors add up over the rounds, memory is the highest seen.
pub(crate) fn run_rounds(case: &Case, rounds: usize) -> Outcome {
    let mut good: Vec<Outcome> = Vec::new();
    let mut failures = Vec::new();
    for _ in 0..rounds.max(1) {
        let o = run_case(case);
        match &o.failure {
            Some(f) => failures.push(f.clone()),
            None => good.push(o),
        }
    }
    if good.is_empty() {
        return Outcome {
            failure: failures.first().cloned(),
            failed_rounds: failures.len(),
            ..Outcome::default()
        };
    }
    good.sort_by_key(|o| o.wall.unwrap_or_default());
    let walls: Vec<f64> = good
        .iter()
        .map(|o| o.wall.unwrap_or_default().as_secs_f64())
        .collect();
    let (errors, ok) = (
        good.iter().map(|o| o.errors).sum(),
        good.iter().map(|o| o.ok).sum(),
    );
    let client_kib = good.iter().filter_map(|o| o.client_kib).max();
    let server_kib = good.iter().filter_map(|o| o.server_kib).max();
    let peak = good.iter().filter_map(|o| o.peak).min();
    let overflows = good.iter().filter_map(|o| o.overflows).reduce(|a, b| a + b);
    let mid = good.len() / 2;
    let mut median = good.swap_remove(mid);
    median.wall = crate::table::median(&walls).map(Duration::from_secs_f64);
    median.errors = errors;
    median.ok = ok;
    median.client_kib = client_kib;
    median.server_kib = server_kib;
    median.peak = peak;
    median.overflows = overflows;
    if walls.len() > 1 {
        median.rounds = walls;
    }
    if let Some(f) = failures.first() {
        median
            .notes
            .push(format!("{} round(s) failed: {f}", failures.len()));
    }
    median.failed_rounds = failures.len();
    median
}

pub(crate) fn run_case(case: &Case) -> Outcome {
    let mut server = None;
    let mut args = vec![
        "child-client".to_string(),
        "--n".into(),
        case.n.to_string(),
        "--timeout-s".into(),
        case.timeout_s.to_string(),
    ];
    match case.placement {
        Placement::InProcess { workers } => {
            args.extend(["--embedded-workers".into(), workers.to_string()]);
            if case.warm {
                args.extend(["--warm-url".into(), "embedded".into()]);
            }
        }
        Placement::Child { workers } => {
            let child = match ServerChild::start(workers, 1_000_000) {
                Ok(child) => child,
                Err(e) => {
                    return Outcome {
                        failure: Some(e),
                        ..Outcome::default()
                    };
                }
            };
            args.extend(["--url".into(), child.delay_url(1000)]);
            args.extend(["--server-pid".into(), child.pid().to_string()]);
            if case.warm {
                args.extend(["--warm-url".into(), child.delay_url(1500)]);
            }
            server = Some(child);
        }
    }
    if let Some(k) = case.k {
        args.extend(["--k".into(), k.to_string()]);
    }
    if case.raw {
        args.push("--raw".into());
    }
    let waves = case.n.div_ceil(case.k.unwrap_or(case.n).max(1)) as u64;
    let deadline = Duration::from_secs(waves * 2 + case.timeout_s * 2 + 30);
    let mut outcome = client_run(&args, deadline);
    if let Some(mut child) = server {
        match child.stats(1000) {
            Ok(stats) => {
                outcome.peak = Some(stats.peak);
                outcome.spread_ms = stats.spread_ms;
                outcome.server_kib = stats.hwm_kib;
            }
            Err(e) => outcome.notes.push(format!("server stats: {e}")),
        }
        child.stop();
    }
    outcome
}

/// Runs a client child and reads its result line.
pub(crate) fn client_run(args: &[String], deadline: Duration) -> Outcome {
    let lines = Proc::spawn_self("client child", args).and_then(|p| p.finish(deadline));
    let lines = match lines {
        Ok(lines) => lines,
        Err(e) => {
            return Outcome {
                failure: Some(e),
                ..Outcome::default()
            };
        }
    };
    let Some(line) = lines.iter().find(|l| l.starts_with("result\t")) else {
        return Outcome {
            failure: Some("the client printed no result".into()),
            ..Outcome::default()
        };
    };
    let kv = parse_kv(line);
    let mut notes = Vec::new();
    for key in ["restarts", "warm", "cpu", "tcp"] {
        if let Some(v) = kv.get(key).filter(|v| !v.is_empty()) {
            notes.push(v.clone());
        }
    }
    Outcome {
        wall: num::<f64>(&kv, "wall_ms").map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        ok: num(&kv, "ok").unwrap_or(0),
        errors: num(&kv, "errors").unwrap_or(0),
        kinds: kv.get("kinds").cloned().unwrap_or_default(),
        peak: num(&kv, "peak"),
        spread_ms: num(&kv, "spread_ms"),
        cpu_total: num(&kv, "cpu_total"),
        server_cpu: num(&kv, "server_cpu_s"),
        overflows: num(&kv, "overflows"),
        client_kib: num(&kv, "hwm_kib"),
        server_kib: None,
        notes,
        failure: None,
        ..Outcome::default()
    }
}

pub(crate) fn case_row(case: &Case, o: &Outcome) -> Row {
    let mut row = Row::new(case.section, case.label(), NA);
    if let Some(failure) = &o.failure {
        row.figure = "failed".into();
        row.notes = failure.clone();
        if let Some((target, _)) = case.target {
            row = row.target(target, Verdict::Missed);
        }
        return row;
    }
    let wall = o.wall.unwrap_or_default();
    row.figure = secs(wall);
    if o.rounds.len() > 1 {
        row.figure = format!("{} (median of {})", row.figure, o.rounds.len());
    }
    row.errors = if o.errors == 0 {
        "0".into()
    } else {
        format!("{} of {}", count(o.errors), count(o.ok + o.errors))
    };
    if o.rounds.len() > 1 {
        row.errors = format!("{} in {} rounds", row.errors, o.rounds.len());
    }
    row.peak = o.peak.map_or(NA.to_string(), |p| count(p as u64));
    row.memory = match (o.client_kib, o.server_kib) {
        (Some(c), Some(s)) => format!("client {} + server {}", mb(c), mb(s)),
        (Some(c), None) => format!("{} (client and server)", mb(c)),
        _ => NA.into(),
    };
    if let Some((target, limit)) = case.target {
        let met = o.errors == 0 && o.failed_rounds == 0 && wall.as_secs_f64() <= limit;
        row = row.target(target, Verdict::from_ok(met));
    }
    let mut notes = o.notes.clone();
    if o.rounds.len() > 1 {
        let walls: Vec<String> = o.rounds.iter().map(|w| format!("{w:.3}")).collect();
        notes.insert(0, format!("rounds: {} s", walls.join(", ")));
    }
    if let Some(per) = o.server_cpu_per_request_us() {
        notes.push(format!("server CPU {per:.0} µs per request"));
    }
    if let Some(spread) = o.spread_ms {
        notes.insert(
            0,
            format!("requests reached the server within {spread:.0} ms"),
        );
    }
    if !o.kinds.is_empty() {
        notes.insert(0, format!("errors: {}", o.kinds));
    }
    row.notes = notes.join("; ");
    row
}
