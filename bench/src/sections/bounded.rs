//! Section 3, bounded vs unbounded: 10,000 requests with
//! `buffer_unordered(K)`.

use crate::sections::cases::{Case, Placement, case_row, run_case};
use crate::sections::{Findings, Settings};
use crate::table::{Row, count, mb, secs};

pub(crate) fn rows(settings: &Settings, findings: &mut Findings) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut seen = Vec::new();
    for &k in &settings.bounded_ks {
        // Unbounded goes through the same stream: buffer_unordered(N).
        let case = Case {
            section: "Bounded",
            n: 10_000,
            placement: Placement::Child { workers: 2 },
            warm: false,
            k: Some(k.unwrap_or(10_000)),
            raw: false,
            timeout_s: 10,
            target: None,
        };
        eprintln!("  running {}", case.label());
        let outcome = run_case(&case);
        let mut row = case_row(&case, &outcome);
        seen.push(format!(
            "K = {}: {}, client {}",
            k.map_or("10,000".to_string(), |k| count(k as u64)),
            outcome.wall.map_or("failed".to_string(), secs),
            outcome.client_kib.map_or("?".to_string(), mb)
        ));
        if k.is_none() {
            row.case = row.case.replacen(
                "buffer_unordered(10,000)",
                "buffer_unordered(10,000) = unbounded",
                1,
            );
        }
        rows.push(row);
    }
    if !seen.is_empty() {
        findings.lines.push(format!(
            "buffer_unordered(K) trades time for memory: 10,000 requests take about 10,000 / K seconds and the client's \
             memory grows with K ({}).",
            seen.join("; ")
        ));
    }
    rows
}
