//! The delay server under bad input and load (issue 7): every case sends
//! something a correct client never would, then checks that the server
//! still answers a correct request with the right body. Traffic goes to
//! 127.0.0.1 only and every loop is bounded.
//!
//! The tallies ("abuse: N cases tried, N survived") are written straight to
//! stderr, past the test harness's capture, so that they show in every
//! `cargo test` run.

use crate::common::{ServerProcess, connect, exchange, get, parse_response, within};
use mock_server::{DEFAULT_BODY_BYTES, DelayServer, MAX_BODY_BYTES, MAX_DELAY_MS, body_for};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Writes a line to the real stderr, even while the harness captures
/// `println!` and `eprintln!`.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// What one abuse case leaves behind: connections it keeps open while the
/// server is checked (a slow or idle client), and a note on what came back.
struct Aftermath {
    _held: Vec<TcpStream>,
    note: String,
}

impl Aftermath {
    fn note(note: impl Into<String>) -> Result<Aftermath, String> {
        Ok(Aftermath {
            _held: Vec::new(),
            note: note.into(),
        })
    }
}

type Case = (
    &'static str,
    Box<dyn Fn(SocketAddr) -> Result<Aftermath, String>>,
);

/// Sends raw bytes and accepts any of `statuses`, or the server closing the
/// connection without an answer when `statuses` is empty.
fn expect_status(addr: SocketAddr, request: &[u8], statuses: &[u16]) -> Result<Aftermath, String> {
    // The server may close while we still write (a header it refuses to
    // read to the end): that is a fine answer too.
    let raw = match exchange(addr, request) {
        Ok(raw) => raw,
        Err(e) if is_closed(&e) => Vec::new(),
        Err(e) => return Err(format!("no answer: {e}")),
    };
    if raw.is_empty() {
        return if statuses.is_empty() {
            Aftermath::note("connection closed, no answer")
        } else {
            Err(format!(
                "connection closed without the expected {statuses:?}"
            ))
        };
    }
    let response = parse_response(&raw)?;
    if statuses.contains(&response.status) {
        Aftermath::note(format!("{}", response.status))
    } else {
        Err(format!(
            "status {} (wanted {statuses:?}): {:?}",
            response.status,
            response.text().chars().take(200).collect::<String>()
        ))
    }
}

fn is_closed(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionReset | BrokenPipe | ConnectionAborted)
}

/// A bad delay or size: `400` with a one-line reason, at once.
fn expect_bad_request(addr: SocketAddr, path: &str) -> Result<Aftermath, String> {
    let start = Instant::now();
    let response = get(addr, path)?;
    let reason = response.text();
    let line = reason.strip_suffix('\n').unwrap_or(&reason);
    if response.status != 400 {
        return Err(format!("status {} for {path}, wanted 400", response.status));
    }
    if line.is_empty() || line.contains('\n') {
        return Err(format!("the reason is not one line: {reason:?}"));
    }
    if start.elapsed() > Duration::from_secs(2) {
        return Err(format!("the 400 took {:?}", start.elapsed()));
    }
    Aftermath::note(format!("400 {line}"))
}

/// The request a well-behaved client sends after each case.
fn check_alive(addr: SocketAddr, round: usize) -> Result<(), String> {
    let path = format!("/delay/0/url/alive-{round}?bytes=64");
    let response = get(addr, &path)?;
    let expected = body_for(&format!("/delay/0/url/alive-{round}"), 64);
    if response.status == 200 && response.body == expected.as_bytes() {
        Ok(())
    } else {
        Err(format!(
            "a correct request got {} {:?}",
            response.status,
            response.text()
        ))
    }
}

fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = vec![
        (
            "malformed request line: not HTTP at all",
            Box::new(|a| expect_status(a, b"HELLO THERE\r\n\r\n", &[400])),
        ),
        (
            "malformed request line: no version (HTTP/0.9 style)",
            Box::new(|a| expect_status(a, b"GET /delay/0\r\n\r\n", &[400])),
        ),
        (
            "malformed request line: unknown HTTP version",
            Box::new(|a| {
                expect_status(a, b"GET /delay/0 HTTP/7.3\r\nHost: x\r\n\r\n", &[400, 505])
            }),
        ),
        (
            "malformed request line: binary junk",
            Box::new(|a| {
                let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
                expect_status(a, &junk, &[400])
            }),
        ),
        (
            "malformed request line: a 100 KiB path",
            Box::new(|a| {
                let request = format!(
                    "GET /delay/0/url/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    "a".repeat(100 * 1024)
                );
                expect_status(a, request.as_bytes(), &[200, 400, 414, 431])
            }),
        ),
        (
            // The path is what matters; the authority is never used.
            "absolute URL with a port out of range",
            Box::new(|a| {
                expect_status(
                    a,
                    b"GET http://127.0.0.1:99999/delay/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    &[200, 400],
                )
            }),
        ),
        (
            "invalid header bytes",
            Box::new(|a| {
                expect_status(
                    a,
                    b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nX-Bad\x01Name: \x00\xff\xfe\r\n\r\n",
                    &[400],
                )
            }),
        ),
        (
            "a header of 1 MiB",
            Box::new(|a| {
                let request = format!(
                    "GET /delay/0 HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
                    "b".repeat(1024 * 1024)
                );
                expect_status(a, request.as_bytes(), &[431, 400])
            }),
        ),
        (
            // The server answers without reading the body; then the
            // connection ends.
            "a truncated body (the client stops sending and shuts down its side)",
            Box::new(|a| {
                let mut stream = connect(a).map_err(|e| e.to_string())?;
                stream
                    .write_all(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b")
                    .map_err(|e| e.to_string())?;
                stream
                    .shutdown(std::net::Shutdown::Write)
                    .map_err(|e| e.to_string())?;
                let mut answer = Vec::new();
                match stream.read_to_end(&mut answer) {
                    Ok(_) => {}
                    Err(e) if is_closed(&e) => {}
                    Err(e) => return Err(format!("the server neither answered nor closed: {e}")),
                }
                match answer.len() {
                    0 => Aftermath::note("connection closed, no answer"),
                    _ => Aftermath::note(format!(
                        "answered {:?}",
                        String::from_utf8_lossy(&answer[..answer.len().min(12)])
                    )),
                }
            }),
        ),
        (
            "a body that never comes (held open during the check)",
            Box::new(|a| {
                let mut stream = connect(a).map_err(|e| e.to_string())?;
                stream
                    .write_all(
                        b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nstart",
                    )
                    .map_err(|e| e.to_string())?;
                Ok(Aftermath {
                    _held: vec![stream],
                    note: "held open".into(),
                })
            }),
        ),
        (
            "a slow client whose request never ends (held open during the check)",
            Box::new(|a| {
                let mut stream = connect(a).map_err(|e| e.to_string())?;
                stream
                    .write_all(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nX-Slo")
                    .map_err(|e| e.to_string())?;
                Ok(Aftermath {
                    _held: vec![stream],
                    note: "held open".into(),
                })
            }),
        ),
        (
            "ten idle connections left open (held during the check)",
            Box::new(|a| {
                let held = (0..10)
                    .map(|_| connect(a))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                Ok(Aftermath {
                    _held: held,
                    note: "held open".into(),
                })
            }),
        ),
        (
            "an HTTP/2 preface",
            Box::new(|a| {
                let mut stream = connect(a).map_err(|e| e.to_string())?;
                // The preface, then an empty SETTINGS frame.
                stream
                    .write_all(
                        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
                    )
                    .map_err(|e| e.to_string())?;
                let mut frame = [0; 9];
                stream
                    .read_exact(&mut frame)
                    .map_err(|e| format!("no HTTP/2 answer: {e}"))?;
                // Byte 3 of a frame header is its type; 4 is SETTINGS.
                if frame[3] == 4 {
                    Aftermath::note("answered with an HTTP/2 SETTINGS frame")
                } else {
                    Err(format!("an unexpected first frame: {frame:?}"))
                }
            }),
        ),
        (
            "HTTP/2 preface followed by junk",
            Box::new(|a| {
                let mut request = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
                request.extend_from_slice(&[0xff; 64]);
                match exchange(a, &request) {
                    Ok(_) => Aftermath::note("closed"),
                    Err(e) if is_closed(&e) => Aftermath::note("reset"),
                    Err(e) => Err(format!("neither answered nor closed: {e}")),
                }
            }),
        ),
        (
            "a path with ..",
            Box::new(|a| {
                let response = get(a, "/delay/0/url/../../../etc/passwd")?;
                // The URL parser resolves the dots: /etc/passwd, not a route.
                if response.status == 404 {
                    Aftermath::note("404")
                } else {
                    Err(format!("status {} for a path with ..", response.status))
                }
            }),
        ),
        (
            "a path with %00",
            Box::new(|a| {
                let path = "/delay/0/url/a%00b";
                let response = get(a, path)?;
                if response.status == 200
                    && response.body == body_for(path, DEFAULT_BODY_BYTES).as_bytes()
                {
                    Aftermath::note("200 with the body of the path as sent")
                } else {
                    Err(format!("status {} or a wrong body", response.status))
                }
            }),
        ),
        (
            "a delay of %00",
            Box::new(|a| expect_bad_request(a, "/delay/%00")),
        ),
        (
            "a path with a non-UTF-8 byte",
            Box::new(|a| {
                expect_status(
                    a,
                    b"GET /delay/0/url/caf\xe9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    &[200, 400],
                )
            }),
        ),
    ];
    for bad in ["abc", "-1", "1e3", "99999999999999999999"] {
        cases.push((
            Box::leak(format!("delay {bad}").into_boxed_str()),
            Box::new(move |a| expect_bad_request(a, &format!("/delay/{bad}"))),
        ));
    }
    cases.push((
        "a delay over the cap",
        Box::new(|a| expect_bad_request(a, &format!("/delay/{}", MAX_DELAY_MS + 1))),
    ));
    cases.push((
        "?bytes= over the cap",
        Box::new(|a| expect_bad_request(a, &format!("/delay/0?bytes={}", MAX_BODY_BYTES + 1))),
    ));
    cases
}

#[test]
fn bad_input_leaves_the_server_answering() {
    within(Duration::from_secs(30), "the bad-input cases", || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime builds");
        let server = runtime
            .block_on(DelayServer::start())
            .expect("server starts");
        let addr = server.addr();
        check_alive(addr, 0).expect("the server answers before any abuse");

        let cases = cases();
        let mut failures = Vec::new();
        let mut survived = 0;
        for (round, (name, case)) in cases.iter().enumerate() {
            let outcome = case(addr);
            // Checked while the case's connections are still open.
            let alive = check_alive(addr, round + 1);
            let restarts = server.restarts();
            match (&outcome, &alive) {
                (Ok(after), Ok(())) if restarts == 0 => {
                    survived += 1;
                    eprintln!("survived: {name}: {}", after.note);
                }
                _ => failures.push(format!(
                    "{name}: case {:?}, then {alive:?}, restarts {restarts}",
                    outcome.as_ref().map(|after| &after.note)
                )),
            }
            drop(outcome);
        }
        report(&format!(
            "abuse: {} cases tried, {survived} survived",
            cases.len()
        ));
        assert!(
            failures.is_empty(),
            "cases that failed:\n{}",
            failures.join("\n")
        );
        drop(server);
    });
}

