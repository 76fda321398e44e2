//! Chapter 16's lesson is its tests: each one shows a tool for testing
//! async code and checks the claim the page makes about it.
//!
//! - `#[tokio::test]` runs each test on a current-thread runtime of its
//!   own; `flavor = "multi_thread"` asks for worker threads;
//! - `start_paused = true`: an hour-long timeout is tested in milliseconds
//!   of real time (auto-advance), and `advance` moves the clock by hand;
//! - HTTP code is tested against a delay server started inside the test;
//! - paused time does not pause sockets: auto-advance fires a timeout
//!   while a request is still on its way, and a `spawn_blocking` task
//!   holds the clock;
//! - the chapter's program reports both clocks.

use chapter16::{expire_after, fetch_within};
use mock_server::DelayServer;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

const HOUR: Duration = Duration::from_secs(3600);

/// Real time a paused test may take: it does no real waiting, so this is
/// only the machine's own slowness, with a wide margin for a loaded one.
const REAL_BUDGET: Duration = Duration::from_secs(1);

// ANCHOR: current_thread
/// `#[tokio::test]` builds a fresh current-thread runtime for each test:
/// the test and every task it spawns share one thread.
#[tokio::test]
async fn the_default_test_runtime_runs_everything_on_one_thread() {
    use tokio::runtime::{Handle, RuntimeFlavor};
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    let test_thread = std::thread::current().id();
    let task_thread = tokio::spawn(async { std::thread::current().id() })
        .await
        .expect("the task does not panic");
    assert_eq!(task_thread, test_thread, "a spawned task ran elsewhere");
}
// ANCHOR_END: current_thread

// ANCHOR: multi_thread
/// Code that needs more than one thread needs the multi-threaded flavor:
/// `block_in_place` hands the worker's other tasks to another worker, so
/// it exists only there. `worker_threads` defaults to the number of CPUs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_in_place_runs_on_the_multi_threaded_flavor() {
    let answer = tokio::task::block_in_place(|| 6 * 7);
    assert_eq!(answer, 42);
}

/// On the default flavor the same call panics.
#[tokio::test]
#[should_panic(expected = "can call blocking only when running on the \
                           multi-threaded runtime")]
async fn block_in_place_panics_on_the_default_flavor() {
    tokio::task::block_in_place(|| ());
}
// ANCHOR_END: multi_thread

// ANCHOR: an_hour
/// An hour of silence, tested in milliseconds. With the clock paused,
/// the runtime has nothing to do while `expire_after` waits, so it moves
/// the clock straight to the next timer (auto-advance).
#[tokio::test(start_paused = true)]
async fn an_hour_of_silence_expires_the_session_in_milliseconds() {
    let (tx, mut rx) = mpsc::channel(8);
    tx.send(String::from("hello")).await.unwrap();
    let (virtual_start, real_start) =
        (Instant::now(), std::time::Instant::now());

    let seen = expire_after(HOUR, &mut rx).await;

    assert_eq!(seen, ["hello"]);
    // Exactly an hour on tokio's clock: the timer fired at its deadline.
    assert_eq!(virtual_start.elapsed(), HOUR, "virtual time");
    assert!(
        real_start.elapsed() < REAL_BUDGET,
        "an hour took {:?} of real time: the clock was not paused",
        real_start.elapsed()
    );
    drop(tx);
}
// ANCHOR_END: an_hour

