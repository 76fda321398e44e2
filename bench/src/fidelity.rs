//! Section 1: how close the three lessons come to their ideal times.
//!
//! The patterns are written here the way the chapters write them: two
//! awaits one after the other; two spawned tasks whose handles are awaited;
//! ten spawned tasks, each reading a body and counting its bits in
//! `spawn_blocking`, collected with `join_all`, with 4 KiB bodies. Each
//! round gets a fresh embedded server and a fresh client, like a fresh
//! `cargo run`. Chapter 7 as taught is timed by running its own binary
//! ([`chapter7_binary`]): its bodies, its build settings, its output.

use crate::table::{Row, Verdict, median, signed_ms};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const DELAY_MS: u64 = 1000;
const TARGET_MS: f64 = 10.0;

#[derive(Debug, Clone, Copy)]
enum Pattern {
    Sequential,
    Spawned,
    JoinAll,
}

impl Pattern {
    const ALL: [Pattern; 3] = [Pattern::Sequential, Pattern::Spawned, Pattern::JoinAll];

    fn case(self) -> &'static str {
        match self {
            Pattern::Sequential => "2 sequential × 1 s (ideal 2.000 s)",
            Pattern::Spawned => "2 spawned × 1 s (ideal 1.000 s)",
            Pattern::JoinAll => "10 join_all × 1 s, 4 KiB bodies + bit count (ideal 1.000 s)",
        }
    }

    fn ideal(self) -> Duration {
        match self {
            Pattern::Sequential => Duration::from_millis(2 * DELAY_MS),
            Pattern::Spawned | Pattern::JoinAll => Duration::from_millis(DELAY_MS),
        }
    }

    /// What the 2020 article measured over the internet.
    /// When the last request would reach the server with no overhead.
    fn last_start(self) -> Duration {
        match self {
            Pattern::Sequential => Duration::from_millis(DELAY_MS),
            Pattern::Spawned | Pattern::JoinAll => Duration::ZERO,
        }
    }

    fn article(self) -> &'static str {
        match self {
            Pattern::Sequential => "+468 ms",
            Pattern::Spawned => "+257 ms",
            Pattern::JoinAll => "+397 ms",
        }
    }
}

/// The profile this binary was built in.
pub fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// Runs every pattern `rounds` times and makes one row per pattern.
pub fn measure(rounds: usize) -> Vec<Row> {
    let section = format!("Fidelity ({} build)", profile());
    // The runtime `#[tokio::main]` builds: multi-threaded, all drivers.
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return vec![Row::new(
                section,
                "all",
                format!("cannot start a runtime: {e}"),
            )];
        }
    };
    let mut rows = Vec::new();
    for pattern in Pattern::ALL {
        let mut overheads = Vec::new();
        let mut lags = Vec::new();
        let mut analyses = Vec::new();
        let mut sendings = Vec::new();
        let mut peaks = BTreeSet::new();
        let mut failures = Vec::new();
        for _ in 0..rounds {
            let outcome = rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(20), round(pattern))
                    .await
                    .unwrap_or_else(|_| Err("timed out after 20 s".to_string()))
            });
            match outcome {
                Ok(Round {
                    took,
                    peak,
                    last_arrival,
                    analysis,
                    sending,
                }) => {
                    analyses.push(analysis.as_secs_f64() * 1000.0);
                    sendings.push(sending.as_secs_f64() * 1000.0);
                    let over = took.as_secs_f64() - pattern.ideal().as_secs_f64();
                    overheads.push(over * 1000.0);
                    let lag = last_arrival.as_secs_f64() - pattern.last_start().as_secs_f64();
                    lags.push(lag * 1000.0);
                    peaks.insert(peak);
                }
                Err(e) => failures.push(e),
            }
        }
        let figure = match median(&overheads) {
            Some(m) => format!("{} (median of {})", signed_ms(m), overheads.len()),
            None => "no round succeeded".to_string(),
        };
        let met = median(&overheads).is_some_and(|m| m <= TARGET_MS) && failures.is_empty();
        let spread = if overheads.is_empty() {
            String::new()
        } else {
            let lo = overheads.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = overheads.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("rounds {} … {}; ", signed_ms(lo), signed_ms(hi))
        };
        let peaks: Vec<String> = peaks.iter().map(usize::to_string).collect();
        let split = match (median(&lags), median(&overheads)) {
            (Some(lag), Some(over)) => format!(
                "last request reached the server {} late, answers took {} more; ",
                signed_ms(lag),
                signed_ms(over - lag)
            ),
            _ => String::new(),
        };
        let analysis = match median(&analyses) {
            Some(ms) if ms > 0.0 => format!(
                "bit counting took {ms:.1} ms of CPU in all (spawn_blocking, up to 2 cores); "
            ),
            _ => String::new(),
        };
        let sending = median(&sendings).map_or(String::new(), |ms| {
            format!("the server wrote its last byte at most {ms:.1} ms after a response was due; ")
        });
        let mut notes = format!(
            "{spread}{split}{sending}{analysis}article (internet, 2020): {}",
            pattern.article()
        );
        if let Some(first) = failures.first() {
            notes.push_str(&format!("; failed: {first}"));
        }
        rows.push(
            Row::new(&section, pattern.case(), figure)
                .errors(failures.len().to_string())
                .peak(if peaks.is_empty() {
                    "—".to_string()
                } else {
                    peaks.join(", ")
                })
                .target("≤ +10 ms", Verdict::from_ok(met))
                .notes(notes),
        );
    }
    rows
}