/// The standalone binary takes malformed requests (a body that ends
/// early, an absolute URL with a bad port) without a panic report and
/// goes on serving. (wiremock's server panicked on both.)
#[test]
fn the_binary_takes_malformed_requests_quietly() {
    within(
        Duration::from_secs(20),
        "the binary's malformed requests",
        || {
            let server = ServerProcess::spawn(&["--port", "0", "--quiet"], None);
            let (addr, _) = server.wait_for_address();
            let truncated =
                b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b";
            let mut stream = connect(addr).expect("connects");
            stream.write_all(truncated).expect("sends");
            stream
                .shutdown(std::net::Shutdown::Write)
                .expect("half-closes");
            let _ = stream.read_to_end(&mut Vec::new());
            let bad_port = b"GET http://127.0.0.1:99999/ HTTP/1.1\r\nHost: x\r\n\r\n";
            let _ = exchange(addr, bad_port);
            check_alive(addr, 1).expect("the binary still answers");
            std::thread::sleep(Duration::from_millis(100));
            let stderr = server.stderr_lines();
            assert!(
                !stderr
                    .iter()
                    .any(|l| l.contains("panicked") || l.contains("RUST_BACKTRACE")),
                "no panic report on stderr: {stderr:#?}"
            );
        },
    );
}

