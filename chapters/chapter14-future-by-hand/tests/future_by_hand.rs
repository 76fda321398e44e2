//! Chapter 14, black-box: the hand-written Delay is polled twice and woken
//! once; the forgetful one is polled once, never woken, and never
//! finishes; the busy one is polled thousands of times and burns CPU; the
//! async fn and the hand-written state machine behave alike.

use course::testing::{number_after, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter14");
const DEADLINE: Duration = Duration::from_secs(30);

/// (wall ms, polls, wakes, CPU ms or None) from the summary row `name`.
fn row(stdout: &str, name: &str) -> (f64, f64, f64, Option<f64>) {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no summary row {name:?}\n{stdout}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| -> f64 {
        cells[i]
            .parse()
            .unwrap_or_else(|_| panic!("cell {i} of {line:?}"))
    };
    (num(1), num(2), num(3), cells[4].parse().ok())
}

#[test]
fn each_future_is_polled_and_woken_as_its_design_says() {
    let run = run(
        BIN,
        &["--delay-ms", "100", "--give-up-ms", "300"],
        &[],
        DEADLINE,
    );
    let t = run.transcript();
    assert_eq!(run.code, Some(0), "{t}");

    // The right one: a poll that stores the waker, one wake from the
    // timer thread, a second poll that finds it done. No more.
    let (wall, polls, wakes, cpu) = row(&run.stdout, "Delay");
    assert_eq!((polls, wakes), (2.0, 1.0), "Delay\n{t}");
    assert!(
        wall >= 100.0,
        "Delay was ready after {wall} ms, before 100\n{t}"
    );

    // The forgetful one: polled once when spawned, never woken, so never
    // polled again although its deadline passed --give-up-ms (300 ms)
    // before we looked: watched for its delay and then some, so that even
    // a right future would have been ready by then.
    let (f_wall, f_polls, f_wakes, _) = row(&run.stdout, "ForgetfulDelay");
    assert_eq!((f_polls, f_wakes), (1.0, 0.0), "ForgetfulDelay\n{t}");
    assert!(
        f_wall >= 100.0 + 300.0,
        "ForgetfulDelay watched for {f_wall} ms: less than its 100 ms \
         delay plus the 300 ms past it\n{t}"
    );
    let past = run
        .stdout
        .split("ForgetfulDelay, ")
        .nth(1)
        .and_then(|rest| rest.split(" ms past due: still pending,").next())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(
        past.is_some_and(|past| past >= 300),
        "the log says how long past its deadline it was still pending \
         (at least 300 ms): {past:?}\n{t}"
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("ForgetfulDelay")
                && l.trim_end().ends_with("still pending")),
        "the summary's outcome is the one measured\n{t}"
    );

    // The busy one: every poll wakes the task, which is polled again at
    // once. Even a thread that gets a small share of a loaded CPU polls it
    // thousands of times in 100 ms; the right one needs two polls.
    let (b_wall, b_polls, b_wakes, b_cpu) = row(&run.stdout, "BusyDelay");
    assert!(
        b_polls > 500.0,
        "BusyDelay polled only {b_polls} times\n{t}"
    );
    assert_eq!(b_wakes, b_polls - 1.0, "every poll but the last woke\n{t}");
    assert!(b_wall >= 100.0, "BusyDelay ready after {b_wall} ms\n{t}");
    // Spinning costs CPU time; waiting on a timer thread does not.
    if let (Some(cpu), Some(b_cpu)) = (cpu, b_cpu) {
        assert!(b_cpu > cpu, "busy {b_cpu} ms of CPU, Delay {cpu} ms\n{t}");
    }

    // The async fn and the enum written out by hand: two delays, each
    // polled into Pending once and woken once, plus the final poll.
    for name in ["two_delays", "TwoDelays"] {
        let (wall, polls, wakes, _) = row(&run.stdout, name);
        assert_eq!((polls, wakes), (3.0, 2.0), "{name}\n{t}");
        assert!(wall >= 100.0, "{name} ready after {wall} ms\n{t}");
    }
    assert!(number_after(&run.stdout, "Total").is_some(), "{t}");
}

#[test]
fn help_works_and_bad_flags_are_usage_errors() {
    let help = run(BIN, &["--help"], &[], DEADLINE);
    assert_eq!(help.code, Some(0), "{}", help.transcript());
    assert!(help.stdout.contains("--delay-ms"), "{}", help.transcript());
    for bad in [
        &["--delay-ms", "-5"][..],
        &["--delay-ms", "abc"],
        &["--delay-ms", "5"],
        &["--give-up-ms", "0"],
        &["--bogus"],
    ] {
        let run = run(BIN, bad, &[], DEADLINE);
        assert_eq!(run.code, Some(2), "{bad:?}: {}", run.transcript());
        assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
    }
}
