//! Chapter 4, black-box: the ticker keeps ticking while fib runs in
//! spawn_blocking, and stalls for about the whole computation when the
//! same fib runs inline in an async task.

use course::testing::{number_after, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter4");
const DEADLINE: Duration = Duration::from_secs(30);

/// (computing time in s, longest ticker gap in ms) from the summary line
/// that starts with `case`.
fn figures(stdout: &str, case: &str) -> (f64, f64) {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(case))
        .unwrap_or_else(|| panic!("no summary line {case:?}\n{stdout}"));
    (
        number_after(line, "computed in").expect("time"),
        number_after(line, "longest ticker gap").expect("gap"),
    )
}

#[test]
fn spawn_blocking_keeps_the_runtime_ticking_and_inline_work_stalls_it() {
    // fib(37): a few hundred ms in a debug build, a bit more on a busy machine.
    let run = run(BIN, &["--fib", "37"], &[], DEADLINE);
    let t = run.transcript();
    assert_eq!(run.code, Some(0), "{t}");
    assert!(run.stdout.contains("fib(37) = 24157817"), "{t}");

    let (blocking_s, blocking_gap) =
        figures(&run.stdout, "with spawn_blocking:");
    let (inline_s, inline_gap) = figures(&run.stdout, "inline in a task:");
    let (blocking_ms, inline_ms) = (blocking_s * 1000.0, inline_s * 1000.0);
    assert!(
        blocking_ms >= 50.0 && inline_ms >= 50.0,
        "fib(37) was too quick to show anything: {t}"
    );
    // By mechanism, which holds however busy the machine is. The bad case
    // is asserted as bad: inline, the ticker could not run at all until
    // fib was done, so its longest gap covers the whole computation (1 ms
    // of slack: the gap is printed in whole ms, the time rounded to the ms).
    assert!(
        inline_gap + 1.0 >= inline_ms,
        "inline fib took {inline_ms} ms but the ticker's longest gap was only {inline_gap} ms\n{t}"
    );
    // With spawn_blocking the runtime's thread stayed free: the ticker woke
    // in the middle of the computation. Inline work here would make this
    // gap as long as the computation.
    assert!(
        blocking_gap < blocking_ms,
        "fib in spawn_blocking took {blocking_ms} ms and starved the ticker all along ({blocking_gap} ms)\n{t}"
    );
    // The summary draws the same conclusion.
    assert!(
        run.stdout.contains(
            "inline, the computation froze every other task on the runtime"
        ),
        "{t}"
    );
}

#[test]
fn help_works_and_bad_flags_are_usage_errors() {
    let help = run(BIN, &["--help"], &[], DEADLINE);
    assert_eq!(help.code, Some(0), "{}", help.transcript());
    assert!(help.stdout.contains("--fib"), "{}", help.transcript());
    // clap wraps the help to 80 columns: read it as one line of words.
    let words = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("[default: 39]"), "{}", help.transcript());
    for bad in [
        &["--fib", "abc"][..],
        &["--fib", "-5"],
        &["--fib", "0"],
        &["--fib", "43"],
        &["--fib", "99"],
        &["--bogus"],
    ] {
        let run = run(BIN, bad, &[], DEADLINE);
        assert_eq!(run.code, Some(2), "{bad:?}: {}", run.transcript());
        assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
        assert!(run.stdout.is_empty(), "{}", run.transcript());
    }
}
