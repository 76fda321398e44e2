//! Section 5 (with `--peer`): httpbin on gunicorn, sync and gevent.

use crate::peer;
use crate::sections::Settings;
use crate::sections::cases::{Case, Placement, case_row, client_run, run_case};
use crate::table::{NA, Row, count, mb};
use std::time::Duration;

pub(crate) fn rows(settings: &Settings) -> Vec<Row> {
    let section = "Peer";
    if peer::gunicorn().is_none() {
        return vec![
            Row::new(section, "httpbin on gunicorn", "skipped: no venv").notes(format!(
                "run bench/setup-peer.sh (expects {})",
                peer::venv_dir().display()
            )),
        ];
    }
    let mut rows = Vec::new();
    // sync: one request at a time, so 10 already take 10 s; 100 hit the
    // client's timeout, which shows the rate as well.
    let sync_ns: &[usize] = if settings.quick { &[10] } else { &[10, 100] };
    let mut ns: Vec<usize> = sync_ns.iter().chain(&settings.scale_ns).copied().collect();
    ns.sort_unstable();
    ns.dedup();
    let mut cases: Vec<(Option<peer::Workers>, usize, u64)> = Vec::new();
    for n in ns {
        // The delay server first, in the same set-up: its own process, new
        // connections, the same client.
        cases.push((None, n, 15));
        if sync_ns.contains(&n) {
            cases.push((Some(peer::Workers::Sync), n, 15));
        }
        if settings.scale_ns.contains(&n) {
            cases.push((Some(peer::Workers::Gevent), n, 30));
        }
    }
    for (workers, n, timeout_s) in cases {
        let Some(workers) = workers else {
            let case = Case {
                section,
                n,
                placement: Placement::Child { workers: 2 },
                warm: false,
                k: None,
                raw: false,
                timeout_s,
                target: None,
            };
            eprintln!("  running {}", case.label());
            let mut row = case_row(&case, &run_case(&case));
            row.case = format!(
                "{} × mock-server /delay/1000; child process, 2 workers; new connections",
                count(n as u64)
            );
            rows.push(row);
            continue;
        };
        let label = format!(
            "{} × httpbin /delay/1; {}; new connections",
            count(n as u64),
            workers.label()
        );
        eprintln!("  running {label}");
        let gunicorn = match peer::Gunicorn::start(workers, n + 100) {
            Ok(g) => g,
            Err(e) => {
                rows.push(Row::new(section, label, "failed").notes(e));
                continue;
            }
        };
        let args = vec![
            "child-client".to_string(),
            "--n".into(),
            n.to_string(),
            "--timeout-s".into(),
            timeout_s.to_string(),
            "--url".into(),
            format!("{}/delay/1", gunicorn.base_url),
        ];
        let outcome = client_run(&args, Duration::from_secs(timeout_s * 2 + 30));
        let server_kib = gunicorn.worker_hwm_kib();
        drop(gunicorn);
        let case = Case {
            section,
            n,
            placement: Placement::Child { workers: 1 },
            warm: false,
            k: None,
            raw: false,
            timeout_s,
            target: None,
        };
        let mut row = case_row(&case, &outcome);
        row.case = label;
        row.memory = match (outcome.client_kib, server_kib) {
            (Some(c), Some(s)) => format!("client {} + server {}", mb(c), mb(s)),
            (Some(c), None) => format!("client {}", mb(c)),
            _ => NA.into(),
        };
        rows.push(row);
    }
    rows
}
