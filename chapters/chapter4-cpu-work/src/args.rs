//! The flags of chapter 4: `--fib N` and `--svg FILE`.

use clap::Parser;
use std::path::PathBuf;

/// The flags of chapter 4 (CPU-heavy work).
#[derive(Parser, Debug, Clone)]
pub struct Args {
    /// Which Fibonacci number to compute with the naive recursion. Each
    /// step up costs about 1.6 times as much: 39 takes about half a second
    /// in a debug build, 30 (the article's) about 10 ms.
    #[arg(long = "fib", value_name = "N", default_value_t = 39,
          value_parser = clap::value_parser!(u32).range(1..=42))]
    pub fib: u32,

    /// Also draw what the ticker saw as an SVG picture in this file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}