// ANCHOR: restarts
/// Each message restarts the idle timer: messages at 0 and 59 minutes
/// keep the session open until 1 h 59 min. The sender runs beside the
/// session (`join!`, one task); its `sleep`s are virtual too.
#[tokio::test(start_paused = true)]
async fn each_message_restarts_the_idle_timer() {
    let (tx, mut rx) = mpsc::channel(8);
    let start = Instant::now();
    let send = async move {
        tx.send(String::from("at 0")).await.unwrap();
        tokio::time::sleep(Duration::from_secs(59 * 60)).await;
        tx.send(String::from("at 59 min")).await.unwrap();
        // Keep the sender until long after the session expired.
        tokio::time::sleep(10 * HOUR).await;
    };
    let session =
        async { (expire_after(HOUR, &mut rx).await, start.elapsed()) };
    let ((seen, expired_at), ()) = tokio::join!(session, send);
    assert_eq!(seen, ["at 0", "at 59 min"]);
    assert_eq!(
        expired_at,
        Duration::from_secs(119 * 60),
        "an hour after the last"
    );
}
// ANCHOR_END: restarts

// ANCHOR: advance
/// The clock moved by hand: `advance` jumps it forward, then yields once.
/// A task whose timer it passed runs only when this one lets it, and a
/// timer counts from when its task first ran: let the task start first.
#[tokio::test(start_paused = true)]
async fn advance_moves_the_clock_by_hand() {
    let (tx, mut rx) = mpsc::channel::<String>(8);
    let start = Instant::now();
    let session =
        tokio::spawn(async move { expire_after(HOUR, &mut rx).await });
    // Let the session start (and set its timer) before the clock moves.
    tokio::task::yield_now().await;

    tokio::time::advance(HOUR - Duration::from_secs(1)).await;
    assert!(!session.is_finished(), "expired a second early");

    tokio::time::advance(Duration::from_secs(1)).await;
    // The timer is due: awaiting the session lets it fire, with no
    // auto-advance needed (nothing is later than now).
    let seen = session.await.unwrap();
    assert!(seen.is_empty());
    assert_eq!(start.elapsed(), HOUR, "advance moved the clock by the hour");
    drop(tx);
}
// ANCHOR_END: advance

// ANCHOR: http
/// HTTP code against a delay server started inside the test, on a free
/// loopback port. The server runs on threads of its own and records every
/// request: the test can check what was sent, not only what came back.
#[tokio::test]
async fn fetch_within_gets_a_quick_answer_and_gives_up_on_a_slow_one() {
    let server = DelayServer::start().await.expect("the delay server starts");
    let client = reqwest::Client::new();

    let quick = server.delay_url(20);
    let body = fetch_within(&client, &quick, Duration::from_secs(5)).await;
    let body = body.unwrap().expect("a 20 ms answer within 5 s");
    assert_eq!(body, mock_server::body_for("/delay/20", body.len()));

    let slow = server.delay_url(2_000);
    let started = std::time::Instant::now();
    let none = fetch_within(&client, &slow, Duration::from_millis(100)).await;
    assert!(none.unwrap().is_none(), "a 2 s answer within 100 ms");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(100)
            && took < Duration::from_millis(1_500),
        "gave up after {took:?}, not at the 100 ms limit"
    );
    let seen: Vec<String> =
        server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(seen, ["/delay/20", "/delay/2000"], "one request each");
}
// ANCHOR_END: http

// ANCHOR: sockets
/// What paused time does not pause: sockets. The server answers after
/// 500 ms of real time, but while the client waits for the bytes the
/// runtime has nothing to run, so it moves the clock to the next timer,
/// the 10 s limit, which fires at once: a timeout "passes" that no real
/// time could have passed.
#[tokio::test(start_paused = true)]
async fn paused_time_lets_a_timeout_fire_while_a_request_waits() {
    let server = Arc::new(DelayServer::start().await.expect("it starts"));
    let client = reqwest::Client::new();
    let url = server.delay_url(500);
    let (virtual_start, real_start) =
        (Instant::now(), std::time::Instant::now());
    // Until the server has the request, a blocking task holds the clock
    // (see the next test): the limit cannot fire before the request is
    // out, however slowly a loaded machine sends it.
    let watcher = Arc::clone(&server);
    let request_out = tokio::task::spawn_blocking(move || {
        let give_up = std::time::Instant::now() + Duration::from_secs(5);
        while watcher.requests().is_empty() {
            assert!(std::time::Instant::now() < give_up, "no request came");
            std::thread::sleep(Duration::from_millis(1));
        }
    });

    let limit = Duration::from_secs(10);
    let (answer, out) =
        tokio::join!(fetch_within(&client, &url, limit), request_out);

    let gave_up = std::time::Instant::now();
    out.expect("the server saw the request");
    assert!(answer.unwrap().is_none(), "the paused clock ran out first");
    assert_eq!(virtual_start.elapsed(), limit, "virtual time");
    // From the server's record, not from a budget of real time: the
    // answer was not even due yet when `fetch_within` gave up.
    let due = server.requests()[0].due();
    assert!(
        gave_up < due,
        "gave up after {:?} of real time, {:?} after the answer was due",
        gave_up - real_start,
        gave_up.saturating_duration_since(due)
    );
}

