//! Section 4: the delay server's own throughput and memory.

use crate::sections::{Findings, Settings};
use crate::server::ServerChild;
use crate::table::{NA, Row, count, mb};
use crate::{load, sys};

pub(crate) fn rows(settings: &Settings, findings: &mut Findings) -> Vec<Row> {
    let section = "Delay server";
    let workers = 2;
    let mut server = match ServerChild::start(workers, 0) {
        Ok(s) => s,
        Err(e) => return vec![Row::new(section, "requests/s at delay 0", "failed").notes(e)],
    };
    let rss_start = server.rss_kib();
    let url = server.delay_url(0);
    let addr: std::net::SocketAddr = match server.base_url.trim_start_matches("http://").parse() {
        Ok(a) => a,
        Err(e) => {
            return vec![
                Row::new(section, "requests/s at delay 0", "failed").notes(format!("{e}")),
            ];
        }
    };
    let conns = 64;
    let mut runs = Vec::new();
    let cpu_before = sys::cpu_time(Some(server.pid()));
    let first = if load::wrk_available() {
        load::wrk(&url, conns, settings.wrk_secs).map(|mut r| {
            r.tool = format!("wrk -t2 -c{conns} -d{}s", settings.wrk_secs);
            r
        })
    } else {
        load::builtin(addr, conns, 1_000_000, settings.wrk_secs)
    };
    let cpu_after = sys::cpu_time(Some(server.pid()));
    let mut rows = Vec::new();
    match &first {
        Ok(r) => runs.push(r.clone()),
        Err(e) => rows.push(Row::new(section, "requests/s at delay 0", "failed").notes(e.clone())),
    }
    if let (Ok(r), Some(a), Some(b)) = (&first, cpu_before, cpu_after)
        && r.requests > 0
    {
        let used = (b.0 + b.1).saturating_sub(a.0 + a.1).as_secs_f64();
        rows.push(
            Row::new(
                "Server CPU",
                format!(
                    "per request at delay 0 over {conns} keep-alive connections, {workers} workers"
                ),
                format!("{:.1} µs", used * 1e6 / r.requests as f64),
            )
            .notes(format!(
                "{used:.2} s of server CPU for {} requests, during the requests/s run below",
                count(r.requests)
            )),
        );
    }
    // Top up to 100,000 requests before reading the memory.
    let mut total = server.stats(0).map(|s| s.total).unwrap_or(0);
    let mut rounds = 0;
    while total < 100_000 && rounds < 5 {
        rounds += 1;
        match load::builtin(addr, conns, 100_000 - total, 60) {
            Ok(r) => runs.push(r),
            Err(e) => {
                rows.push(Row::new(section, "top-up load", "failed").notes(e));
                break;
            }
        }
        total = server.stats(0).map(|s| s.total).unwrap_or(total);
    }
    if let Some(r) = runs.first() {
        rows.push(
            Row::new(
                section,
                format!("requests/s at delay 0, {workers} workers, from a second process"),
                format!("{} req/s", count(r.per_sec().round() as u64)),
            )
            .errors(count(r.errors))
            .notes(format!(
                "{}: {} requests in {:.2} s",
                if r.tool.is_empty() { "load" } else { &r.tool },
                count(r.requests),
                r.secs
            )),
        );
    }
    let rss_end = server.rss_kib();
    if let (Some(a), Some(b)) = (rss_start, rss_end)
        && total > 0
    {
        let per_request = (b.saturating_sub(a) as f64 * 1024.0) / total as f64;
        if per_request > 1000.0 {
            findings.lines.push(format!(
                "The delay server's memory grew by about {:.1} KB per request with its own records off: a leak to find.",
                per_request / 1000.0
            ));
        }
    }
    let hwm = server.stats(0).ok().and_then(|s| s.hwm_kib);
    rows.push(
        Row::new(
            section,
            format!(
                "memory after {} requests (records off, like `cargo run -p mock-server`)",
                count(total)
            ),
            match (rss_start, rss_end) {
                (Some(a), Some(b)) => format!("RSS {} at start → {}", mb(a), mb(b)),
                _ => "n/a".into(),
            },
        )
        .memory(hwm.map_or(NA.into(), |h| format!("{} (VmHWM)", mb(h))))
        .errors(count(runs.iter().map(|r| r.errors).sum())),
    );
    server.stop();
    rows.extend(crate::server::logging_rows(settings, &mut *findings));
    rows
}
