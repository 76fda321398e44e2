//! The fault checks every request chapter must pass, in one place.
//!
//! A chapter's test file calls each with its binary and, for a chapter with
//! a mode flag, the arguments that pick a short run:
//!
//! ```text
//! // chapters/chapter5-*/tests/sequential.rs
//! use course::testing::faults;
//! const BIN: &str = env!("CARGO_BIN_EXE_chapter5");
//! #[test]
//! fn a_server_error_is_one_line() {
//!     faults::http_500(BIN, &[]);
//! }
//! ```
//!
//! Each check runs the binary with a deadline (a hang fails the test with a
//! message) and asserts how it ended: exit code, one line on stderr, no
//! panic. [`ctrl_c`] (Unix) sends SIGINT in the middle of a run's requests
//! and checks that the run ends promptly and cleanly; [`interrupt`] does the
//! sending for a chapter that wants to check more (chapter 9 handles Ctrl-C
//! itself).

use super::{Run, StatusServer, TestServer, run};
use std::time::Duration;

/// Longest a faulty run may take. Each normally ends within a second; the
/// margin is for a machine with both cores busy.
const DEADLINE: Duration = Duration::from_secs(30);

/// Asserts a clean failure: exit code 1 and exactly one line on stderr,
/// `error: ...`, without a panic. Returns that line.
pub fn assert_one_line_error(run: &Run) -> String {
    let transcript = run.transcript();
    assert_eq!(run.code, Some(1), "expected exit code 1:\n{transcript}");
    assert!(
        !run.stderr.contains("panicked") && !run.stdout.contains("panicked"),
        "a panic instead of an error:\n{transcript}"
    );
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr:\n{transcript}");
    assert!(lines[0].starts_with("error: "), "{transcript}");
    lines[0].to_string()
}

/// `--requests abc` and `--delay-ms -5` are refused with exit code 2 and a
/// clap error that names the flag, before anything runs.
pub fn bad_flags(bin: &str) {
    bad_values(
        bin,
        &[
            ("--requests", "abc"),
            ("--delay-ms", "-5"),
            ("--requests", "0"),
        ],
    );
}

/// Each `(flag, value)` is refused with exit code 2 and an error that
/// names the flag, before anything runs: for a chapter's own flags.
pub fn bad_values(bin: &str, cases: &[(&str, &str)]) {
    for &(flag, value) in cases {
        let r = run(bin, &[flag, value], &[], DEADLINE);
        let transcript = r.transcript();
        assert_eq!(r.code, Some(2), "{flag} {value}:\n{transcript}");
        assert!(
            r.stderr.starts_with("error: ") && r.stderr.contains(flag),
            "{flag} {value}: the error should name the flag:\n{transcript}"
        );
        assert!(!r.stderr.contains("panicked"), "{transcript}");
        assert!(
            r.stdout.is_empty(),
            "nothing runs on a bad flag:\n{transcript}"
        );
    }
}

/// `DELAY_SERVER_URL` at a closed port: exit 1, one line naming the URL and
/// how to start a server.
pub fn unreachable_server(bin: &str, args: &[&str]) {
    // Bind a free port, then close it: nothing listens there now.
    let url = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        format!("http://{}", probe.local_addr().expect("local address"))
    };
    let r = run(bin, args, &[(mock_server::SERVER_URL_ENV, &url)], DEADLINE);
    let line = assert_one_line_error(&r);
    assert!(
        line.contains(&url) && line.contains("cargo run -p mock-server"),
        "the error should name {url} and `cargo run -p mock-server`:\n{}",
        r.transcript()
    );
}

/// A server that answers 500: exit 1, one line naming the status.
pub fn http_500(bin: &str, args: &[&str]) {
    let server = StatusServer::start(500);
    let url = server.url();
    let mut all = vec!["--delay-ms", "50", "--no-timeline"];
    all.extend_from_slice(args);
    let r = run(bin, &all, &[(mock_server::SERVER_URL_ENV, &url)], DEADLINE);
    drop(server);
    let line = assert_one_line_error(&r);
    assert!(
        line.contains("500"),
        "the error should name the status:\n{}",
        r.transcript()
    );
}