/// A `spawn_blocking` task holds the paused clock: tokio does not
/// auto-advance while one runs, so the timer waits for it in real time.
#[tokio::test(start_paused = true)]
async fn a_blocking_task_holds_the_paused_clock() {
    let start = Instant::now();
    let blocking = tokio::task::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(50));
    });
    let in_time =
        tokio::time::timeout(Duration::from_millis(10), blocking).await;
    assert!(
        in_time.is_ok(),
        "the 10 ms timeout fired during 50 ms of blocking work"
    );
    assert_eq!(start.elapsed(), Duration::ZERO, "the clock did not move");
}
// ANCHOR_END: sockets

/// The program reports both clocks: an hour of virtual time in a blink,
/// and a paused request given up before the server's answer.
#[test]
fn the_program_reports_virtual_and_real_time() {
    let server = course::testing::TestServer::start();
    let r = course::testing::run(
        env!("CARGO_BIN_EXE_chapter16"),
        &["--delay-ms", "200"],
        &[(mock_server::SERVER_URL_ENV, server.url())],
        Duration::from_secs(30),
    );
    let transcript = r.transcript();
    assert_eq!(r.code, Some(0), "{transcript}");
    let row = |label: &str| -> (f64, f64) {
        let line = r
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no row {label:?}:\n{transcript}"));
        let virtual_s = course::testing::number_after(line, "virtual").unwrap();
        let real_ms = course::testing::number_after(line, "real").unwrap();
        (virtual_s, real_ms)
    };
    let (v, real) = row("idle timeout of 60 min, paused");
    assert_eq!(v, 3600.0, "{transcript}");
    assert!(
        real < 1000.0,
        "an hour in {real} ms of real time:\n{transcript}"
    );
    let (v, _) = row("advance() by hand, paused");
    assert_eq!(v, 5400.0, "half an hour, then a full one:\n{transcript}");
    let (v, real) = row("request of 200 ms, limit 10 s, paused");
    assert_eq!(v, 10.0, "{transcript}");
    assert!(real < 200.0, "gave up before the answer:\n{transcript}");
    let (v, real) = row("the same request, running clock");
    assert!(
        real >= 200.0 && (v * 1000.0 - real).abs() < 50.0,
        "{transcript}"
    );
    let (v, real) = row("spawn_blocking(200 ms), paused");
    assert_eq!(v, 0.0, "{transcript}");
    assert!(real >= 200.0, "{transcript}");
    // The running clock's request reached the test's server, and the
    // paused one did too unless the clock jumped before it was sent (the
    // program does not hold the clock, as the test above does).
    let seen = server.requests().len();
    assert!((1..=2).contains(&seen), "{seen} requests:\n{transcript}");
    // A bad flag: one line and the usage, no panic.
    let bad = course::testing::run(
        env!("CARGO_BIN_EXE_chapter16"),
        &["--delay-ms", "-5"],
        &[],
        Duration::from_secs(30),
    );
    assert_eq!(bad.code, Some(2), "{}", bad.transcript());
    assert!(!bad.stderr.contains("panicked"), "{}", bad.transcript());
}
