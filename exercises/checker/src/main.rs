//! `cargo run -q -p checker`: checks every exercise and shows your progress.
//! `cargo run -q -p checker -- --verify`: CI, solutions pass, starters fail.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    checker::progress::main(&args)
}
