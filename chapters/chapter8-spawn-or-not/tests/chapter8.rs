//! Chapter 8, black-box: std::thread::sleep inside a task starves the
//! ticker for about the length of the sleep; tokio::time::sleep and
//! spawn_blocking do not.

use course::testing::{number_after, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter8");
const DEADLINE: Duration = Duration::from_secs(30);

/// The ticker's longest gap in ms and its number of ticks, from the
/// summary line starting with `case` (`... longest gap  14 ms,  44 ticks`).
fn seen(stdout: &str, case: &str) -> (f64, f64) {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(case))
        .unwrap_or_else(|| panic!("no summary line {case:?}\n{stdout}"));
    (
        number_after(line, "longest gap").expect("gap"),
        number_after(line, "ms,").expect("ticks"),
    )
}

#[test]
fn only_the_blocking_sleep_starves_the_runtime() {
    let sleep_ms = 300.0;
    let run = run(BIN, &["--sleep-ms", "300"], &[], DEADLINE);
    let t = run.transcript();
    assert_eq!(run.code, Some(0), "{t}");

    let (std_gap, _) = seen(&run.stdout, "std::thread::sleep in a task");
    let (_, tokio_ticks) = seen(&run.stdout, "tokio::time::sleep().await");
    let (_, pool_ticks) = seen(&run.stdout, "spawn_blocking(thread::sleep)");
    // By mechanism, which holds however busy the machine is. The ticker
    // could not run at all during the blocking sleep: its longest gap is
    // the whole sleep.
    assert!(std_gap >= sleep_ms, "std sleep: gap {std_gap} ms\n{t}");
    // Awaiting a tokio timer, or sleeping on the blocking pool, left the
    // runtime's thread to the ticker: it woke while the task slept. A
    // blocking sleep in either place would leave it no tick at all. (Not
    // "a short gap": a loaded machine can pause the whole process for
    // seconds, which makes every gap long but takes no tick away.)
    assert!(tokio_ticks > 0.0, "tokio sleep: no tick\n{t}");
    assert!(pool_ticks > 0.0, "spawn_blocking: no tick\n{t}");
    // The summary draws the same conclusion.
    assert!(
        run.stdout
            .contains("only the blocking call on the runtime's thread stopped the other task"),
        "{t}"
    );

    // The table of blocking std modules and their counterparts.
    for name in [
        "std::fs",
        "std::net",
        "std::sync",
        "std::thread::sleep",
        "tokio::fs",
        "tokio::net",
        "tokio::sync",
        "spawn_blocking",
    ] {
        assert!(run.stdout.contains(name), "the table misses {name}\n{t}");
    }
}

#[test]
fn help_works_and_bad_flags_are_usage_errors() {
    let help = run(BIN, &["--help"], &[], DEADLINE);
    assert_eq!(help.code, Some(0), "{}", help.transcript());
    assert!(help.stdout.contains("--sleep-ms"), "{}", help.transcript());
    // clap wraps the help to 80 columns: read it as one line of words.
    let words = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("[default: 500]"), "{}", help.transcript());
    for bad in [
        &["--sleep-ms", "-5"][..],
        &["--sleep-ms", "abc"],
        &["--sleep-ms", "5"],
        &["--sleep-ms", "10001"],
        &["--bogus"],
    ] {
        let run = run(BIN, bad, &[], DEADLINE);
        assert_eq!(run.code, Some(2), "{bad:?}: {}", run.transcript());
        assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
    }
}