/// A delay longer than `--timeout-ms`: exit 1, one line about the timeout,
/// long before the delay is over.
pub fn timeout(bin: &str, args: &[&str]) {
    let server = TestServer::start();
    let mut all = vec!["--delay-ms", "5000", "--timeout-ms", "200", "--no-timeline"];
    all.extend_from_slice(args);
    let r = run(
        bin,
        &all,
        &[(mock_server::SERVER_URL_ENV, server.url())],
        DEADLINE,
    );
    let line = assert_one_line_error(&r);
    assert!(
        line.contains("timed out") && line.contains("--timeout-ms"),
        "the error should say the request timed out:\n{}",
        r.transcript()
    );
    assert!(
        r.took < Duration::from_millis(4000),
        "the client should give up after 200 ms, not wait for the 5 s delay:\n{}",
        r.transcript()
    );
    assert!(
        !server.requests().is_empty(),
        "the request reached the server"
    );
}

/// How long a chapter may take to end once Ctrl-C reached it. It ends within
/// milliseconds; the margin is for a busy machine. Far below the delay of
/// the requests it interrupts ([`LONG_DELAY_MS`]), so a run that waits for
/// them instead fails the check.
#[cfg(unix)]
pub const AFTER_CTRL_C: Duration = Duration::from_secs(10);

/// The delay [`ctrl_c`] asks for: a run that ignored Ctrl-C would still be
/// waiting for its first answer long after [`AFTER_CTRL_C`].
#[cfg(unix)]
pub const LONG_DELAY_MS: &str = "30000";

/// How a run ended after Ctrl-C, from [`interrupt`].
#[cfg(unix)]
#[derive(Debug)]
pub struct Interrupted {
    /// What it printed and its exit code (`None` if the signal ended it).
    pub run: Run,
    /// The signal that ended the process, if it did not exit by itself
    /// (2, SIGINT: the default action of Ctrl-C).
    pub signal: Option<i32>,
    /// From the signal to the end of the process.
    pub ended_after: Duration,
    /// The requests the test's server had received when the signal went.
    pub requests_before: usize,
    /// When the (first) signal went, to compare with the server's record.
    pub signalled: std::time::Instant,
}

/// When [`interrupt_with`] sends its signal, and which.
#[cfg(unix)]
#[derive(Debug, Clone, Copy)]
pub struct Signals {
    /// Once this many requests have reached the server.
    pub after_requests: usize,
    /// A second SIGINT this long after the first, as a second Ctrl-C.
    pub again_after: Option<Duration>,
    /// The first signal, as `kill` names it: "INT" (Ctrl-C) or "TERM"
    /// (what systemd, `docker stop` and Kubernetes send).
    pub first: &'static str,
}

/// Runs `bin args` against a delay server of the test's own, waits until a
/// request of it has reached that server (so the run is in the middle of
/// its requests), then sends SIGINT, as Ctrl-C in a terminal does, and
/// waits for the process to end. Panics with the output if it has not ended
/// [`AFTER_CTRL_C`] after the signal.
#[cfg(unix)]
pub fn interrupt(bin: &str, args: &[&str]) -> Interrupted {
    let server = TestServer::start();
    let once = Signals {
        after_requests: 1,
        again_after: None,
        first: "INT",
    };
    interrupt_with(bin, args, &server, once)
}

