//! What chapter 9 prints about its budget and its table: the wording and
//! the layout, kept out of `main.rs`, which holds the lesson. Every line
//! fits 80 columns, log prefix included.

use course::resources::{Budget, Peaks};
use log::info;
use std::time::Duration;

/// The file descriptor budget, in a few lines, and whether the whole batch
/// fits in it at once.
pub fn budget(budget: Option<&Budget>, count: usize) {
    let Some(b) = budget else {
        info!("Cannot read this system's open-files limit; see `ulimit -n`");
        return;
    };
    let holds = if b.per_request == 2 {
        "client and server sockets"
    } else {
        "the client's socket"
    };
    info!(
        "Open files allowed: {} (ulimit -n); open now: {}",
        b.limit, b.open
    );
    info!("Each request in flight holds {} ({holds})", b.per_request);
    info!(
        "Budget: about {} requests in flight at once (keeping {} spare)",
        b.capacity,
        Budget::SPARE
    );
    if count <= b.capacity {
        info!(
            "{count} at once fit; {} would fail (\"Too many open files\")",
            (b.capacity + 1).max(10_000)
        );
    } else {
        info!("{count} at once do not fit: spawning them all would fail");
    }
}

/// The limits the table runs, and which ones the budget cut.
pub fn limits(wanted: &[usize], fitted: &[usize]) {
    let list = |ks: &[usize]| {
        ks.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    info!(
        "The same batch with {} limits: a higher one means fewer rounds",
        fitted.len()
    );
    info!("of waiting, and more connections open at once (files, memory)");
    if wanted != fitted {
        info!(
            "Limits {} cut to the budget: {}",
            list(wanted),
            list(fitted)
        );
        info!("(at most two thirds of it: connections outlive their request)");
    }
}

/// A limit for the JoinSet run that the budget cut.
pub fn limit_cut(wanted: usize, fitted: usize) {
    if wanted != fitted {
        info!("A limit of {wanted} does not fit the budget: using {fitted}");
    }
}

/// The table's header: 75 columns.
pub fn header() {
    println!(
        "{:<24} {:>9} {:>9} {:>10} {:>11} {:>8}",
        "strategy", "took", "ideal", "in flight", "open files", "memory"
    );
}

/// One row of the table.
pub fn row(
    name: &str,
    took: Duration,
    ideal: Duration,
    peak: usize,
    peaks: &Peaks,
) {
    let show = |v: Option<String>| v.unwrap_or_else(|| String::from("-"));
    println!(
        "{name:<24} {:>7.3} s {:>7.3} s {:>10} {:>11} {:>8}",
        took.as_secs_f64(),
        ideal.as_secs_f64(),
        peak,
        show(peaks.open_files.map(|f| f.to_string())),
        show(peaks.memory.map(|b| format!("{} MB", b / 1_000_000))),
    );
}

/// What the highest limit reached, and what capped it. By Little's law,
/// requests in flight = the rate at which they reach the server × how long
/// each stays there. A peak of P with a delay of d means they came at up
/// to P / d a second: when P is well under the limit, that is the rate at
/// which this machine sets up connections, and a higher limit buys no
/// time, only more connections opened at once.
pub fn capped(rows: &[(usize, usize)], delay: Duration) {
    let Some(&(limit, peak)) = rows.last() else {
        return;
    };
    if delay.is_zero() {
        return;
    }
    let rate = peak as f64 / delay.as_secs_f64();
    info!("Peak in flight in this program with the limit of {limit}: {peak},");
    info!(
        "so requests came at up to {rate:.0} a second ({peak} / {} ms each)",
        delay.as_millis()
    );
}

/// The row of a strategy the budget rules out.
pub fn not_run(name: &str) {
    println!("{name:<24} not run: it does not fit the budget above");
}

/// The error of a batch that ran out of file descriptors: the cause first,
/// then the first failure, without the hints its symptoms would bring (a
/// timeout's "raise --timeout-ms" would send the reader the wrong way).
pub fn ran_out(cause: &str, e: &anyhow::Error) -> anyhow::Error {
    let mut parts: Vec<String> = Vec::new();
    for mut text in e.chain().map(ToString::to_string) {
        // reqwest repeats the URL ("... for url (http://...)") that the
        // context before it already named.
        if let Some(at) = text.find(" for url (") {
            let url_at = at + " for url (".len();
            let url =
                text[url_at..].split(')').next().unwrap_or("").to_string();
            if parts.iter().any(|p| p.contains(&url)) {
                text.replace_range(at..url_at + url.len() + 1, "");
            }
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    anyhow::anyhow!(
        "{cause}; {}. Bound the requests in flight \
         (--mode join-set --limit K) or raise the limit (ulimit -n)",
        parts.join(": ")
    )
}
