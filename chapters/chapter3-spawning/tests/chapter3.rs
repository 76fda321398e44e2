//! Chapter 3, black-box: spawned tasks overlap. Sleeping tasks all start
//! before any of them wakes (concurrency); computing tasks run on more than
//! one worker thread at overlapping times (parallelism).

use course::testing::{log_lines, number_after, run};
use std::collections::BTreeSet;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter3");
const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn spawned_tasks_overlap_on_several_threads() {
    let run = run(BIN, &[], &[], DEADLINE);
    let t = run.transcript();
    assert_eq!(run.code, Some(0), "{t}");
    let lines = log_lines(&run.stdout);

    // The JoinHandle carried the task's output back.
    assert!(run.stdout.contains("the task's JoinHandle gave 42"), "{t}");

    // Concurrency: all four sleepers started before the first one woke...
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].1.starts_with("sleeper") && lines[i].1.contains(" starts on "))
        .collect();
    let wakes: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].1.starts_with("sleeper") && lines[i].1.contains(" wakes on "))
        .collect();
    assert_eq!((starts.len(), wakes.len()), (4, 4), "{t}");
    assert!(starts.iter().max() < wakes.iter().min(), "{t}");
    // ... so the batch took about one sleep (500 ms), not four (2 s).
    let slept = number_after(&run.stdout, "each took").expect("concurrency figure");
    assert!((0.45..1.2).contains(&slept), "sleepers took {slept} s\n{t}");

    // Parallelism: the computing tasks ran on at least two worker threads
    // (the machine has 2 cores, so the runtime has 2 workers), and their
    // spans overlap in time.
    let workers = number_after(&run.stdout, "the runtime has").expect("worker count");
    let mut threads = BTreeSet::new();
    let mut spans = Vec::new();
    for (_, m) in lines.iter().filter(|(_, m)| m.starts_with("cruncher")) {
        let from = number_after(m, "computed from").expect("start");
        let to = number_after(m, " to ").expect("end");
        spans.push((from, to));
    }
    // The summary names the threads the crunchers ran on.
    let on = run
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("on ")?.split_once("thread(s): "))
        .expect("the summary names the crunchers' threads")
        .1;
    threads.extend(on.split(", ").map(str::to_string));
    assert_eq!(spans.len(), 4, "{t}");
    if workers >= 2.0 {
        assert!(threads.len() >= 2, "all crunchers ran on {threads:?}\n{t}");
    }
    let overlapping = spans
        .iter()
        .enumerate()
        .any(|(i, a)| spans[i + 1..].iter().any(|b| a.0 < b.1 && b.0 < a.1));
    assert!(overlapping, "{spans:?}\n{t}");
}

#[test]
fn help_works_and_bad_flags_are_usage_errors() {
    let help = run(BIN, &["--help"], &[], DEADLINE);
    assert_eq!(help.code, Some(0), "{}", help.transcript());
    let bad = run(BIN, &["--bogus"], &[], DEADLINE);
    assert_eq!(bad.code, Some(2), "{}", bad.transcript());
    assert!(!bad.stderr.contains("panicked"), "{}", bad.transcript());
}