/// What one round measured.
struct Round {
    /// From the first request to the last answer (and bit count).
    took: Duration,
    /// The peak in flight the server saw.
    peak: usize,
    /// When the server saw the last request, from the start.
    last_arrival: Duration,
    /// CPU time of the bit counting, all tasks together.
    analysis: Duration,
    /// The longest a response took from its planned time (arrival plus
    /// delay) to its last byte written, by the server's own record.
    sending: Duration,
}

/// One round: a fresh server and client, then the pattern.
async fn round(pattern: Pattern) -> Result<Round, String> {
    let server = mock_server::DelayServer::start()
        .await
        .map_err(|e| format!("server: {e}"))?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let url = server.delay_url(DELAY_MS);
    let started = Instant::now();
    let mut analysis = Duration::ZERO;
    match pattern {
        Pattern::Sequential => {
            // The second request starts only once the first has answered.
            get(&client, &url).await?;
            get(&client, &url).await?;
        }
        Pattern::Spawned => {
            // Both tasks run at once; awaiting a handle only collects it.
            let first = tokio::spawn(get_owned(client.clone(), url.clone()));
            let second = tokio::spawn(get_owned(client.clone(), url.clone()));
            first.await.map_err(|e| e.to_string())??;
            second.await.map_err(|e| e.to_string())??;
        }
        Pattern::JoinAll => {
            let handles: Vec<_> = (0..10)
                .map(|_| tokio::spawn(fetch_and_count(client.clone(), url.clone())))
                .collect();
            let (mut ones, mut zeros) = (0_u64, 0_u64);
            for joined in futures::future::join_all(handles).await {
                let (o, z, spent) = joined.map_err(|e| e.to_string())??;
                ones += o;
                zeros += z;
                analysis += spent;
            }
            if zeros == 0 || ones == 0 {
                return Err(format!("odd bit count: {ones} ones, {zeros} zeros"));
            }
        }
    }
    let took = started.elapsed();
    let records = server.requests();
    let peak = mock_server::peak_in_flight(&records);
    let last_arrival = records
        .iter()
        .map(|r| r.arrived.saturating_duration_since(started))
        .max()
        .unwrap_or_default();
    let sending = records
        .iter()
        .filter_map(|r| Some(r.ended?.saturating_duration_since(r.due())))
        .max()
        .unwrap_or_default();
    drop(server);
    Ok(Round {
        took,
        peak,
        last_arrival,
        analysis,
        sending,
    })
}

async fn get(client: &reqwest::Client, url: &str) -> Result<String, String> {
    client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("GET {url}: {e}"))?
        .text()
        .await
        .map_err(|e| format!("GET {url}: {e}"))
}

