//! Chapter 1, black-box: both ways of starting the runtime run the same
//! app() on the same thread, and the template's logger prints by default.

use course::testing::{log_lines, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter1");
const DEADLINE: Duration = Duration::from_secs(20);

#[test]
fn both_forms_run_the_same_app_on_the_main_thread() {
    let run = run(BIN, &[], &[], DEADLINE);
    let t = run.transcript();
    assert_eq!(run.code, Some(0), "{t}");
    let lines = log_lines(&run.stdout);

    // app() ran twice, once per form, and each time on the thread that
    // called block_on: main. The attribute adds no thread of its own.
    let app_runs: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].1.starts_with("app() runs on thread"))
        .collect();
    assert_eq!(app_runs.len(), 2, "{t}");
    assert_eq!(lines[app_runs[0]].1, lines[app_runs[1]].1, "{t}");
    assert!(lines[app_runs[0]].1.contains("main #"), "{t}");

    // Form 1 comes first, then form 2, and each app() run used the timer
    // (the 150 ms sleep shows in the timestamps).
    let at = |text: &str| {
        lines
            .iter()
            .position(|(_, m)| m.starts_with(text))
            .unwrap_or_else(|| panic!("no log line {text:?}\n{t}"))
    };
    let form1 = at("Form 1");
    let form2 = at("Form 2");
    assert!(
        form1 < app_runs[0] && app_runs[0] < form2 && form2 < app_runs[1],
        "{t}"
    );
    let slept: Vec<f64> = lines
        .iter()
        .filter(|(_, m)| m.starts_with("slept 150 ms"))
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(slept.len(), 2, "{t}");
    assert!(slept[0] >= 0.14, "the first sleep ended too early: {t}");
    assert!(
        slept[1] - lines[form2].0 >= 0.14,
        "the second sleep ended too early: {t}"
    );

    // Both error styles explain the bad input; anyhow adds the context.
    assert!(run.stdout.contains("boxed error:  invalid digit"), "{t}");
    assert!(
        run.stdout
            .contains(r#"anyhow error: "soon" is no delay: invalid digit"#),
        "{t}"
    );
    assert!(run.stdout.contains("Summary:"), "{t}");
    assert!(run.stderr.is_empty(), "{t}");
}

#[test]
fn logs_at_info_by_default_and_honours_rust_log() {
    let quiet = run(BIN, &[], &[("RUST_LOG", "warn")], DEADLINE);
    assert_eq!(quiet.code, Some(0), "{}", quiet.transcript());
    assert!(
        log_lines(&quiet.stdout).is_empty(),
        "{}",
        quiet.transcript()
    );
    // The summary is not a log line: it shows either way.
    assert!(quiet.stdout.contains("Summary:"), "{}", quiet.transcript());
}

#[test]
fn help_works_and_bad_flags_are_usage_errors() {
    let help = run(BIN, &["--help"], &[], DEADLINE);
    assert_eq!(help.code, Some(0), "{}", help.transcript());
    assert!(help.stdout.contains("tokio::main"), "{}", help.transcript());
    let bad = run(BIN, &["--requests", "3"], &[], DEADLINE);
    assert_eq!(bad.code, Some(2), "{}", bad.transcript());
    assert!(!bad.stderr.contains("panicked"), "{}", bad.transcript());
}