/// [`interrupt`] against the test's `server`, with the signals `signals`
/// says: the server's record then shows what the run did around them.
#[cfg(unix)]
pub fn interrupt_with(
    bin: &str,
    args: &[&str],
    server: &TestServer,
    signals: Signals,
) -> Interrupted {
    use std::os::unix::process::ExitStatusExt;
    use std::time::Instant;

    let mut cmd = with_default_ctrl_c(bin);
    cmd.args(args)
        .env(mock_server::SERVER_URL_ENV, server.url())
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let (out, err) = super::capture(&mut child);
    let stop = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    // The server's record is the mechanism: once it holds a request, the
    // run is waiting for that request's (long) delay to pass.
    let wanted = signals.after_requests.max(1);
    let requests_before = loop {
        let seen = server.requests().len();
        if seen >= wanted {
            break seen;
        }
        if let Some(status) = child.try_wait().expect("wait for the child") {
            panic!(
                "{bin} {args:?} ended ({status}) before {wanted} request(s) reached the server:\n\
                 --- stdout ---\n{}--- stderr ---\n{}",
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default()
            );
        }
        if started.elapsed() > DEADLINE {
            stop(&mut child);
            panic!("{bin} {args:?} sent {seen} of {wanted} request(s) within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let send = |child: &std::process::Child, signal: &str| {
        let kill = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(kill.success(), "kill -{signal} {} failed", child.id());
        Instant::now()
    };
    let signalled = send(&child, signals.first);
    if let Some(again) = signals.again_after {
        std::thread::sleep(again);
        send(&child, "INT");
    }
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if signalled.elapsed() > AFTER_CTRL_C {
            stop(&mut child);
            panic!(
                "{bin} {args:?} was still running {AFTER_CTRL_C:?} after Ctrl-C: it ignores it.\n\
                 --- stdout ---\n{}--- stderr ---\n{}",
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let ended_after = signalled.elapsed();
    Interrupted {
        run: Run {
            code: status.code(),
            took: started.elapsed(),
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        },
        signal: status.signal(),
        ended_after,
        requests_before,
        signalled,
    }
}

/// Ctrl-C in the middle of a run (requests of 30 s, no client timeout)
/// ends it promptly and cleanly: either the default action of SIGINT ends
/// the process, as for most command-line programs, or the program exits by
/// itself with a non-zero code and at most one `error: ...` line. Never a
/// panic, a backtrace, exit code 0 (a script would take the interrupted run
/// for a success) or a wait for the requests.
#[cfg(unix)]
pub fn ctrl_c(bin: &str, args: &[&str]) {
    let mut all = vec!["--delay-ms", LONG_DELAY_MS, "--timeout-ms", "0"];
    all.extend_from_slice(args);
    let ended = interrupt(bin, &all);
    let r = &ended.run;
    let transcript = format!(
        "{}\n(signal {:?}, {:.3} s after Ctrl-C)",
        r.transcript(),
        ended.signal,
        ended.ended_after.as_secs_f64()
    );
    for text in [&r.stdout, &r.stderr] {
        assert!(
            !text.contains("panicked") && !text.contains("backtrace"),
            "a panic on Ctrl-C:\n{transcript}"
        );
    }
    match (ended.signal, r.code) {
        // SIGINT's default action: the terminal shows ^C and its prompt.
        (Some(2), _) => {}
        (None, Some(code)) if code != 0 => {
            let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            assert!(
                lines.len() <= 1 && lines.iter().all(|l| l.starts_with("error: ")),
                "at most one `error: ...` line on Ctrl-C:\n{transcript}"
            );
        }
        _ => panic!("Ctrl-C should end the run by SIGINT or a non-zero exit:\n{transcript}"),
    }
}

/// A command that starts `bin` with SIGINT's default action, as a program
/// started from a terminal has it. A command started in the background by a
/// non-interactive shell (`cargo test &` in a script, as
/// `scripts/test-under-load.sh` may be run) ignores SIGINT, and every
/// process it starts inherits that: a test of Ctrl-C would then find the
/// signal ignored for a reason that has nothing to do with the program.
/// GNU `env --default-signal` (coreutils 8.31 and later) undoes it; it is
/// used only when needed, that is when this process ignores SIGINT.
#[cfg(unix)]
fn with_default_ctrl_c(bin: &str) -> std::process::Command {
    if sigint_ignored_here() {
        let mut cmd = std::process::Command::new("env");
        cmd.arg("--default-signal=INT").arg(bin);
        cmd
    } else {
        std::process::Command::new(bin)
    }
}

/// Whether this process ignores SIGINT (Linux: the `SigIgn` mask in
/// `/proc/self/status`; elsewhere assumed not).
#[cfg(unix)]
fn sigint_ignored_here() -> bool {
    const SIGINT: u32 = 2;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let mask = status.lines().find_map(|l| l.strip_prefix("SigIgn:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & (1 << (SIGINT - 1)) != 0)
}