async fn get_owned(client: reqwest::Client, url: String) -> Result<String, String> {
    get(&client, &url).await
}

/// The third lesson's task: the body, then the CPU part off the runtime.
/// Also gives how long the counting took.
async fn fetch_and_count(
    client: reqwest::Client,
    url: String,
) -> Result<(u64, u64, Duration), String> {
    let text = get(&client, &url).await?;
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let (ones, zeros) = count_bits(text.as_bytes());
        (ones, zeros, start.elapsed())
    })
    .await
    .map_err(|e| e.to_string())
}

/// Ones and zeros in the bytes, in two passes like the article.
fn count_bits(bytes: &[u8]) -> (u64, u64) {
    let ones: u64 = bytes.iter().map(|b| u64::from(b.count_ones())).sum();
    let zeros: u64 = bytes.iter().map(|b| u64::from(b.count_zeros())).sum();
    (ones, zeros)
}

/// Chapter 7 as a learner runs it: its own binary, built by `cargo build
/// -p chapter7` in each profile found beside the bench (`target/debug`,
/// `target/release`), run `rounds` times; each run prints how long its ten
/// requests and their analyses took ("10 requests of 1000 ms took 1.008
/// s"), and its ideal is one delay.
pub fn chapter7_binary(rounds: usize) -> Vec<Row> {
    let Some(target) = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.to_path_buf()))
    else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for profile in ["debug", "release"] {
        let section = format!("Fidelity ({profile} build)");
        let case = "chapter 7 as taught: its binary, 10 join_all × 1 s, 8–128 KiB \
                    bodies + bit count (ideal 1.000 s)";
        let exe = target.join(profile).join("chapter7");
        if !exe.is_file() {
            let build = if profile == "debug" {
                "cargo build -p chapter7"
            } else {
                "cargo build --release -p chapter7"
            };
            rows.push(Row::new(&section, case, "not run").notes(format!(
                "no {profile} build of chapter 7: run `{build}` first"
            )));
            continue;
        }
        let mut overheads = Vec::new();
        let mut failures = Vec::new();
        for _ in 0..rounds {
            match run_chapter7(&exe) {
                Ok(took) => overheads.push((took - DELAY_MS as f64 / 1000.0) * 1000.0),
                Err(e) => failures.push(e),
            }
        }
        let figure = match median(&overheads) {
            Some(m) => format!("{} (median of {})", signed_ms(m), overheads.len()),
            None => "no run succeeded".to_string(),
        };
        let met = median(&overheads).is_some_and(|m| m <= TARGET_MS) && failures.is_empty();
        let mut notes = match (
            overheads.iter().copied().reduce(f64::min),
            overheads.iter().copied().reduce(f64::max),
        ) {
            (Some(lo), Some(hi)) => format!("runs {} … {}; ", signed_ms(lo), signed_ms(hi)),
            _ => String::new(),
        };
        notes.push_str("the time the program prints, from its first spawn to its sum");
        if let Some(first) = failures.first() {
            notes.push_str(&format!("; failed: {first}"));
        }
        rows.push(
            Row::new(&section, case, figure)
                .errors(failures.len().to_string())
                .target("≤ +10 ms", Verdict::from_ok(met))
                .notes(notes),
        );
    }
    rows
}

/// Runs chapter 7 once (20 s at most) and reads the seconds it printed.
fn run_chapter7(exe: &std::path::Path) -> Result<f64, String> {
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--no-timeline");
    let lines = crate::child::Proc::spawn("chapter 7", cmd)
        .and_then(|p| p.finish(Duration::from_secs(20)))?;
    lines
        .iter()
        .find_map(|l| l.split(" took ").nth(1)?.split(" s:").next()?.parse().ok())
        .ok_or_else(|| format!("no \"took N s\" line in {lines:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_add_up_to_eight_per_byte() {
        assert_eq!(count_bits(&[0xFF, 0x00, 0x0F]), (12, 12));
        assert_eq!(count_bits(&[]), (0, 0));
    }
}
