//! `cargo xtask`: the repository's chores, as a Rust program so that they
//! run the same on every machine (the alias lives in `.cargo/config.toml`).
//!
//! - `cargo xtask book` installs the pinned mdBook into `target/tools` if
//!   needed, builds the book and serves it on 127.0.0.1, rebuilding it on
//!   change;
//! - `cargo xtask book --build` builds it once into `book/build` and fails on
//!   any mdBook warning;
//! - `cargo xtask outputs` reruns the chapters and rewrites the outputs and
//!   timelines that the book shows (`book/outputs.rs` lists them);
//! - `cargo xtask switch` checks that running any chapter after `cargo test`
//!   rebuilds no dependency (CI runs it after the tests).

mod book;
mod outputs;
mod serve;
mod switch;

// The table of outputs, shared with the book's tests.
#[path = "../../book/outputs.rs"]
mod manifest;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask",
    about = "Chores for the async-tour repository",
    max_term_width = 80
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Build the book and serve it on http://127.0.0.1:PORT, rebuilding it
    /// on change (installs mdBook 0.5.4 into target/tools the first time).
    Book {
        /// Build the book once into book/build instead of serving it; fail
        /// on any mdBook warning.
        #[arg(long)]
        build: bool,
        /// Only install the pinned mdBook into target/tools, if missing.
        #[arg(long, conflicts_with = "build")]
        install: bool,
        /// Port to serve on.
        #[arg(long, default_value_t = 3001)]
        port: u16,
    },
    /// Build the book once into book/build; fail on any mdBook warning.
    BookBuild,
    /// Rerun the chapters and rewrite the outputs and timelines the book
    /// shows (book/src/generated/).
    Outputs {
        /// Only these packages (default: every entry of book/outputs.rs).
        packages: Vec<String>,
    },
    /// Check that `cargo run -p chapterN` after `cargo test` rebuilds no
    /// dependency, for every chapter (builds each chapter on its own).
    Switch,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = manifest::workspace_root(&PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let result = match cli.command {
        Cmd::Book { install: true, .. } => book::ensure_mdbook(&root).map(|mdbook| {
            println!(
                "mdBook {} is ready: {}",
                book::MDBOOK_VERSION,
                mdbook.display()
            );
        }),
        Cmd::Book { build: true, .. } | Cmd::BookBuild => book::build(&root),
        Cmd::Book { port, .. } => book::serve(&root, port),
        Cmd::Outputs { packages } => outputs::regenerate(&root, &packages),
        Cmd::Switch => switch::check(&root),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// `cargo xtask --help` and each subcommand's fit 80 columns (clap
    /// wraps at the terminal's width or `COLUMNS`, at most 80).
    #[test]
    fn help_fits_80_columns() {
        let mut command = Cli::command();
        command.build();
        let mut helps = vec![("cargo xtask".to_string(), command.render_long_help())];
        for sub in command.get_subcommands_mut() {
            helps.push((
                format!("cargo xtask {}", sub.get_name()),
                sub.render_long_help(),
            ));
        }
        for (name, help) in helps {
            let help = help.to_string();
            for line in help.lines() {
                assert!(
                    line.chars().count() <= 80,
                    "{name} --help has a line of {} columns: {line}",
                    line.chars().count()
                );
            }
        }
    }
}
