//! The real-run outputs shown in the book, in one table that two programs read:
//!
//! - `cargo xtask outputs` runs every entry and writes what the program
//!   printed (stdout and stderr, interleaved as printed) to
//!   `book/src/generated/<file>`, and the timeline to `<svg>` for the request
//!   chapters;
//! - the book test `shown_outputs_match_real_runs` runs the very same
//!   commands again and compares, with timings masked.
//!
//! Both include this file with `#[path]`, so the command that made an output
//! and the command that checks it cannot differ. It uses `std` only.
//!
//! Chapter authors: keep each run short (a few seconds at most: the test
//! suite runs them all) and the arguments equal to what the page tells the
//! reader to run. A page shows an output with
//! `{{#include generated/chapter5.txt}}` inside a ```` ```console ```` block
//! (the file starts with the `$ cargo run ...` line) and a timeline with
//! `![...](generated/chapter5-timeline.svg)`.

#![allow(dead_code)] // Each includer uses a different part.

use std::time::Duration;

// Running the entries and comparing what they print: the machinery, in a
// file of its own (`book/outputs/runs.rs`), used through this one.
#[path = "outputs/runs.rs"]
mod runs;
pub use runs::*;

/// One program run whose output the book shows.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// The package to run: `cargo run -p <package>`.
    pub package: &'static str,
    /// The arguments after `--`.
    pub args: &'static [&'static str],
    /// The file under `book/src/generated/` that receives the output.
    pub file: &'static str,
    /// For request chapters: the file under `book/src/generated/` for the
    /// timeline SVG. The run gets `--svg <path>` appended to its arguments.
    pub svg: Option<&'static str>,
    /// How a fresh run is compared with the shown output.
    pub order: Order,
    /// The run keeps the CPU busy, and what it prints may depend on how fast
    /// it computes: the test runs such runs one after another (light runs,
    /// which mostly wait on timers, go side by side with them).
    pub cpu_heavy: bool,
}

/// How the lines of a fresh run are compared with the shown ones (after
/// masking, see [`mask`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Same lines in the same order: for programs that do one thing after
    /// another.
    InOrder,
    /// Same set of distinct lines, in any order and any number: for programs
    /// whose tasks finish in an order that changes from run to run.
    AnyOrder,
}

/// Where the generated files live, relative to the workspace root.
pub const GENERATED_DIR: &str = "book/src/generated";

/// The longest a single run may take before it counts as hung.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// The outputs shown in the book, in chapter order. Entries whose package
/// does not exist yet are skipped (with a message) by xtask and the test.
pub const OUTPUTS: &[Output] = &[
    Output {
        package: "chapter1",
        args: &[],
        file: "chapter1.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter2",
        args: &[],
        file: "chapter2.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter3",
        args: &[],
        file: "chapter3.txt",
        svg: None,
        order: Order::AnyOrder,
        cpu_heavy: true,
    },
    Output {
        package: "chapter4",
        args: &[],
        file: "chapter4.txt",
        // What the ticker saw, drawn from the same run.
        svg: Some("chapter4-ticker.svg"),
        order: Order::AnyOrder,
        cpu_heavy: true,
    },
    // The request chapters run with the article's defaults: 1000 ms delays.
    Output {
        package: "chapter5",
        args: &[],
        file: "chapter5.txt",
        svg: Some("chapter5-timeline.svg"),
        order: Order::InOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter6",
        args: &[],
        file: "chapter6.txt",
        svg: Some("chapter6-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter7",
        args: &[],
        file: "chapter7.txt",
        svg: Some("chapter7-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter8",
        args: &[],
        file: "chapter8.txt",
        // What the ticker saw, drawn from the same run.
        svg: Some("chapter8-ticker.svg"),
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // The chapter's defaults (1,000 requests of 100 ms) keep the run short;
    // the page shows how to scale it to 10,000.
    Output {
        package: "chapter9",
        args: &[],
        file: "chapter9.txt",
        svg: Some("chapter9-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: true,
    },
    // The page on giving up: a request dropped by `select!`.
    Output {
        package: "chapter9",
        args: &["--mode", "select", "--delay-ms", "200"],
        file: "chapter9-select.txt",
        svg: Some("chapter9-select-timeline.svg"),
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // Part II, shared state: the three ways of locking, one after the other
    // (the tasks finish in any order; the totals and the table do not).
    Output {
        package: "chapter10",
        args: &[],
        file: "chapter10.txt",
        svg: Some("chapter10-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    // Part III. Chapter 14: a future by hand. The busy delay keeps a core
    // busy for its 300 ms.
    Output {
        package: "chapter14",
        args: &[],
        file: "chapter14.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: true,
    },
    // Chapter 15: our block_on, and a request that needs tokio's reactor.
    Output {
        package: "chapter15",
        args: &[],
        file: "chapter15.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: true,
    },
    // Chapter 16: paused against running clocks, with its defaults.
    Output {
        package: "chapter16",
        args: &[],
        file: "chapter16.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // Channels and the actor: every part runs one after the other.
    Output {
        package: "chapter11",
        args: &[],
        file: "chapter11.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // Chapter 17: the same four requests, one stuck, with a span per
    // request, without spans, and with `span.enter()` across `.await`.
    // Their answers come in an order fixed by their delays, but lines a
    // few microseconds apart may print in either order.
    Output {
        package: "chapter17",
        args: &["--mode", "no-spans"],
        file: "chapter17-no-spans.txt",
        svg: None,
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter17",
        args: &[],
        file: "chapter17.txt",
        svg: None,
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    Output {
        package: "chapter17",
        args: &["--mode", "enter-across-await"],
        file: "chapter17-enter.txt",
        svg: None,
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
    // Chapter 12: the request loops (about 1 s) and the two relays; the
    // lossy relay's figures change from run to run, its words do not.
    Output {
        package: "chapter12",
        args: &[],
        file: "chapter12.txt",
        svg: None,
        order: Order::InOrder,
        cpu_heavy: false,
    },
    // Graceful shutdown: the stop at 1 s (`--stop-after-ms`), a second of
    // grace. The jobs finish in an order that varies from run to run.
    Output {
        package: "chapter13",
        args: &[],
        file: "chapter13.txt",
        svg: Some("chapter13-timeline.svg"),
        order: Order::AnyOrder,
        cpu_heavy: false,
    },
];

impl Output {
    /// The command line shown to the reader as the first line of the file.
    pub fn command_line(&self) -> String {
        let mut line = format!("$ cargo run -p {}", self.package);
        if !self.args.is_empty() {
            line.push_str(" --");
            for arg in self.args {
                line.push(' ');
                line.push_str(arg);
            }
        }
        line
    }

    /// The output file, relative to the workspace root.
    pub fn file_path(&self) -> String {
        format!("{GENERATED_DIR}/{}", self.file)
    }

    /// The SVG file, relative to the workspace root.
    pub fn svg_path(&self) -> Option<String> {
        self.svg.map(|svg| format!("{GENERATED_DIR}/{svg}"))
    }
}