/// A flood of connections beyond the server's file descriptors. The
/// binary runs with a limit of 64 open files (soft and hard), and this
/// process holds 300 connections to it. Out of descriptors, the server
/// pauses accepting (the rest wait in the listen queue) instead of ending
/// its accept loops; once the flood is released it answers again, with no
/// restart.
#[test]
fn a_flood_beyond_the_file_limit_is_survived() {
    within(Duration::from_secs(30), "the flood", || {
        let mut server = ServerProcess::spawn(&["--port", "0", "--quiet"], Some(64));
        let (addr, _) = server.wait_for_address();
        check_alive(addr, 0).expect("the server answers before the flood");

        let start = Instant::now();
        let mut held = Vec::new();
        while held.len() < 300 && start.elapsed() < Duration::from_secs(5) {
            match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                Ok(stream) => held.push(stream),
                Err(e) => panic!(
                    "the flood's connect failed: {e} after {} connections",
                    held.len()
                ),
            }
        }
        let flood_took = start.elapsed();
        let connections = held.len();
        // Give the workers time to run out of descriptors and pause.
        std::thread::sleep(Duration::from_millis(300));
        drop(held);

        let start = Instant::now();
        let mut last_error = String::new();
        while start.elapsed() < Duration::from_secs(5) {
            match check_alive(addr, 1) {
                Ok(()) => break,
                Err(e) => last_error = e,
            }
            if let Some(status) = server.child.try_wait().expect("try_wait works") {
                panic!(
                    "the server exited ({status}) instead of recovering; stderr: {:#?}",
                    server.stderr_lines()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let recovered_after = start.elapsed();
        check_alive(addr, 2).unwrap_or_else(|e| {
            panic!(
                "the server did not answer within 5 s after the flood: {e} ({last_error}); stderr: {:#?}",
                server.stderr_lines()
            )
        });
        let stderr = server.stderr_lines();
        assert!(
            stderr
                .iter()
                .any(|l| l.contains("cannot accept") && l.contains("pausing")),
            "the server ran out of descriptors and said it paused: {stderr:#?}"
        );
        assert!(
            !stderr.iter().any(|l| l.contains("restarting")),
            "no accept loop died: {stderr:#?}"
        );
        assert!(
            server.child.try_wait().expect("try_wait works").is_none(),
            "the server is still running"
        );
        report(&format!(
            "abuse: flood of {connections} connections (file limit 64) in {flood_took:?} \
             survived: answered again {recovered_after:?} after the flood ended"
        ));
    });
}

/// How many quick requests the memory check measures.
const SEQUENTIAL_REQUESTS: u32 = 20_000;

/// Over how many keep-alive connections, each on a thread of its own that
/// sends its share one request after another: four keep both cores and
/// both of the binary's workers busy. The claim is about memory after many
/// requests, so splitting them over four connections changes nothing that
/// matters.
const CONNECTIONS: u32 = 4;

/// A server that runs all day must keep its memory flat. The binary (no
/// request records) answers 20,000 quick requests after a warm-up,
/// sequential on each of four connections; its resident memory may grow
/// by 1 MiB at most: about 50 bytes a request, far below any record or
/// leak per request (a record alone is over 100 bytes). The old server
/// needed 100,000 requests (33 s on a busy machine) because wiremock kept
/// a 4.8 KB copy of each request and cleared it every 1,000: memory saw-
/// toothed by megabytes. Now it does not move: measured 0 KiB over 100,000.
#[test]
fn memory_stays_flat_over_many_requests() {
    within(Duration::from_secs(40), "the sequential requests", || {
        let server = ServerProcess::spawn(&["--port", "0", "--quiet"], None);
        let (addr, _) = server.wait_for_address();
        let mut clients: Vec<crate::common::KeepAlive> = (0..CONNECTIONS)
            .map(|_| crate::common::KeepAlive::open(addr).expect("connects"))
            .collect();
        // Each connection sends `count` requests, one after another; the
        // connections run side by side.
        let send = |clients: &mut [crate::common::KeepAlive], count: u32| {
            std::thread::scope(|s| {
                for (c, client) in clients.iter_mut().enumerate() {
                    s.spawn(move || {
                        let path = "/delay/0?bytes=16";
                        for i in 0..count {
                            let (status, body) = client
                                .get(path)
                                .unwrap_or_else(|e| panic!("connection {c}, request {i}: {e}"));
                            assert_eq!(
                                (status, body.len()),
                                (200, 16),
                                "connection {c}, request {i}"
                            );
                        }
                    });
                }
            });
        };
        // Warm up on the same connections: the first requests fill
        // allocator pools and buffers on each worker thread that serves one
        // of them.
        send(&mut clients, 4_000 / CONNECTIONS);
        let before = server.vm_rss_kib();
        let start = Instant::now();
        send(&mut clients, SEQUENTIAL_REQUESTS / CONNECTIONS);
        let took = start.elapsed();
        let after = server.vm_rss_kib();
        let grown = after.saturating_sub(before);
        report(&format!(
            "abuse: {SEQUENTIAL_REQUESTS} requests ({CONNECTIONS} keep-alive connections, \
             sequential on each) in {took:?}: VmRSS {before} KiB -> {after} KiB"
        ));
        assert!(
            grown < 1024,
            "resident memory grew by {grown} KiB over {SEQUENTIAL_REQUESTS} requests \
             ({} bytes a request)",
            grown * 1024 / u64::from(SEQUENTIAL_REQUESTS)
        );
    });
}
