//! Chapter 15, black-box: our block_on parks while a Delay waits (two
//! polls, one wake-up) and spins with a BusyDelay; a reqwest request on it
//! panics for want of a reactor and never reaches the server, while the
//! same request on it inside tokio's context, and on tokio's block_on,
//! do.

use course::testing::{TestServer, number_after, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_chapter15");
const DEADLINE: Duration = Duration::from_secs(30);

/// The summary line that starts with `name`.
fn line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no summary line {name:?}\n{stdout}"))
}

#[test]
fn block_on_parks_and_lacks_a_reactor() {
    let server = TestServer::start();
    let run = run(
        BIN,
        &["--delay-ms", "100"],
        &[("DELAY_SERVER_URL", server.url())],
        DEADLINE,
    );
    let t = run.transcript();
    assert_eq!(run.code, Some(0), "{t}");

    // Parked between the two polls: one wake-up from the timer thread.
    let quiet = line(&run.stdout, "Delay");
    assert_eq!(number_after(quiet, "polls"), Some(2.0), "{t}");
    assert_eq!(number_after(quiet, "wakes"), Some(1.0), "{t}");
    // The busy delay wakes itself on every poll: our loop polls at once.
    let busy = number_after(line(&run.stdout, "BusyDelay"), "polls").unwrap();
    assert!(busy > 500.0, "BusyDelay polled only {busy} times\n{t}");

    // The request on our executor panicked inside tokio, which found no
    // runtime (and so no reactor to register the socket with) ...
    assert!(
        run.stdout.contains("there is no reactor running,")
            && run.stdout.contains(
                "must be called from the context of a Tokio 1.x runtime"
            ),
        "{t}"
    );
    // ... before any request was sent: the server saw only the two that
    // had a reactor (our block_on inside the runtime's context, and
    // tokio's block_on), and both got their answer.
    let paths: Vec<String> =
        server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/delay/100"; 2], "the server saw {paths:?}\n{t}");
    assert_eq!(run.stdout.matches("200 OK after").count(), 2, "{t}");

    // The pinned self-borrowing block and the boxed jobs all finished.
    for done in [
        "its word is 6 bytes long",
        "a boxed job: an async block",
        "a boxed job: both delays are over",
        "a boxed job: a Delay in an async block",
    ] {
        assert!(run.stdout.contains(done), "missing {done:?}\n{t}");
    }
}

#[test]
fn help_works_and_bad_flags_are_usage_errors() {
    let help = run(BIN, &["--help"], &[], DEADLINE);
    assert_eq!(help.code, Some(0), "{}", help.transcript());
    assert!(help.stdout.contains("--delay-ms"), "{}", help.transcript());
    for bad in [
        &["--delay-ms", "-5"][..],
        &["--delay-ms", "x"],
        &["--bogus"],
    ] {
        let run = run(BIN, bad, &[], DEADLINE);
        assert_eq!(run.code, Some(2), "{bad:?}: {}", run.transcript());
        assert!(!run.stderr.contains("panicked"), "{}", run.transcript());
    }
}
