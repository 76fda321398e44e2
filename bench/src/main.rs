//! The course's benchmark: `cargo run --release -p bench -- [--quick]
//! [--markdown FILE] [--only SECTION[,SECTION]] [--peer]`.
//!
//! It measures what the course claims and prints one table:
//! 1. fidelity: overhead of the three lessons over their ideal times;
//! 2. scale: 100 / 1,000 / 10,000 concurrent requests of 1 s;
//! 3. bounded: 10,000 requests with `buffer_unordered(K)`;
//! 4. the delay server's own throughput and memory;
//! 5. peer (with `--peer`): httpbin on gunicorn, sync and gevent.
//!
//! Servers, clients and load generators run in child processes of this
//! same binary (hidden `child-*` subcommands), each with a deadline, so that
//! each has its own descriptors and peak memory and nothing hangs.

mod child;
mod client;
mod fidelity;
mod load;
mod peer;
mod sections;
mod server;
mod sys;
mod table;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use table::Report;

/// Measures the course's claims and prints them as one table.
#[derive(Parser, Debug)]
#[command(name = "bench", max_term_width = 80)]
struct Cli {
    #[command(subcommand)]
    child: Option<ChildMode>,
    /// Fewer rounds and cases: a smoke run of a minute or two.
    #[arg(long)]
    quick: bool,
    /// Also write the table as Markdown to FILE.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Run only these sections (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SECTION")]
    only: Vec<Section>,
    /// Also run the peer section (httpbin on gunicorn; needs
    /// bench/setup-peer.sh once).
    #[arg(long)]
    peer: bool,
    /// A line about the run to print above the table (what else ran on
    /// the machine, say).
    #[arg(long, value_name = "TEXT")]
    note: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Section {
    Fidelity,
    Scale,
    Bounded,
    Server,
    Peer,
}

/// The bench's own child processes; not for people.
#[derive(Subcommand, Debug)]
enum ChildMode {
    #[command(hide = true, name = "child-server")]
    Server(server::ServeArgs),
    #[command(hide = true, name = "child-client")]
    Client(client::ClientPlan),
    #[command(hide = true, name = "child-load")]
    Load(load::LoadArgs),
    #[command(hide = true, name = "child-fidelity")]
    Fidelity {
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.child {
        Some(ChildMode::Server(args)) => return server::serve(args),
        Some(ChildMode::Client(plan)) => return client::run(plan),
        Some(ChildMode::Load(args)) => return load::run_child(args),
        Some(ChildMode::Fidelity { rounds }) => {
            for row in fidelity::measure(rounds) {
                println!("{}", row.to_line());
            }
            return ExitCode::SUCCESS;
        }
        None => {}
    }
    let wanted = |s: Section| {
        if cli.only.is_empty() {
            s != Section::Peer || cli.peer
        } else {
            cli.only.contains(&s)
        }
    };
    // Fail now, not after minutes of measuring.
    if let Some(path) = &cli.markdown {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if dir.is_some_and(|d| !d.is_dir()) {
            eprintln!(
                "error: --markdown {}: the folder does not exist",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    let settings = sections::Settings::new(cli.quick);

    let mut report = Report {
        context: context_lines(cli.quick),
        ..Report::default()
    };
    report.context.extend(cli.note.iter().cloned());
    let mut findings = sections::Findings::default();
    let sections: [(Section, &str); 5] = [
        (Section::Fidelity, "fidelity"),
        (Section::Scale, "scale"),
        (Section::Bounded, "bounded vs unbounded"),
        (Section::Server, "the delay server"),
        (Section::Peer, "peer"),
    ];
    for (section, name) in sections {
        if !wanted(section) {
            continue;
        }
        eprintln!("bench: {name}...");
        let rows = match section {
            Section::Fidelity => sections::fidelity::rows(&settings),
            Section::Scale => sections::scale::rows(&settings, &mut findings),
            Section::Bounded => sections::bounded::rows(&settings, &mut findings),
            Section::Server => sections::delay_server::rows(&settings, &mut findings),
            Section::Peer => sections::peer::rows(&settings),
        };
        for row in &rows {
            eprintln!("  {} | {} | {}", row.case, row.figure, row.errors);
        }
        report.rows.extend(rows);
    }
    if let Some(load) = sys::load_average() {
        report
            .context
            .push(format!("load average (1 min) at the end: {load:.2}"));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let busiest = report
        .rows
        .iter()
        .filter_map(|r| r.load.parse::<f64>().ok())
        .fold(0.0, f64::max);
    report.context.push(format!(
        "the Load column is the 1-minute load average when each figure was taken{}",
        if busiest > cores {
            format!(
                "; it reached {busiest:.1} on {cores} cores: the machine was busy, and times \
                 and rates are worse than on a quiet one (CPU time per request moves less)"
            )
        } else {
            String::new()
        }
    ));
    report.notes = findings.notes();

    print!("{}", report.to_text());
    if let Some(path) = cli.markdown {
        if let Err(e) = std::fs::write(&path, report.to_markdown()) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("bench: wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

fn context_lines(quick: bool) -> Vec<String> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    let fds = sys::fd_limits()
        .map(|(soft, hard)| format!("{soft} soft / {hard} hard"))
        .unwrap_or_else(|| "?".into());
    let load = sys::load_average().map_or("?".into(), |l| format!("{l:.2}"));
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|d| d.trim().to_string())
        .unwrap_or_default();
    vec![
        format!(
            "bench built in the {} profile{}; run {date}",
            fidelity::profile(),
            if quick { ", --quick run" } else { "" }
        ),
        format!("machine: {cores} cores, Linux {kernel}, open-file limit {fds}"),
        format!("load average (1 min) at the start: {load}"),
    ]
}
